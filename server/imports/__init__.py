"""Import of master data (items, partners, locations) and opening stock from CSV and XLSX files."""
