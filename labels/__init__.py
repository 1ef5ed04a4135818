"""Labels and barcodes: GS1 element strings, check digits, and (later) label rendering."""
