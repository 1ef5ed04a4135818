"""Operating the server: request ids and structured logs, Prometheus metrics, readiness (README "Monitoring").

The submodules are imported one by one: `requests` is a leaf the error responses use, `metrics` is a
leaf the domain services count with, and `routes` / `readiness` sit on top of the HTTP plumbing.
"""
