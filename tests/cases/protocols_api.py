"""Rows for the protocols API. Writes that change state get fresh objects for each principal's request, so
every principal meets the same situation (a draft to adopt, a consultation to answer, a review to record)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from protocols.services import (
    audit_extract_share,
    consultation_open,
    consultations_sweep,
    meeting_create,
    protocol_version_create,
    review_action_add,
)
from tests import protocol_fixtures as fx
from tests.cases.agencies_api import role_holders
from tests.cases.protocols import (
    action,
    audit,
    consultation,
    extract,
    home_signature,
    meeting,
    meeting_with_minutes,
    protocol,
    review,
)
from tests.cases.protocols import fresh_review as fresh_review_kwargs
from tests.factories import SYSTEM, World
from tests.matrix import Case, api_signed_in

_serial = itertools.count(1)


def _fresh_signed_protocol(world: World) -> Any:
    """A new protocol in force, signed by the home agency, with a second version drafted."""
    if not world.objects.get("home_checklist"):
        fx.complete_checklist(world.home)
        world.objects["home_checklist"] = True
    made = fx.make_protocol(f"API Protocol {next(_serial)}")
    fx.sign(made, world.home)
    protocol_version_create(actor=SYSTEM, protocol=made, text="Revised text", change_note="Revision")
    return made


def fresh_draft(world: World) -> dict[str, Any]:
    return {"pk": fx.make_protocol(f"API Draft {next(_serial)}", adopt=False).pk}


def fresh_unsigned(world: World) -> dict[str, Any]:
    """A protocol in force that nobody has signed yet (the home agency's checklist is complete)."""
    if not world.objects.get("home_checklist"):
        fx.complete_checklist(world.home)
        world.objects["home_checklist"] = True
    return {"pk": fx.make_protocol(f"API Unsigned {next(_serial)}").pk}


def fresh_with_draft_version(world: World) -> dict[str, Any]:
    return {"pk": _fresh_signed_protocol(world).pk}


def fresh_signature(world: World) -> dict[str, Any]:
    made = _fresh_signed_protocol(world)
    return {"pk": made.signatures.get(agency=world.home).pk}


def _fresh_consultation(world: World) -> Any:
    made = _fresh_signed_protocol(world)
    return consultation_open(
        actor=SYSTEM, protocol=made, version=made.versions.order_by("-number").first(), working_days=10
    )


def fresh_consultation(world: World) -> dict[str, Any]:
    return {"pk": _fresh_consultation(world).pk}


def closed_consultation(world: World) -> dict[str, Any]:
    """A consultation whose deadline has passed: the sweep has recorded deemed assent and closed it."""
    made = _fresh_consultation(world)
    consultations_sweep(today=made.deadline + timedelta(days=1))
    return {"pk": made.pk}


def fresh_action(world: World) -> dict[str, Any]:
    made = review_action_add(
        actor=SYSTEM,
        review=fx.review(world),
        description=f"Reprint the leaflet {next(_serial)}",
        owner_agency=world.home,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    return {"pk": made.pk}


def fresh_meeting(world: World) -> dict[str, Any]:
    made = meeting_create(
        actor=SYSTEM, title=f"Board {next(_serial)}", held_on=timezone.localdate(), attendee_agencies=[world.home]
    )
    return {"pk": made.pk}


def protocol_body(world: World) -> dict[str, Any]:
    return {
        "title": f"API-created protocol {next(_serial)}",
        "kind": "general",
        "text": "The partners agree to share information lawfully.",
        "permitted_purposes": [fx.PURPOSE],
        "grounds_without_consent": ["significant_harm"],
    }


def audit_notice_body(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "protocol": fx.protocol_in_force(world).pk,
        "auditing_agency": world.home.pk,
        "scope": f"Consent recording {next(_serial)}",
        "notice_given_on": str(today),
        "starts_on": str(today + timedelta(days=40)),
        "responses_due_on": str(today + timedelta(days=90)),
    }


def fresh_extract(world: World) -> dict[str, Any]:
    """A new draft extract of the World's audit (by other) naming home: each response is to a fresh one."""
    made = audit_extract_share(
        actor=SYSTEM,
        audit=fx.protocol_audit(world),
        title=f"Finding {next(_serial)}",
        text="Home records consent well.",
        named_agencies=[world.home],
    )
    return {"pk": made.pk}


PA = {"partnership_admin": 200}
PA_CREATED = {"partnership_admin": 201}
# The home agency's API tokens take no part in the protocol: none of their scopes lists it (issue 8, item 3).
HOME_ADMINS = {"partnership_admin": 200, "agency_admin": 200}

CASES: list[Case] = [
    # --- Protocols and versions -----------------------------------------------------------------------------------
    Case("api-protocol-list", api_signed_in(200), note="no_role sees none", queries=2),
    Case(
        "api-protocol-list",
        role_holders(403, no_role=403, **PA_CREATED),
        method="post",
        data=protocol_body,
        json=True,
        note="creating a protocol",
        queries=9,
    ),
    Case("api-protocol-detail", role_holders(200, no_role=404), kwargs=protocol, queries=3),
    Case("api-protocol-versions", role_holders(200, no_role=404), kwargs=protocol, queries=4),
    Case(
        "api-protocol-versions",
        role_holders(403, no_role=404, **PA_CREATED),
        method="post",
        kwargs=protocol,
        data=lambda world: {"text": f"Text {next(_serial)}", "change_note": "Clarified"},
        json=True,
        note="drafting a new version",
        queries=9,
    ),
    Case(
        "api-protocol-transition",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=fresh_draft,
        data=lambda world: {"to_status": "retired", "reason": "Abandoned"},
        json=True,
        queries=10,
    ),
    Case(
        "api-protocol-adopt",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=fresh_draft,
        data=lambda world: {},
        json=True,
        queries=16,
    ),
    Case(
        "api-protocol-sign",
        role_holders(403, no_role=404, agency_admin=201),
        method="post",
        kwargs=fresh_unsigned,
        data=lambda world: {
            "agency": world.home.pk,
            "signatory_name": "A Director",
            "signatory_title": "Director",
            "attestation": f"I sign on behalf of {world.home}, which agrees to abide by this protocol.",
        },
        json=True,
        note="the home agency's admins sign for it",
        queries=14,
    ),
    Case(
        "api-protocol-consult",
        role_holders(403, no_role=404, **{"partnership_admin": 201}),
        method="post",
        kwargs=fresh_with_draft_version,
        data=lambda world: {"working_days": 10},
        json=True,
        queries=20,
    ),
    # --- Signatures ---------------------------------------------------------------------------------------------
    Case("api-signature-list", api_signed_in(200), queries=2),
    Case("api-signature-detail", role_holders(200, no_role=404), kwargs=home_signature, queries=2),
    Case(
        "api-signature-withdraw",
        role_holders(403, no_role=404, **HOME_ADMINS),
        method="post",
        kwargs=fresh_signature,
        data=lambda world: {"reason": "Our director has not re-signed"},
        json=True,
        queries=12,
    ),
    # --- Consultations ------------------------------------------------------------------------------------------
    Case("api-consultation-list", api_signed_in(200), queries=2),
    Case("api-consultation-detail", role_holders(200, no_role=404), kwargs=consultation, queries=3),
    Case(
        "api-consultation-respond",
        role_holders(403, no_role=404, agency_admin=201),
        method="post",
        kwargs=fresh_consultation,
        data=lambda world: {"agency": world.home.pk, "response": "agree"},
        json=True,
        note="the circulated agency's representative or admin",
        queries=10,
    ),
    Case(
        "api-consultation-decide",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=closed_consultation,
        data=lambda world: {"adopt": True},
        json=True,
        queries=27,
    ),
    # --- Reviews and actions -----------------------------------------------------------------------------------
    Case("api-review-list", api_signed_in(200), queries=2),
    Case("api-review-detail", role_holders(200, no_role=404), kwargs=review, queries=4),
    Case(
        "api-review-complete",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=fresh_review_kwargs,
        data=lambda world: {"findings": "Working well", "completed_on": str(timezone.localdate())},
        json=True,
        queries=15,
    ),
    Case(
        "api-review-actions",
        role_holders(403, no_role=404, **PA_CREATED),
        method="post",
        kwargs=review,
        data=lambda world: {
            "description": f"Update the leaflet {next(_serial)}",
            "owner_agency": world.home.pk,
            "due_on": str(timezone.localdate() + timedelta(days=30)),
        },
        json=True,
        queries=10,
    ),
    Case("api-review-action-list", api_signed_in(200), queries=2),
    Case("api-review-action-detail", role_holders(200, no_role=404), kwargs=action, queries=2),
    Case(
        "api-review-action-detail",
        role_holders(403, no_role=404, **HOME_ADMINS),
        method="patch",
        kwargs=fresh_action,
        data=lambda world: {"status": "done", "note": "Leaflet reprinted"},
        json=True,
        queries=11,
    ),
    # --- Meetings -------------------------------------------------------------------------------------------------
    Case("api-meeting-list", api_signed_in(200), queries=2),
    Case(
        "api-meeting-list",
        role_holders(403, no_role=403, **PA_CREATED),
        method="post",
        data=lambda world: {
            "title": f"Partnership board {next(_serial)}",
            "held_on": str(timezone.localdate() + timedelta(days=14)),
            "attendee_agencies": [world.home.pk, world.other.pk],
            "agenda": [{"title": "Protocol review", "review": review(world)["pk"]}],
        },
        json=True,
        note="arranging a meeting",
        queries=16,
    ),
    Case("api-meeting-detail", role_holders(200, no_role=404), kwargs=meeting, queries=5),
    Case(
        "api-meeting-minutes",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=fresh_meeting,
        data=lambda world: {"minutes": "Agreed the review's findings."},
        json=True,
        queries=15,
    ),
    Case(
        "api-meeting-circulate",
        role_holders(403, no_role=404, **PA),
        method="post",
        kwargs=meeting_with_minutes,
        data=lambda world: {},
        json=True,
        queries=19,
    ),
    # --- Partner audits and their draft extracts ------------------------------------------------------------------
    Case("api-protocol-audit-list", api_signed_in(200), queries=2),
    Case("api-protocol-audit-detail", role_holders(200, no_role=404), kwargs=audit, queries=2),
    Case(
        "api-protocol-audit-list",
        role_holders(403, no_role=403, partnership_admin=201, agency_admin=201, token=201),
        method="post",
        data=audit_notice_body,
        json=True,
        note="notice of an audit by the home agency: its admins, or a partnership admin",
        queries=7,
    ),
    Case(
        "api-protocol-audit-extracts",
        role_holders(403, no_role=404, partnership_admin=201),
        method="post",
        kwargs=audit,
        data=lambda world: {
            "title": f"Finding {next(_serial)}",
            "text": "Consent recorded.",
            "named_agencies": [world.home.pk],
        },
        json=True,
        note="the auditing agency (other) shares a draft extract; the home admins are not its auditors",
        queries=14,
    ),
    Case("api-audit-extract-list", api_signed_in(200), note="each sees only the extracts naming them", queries=1),
    Case(
        "api-audit-extract-detail",
        role_holders(404, no_role=404, partnership_admin=200, agency_admin=200, token=200),
        kwargs=extract,
        note="the named partner (home) and partnership admins",
        queries=4,
    ),
    Case(
        "api-audit-extract-responses",
        role_holders(404, no_role=404, partnership_admin=403, agency_admin=201, token=201),
        method="post",
        kwargs=fresh_extract,
        data=lambda world: {"agency": world.home.pk, "text": "We agree with the finding."},
        json=True,
        note="only a named partner's admins respond",
        queries=17,
    ),
]
