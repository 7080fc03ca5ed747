"""Rows for the security documents API (Haringey 7.2-7.4): documents, the PDF, written requests and the
owner's decision. Writes get fresh objects for each principal's request."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Role, SecurityDocument
from agencies.services import access_request_create, security_document_upload
from tests.cases.agencies import PDF, access_request, home_document
from tests.cases.agencies_api import role_holders
from tests.factories import World, make_agency, make_user
from tests.matrix import Case, api_signed_in

_serial = itertools.count(1)

# No API token scope covers security documents (least privilege, issue 8 item 3): a token sees none of them
# and may not upload, ask or decide.
HOME_PEOPLE = {"practitioner": 200, "designated_manager": 200, "agency_admin": 200, "token": 404}


def home_document_id(world: World) -> dict[str, Any]:
    home_document(world)
    return {"pk": SecurityDocument.objects.get(agency=world.home).pk}


def _partner_with_document(world: World) -> Any:
    """A new agency with an admin and a security document of its own."""
    agency = make_agency(f"Documented Partner {next(_serial)}")
    admin = make_user(agency=agency, roles=[Role.AGENCY_ADMIN])
    security_document_upload(actor=admin, agency=agency, upload=io.BytesIO(PDF), filename="summary.pdf")
    return agency, admin


def request_body(world: World) -> dict[str, Any]:
    """The home agency asks in writing to see a new partner's document."""
    owner, _ = _partner_with_document(world)
    return {"owner_agency": owner.pk, "requesting_agency": world.home.pk, "reason": "Our annual protocol audit."}


def request_to_home(world: World) -> dict[str, Any]:
    """A new partner's pending request to see the home agency's document (the home admins decide)."""
    home_document(world)
    requester, admin = _partner_with_document(world)
    made = access_request_create(
        actor=admin,
        document=SecurityDocument.objects.get(agency=world.home),
        requesting_agency=requester,
        reason="Checking partners' security arrangements.",
    )
    return {"pk": made.pk}


def upload_body(world: World) -> dict[str, Any]:
    """A new version of the home agency's document (it has one already, so every upload replaces it)."""
    home_document(world)
    upload = io.BytesIO(PDF)
    upload.name = "summary.pdf"
    return {"agency": world.home.pk, "file": upload}


CASES: list[Case] = [
    Case("api-security-document-list", api_signed_in(200), note="each sees the documents open to them", queries=2),
    Case(
        "api-security-document-list",
        role_holders(403, no_role=400, agency_admin=201, token=403),
        method="post",
        data=upload_body,
        note="uploading the home agency's document: its admins (no_role cannot even name the agency)",
        queries=10,
    ),
    Case(
        "api-security-document-detail",
        role_holders(404, no_role=404, **HOME_PEOPLE),
        kwargs=home_document_id,
        note="the home agency's own people",
        queries=3,
    ),
    Case(
        "api-security-document-file",
        role_holders(404, no_role=404, **HOME_PEOPLE),
        kwargs=home_document_id,
        note="the PDF, every opening audited",
        queries=5,
    ),
    Case("api-security-document-request-list", api_signed_in(200), queries=1),
    Case(
        "api-security-document-request-detail",
        role_holders(404, no_role=404, agency_admin=200, partnership_admin=200, token=404),
        kwargs=access_request,
        note="the home agency's request to see other's document",
        queries=2,
    ),
    Case(
        "api-security-document-request-list",
        role_holders(403, no_role=400, agency_admin=201, token=403),
        method="post",
        data=request_body,
        json=True,
        note="asking in writing for the home agency",
        queries=13,
    ),
    Case(
        "api-security-document-request-decide",
        role_holders(404, no_role=404, agency_admin=200, partnership_admin=403, token=403, people_token=403),
        method="post",
        kwargs=request_to_home,
        data=lambda world: {"grant": True, "access_expires_on": str(timezone.localdate() + timedelta(days=90))},
        json=True,
        note="the owning (home) agency's admins decide",
        queries=15,
    ),
]
