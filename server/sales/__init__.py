"""Sales: quotes, orders with credit checks and reservations, waves and picking, packing with SSCC, shipping, invoices, returns."""
