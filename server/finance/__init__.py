"""Finance: the chart of accounts, journal entries posted automatically from stock moves, the trial balance."""
