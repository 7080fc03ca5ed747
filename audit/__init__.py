"""The audit store: append-only, hash-chained access events (DESIGN 2.6). Imports no domain app."""
