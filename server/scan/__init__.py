"""Resolving anything a warehouse scans: item and carton barcodes, SKUs, locations, lots, GS1 element strings."""
