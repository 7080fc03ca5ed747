"""The protocols app API (under /api/v1/)."""
