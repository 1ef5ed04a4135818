"""Printing labels: rendering an item's, a bin's, a lot's or a package's label, and the label printers of each warehouse."""
