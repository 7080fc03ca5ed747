"""The security documents API through real requests (Haringey 7.2-7.4): upload, the PDF through the policy,
a written request and the owner's decision; bad input answers 400 on its field."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from agencies.models import Role
from audit.models import AuditEvent
from tests.cases.agencies import PDF
from tests.factories import World, make_user
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_an_agency_shares_its_security_document_only_on_a_granted_written_request(world: World) -> None:
    home_admin = client_as(world, "agency_admin")
    refused = home_admin.post(
        "/api/v1/security-documents/", {"agency": world.home.pk, "file": upload("notes.txt", b"not a pdf")}
    )
    assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]
    made = home_admin.post("/api/v1/security-documents/", {"agency": world.home.pk, "file": upload("s.pdf", PDF)})
    assert made.status_code == 201, made.content
    document_id = made.json()["id"]
    assert made.json()["current"]["size"] == len(PDF)

    # Another agency's admin cannot see it (404) until the home admins grant a written request.
    world.users["other_admin"] = make_user(name="Other Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    other_admin = client_as(world, "other_admin")
    assert other_admin.get(f"/api/v1/security-documents/{document_id}/file/").status_code == 404
    body: dict[str, Any] = {"owner_agency": world.home.pk, "requesting_agency": world.other.pk, "reason": " "}
    blank = other_admin.post("/api/v1/security-document-requests/", body, content_type="application/json")
    assert blank.status_code == 400 and "reason" in blank.json()["error"]["fields"]
    body["reason"] = "x" * 2001
    too_long = other_admin.post("/api/v1/security-document-requests/", body, content_type="application/json")
    assert too_long.status_code == 400 and "reason" in too_long.json()["error"]["fields"]
    body["reason"] = "Our protocol audit needs to confirm partners' security arrangements."
    asked = other_admin.post("/api/v1/security-document-requests/", body, content_type="application/json")
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    # The requester cannot decide its own request.
    decision = {"grant": True, "access_expires_on": str(timezone.localdate() + timedelta(days=30))}
    url = f"/api/v1/security-document-requests/{request_id}/decide/"
    assert other_admin.post(url, decision, content_type="application/json").status_code == 403
    granted = home_admin.post(url, decision, content_type="application/json")
    assert granted.status_code == 200 and granted.json()["state"] == "granted", granted.content

    pdf = other_admin.get(f"/api/v1/security-documents/{document_id}/file/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content) == PDF  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(kind="security_document.view", actor_id=world.users["other_admin"].pk).count() == 1
