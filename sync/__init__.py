"""The offline sync protocol: operation envelopes, the op log, the change feed, push and pull."""
