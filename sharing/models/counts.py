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
