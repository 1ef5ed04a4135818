"""Catalog: items with their pack units and barcodes, lots with expiry, serial numbers."""
