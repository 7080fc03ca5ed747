"""`manage.py audit_archive --before YYYY-MM --out FILE`: write the audit events older than a month past retention to a
JSON Lines file with their chain links, then read the file back and verify it (issue 15; docs/audit-retention.md).

Nothing is deleted: the audit tables are append-only (triggers) and chained. The file holds, for each sealed event
before the month, in sequence order: the link (seq, prev_hash, event_hash, hash) and the event's canonical form (the
very bytes its hash is taken over, audit.chain.canonical_event). Verification recomputes each event's hash and each
link's hash, and checks that consecutive links follow one another; it prints the file's SHA-256, the first and last
link and the hash the first link follows, to be recorded with the chain's anchors. A month still inside
settings.AUDIT_RETENTION_YEARS is refused, and so is a month with unsealed events (seal them first)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from audit import chain
from audit.retention import first_kept_month, month_past_retention, parse_month

LONDON = ZoneInfo("Europe/London")


class Command(BaseCommand):
    help = "Write the audit events before a month past retention, with their chain links, to a file and verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="YYYY-MM: events before this month (UK time)")
        parser.add_argument("--out", required=True, help="The JSON Lines file to write (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = parse_month(options["before"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        years = int(settings.AUDIT_RETENTION_YEARS)
        today = timezone.localdate()
        if not month_past_retention(month, today=today, years=years):
            raise CommandError(
                f"Events before {month:%B %Y} are not all past retention ({years} years): the oldest month kept is "
                f"{first_kept_month(today, years):%B %Y}."
            )
        out = Path(options["out"])
        if out.exists():
            raise CommandError(f"{out} exists: the archive never overwrites a file.")
        before = datetime.combine(month, time.min, tzinfo=LONDON)
        written = self._write(out, before)
        report = verify_archive(out)
        if report["links"] != written:
            raise CommandError(f"The archive holds {report['links']} links, {written} were written.")
        self.stdout.write(json.dumps(report, indent=2))

    def _write(self, out: Path, before: datetime) -> int:
        columns = ", ".join(f"e.{column}" for column in chain.EVENT_COLUMNS)
        written = 0
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            with connection.cursor() as cursor:
                if outermost:  # one snapshot for the check and the walk
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(
                    "SELECT count(*) FROM audit_event e LEFT JOIN audit_chain_link l ON l.event_id = e.id "
                    "WHERE e.occurred_at < %s AND l.seq IS NULL",
                    [before],
                )
                (unsealed,) = cursor.fetchone() or (0,)
            if unsealed:
                raise CommandError(f"{unsealed} events before the month are not sealed yet: seal them first.")
            raw = connection.connection
            assert raw is not None
            with out.open("x", encoding="utf-8") as file, raw.cursor(name="audit_archive") as walk:
                walk.itersize = 5_000
                walk.execute(
                    f"SELECT l.seq, l.prev_hash, l.event_hash, l.hash, {columns} FROM audit_chain_link l "  # noqa: S608
                    "JOIN audit_event e ON e.id = l.event_id WHERE e.occurred_at < %s ORDER BY l.seq",
                    [before],
                )
                for seq, prev_hash, event_hash, link_hash, *event in walk:
                    canonical = chain.canonical_event(dict(zip(chain.EVENT_COLUMNS, event, strict=True)))
                    record = {"seq": seq, "prev_hash": prev_hash, "event_hash": event_hash, "hash": link_hash}
                    file.write(json.dumps({**record, "event": canonical.decode("utf-8")}) + "\n")
                    written += 1
        return written


def verify_archive(path: Path) -> dict[str, Any]:
    """Read an archive back: every event's hash and link hash recomputed, consecutive links chained."""
    digest = hashlib.sha256()
    links = 0
    first: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    with path.open("rb") as file:
        for line in file:
            digest.update(line)
            record = json.loads(line)
            event_hash = hashlib.sha256(record["event"].encode("utf-8")).hexdigest()
            if event_hash != record["event_hash"]:
                raise CommandError(f"link #{record['seq']}: the event does not match its hash")
            if chain.link_hash(record["prev_hash"], record["seq"], event_hash) != record["hash"]:
                raise CommandError(f"link #{record['seq']}: the link's hash does not match")
            if last is not None and record["seq"] == last["seq"] + 1 and record["prev_hash"] != last["hash"]:
                raise CommandError(f"link #{record['seq']} does not follow link #{last['seq']}")
            first = first or record
            last = record
            links += 1
    return {
        "file": str(path),
        "sha256": digest.hexdigest(),
        "links": links,
        "first_seq": first["seq"] if first else None,
        "first_follows_hash": first["prev_hash"] if first else None,
        "last_seq": last["seq"] if last else None,
        "last_hash": last["hash"] if last else None,
    }
