"""Rows for the agencies app's pages: the register, people, training, security documents, checklist."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Membership, SecurityDocument, SignatoryRequirement, TokenScope, TrainingCourse
from agencies.services import access_request_create, invitation_create, security_document_upload
from tests.factories import SYSTEM, World, make_api_token, make_user
from tests.matrix import Case, expect, html_signed_in, like_defaults, only, suspended_admin
from tests.pdf_samples import PDF

# Signed-in principals with a role (everyone but no_role, anonymous and the token).
ROLE_HOLDERS = ("practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor", "other_agency")


def home(world: World) -> dict[str, Any]:
    return {"pk": world.home.pk}


def other(world: World) -> dict[str, Any]:
    return {"pk": world.other.pk}


def pages(status_for_role_holders: int, *, no_role: int, **overrides: int) -> dict[str, int]:
    """An HTML page: role holders get `status_for_role_holders` unless named; anonymous and the token are
    sent to sign in."""
    table = html_signed_in(status_for_role_holders, no_role=no_role)
    table.update(like_defaults(overrides))
    return table


def home_document(world: World) -> dict[str, Any]:
    if not SecurityDocument.objects.filter(agency=world.home).exists():
        security_document_upload(
            actor=world.users["agency_admin"], agency=world.home, upload=io.BytesIO(PDF), filename="home.pdf"
        )
    return {"pk": world.home.pk}


def other_document(world: World) -> dict[str, Any]:
    if "other_admin" not in world.users:
        world.users["other_admin"] = make_user(name="Other Admin", agency=world.other, roles=["agency_admin"])
    if not SecurityDocument.objects.filter(agency=world.other).exists():
        security_document_upload(
            actor=world.users["other_admin"], agency=world.other, upload=io.BytesIO(PDF), filename="other.pdf"
        )
    return {"pk": world.other.pk}


def access_request(world: World) -> dict[str, Any]:
    other_document(world)
    document = SecurityDocument.objects.get(agency=world.other)
    existing = document.access_requests.filter(requesting_agency=world.home, state="pending").first()
    if existing is None:
        existing = access_request_create(
            actor=world.users["agency_admin"], document=document, requesting_agency=world.home, reason="Protocol audit"
        )
    return {"pk": existing.pk}


def practitioner_membership(world: World) -> dict[str, Any]:
    return {"pk": Membership.objects.get(user=world.users["practitioner"], agency=world.home).pk}


def open_invitation(world: World) -> dict[str, Any]:
    count = world.objects.get("invitations", 0) + 1
    world.objects["invitations"] = count
    invitation, token = invitation_create(
        actor=SYSTEM,
        agency=world.home,
        email=f"invitee{count}@test.example",
        full_name=f"Invitee {count}",
        roles=["practitioner"],
    )
    world.objects["token"] = token
    return {"pk": invitation.pk}


def invitation_token(world: World) -> dict[str, Any]:
    open_invitation(world)
    return {"token": world.objects["token"]}


def requirement(world: World) -> dict[str, Any]:
    first = SignatoryRequirement.objects.filter(is_active=True).order_by("number").first()
    assert first is not None
    return {"pk": first.pk}


def checklist_post(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "requirement": requirement(world)["pk"],
        "confirmed_on_day": today.day,
        "confirmed_on_month": today.month,
        "confirmed_on_year": today.year,
        "note": "matrix",
    }


PA_OR_HOME_ADMIN = {"partnership_admin": 200, "agency_admin": 200}


def partnership_training_post(world: World) -> dict[str, Any]:
    """A completion for a new partnership auditor (no agency) for each request, so each principal meets the same
    state: only a partnership admin records the training of the partnership's own people."""
    person = make_user(agency=None, roles=["auditor"])
    course = TrainingCourse.objects.filter(is_active=True, is_information_sharing=True).order_by("pk").first()
    assert course is not None
    completed = timezone.localdate() - timedelta(days=30)
    return {
        "user": person.pk,
        "course": course.pk,
        "completed_on_day": completed.day,
        "completed_on_month": completed.month,
        "completed_on_year": completed.year,
        "evidence": "Certificate",
    }


_tokens = itertools.count(1)


