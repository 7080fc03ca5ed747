"""Rows for the protocols app's pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from protocols.models import Signature
from protocols.services import consultations_sweep, meeting_record_minutes
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World
from tests.matrix import Case, html_signed_in, like_defaults, only


def pages(status_for_role_holders: int, *, no_role: int, **overrides: int) -> dict[str, int]:
    table = html_signed_in(status_for_role_holders, no_role=no_role)
    table.update(like_defaults(overrides))
    return table


def html_only(statuses: dict[str, int]) -> dict[str, int]:
    """Only the principals named get in; everyone else with a role is outside the scope (404)."""
    return only(statuses, otherwise=404, anonymous=302, token=302)


def protocol(world: World) -> dict[str, Any]:
    return {"pk": fx.protocol_in_force(world).pk}


def version(world: World) -> dict[str, Any]:
    return {"pk": fx.protocol_in_force(world).pk, "number": 2}


def draft(world: World) -> dict[str, Any]:
    return {"pk": fx.draft_protocol(world).pk}


def home_signature(world: World) -> dict[str, Any]:
    return {
        "pk": Signature.objects.get(
            protocol=fx.protocol_in_force(world), agency=world.home, withdrawn_at__isnull=True
        ).pk
    }


def consultation(world: World) -> dict[str, Any]:
    return {"pk": fx.consultation(world).pk}


def closed_consultation(world: World) -> dict[str, Any]:
    """The World's consultation, past its deadline and closed by the sweep: its outcome can be recorded."""
    made = fx.consultation(world)
    consultations_sweep(today=made.deadline + timedelta(days=1))
    return {"pk": made.pk}


def unsigned(world: World) -> dict[str, Any]:
    """A protocol in force that the home agency (checklist complete) has not signed yet."""
    count = world.objects.get("unsigned", 0) + 1
    world.objects["unsigned"] = count
    return {"pk": fx.make_protocol(f"Unsigned Protocol {count}").pk}


def review(world: World) -> dict[str, Any]:
    return {"pk": fx.review(world).pk}


def fresh_review(world: World) -> dict[str, Any]:
    """A scheduled review of a new protocol each time (recording one completes it)."""
    count = world.objects.get("fresh_reviews", 0) + 1
    world.objects["fresh_reviews"] = count
    protocol = fx.make_protocol(f"Reviewed Protocol {count}")
    return {"pk": protocol.reviews.get().pk}


def action(world: World) -> dict[str, Any]:
    return {"pk": fx.review_action(world).pk}


def audit(world: World) -> dict[str, Any]:
    return {"pk": fx.protocol_audit(world).pk}


def extract(world: World) -> dict[str, Any]:
    fx.protocol_audit(world)
    return {"pk": world.objects["extract"].pk}


def meeting(world: World) -> dict[str, Any]:
    return {"pk": fx.meeting(world).pk}


def meeting_with_minutes(world: World) -> dict[str, Any]:
    count = world.objects.get("meetings", 0) + 1
    world.objects["meetings"] = count
    world.objects.pop("meeting", None)
    made = fx.meeting(world)
    meeting_record_minutes(actor=SYSTEM, meeting=made, minutes=f"Minutes {count}")
    return {"pk": made.pk}


def respond_data(world: World) -> dict[str, Any]:
    return {"agency": world.home.pk, "response": "agree", "comment": ""}


def review_data(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "findings": "Working well",
        "completed_on_day": today.day,
        "completed_on_month": today.month,
        "completed_on_year": today.year,
    }


PA = {"partnership_admin": 200}

CASES: list[Case] = [
    Case("protocol-list", pages(200, no_role=403), queries=2),
    Case("protocol-create", pages(403, no_role=403, **PA), queries=2),
    Case("protocol-detail", pages(200, no_role=404), kwargs=protocol, queries=4),
    Case("protocol-version-create", pages(403, no_role=404, **PA), kwargs=protocol, queries=3),
    Case("protocol-version", pages(200, no_role=404), kwargs=version, queries=4),
    Case("protocol-version-diff", pages(200, no_role=404), kwargs=version, queries=4),
    Case("protocol-transition", pages(403, no_role=404, **PA), kwargs=protocol, queries=2),
    Case("protocol-adopt", pages(403, no_role=404, **PA), kwargs=draft, queries=3),
    Case("protocol-sign", pages(403, no_role=404, agency_admin=200), kwargs=unsigned, queries=7),
    Case(
        "protocol-sign",
        pages(403, no_role=404, agency_admin=302),
        kwargs=protocol,
        note="every agency the admin keeps has signed: back to the protocol, saying so (no form that can only fail)",
        queries=3,
    ),
    Case("consultation-open", pages(403, no_role=404, **PA), kwargs=protocol, queries=3),
    Case(
        "protocol-audit-create",
        pages(403, no_role=404, partnership_admin=200, agency_admin=200),
        kwargs=protocol,
        queries=4,
    ),
    Case(
        "signature-withdraw",
        pages(403, no_role=404, partnership_admin=200, agency_admin=200),
        kwargs=home_signature,
        queries=2,
    ),
    Case("consultation-detail", pages(200, no_role=404), kwargs=consultation, queries=3),
    Case(
        "consultation-detail",
        pages(403, no_role=404, agency_admin=302),
        method="post",
        kwargs=consultation,
        data=respond_data,
        note="responding: the circulated agency's representative or admin",
        queries=11,
    ),
    Case("consultation-decide", pages(403, no_role=404, **PA), kwargs=closed_consultation, queries=3),
    Case(
        "consultation-decide",
        pages(403, no_role=404, partnership_admin=302),
        kwargs=consultation,
        note="before the deadline: back to the consultation, saying when the outcome can be recorded",
        queries=2,
    ),
    Case("review-detail", pages(200, no_role=404), kwargs=review, queries=6),
    Case(
        "review-detail",
        pages(403, no_role=404, partnership_admin=302),
        method="post",
        kwargs=fresh_review,
        data=review_data,
        note="recording the findings: officers or partnership admins",
        queries=13,
    ),
    Case("review-action-add", pages(403, no_role=404, **PA), kwargs=review, queries=3),
    Case(
        "review-action-update",
        pages(403, no_role=404, partnership_admin=200, agency_admin=200),
        kwargs=action,
        queries=2,
    ),
    Case("protocol-audit-detail", pages(200, no_role=404), kwargs=audit, queries=2),
    Case("audit-extract-detail", html_only({"partnership_admin": 200, "agency_admin": 200}), kwargs=extract, queries=9),
    Case("meeting-list", pages(200, no_role=403), queries=2),
    Case("meeting-create", pages(403, no_role=403, **PA), queries=3),
    Case("meeting-detail", pages(200, no_role=404), kwargs=meeting, queries=4),
    Case(
        "meeting-circulate",
        pages(403, no_role=404, partnership_admin=302),
        method="post",
        kwargs=meeting_with_minutes,
        queries=13,
    ),
]
