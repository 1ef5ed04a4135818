"""Inventory: the double-entry stock ledger — moves, balances, reservations."""