def home_token(world: World) -> dict[str, Any]:
    """A token of the home agency, made for the row (revoking it is the row's request)."""
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    return {"pk": token.pk}


def token_post(world: World) -> dict[str, Any]:
    expires = timezone.localdate() + timezone.timedelta(days=200)
    return {
        "name": f"Matrix system {next(_tokens)}",
        "scopes": ["register:read"],
        "expires_on_day": expires.day,
        "expires_on_month": expires.month,
        "expires_on_year": expires.year,
    }


def suspended_agency(world: World) -> dict[str, Any]:
    suspended_admin(world)
    return {"pk": world.objects["suspended_agency"].pk}


def suspended_member(world: World) -> dict[str, Any]:
    agency = suspended_agency(world)["pk"]
    person = make_user(agency=world.objects["suspended_agency"], roles=["practitioner"])
    return {"pk": Membership.objects.get(user=person, agency_id=agency).pk}


# The suspended agency's own pages: it keeps its details and training and removes access; nothing else
# (issue 8, item 4). Its admin is the "suspended" principal; the partnership admin is refused the same.
SUSPENDED_CASES: list[Case] = [
    Case(
        "agency-edit",
        pages(403, no_role=404, suspended=200, partnership_admin=200),
        kwargs=suspended_agency,
        note="a suspended agency keeps its details current",
        queries=4,  # issue 10: +1, the area select reads the partnership's areas
    ),
    Case(
        "agency-training",
        pages(403, no_role=404, suspended=200, partnership_admin=200),
        kwargs=suspended_agency,
        note="a suspended agency keeps its training current",
        queries=5,  # issue 14: +1, who is under a retraining sanction
    ),
    Case(
        "agency-training-add",
        pages(403, no_role=404, suspended=200, partnership_admin=200),
        kwargs=suspended_agency,
        note="a suspended agency keeps its training current",
        queries=4,
    ),
    Case(
        "agency-training-import",
        pages(403, no_role=404, suspended=200, partnership_admin=200),
        kwargs=suspended_agency,
        note="a suspended agency keeps its training current",
        queries=2,
    ),
    Case(
        "agency-invite",
        pages(403, no_role=404),
        kwargs=suspended_agency,
        note="a suspended agency takes nobody on",
        queries=0,
    ),
    Case(
        "agency-checklist",
        pages(403, no_role=404),
        method="post",
        kwargs=suspended_agency,
        data=checklist_post,
        note="a suspended agency confirms no checklist item",
        queries=0,
    ),
    Case(
        "membership-edit",
        only({"suspended": 200, "partnership_admin": 200, "auditor": 403}, otherwise=404, anonymous=302, token=302),
        kwargs=suspended_member,
        note="a suspended agency's members can lose roles and flags; the page offers nothing to give",
        queries=4,  # issue 14: +1, whether they are under a retraining sanction
    ),
    Case(
        "membership-deactivate",
        only({"suspended": 200, "partnership_admin": 200, "auditor": 403}, otherwise=404, anonymous=302, token=302),
        kwargs=suspended_member,
        note="a suspended agency can still end a membership",
        queries=2,
    ),
    Case(
        "agency-api-tokens",
        pages(403, no_role=404, suspended=200, partnership_admin=200),
        kwargs=suspended_agency,
        note="a suspended agency sees and revokes its tokens",
        queries=3,
    ),
]

