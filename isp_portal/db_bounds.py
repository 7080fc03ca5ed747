"""Database constraints for the bounds in isp_portal.bounds, so that no code path can store what the forms and
the API refuse (DESIGN 3.1: a constraint for every invariant the database can hold).

`tests/isp_portal/test_bounds.py` walks every model of the portal and fails when a TextField has no length
constraint or a DateField no plausible-date constraint.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from isp_portal import bounds


def text_length(prefix: str, field: str, limit: int) -> models.CheckConstraint:
    """`field` (a TextField) holds at most `limit` characters. Give the field the same `max_length`, which
    Django does not enforce on a TextField but forms, serializers and the tests read."""
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=f"{prefix}_{field}_length")


def list_length(prefix: str, field: str, limit: int) -> models.CheckConstraint:
    """`field` (an ArrayField) holds at most `limit` items (each item's length is its column's own)."""
    items = models.Func(models.F(field), function="cardinality", output_field=models.IntegerField())
    # The columns are NOT NULL: cardinality of an empty array is 0.
    return models.CheckConstraint(condition=LessThanOrEqual(items, limit), name=f"{prefix}_{field}_items")


def date_in_era(prefix: str, field: str, earliest: date = bounds.EARLIEST_DATE) -> models.CheckConstraint:
    """`field` (a DateField) is empty or between `earliest` (bounds.EARLIEST_DATE unless said) and
    bounds.LATEST_DATE."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": earliest, f"{field}__lte": bounds.LATEST_DATE}),
        name=f"{prefix}_{field}_plausible",
    )
