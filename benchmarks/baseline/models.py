"""Tables the benchmark creates itself (benchmarks/http_pages.py), so they are not managed by migrations."""

from django.db import models


class BenchRow(models.Model):
    """One of the 1,000,000 rows the baseline reads by primary key."""

    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    objects: models.Manager["BenchRow"] = models.Manager()

    class Meta:
        managed = False
        db_table = "bench_row"

    def __str__(self) -> str:
        return self.name


class BenchEvent(models.Model):
    """The same shape as `audit_event` (created `LIKE audit_event INCLUDING ALL`), without its chain."""

    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=254, blank=True)
    actor_agency_id = models.BigIntegerField(null=True)
    actor_agency_label = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=200, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    child_id = models.BigIntegerField(null=True)
    purpose = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True)
    request_id = models.UUIDField(null=True)
    detail = models.JSONField(default=dict, blank=True)

    objects: models.Manager["BenchEvent"] = models.Manager()

    class Meta:
        managed = False
        db_table = "bench_event"

    def __str__(self) -> str:
        return self.kind
