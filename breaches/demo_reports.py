"""The reported breaches of the demo partnership (issue 14), each through the services: one just reported; one with
the partners notified and the report of the agency in breach in; one overdue (its report step past due, never done);
one personal-data breach decided reportable to the ICO and the ICO told. Idempotent: each is found again by its
description, so a second run writes nothing. Other demo modules find them with `demo_breach(demo, key)`.

Nothing here is written to the tables directly: the services set `reported_at` and the completion times to now
(the dates the clocks run from, when it occurred, was identified and the agency became aware, are in the past), so
the overdue breach reads as reported late, which is what makes it overdue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from breaches.models import Breach
from breaches.services.breaches import (
    breach_ico_decide,
    breach_ico_notified,
    breach_partners_notify,
    breach_report,
    breach_report_submit,
)
from isp_portal.demo_context import DemoContext
from protocols.models import Protocol

GENERAL_TITLE = "Northbridge General Information Sharing Protocol"

DESCRIPTIONS = {
    "just_reported": "A police officer read a child's case note aloud in a meeting where the parents' solicitor was "
    "present, before the council had agreed it could be shared.",
    "report_in": "A health visitor's referral, with the family's address, was sent to a school that is not a partner "
    "to the protocol.",
    "overdue": "A council case worker shared a child's sensitive records with the police without recording the "
    "legal basis or telling the designated manager.",
    "ico_notified": "A police spreadsheet listing children at risk, with their addresses, was e-mailed to an outside "
    "mailing list.",
}


def demo_breach(demo: DemoContext, key: str) -> Breach | None:
    """The demo breach `key` (one of DESCRIPTIONS), or None before it is seeded."""
    found = demo.objects.get("breaches", {}).get(key)
    if found is not None:
        return found
    return Breach.objects.filter(description=DESCRIPTIONS[key]).first()


def _remember(demo: DemoContext, key: str, breach: Breach) -> Breach:
    demo.objects.setdefault("breaches", {})[key] = breach
    return breach


def seed(demo: DemoContext) -> None:
    agencies: dict[str, Any] = demo.objects.get("agencies", {})
    people: dict[str, Any] = demo.objects.get("people", {})
    protocol = Protocol.objects.filter(title=GENERAL_TITLE).first()
    wanted = {"designated_manager", "police_admin", "caldicott"}
    if protocol is None or not {"council", "police", "trust"} <= set(agencies) or not wanted <= set(people):
        demo.summary["breaches"] = "no demo partnership: nothing to do"
        return
    today = timezone.localdate()
    made = 0

    def report(key: str, **values: Any) -> Breach:
        nonlocal made
        existing = demo_breach(demo, key)
        if existing is not None:
            return _remember(demo, key, existing)
        made += 1
        breach = breach_report(
            actor=people["designated_manager"], protocol=protocol, description=DESCRIPTIONS[key], **values
        )
        return _remember(demo, key, breach)

    report(
        "just_reported",
        alleged_agency=agencies["police"],
        occurred_on=today - timedelta(days=3),
        identified_on=today - timedelta(days=1),
    )

    in_progress = report(
        "report_in",
        alleged_agency=agencies["trust"],
        occurred_on=today - timedelta(days=9),
        identified_on=today - timedelta(days=6),
    )
    if in_progress.report_submitted_at is None:
        breach_partners_notify(actor=people["designated_manager"], breach=in_progress, note="Raised at the meeting.")
        breach_report_submit(
            actor=people["caldicott"],
            breach=in_progress,
            report="The referral was recalled the same day and the school confirmed it was deleted. The health "
            "visitor has been retrained and referrals now go through the secure portal only.",
        )

    # The report was due 10 working days after the breach, some weeks ago, and never came.
    report(
        "overdue",
        alleged_agency=agencies["council"],
        occurred_on=today - timedelta(days=35),
        identified_on=today - timedelta(days=30),
    )

    aware_at = timezone.now() - timedelta(days=2)
    ico = report(
        "ico_notified",
        alleged_agency=agencies["police"],
        occurred_on=timezone.localtime(aware_at).date(),
        identified_on=timezone.localtime(aware_at).date(),
        is_personal_data_breach=True,
        aware_at=aware_at,
    )
    if ico.ico_reportable is None:
        breach_ico_decide(
            actor=people["police_admin"],
            breach=ico,
            reportable=True,
            reason="Names and addresses of children at risk reached people outside the partnership: a high risk "
            "to the children's safety.",
        )
    ico.refresh_from_db()
    if ico.ico_notified_at is None:
        breach_ico_notified(
            actor=people["police_admin"],
            breach=ico,
            notified_at=aware_at + timedelta(hours=30),
            reference="ICO/2026/0412",
        )
    demo.summary["breaches"] = f"{made} breaches reported" if made else "already there"
