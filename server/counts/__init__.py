"""Stocktakes: frozen book quantities, blind counts, variance review and posting adjustments through the ledger."""
