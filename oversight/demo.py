"""The oversight app's part of `manage.py seed_demo`: the audit store's past year (oversight.demo_volume)."""

from oversight.demo_volume import seed

__all__ = ["seed"]
