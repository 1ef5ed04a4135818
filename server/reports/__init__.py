"""Reports: each one a query function and a column list, served as JSON, CSV and XLSX.

To add a report: write `rows(session, actor, params) -> list[dict]` next to its kin (stock.py,
finance.py, ...), declare a `Params` subclass for its filters and a `Report(...)` with its
columns and permission, and list it in `registry.REPORTS`. Routing, parameter parsing and
documentation, permission checks, hiding cost columns, totals and the three formats follow.
"""
