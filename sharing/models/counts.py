"""The aggregate tier's counts by agency, kept as children and involvements are written (issue 11 "Speed";
DESIGN 5: the suppressed aggregate over 1,000,000 children within 300 ms).

Counting children by the agency currently involved means joining 1,000,000 children with their open
involvements on every view (over a second at that size). These two tables hold the same counts, kept exact by
PostgreSQL triggers on `sharing_child` and `sharing_involvement` (sharing migration 0006: every write is
counted, whichever code makes it, a queryset's `update()` and a raw statement included), so a view reads a few
thousand rows instead.

What is counted is what `sharing.selectors.aggregate` publishes: each child not merged into another, once under
each agency with an open involvement (`ended_on` empty; several services of one agency count once), and once
under "no current involvement" (`agency_id` 0: no agency has that id) when it has none. The triggers never
delete a row: a count that falls to 0 stays as a 0 (the selector leaves zero groups out, as a count over the
tables has no such group). The keys hold no NULL (0, and "" for no area) because INSERT ... ON CONFLICT does not
see a conflict on a NULLS NOT DISTINCT key in PostgreSQL 15 (it inserts, then fails); and `n` has no CHECK
(n >= 0) because PostgreSQL checks the row proposed (the difference, -1) before it looks for the conflict.

`manage.py child_counts --check` compares them with a count over the tables; `--rebuild` recounts them (after
writes that skip triggers, such as `benchmarks.children`'s COPY with `session_replication_role = replica`).
"""

from __future__ import annotations

from django.db import models

from isp_portal import bounds, db_bounds


class ChildCountByAgencyAge(models.Model):
    """Children by agency currently involved and date of birth (the age bands move every day, so they are worked
    out from the dates when the table is read)."""

    agency_id = models.BigIntegerField()  # 0: no current involvement
    born_on = models.DateField()
    n = models.IntegerField()
    # The sum of the counted children's cell keys (sharing.cell_key), kept with `n` (sharing migration 0012).
    key_sum = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_id", "born_on"], name="child_count_agency_age_key"),
            # The child's date of birth, held by the same bound as the child's.
            db_bounds.date_in_era("child_count_agency_age", "born_on", bounds.EARLIEST_BIRTH_DATE),
        ]

    def __str__(self) -> str:
        return f"{self.n} children of agency {self.agency_id} born on {self.born_on}"


class ChildCountByAgency(models.Model):
    """Children by agency currently involved, area, gender and ethnicity."""

    agency_id = models.BigIntegerField()  # 0: no current involvement
    area_id = models.CharField(max_length=9, blank=True)  # "": no area recorded
    gender = models.CharField(max_length=16)
    ethnicity = models.CharField(max_length=32)
    n = models.IntegerField()
    # The sum of the counted children's cell keys (sharing.cell_key), kept with `n` (sharing migration 0012).
    key_sum = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_id", "area_id", "gender", "ethnicity"], name="child_count_agency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.n} children of agency {self.agency_id} in {self.area_id}, {self.gender}, {self.ethnicity}"


class SnapshotKind(models.TextChoices):
    """What a row of a day's snapshot of the counts holds (sharing.services.snapshots)."""

    # Children (each once) by age band, area, gender and ethnicity: the tables without the agency, and the
    # children counted once by the other dimension of a table by agency.
    CHILDREN = "children", "Children by age band, area, gender and ethnicity"
    # From ChildCountByAgencyAge: child-agency pairs by agency and age band (on the snapshot's day).
    AGENCY_AGE = "agency_age", "Children by agency and age band"
    # From ChildCountByAgency: child-agency pairs by agency, area, gender and ethnicity.
    AGENCY = "agency", "Children by agency, area, gender and ethnicity"


class AggregateSnapshot(models.Model):
    """The day's snapshot of the counts the aggregate tier publishes (break11d finding 1): taken once a day, just
    after midnight by the beat (sharing.tasks.aggregate_snapshot) or by the day's first reader, and read all day,
    so that changing records cannot re-draw a count's cell-key noise within the day (sharing.services.snapshots)."""

    taken_on = models.DateField(unique=True)
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [db_bounds.date_in_era("aggregate_snapshot", "taken_on")]

    def __str__(self) -> str:
        return f"The counts as at {self.taken_at:%Y-%m-%d %H:%M}"


class AggregateSnapshotCount(models.Model):
    """One group of a day's snapshot: its count and the sum of its records' cell keys (sharing.cell_key). The
    columns a kind does not group by are NULL; the agency is 0 for "no current involvement" and the area "" for
    "no area recorded", as in the kept counts."""

    snapshot = models.ForeignKey(AggregateSnapshot, on_delete=models.CASCADE, related_name="counts")
    kind = models.CharField(max_length=16, choices=SnapshotKind.choices)
    agency_id = models.BigIntegerField(null=True)
    age_band = models.CharField(max_length=8, null=True)
    area_id = models.CharField(max_length=9, null=True)
    gender = models.CharField(max_length=16, null=True)
    ethnicity = models.CharField(max_length=32, null=True)
    n = models.IntegerField()
    key_sum = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=SnapshotKind.values), name="snapshot_count_kind_known"),
            # Empty groups are left out: a count over the tables has no such group.
            models.CheckConstraint(condition=models.Q(n__gt=0, key_sum__gte=0), name="snapshot_count_positive"),
            # Each kind has exactly its own columns.
            models.CheckConstraint(
                condition=models.Q(
                    kind=SnapshotKind.CHILDREN,
                    agency_id__isnull=True,
                    age_band__isnull=False,
                    area_id__isnull=False,
                    gender__isnull=False,
                    ethnicity__isnull=False,
                )
                | models.Q(
                    kind=SnapshotKind.AGENCY_AGE,
                    agency_id__isnull=False,
                    age_band__isnull=False,
                    area_id__isnull=True,
                    gender__isnull=True,
                    ethnicity__isnull=True,
                )
                | models.Q(
                    kind=SnapshotKind.AGENCY,
                    agency_id__isnull=False,
                    age_band__isnull=True,
                    area_id__isnull=False,
                    gender__isnull=False,
                    ethnicity__isnull=False,
                ),
                name="snapshot_count_columns_of_kind",
            ),
            models.UniqueConstraint(
                fields=["snapshot", "kind", "agency_id", "age_band", "area_id", "gender", "ethnicity"],
                nulls_distinct=False,
                name="snapshot_count_group_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.n} ({self.kind}) in snapshot {self.snapshot_id}"
