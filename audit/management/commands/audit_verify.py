"""manage.py audit_verify: seal what is pending, recompute the whole chain, print the head hash.

Exits 0 when the chain is intact; exits 1 naming the first bad row when anything was altered, deleted or
left out. Anchor the printed head hash outside the database (a signed email, a ticket) to make later
tampering provable even by someone who can rewrite the whole table.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import ActorIdentity, audit_record, audit_seal
from audit.verify import chain_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain and print its head hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-seal", action="store_true", help="verify without sealing pending events first")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_seal"]:
            audit_seal()
        report = chain_verify()
        system = ActorIdentity(user_id=None, label="manage.py audit_verify")
        audit_record(
            kind="audit.verify",
            actor=system,
            outcome="success" if report.ok else "failed",
            detail={
                "links": report.links_checked,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "problem": report.problem,
            },
        )
        if not report.ok:
            self.stderr.write(self.style.ERROR(f"AUDIT CHAIN BROKEN: {report.problem}"))
            self.stderr.write(f"last good link: #{report.head_seq} {report.head_hash}")
            raise CommandError(f"first bad row: event {report.bad_event_id}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.links_checked} links verified"))
        self.stdout.write(f"head: #{report.head_seq} {report.head_hash}")