CASES: list[Case] = [
    Case("agency-list", pages(200, no_role=403), queries=4),
    # Issue 10: +1, the area select reads the partnership's areas.
    Case("agency-create", pages(403, no_role=403, partnership_admin=200), queries=3),
    # The people and the open invitations are read with the agency (agencies.selectors.agency_page; issue 9).
    Case("agency-detail", pages(200, no_role=404), kwargs=home, queries=3),
    Case("agency-edit", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=2),
    Case("agency-status", pages(403, no_role=404, partnership_admin=200), kwargs=home, queries=2),
    Case("agency-checklist", pages(200, no_role=404), kwargs=home, queries=4),
    Case(
        "agency-checklist",
        pages(403, no_role=404, agency_admin=302),
        method="post",
        kwargs=home,
        data=checklist_post,
        note="confirming a requirement: the agency's own admin only",
        queries=7,
    ),
    Case("agency-invite", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=2),
    Case("agency-training", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=5),
    Case("agency-training-add", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=4),
    Case("agency-training-import", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=2),
    # The partnership's own people (no agency): their training is a partnership admin's to see and record, trained
    # or not (Buckinghamshire 4 gates child records, not governance); everyone else is refused (403), as for the
    # partnership's other pages.
    Case("partnership-training", pages(403, no_role=403, partnership_admin=200), queries=3),
    Case("partnership-training-add", pages(403, no_role=403, partnership_admin=200), queries=3),
    Case(
        "partnership-training-add",
        pages(403, no_role=403, partnership_admin=302),
        method="post",
        data=partnership_training_post,
        note="recording a partnership auditor's training",
        queries=10,
    ),
    Case("agency-document-upload", pages(403, no_role=404, agency_admin=200), kwargs=home, queries=3),
    Case(
        "agency-document-file",
        only(
            {"practitioner": 200, "designated_manager": 200, "agency_admin": 200},
            otherwise=404,
            anonymous=302,
            token=302,
        ),
        kwargs=home_document,
        note="the home agency's own document",
        queries=4,
    ),
    Case(
        "agency-document-file",
        only({"other_agency": 200, "suspended": 404}, otherwise=404, anonymous=302, token=302),
        kwargs=other_document,
        note="another agency's document, without a grant",
        queries=4,
    ),
    Case(
        "agency-document-request",
        pages(403, no_role=404, agency_admin=200),
        kwargs=other_document,
        note="asking to see another agency's document",
        queries=4,
    ),
    Case(
        "document-request-detail",
        only({"agency_admin": 200, "partnership_admin": 200}, otherwise=404, anonymous=302, token=302),
        kwargs=access_request,
        queries=2,
    ),
    Case(
        "document-request-detail",
        only({"agency_admin": 403, "partnership_admin": 403}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=access_request,
        data=lambda world: {"decision": "grant"},
        note="deciding: only the owning agency's admins",
        queries=0,
    ),
    Case(
        "membership-edit",
        only(
            {"partnership_admin": 200, "agency_admin": 200, "practitioner": 403, "auditor": 403},
            otherwise=404,
            anonymous=302,
            token=302,
        ),
        kwargs=practitioner_membership,
        queries=4,  # issue 14: +1, whether they are under a retraining sanction
    ),
    Case(
        "membership-deactivate",
        only(
            {"partnership_admin": 200, "agency_admin": 200, "practitioner": 403, "auditor": 403},
            otherwise=404,
            anonymous=302,
            token=302,
        ),
        kwargs=practitioner_membership,
        queries=2,
    ),
    Case(
        "invitation-resend",
        only({"partnership_admin": 302, "agency_admin": 302}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=open_invitation,
        queries=7,
    ),
    Case(
        "invitation-revoke",
        only({"partnership_admin": 302, "agency_admin": 302}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=open_invitation,
        queries=7,
    ),
    Case("invitation-accept", expect(200), kwargs=invitation_token, note="a valid link for a new person", queries=2),
    Case("invitation-accept", expect(404), kwargs=lambda world: {"token": "no-such-token"}, note="a bad link"),
    Case("agency-api-tokens", pages(403, no_role=404, **PA_OR_HOME_ADMIN), kwargs=home, queries=3),
    Case(
        "agency-api-tokens",
        pages(403, no_role=404, **PA_OR_HOME_ADMIN),
        method="post",
        kwargs=home,
        data=token_post,
        note="making a token (shown once, on the page)",
        queries=35,
    ),
    Case(
        "api-token-revoke",
        only({"partnership_admin": 302, "agency_admin": 302}, otherwise=404, anonymous=302, token=302),
        method="post",
        kwargs=home_token,
        queries=10,
    ),
    Case("requirement-list", pages(200, no_role=403), queries=2),
    Case("requirement-create", pages(403, no_role=403, partnership_admin=200), queries=1),
    Case("requirement-edit", pages(403, no_role=404, partnership_admin=200), kwargs=requirement, queries=2),
    *SUSPENDED_CASES,
]
