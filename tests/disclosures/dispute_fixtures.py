"""Disputes test data (issue 13; Southampton 13), built through the services on the issue-13 world
(tests/disclosures/after_fixtures.py): the school asks children's social care, which declines; the school disputes
it. Stage 1 goes to the school practitioner's line manager (school_manager) and to the council practitioner's
(designated_manager); stage 2 to the heads of service (the same two), advised by school_guardian and home_guardian."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from disclosures import rules
from disclosures.models import Dispute, InformationRequest
from disclosures.services import request_answer_decline
from disclosures.services.disputes import (
    dispute_advice_record,
    dispute_escalate,
    dispute_open,
    dispute_position_record,
)
from isp_portal.workdays import add_working_days
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.disclosures.fixtures import submit
from tests.factories import World
from tests.sharing.fixtures import fresh

GROUNDS = "The school needs to know to keep the child safe during the day."


def declined(after: AfterWorld) -> InformationRequest:
    """A new request of the school, declined by the council's practitioner."""
    request = submit(after.made)
    return request_answer_decline(actor=after.user("practitioner"), request=request, reason="not_proportionate")


def opened(world: World, **values: Any) -> tuple[AfterWorld, Dispute]:
    after = after_world(world)
    values.setdefault("grounds", GROUNDS)
    dispute = dispute_open(actor=after.user("school"), request=declined(after), **values)
    return after, dispute


def later(days: int, start: date | None = None) -> date:
    from disclosures.services import checks

    return add_working_days(start or timezone.localdate(), days, nation=checks.nation())


def at_stage_two(world: World) -> tuple[AfterWorld, Dispute]:
    """Stage 1 positions that differ, escalated by the school's line manager."""
    after, dispute = opened(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    dispute_position_record(
        actor=after.user("designated_manager"), dispute=dispute, position="not_share", note="Not proportionate."
    )
    dispute = dispute_escalate(actor=after.user("school_manager"), dispute=dispute)
    return after, dispute


def advised(world: World) -> tuple[AfterWorld, Dispute]:
    after, dispute = at_stage_two(world)
    dispute_advice_record(actor=after.user("school_guardian"), dispute=dispute, advice="Share the minimum.")
    dispute_advice_record(actor=after.user("home_guardian"), dispute=dispute, advice="Sharing is lawful.")
    return after, dispute


def refreshed(dispute: Dispute) -> Dispute:
    return Dispute.objects.get(pk=dispute.pk)


__all__ = ["GROUNDS", "advised", "at_stage_two", "declined", "fresh", "later", "opened", "refreshed", "rules"]
