"""manage.py audit_verify: seal what is pending, recompute the whole chain, anchor and print the head hash.

Exits 0 when the chain is intact; exits 1 naming the first bad row when anything was altered, deleted or
left out, or when the chain no longer holds an earlier anchor's head (a rewritten history). Each run writes an
anchor row and mails the head to the auditors (audit.anchoring); `--anchor SEQ:HASH` also checks a head
kept outside the database, such as one from an earlier anchor's email. Beat runs the same daily.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import AnchorPair, chain_anchor

_PAIR = re.compile(r"^(\d{1,19}):([0-9a-f]{64})$")


def _pair(text: str) -> AnchorPair:
    match = _PAIR.match(text.strip().lower())
    if match is None:
        raise CommandError(f"--anchor takes SEQ:HASH (a sequence number and a 64-character hex hash), not {text!r}")
    return AnchorPair(int(match[1]), match[2])


class Command(BaseCommand):
    help = "Verify the audit hash chain, anchor its head (a row and an email to the auditors) and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-seal", action="store_true", help="verify without sealing pending events first")
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head anchored earlier (e.g. from an anchor email) that the chain must still hold; repeatable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailed = [_pair(text) for text in options["anchor"]]
        anchor = chain_anchor(seal=not options["no_seal"], mailed=mailed)
        if not anchor.ok:
            self.stderr.write(self.style.ERROR(f"AUDIT CHAIN BROKEN: {anchor.problem}"))
            self.stderr.write(f"last good link: #{anchor.head_seq} {anchor.head_hash}")
            bad = f"event {anchor.bad_event_id}" if anchor.bad_event_id is not None else f"link #{anchor.bad_seq}"
            raise CommandError(f"first bad row: {bad}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {anchor.links_checked} links verified, "
                f"{anchor.anchors_checked} earlier anchors still held"
            )
        )
        self.stdout.write(f"head: #{anchor.head_seq} {anchor.head_hash}")
        self.stdout.write(f"anchor mailed to {anchor.mailed_to} address(es)")
