"""Rows for the agencies API: the register, memberships, invitations, training, checklist and requirements.

The "token" principal is the home agency's read-only token (register:read, people:read): it reads, and
every write is refused with 403 naming its scopes. "people_token" (people:admin, training:write) keeps the
staff list and training in step, as an agency's system does, and nothing more: not the agency's details,
not its checklist, never an admin's membership (issue 8, item 3)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Membership, SignatoryRequirement, TrainingCourse
from tests.cases.agencies import home, home_token, practitioner_membership, requirement
from tests.factories import World, make_agency, make_user
from tests.matrix import Case, api_signed_in, like_defaults, only

_serial = itertools.count(1)


def api_only(statuses: dict[str, int], *, otherwise: int = 404) -> dict[str, int]:
    return only(statuses, otherwise=otherwise, anonymous=401, token=statuses.get("token", otherwise))


def role_holders(status: int, *, no_role: int, **overrides: int) -> dict[str, int]:
    table = api_signed_in(status, no_role=no_role)
    table.update(like_defaults(overrides))
    if "children_token" not in overrides:
        # The children token's account holds the token's roles; its extra scopes reach only the sharing app.
        table["children_token"] = table["token"]
    return table


def new_agency(world: World) -> dict[str, Any]:
    return {"pk": make_agency(f"Status test agency {next(_serial)}").pk}


def new_member(world: World) -> dict[str, Any]:
    user = make_user(agency=world.home, roles=["practitioner"])
    return {"pk": Membership.objects.get(user=user, agency=world.home).pk}


def agency_body(world: World) -> dict[str, Any]:
    return {"name": f"API agency {next(_serial)}", "kind": "school", "sector": "statutory", "area": "E99000001"}


def api_token_body(world: World) -> dict[str, Any]:
    return {
        "agency": world.home.pk,
        "name": f"API system {next(_serial)}",
        "scopes": ["register:read"],
        "expires_at": (timezone.now() + timezone.timedelta(days=100)).isoformat(),
    }


def invitation_body(world: World) -> dict[str, Any]:
    number = next(_serial)
    return {
        "agency": world.home.pk,
        "email": f"api-invitee-{number}@test.example",
        "full_name": f"Api Invitee {number}",
        "roles": ["practitioner"],
    }


def _sharing_course() -> TrainingCourse:
    course = TrainingCourse.objects.filter(is_information_sharing=True, is_active=True).order_by("name").first()
    assert course is not None
    return course


def training_body(world: World) -> dict[str, Any]:
    return {
        "user": world.users["practitioner"].pk,
        "course": _sharing_course().pk,
        "completed_on": str(timezone.localdate() - timezone.timedelta(days=next(_serial))),
        "evidence": "Certificate",
    }


def partnership_training_body(world: World) -> dict[str, Any]:
    """A completion for a new partnership auditor (no agency) for each request: no agency admin answers for them."""
    person = make_user(agency=None, roles=["auditor"])
    return {
        "user": person.pk,
        "course": _sharing_course().pk,
        "completed_on": str(timezone.localdate() - timedelta(days=30)),
    }


def import_body(world: World) -> dict[str, Any]:
    completed = timezone.localdate() - timezone.timedelta(days=next(_serial))
    return {
        "agency": world.home.pk,
        "csv": (
            "email,course,completed_on,expires_on,evidence\n"
            f"{world.users['practitioner'].email},{_sharing_course().name},{completed.isoformat()},,Certificate\n"
        ),
    }


def checklist_body(world: World) -> dict[str, Any]:
    return {"requirement": requirement(world)["pk"], "confirmed_on": str(timezone.localdate()), "note": "api"}


def requirement_body(world: World) -> dict[str, Any]:
    return {"text": f"A new requirement {next(_serial)}", "number": 100 + next(_serial)}


HOME_ADMINS = {"partnership_admin": 200, "agency_admin": 200}
HOME_ADMINS_CREATED = {"partnership_admin": 201, "agency_admin": 201}
# What the people token may do besides the home agency's admins.
PEOPLE_TOKEN_OK = {"people_token": 200, "token": 403}
PEOPLE_TOKEN_CREATED = {"people_token": 201, "token": 403}

CASES: list[Case] = [
    # --- The register --------------------------------------------------------------------------------------------
    Case("api-agency-list", api_signed_in(200), note="no_role sees an empty register", queries=3),
    Case(
        "api-agency-list",
        role_holders(403, no_role=403, partnership_admin=201),
        method="post",
        data=agency_body,
        json=True,
        note="registering an agency",
        queries=14,  # issue 10: +1, the area's GSS code is looked up (AreaField)
    ),
    Case("api-agency-detail", role_holders(200, no_role=404), kwargs=home, queries=6),
    Case(
        "api-agency-detail",
        role_holders(403, no_role=404, **HOME_ADMINS),
        method="patch",
        kwargs=home,
        data=lambda world: {"phone": f"0161 496 {next(_serial) % 10000:04d}"},
        json=True,
        note="the agency's own details",
        queries=11,  # issue 10: +1, the answer names the agency's area (area_name)
    ),
    Case(
        "api-agency-change-status",
        role_holders(403, no_role=404, partnership_admin=200),
        method="post",
        kwargs=new_agency,
        data=lambda world: {"to_status": "suspended", "reason": "Breach sanction"},
        json=True,
        queries=13,  # issue 10: +1, the answer names the agency's area (area_name)
    ),
    Case("api-agency-checklist", role_holders(200, no_role=404), kwargs=home, queries=4),
    Case(
        "api-agency-checklist",
        role_holders(403, no_role=404, agency_admin=201),
        method="post",
        kwargs=home,
        data=checklist_body,
        json=True,
        note="confirming a requirement: the agency's own admins",
        queries=9,
    ),
    # --- People ---------------------------------------------------------------------------------------------------
    Case("api-membership-list", api_signed_in(200), note="each sees their own scope", queries=3),
    Case(
        "api-membership-detail",
        api_only(
            {
                "practitioner": 200,
                "agency_admin": 200,
                "partnership_admin": 200,
                "auditor": 200,
                "token": 200,
                "people_token": 200,
            }
        ),
        kwargs=practitioner_membership,
        queries=2,
    ),
    Case(
        "api-membership-detail",
        api_only({"practitioner": 403, "auditor": 403, **HOME_ADMINS, **PEOPLE_TOKEN_OK}),
        method="patch",
        kwargs=practitioner_membership,
        data=lambda world: {"job_title": f"Social worker {next(_serial)}"},
        json=True,
        queries=9,
    ),
    Case(
        "api-membership-deactivate",
        api_only({"auditor": 403, **HOME_ADMINS, **PEOPLE_TOKEN_OK}),
        method="post",
        kwargs=new_member,
        data=lambda world: {"reason": "Left the service"},
        json=True,
        queries=12,
    ),
    # --- API tokens (issue 8, item 3): people make and revoke them; no token reaches these -------------------
    Case("api-api-token-list", api_signed_in(200), note="admins see their agency's", queries=1),
    Case(
        "api-api-token-list",
        # Someone with no role cannot see the agency: the reference is refused as if it did not exist.
        role_holders(403, no_role=400, **HOME_ADMINS_CREATED),
        method="post",
        data=api_token_body,
        json=True,
        note="making a token for the home agency",
        queries=35,
    ),
    Case(
        "api-api-token-detail",
        api_only({"partnership_admin": 200, "agency_admin": 200}),
        kwargs=home_token,
        queries=2,
    ),
    Case(
        "api-api-token-revoke",
        # No token scope revokes tokens: refused by the scopes whatever the id (issue 8, item 3).
        api_only({"partnership_admin": 200, "agency_admin": 200, "token": 403}),
        method="post",
        kwargs=home_token,
        queries=10,
    ),
    Case("api-invitation-list", api_signed_in(200), note="admins see their agency's", queries=1),
    Case(
        "api-invitation-list",
        # Someone with no role cannot see the agency at all: the reference is refused as if it did not exist.
        role_holders(403, no_role=400, **HOME_ADMINS_CREATED, **PEOPLE_TOKEN_CREATED),
        method="post",
        data=invitation_body,
        json=True,
        note="inviting someone to the home agency",
        queries=9,
    ),
    # --- Training -------------------------------------------------------------------------------------------------
    # The codes every `area` field takes: any signed-in role lists them (no_role an empty list, like courses).
    Case("api-area-list", api_signed_in(200), queries=3),
    Case("api-training-course-list", api_signed_in(200), queries=3),
    Case("api-training-record-list", api_signed_in(200), queries=2),
    Case(
        "api-training-record-list",
        # The person must be in the caller's view: to anyone who cannot see them the id does not exist (400).
        role_holders(400, no_role=400, practitioner=403, auditor=403, **HOME_ADMINS_CREATED, **PEOPLE_TOKEN_CREATED),
        method="post",
        data=training_body,
        json=True,
        note="recording a completion",
        queries=9,
    ),
    Case(
        "api-training-record-list",
        api_signed_in(200),
        data=lambda world: {"partnership": "true"},
        note="the partnership's own people only",
        queries=2,
    ),
    Case(
        "api-training-record-list",
        # The partnership's own people are in no agency: a partnership admin records their training (trained or
        # not); a partnership auditor sees the person but may not (403); to everyone else they do not exist (400).
        role_holders(400, no_role=400, partnership_admin=201, auditor=403, token=403, people_token=400),
        method="post",
        data=partnership_training_body,
        json=True,
        note="for one of the partnership's own people",
        queries=10,  # one more than for an agency's person: whether they have a partnership membership
    ),
    Case(
        "api-training-record-import-csv",
        # Someone with no role cannot see the agency: the reference is refused as if it did not exist.
        role_holders(403, no_role=400, **HOME_ADMINS_CREATED, **PEOPLE_TOKEN_CREATED),
        method="post",
        data=import_body,
        json=True,
        queries=10,
    ),
    # --- Signatory requirements (Southampton 18) -------------------------------------------------------------
    Case("api-requirement-list", api_signed_in(200), queries=3),
    Case(
        "api-requirement-list",
        role_holders(403, no_role=403, partnership_admin=201),
        method="post",
        data=requirement_body,
        json=True,
        note="adding a requirement",
        queries=6,
    ),
    Case("api-requirement-detail", role_holders(200, no_role=404), kwargs=requirement, queries=2),
    Case(
        "api-requirement-detail",
        role_holders(403, no_role=404, partnership_admin=200),
        method="patch",
        kwargs=lambda world: {"pk": SignatoryRequirement.objects.order_by("-number").values_list("pk", flat=True)[0]},
        data=lambda world: {"text": f"Reworded {next(_serial)}"},
        json=True,
        queries=6,
    ),
]
