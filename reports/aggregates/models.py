"""Each whole past month's counts, frozen the first time the month is read (reports.aggregates.selectors): the
aggregate reports and the annual dataset are sums of these, so a month's counts never change once published (a
child moving area, a record corrected or erased later, leaves them as they were: nothing read twice can differ)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from isp_portal import bounds, db_bounds
from reports.aggregates.rules import Measure


class MonthPublished(models.Model):
    """A month whose counts are frozen, and when they were taken."""

    month = models.DateField(unique=True)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "reports"
        constraints = [
            db_bounds.date_in_era("month_published", "month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="month_published_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y}"


class MonthCount(models.Model):
    """How many events of one measure in one month fell in one group (agency, child's area, age band at the time,
    legal basis), with the sum of their record keys for the cell-key perturbation (sharing.cell_key). Empty
    groups are not kept; a dimension a measure does not have is ''."""

    month = models.DateField()
    measure = models.CharField(max_length=16, choices=[(m.value, m.label) for m in Measure])
    agency_id = models.BigIntegerField()
    area_id = models.CharField(max_length=bounds.NAME, blank=True)
    age_band = models.CharField(max_length=8, blank=True)
    legal_basis = models.CharField(max_length=32, blank=True)
    n = models.PositiveIntegerField()
    key_sum = models.BigIntegerField()

    class Meta:
        app_label = "reports"
        constraints = [
            db_bounds.date_in_era("month_count", "month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="month_count_first_day"),
            models.CheckConstraint(
                condition=models.Q(measure__in=[m.value for m in Measure]), name="month_count_measure"
            ),
            models.CheckConstraint(condition=models.Q(n__gt=0), name="month_count_not_empty"),
            models.CheckConstraint(condition=models.Q(key_sum__gte=0), name="month_count_key_sum"),
            models.UniqueConstraint(
                fields=["month", "measure", "agency_id", "area_id", "age_band", "legal_basis"], name="month_count_group"
            ),
        ]
        # The tables read one measure over a run of months (the unique constraint's index serves month first;
        # this one the measure first).
        indexes = [models.Index(fields=["measure", "month"], name="month_count_measure_month")]

    def __str__(self) -> str:
        return f"{self.measure} {self.month:%Y-%m}: {self.n}"
