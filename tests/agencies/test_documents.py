"""Security summary documents (Haringey 7.2-7.4): a PDF by its content, size-limited, stored outside the web
root, seen by another agency only under a written request the owner grants, until the grant ends; every view
audited."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Role, SecurityDocument, SecurityDocumentAccessRequest, SecurityDocumentVersion
from agencies.services import (
    access_grants_expire,
    access_request_create,
    access_request_decide,
    security_document_open,
    security_document_upload,
)
from audit.models import AuditEvent
from isp_portal import policy
from tests.factories import World, make_user
from tests.pdf_samples import PDF

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path / "private"


@pytest.fixture
def other_admin(world: World) -> Any:
    return world.users.setdefault("other_admin", make_user(agency=world.other, roles=[Role.AGENCY_ADMIN]))


def upload(world: World, data: bytes, name: str = "summary.pdf") -> SecurityDocumentVersion:
    return security_document_upload(
        actor=world.users["agency_admin"], agency=world.home, upload=io.BytesIO(data), filename=name
    )


def test_a_pdf_is_stored_outside_the_web_root(world: World, storage: Path) -> None:
    version = upload(world, PDF, "../../etc/Our summary.pdf")
    stored = storage / "security-documents" / version.stored_name
    assert stored.read_bytes() == PDF
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert version.original_name == "Our summary.pdf"  # no path from the browser survives
    static_root = Path(django_settings.STATIC_ROOT).resolve() if django_settings.STATIC_ROOT else None
    assert static_root is None or static_root not in stored.resolve().parents
    assert AuditEvent.objects.filter(kind="security_document.upload").count() == 1


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PNG, "summary.pdf"),  # a picture renamed .pdf: the content decides
        (b"Just some text, not a PDF at all.", "summary.pdf"),
        (b"%PDF-1.4\n truncated without an end marker", "summary.pdf"),
        (b"", "summary.pdf"),
    ],
)
def test_anything_but_a_pdf_is_refused(world: World, storage: Path, data: bytes, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        upload(world, data, name)
    assert "file" in refused.value.message_dict
    assert not SecurityDocumentVersion.objects.exists()
    assert not list(storage.glob("security-documents/*"))


def test_a_file_over_the_limit_is_refused(world: World, storage: Path, settings: Any) -> None:
    settings.SECURITY_DOCUMENT_MAX_BYTES = 2 * 1024 * 1024
    too_big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n"
    with pytest.raises(ValidationError) as refused:
        upload(world, too_big)
    assert "smaller than 2 MB" in refused.value.message_dict["file"][0]
    assert not SecurityDocumentVersion.objects.exists()


def test_another_agency_sees_it_only_under_a_grant_until_it_ends(world: World, storage: Path, other_admin: Any) -> None:
    upload(world, PDF)
    document = SecurityDocument.objects.get(agency=world.home)
    officer = world.users["other_agency"]
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=officer, document=document)

    with pytest.raises(ValidationError) as no_reason:
        access_request_create(actor=other_admin, document=document, requesting_agency=world.other, reason="  ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(policy.AccessDenied):  # an admin asks only on behalf of their own agency
        access_request_create(
            actor=world.users["agency_admin"], document=document, requesting_agency=world.other, reason="x"
        )
    request = access_request_create(
        actor=other_admin, document=document, requesting_agency=world.other, reason="Protocol audit, Haringey 7.2"
    )
    with pytest.raises(policy.AccessDenied):  # only the owner's admins decide
        access_request_decide(
            actor=other_admin,
            access_request=request,
            grant=True,
            access_expires_on=timezone.localdate() + timedelta(days=30),
        )
    until = timezone.localdate() + timedelta(days=30)
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=until
    )

    version, path = security_document_open(actor=officer, document=document)
    assert path.read_bytes() == PDF and version.document == document
    assert AuditEvent.objects.filter(kind="security_document.view", actor_id=officer.pk).count() == 1

    # The day after the grant ends, the sweep withdraws it: the permission goes, the request shows expired.
    assert access_grants_expire(today=until) == 0
    assert access_grants_expire(today=until + timedelta(days=1)) == 1
    assert access_grants_expire(today=until + timedelta(days=1)) == 0
    request.refresh_from_db()
    assert request.state == "expired"
    officer = type(officer).objects.get(pk=officer.pk)  # a fresh object: no cached permissions
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=officer, document=document)
    assert AuditEvent.objects.filter(kind="security_document.grant_expired").count() == 1


def test_a_refusal_needs_a_reason_and_grants_nothing(world: World, storage: Path, other_admin: Any) -> None:
    upload(world, PDF)
    document = SecurityDocument.objects.get(agency=world.home)
    request = access_request_create(actor=other_admin, document=document, requesting_agency=world.other, reason="Audit")
    with pytest.raises(ValidationError) as no_note:
        access_request_decide(actor=world.users["agency_admin"], access_request=request, grant=False)
    assert "note" in no_note.value.message_dict
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=False, note="Ask us after the audit"
    )
    assert SecurityDocumentAccessRequest.objects.get(pk=request.pk).state == "refused"
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=world.users["other_agency"], document=document)


def test_the_owning_agencys_members_see_it_and_each_view_is_audited(world: World, storage: Path) -> None:
    upload(world, PDF)
    document = SecurityDocument.objects.get(agency=world.home)
    for _ in range(2):
        security_document_open(actor=world.users["practitioner"], document=document)
    assert (
        AuditEvent.objects.filter(kind="security_document.view", actor_id=world.users["practitioner"].pk).count() == 2
    )
