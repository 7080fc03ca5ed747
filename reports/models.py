"""The reports app's models, each in its part's package."""

from reports.aggregates.models import MonthCount, MonthPublished

__all__ = ["MonthCount", "MonthPublished"]
