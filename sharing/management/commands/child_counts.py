"""manage.py child_counts: check the aggregate tier's kept counts against a count over the index, or recount them.

`--check` (the default) exits 0 when every kept count (sharing.models.counts) equals the count over the
children and their open involvements, and 1 listing the first differences otherwise. `--rebuild` counts them
again (after writes that skipped the triggers), then checks.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import ActorIdentity
from sharing.selectors.aggregate import child_counts_differences
from sharing.services.counts import child_counts_rebuild


class Command(BaseCommand):
    help = "Check the aggregate tier's kept counts against the index (--rebuild: count them again first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="count the kept counts again, then check")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            groups = child_counts_rebuild(actor=ActorIdentity(user_id=None, label="manage.py child_counts"))
            self.stdout.write("counted again: " + ", ".join(f"{table} {n} groups" for table, n in groups.items()))
        differences = child_counts_differences(limit=20)
        if differences:
            for difference in differences:
                self.stderr.write(
                    f"{difference.table} {difference.key}: kept {difference.kept}, counted {difference.counted}; "
                    f"key sums kept {difference.kept_key_sum}, counted {difference.counted_key_sum}"
                )
            raise CommandError(
                "the kept counts differ from the index: run `manage.py child_counts --rebuild`", returncode=1
            )
        self.stdout.write(self.style.SUCCESS("the kept counts equal the index"))
