"""The consent API (under /api/v1/)."""
