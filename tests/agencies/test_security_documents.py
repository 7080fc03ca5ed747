"""Security summary documents (Haringey 7.2-7.4): a real PDF is stored outside the web root under a random
name; anything else, or anything too large, is refused with nothing written; another agency asks in writing,
the owner grants (a django-guardian permission on the requesting agency's group, until a date) or refuses;
the sweep withdraws grants that have ended; every opening is on the audit trail."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import (
    AccessRequestState,
    Agency,
    Membership,
    Role,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SecurityDocumentGroupPermission,
    SecurityDocumentVersion,
    User,
)
from agencies.services import (
    access_grants_expire,
    access_request_create,
    access_request_decide,
    membership_deactivate,
    security_document_open,
    security_document_upload,
)
from audit.models import AuditEvent
from isp_portal import policy, uploads
from isp_portal.models import Notification
from isp_portal.wording import long_date
from tests.factories import World, make_agency, make_user, sign_in
from tests.pdf_samples import PDF, active_pdf, one_page_pdf, pdf_of_size

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
VIEW = "agencies.view_securitydocument"


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path / "private" / "security-documents"


@pytest.fixture
def other_admin(world: World) -> User:
    return make_user(name="Oona Otheradmin", agency=world.other, roles=[Role.AGENCY_ADMIN])


def upload(world: World, data: bytes, filename: str = "security-summary.pdf") -> SecurityDocumentVersion:
    return security_document_upload(
        actor=world.users["agency_admin"], agency=world.home, upload=io.BytesIO(data), filename=filename
    )


def fresh(user: User) -> User:
    """The user as a new request would load them: no cached principal or permissions."""
    return User.objects.get(pk=user.pk)


def counts() -> dict[str, int]:
    return {
        "documents": SecurityDocument.objects.count(),
        "versions": SecurityDocumentVersion.objects.count(),
        "requests": SecurityDocumentAccessRequest.objects.count(),
        "grants": SecurityDocumentGroupPermission.objects.count(),
        "notifications": Notification.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def in_a_month() -> date:
    return timezone.localdate() + timedelta(days=30)


# --- Upload -------------------------------------------------------------------------------------------------------


def test_a_pdf_is_stored_privately_under_a_random_name(world: World, storage: Path) -> None:
    version = upload(world, PDF, "C:\\Users\\ada\\Our security summary.pdf")
    stored = storage / version.stored_name
    assert stored.read_bytes() == PDF
    assert stored.stat().st_mode & 0o777 == 0o600  # readable by the portal's own user only
    assert version.stored_name.endswith(".pdf") and "summary" not in version.stored_name
    assert version.size == len(PDF)
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.uploaded_by == world.users["agency_admin"]
    assert version.document.agency == world.home
    event = AuditEvent.objects.get(kind="security_document.upload")
    assert event.actor_id == world.users["agency_admin"].pk
    assert event.detail == {"version": version.pk, "size": len(PDF), "sha256": version.sha256}


def test_the_private_store_is_outside_everything_the_web_server_serves() -> None:
    private = Path(django_settings.PRIVATE_MEDIA_ROOT).resolve()
    served = [Path(django_settings.STATIC_ROOT), *map(Path, django_settings.STATICFILES_DIRS)]
    for root in served:
        root = root.resolve()
        assert root != private and root not in private.parents and private not in root.parents
    if django_settings.MEDIA_ROOT:  # Django's public uploads, if ever configured, are elsewhere too
        media = Path(django_settings.MEDIA_ROOT).resolve()
        assert media != private and media not in private.parents


def test_the_stored_file_has_no_web_address_of_its_own(world: World, storage: Path) -> None:
    version = upload(world, PDF)
    browser = sign_in(Client(), world.users["agency_admin"])
    for path in (
        f"/static/{version.stored_name}",
        f"/static/security-documents/{version.stored_name}",
        f"/media/security-documents/{version.stored_name}",
        f"/security-documents/{version.stored_name}",
    ):
        assert browser.get(path).status_code == 404, path
    # The only way to it is the view that asks the policy.
    response = browser.get(f"/agencies/{world.home.pk}/security-document/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"


def test_a_new_upload_replaces_the_one_that_is_opened(world: World, storage: Path) -> None:
    upload(world, PDF)
    newer = one_page_pdf(pages=2)
    second = upload(world, newer)
    document = SecurityDocument.objects.get(agency=world.home)
    assert document.versions.count() == 2
    version, path = security_document_open(actor=world.users["practitioner"], document=document)
    assert version == second and path.read_bytes() == newer


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG, id="a PNG named .pdf"),
        pytest.param(b"Our security procedures: locked cabinets.\n", id="text named .pdf"),
        pytest.param(b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n", id="a PDF cut off before its end marker"),
        pytest.param(b"<html><body>%PDF-1.4</body></html>\n%%EOF\n", id="an end marker without the header"),
        pytest.param(b"", id="empty"),
        # Issue 8 item 10: files that merely begin (and end) like a PDF; a PDF nobody can open or read.
        pytest.param(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", id="a header and an end marker only"),
        pytest.param(b"%PDF-1.7\n" + b"\x00" * 2000 + b"\n%%EOF\n", id="zeros between a header and an end marker"),
        pytest.param(PDF[: len(PDF) // 2], id="a real PDF cut in half"),
        pytest.param(one_page_pdf(pages=0), id="a PDF with no pages"),
        pytest.param(one_page_pdf(password="secret"), id="a PDF protected with a password"),
    ],
)
def test_anything_that_is_not_a_pdf_is_refused_and_nothing_is_written(world: World, storage: Path, data: bytes) -> None:
    before = counts()
    with pytest.raises(ValidationError) as refused:
        upload(world, data, "security-summary.pdf")
    assert list(refused.value.message_dict) == ["file"]
    assert refused.value.message_dict["file"][0] in {
        uploads.NOT_A_PDF,
        uploads.EMPTY_PDF,
        uploads.ENCRYPTED_PDF,
        "The selected file is empty.",
    }
    assert counts() == before
    assert not storage.exists() or not any(storage.iterdir())


def test_the_name_does_not_make_a_pdf(world: World, storage: Path) -> None:
    version = upload(world, PDF, "scan.png")  # the content decides, not the name
    assert (storage / version.stored_name).read_bytes() == PDF


def test_a_file_over_the_size_limit_is_refused(world: World, storage: Path, settings: Any) -> None:
    settings.SECURITY_DOCUMENT_MAX_BYTES = 4096
    before = counts()
    with pytest.raises(ValidationError) as refused:
        upload(world, pdf_of_size(4097))
    assert list(refused.value.message_dict) == ["file"]
    assert refused.value.message_dict["file"][0].startswith("The file must be smaller than")
    assert counts() == before
    assert not storage.exists() or not any(storage.iterdir())
    # Exactly at the limit is allowed.
    version = upload(world, pdf_of_size(4096))
    assert version.size == 4096


def test_the_size_limit_is_read_from_the_setting(world: World, storage: Path, settings: Any) -> None:
    settings.SECURITY_DOCUMENT_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        upload(world, pdf_of_size(2 * 1024 * 1024 + 1))
    assert refused.value.message_dict == {"file": ["The file must be smaller than 2 MB."]}
    settings.SECURITY_DOCUMENT_MAX_BYTES = 3 * 1024 * 1024
    assert upload(world, pdf_of_size(2 * 1024 * 1024 + 1)).size == 2 * 1024 * 1024 + 1


def test_the_size_message_states_a_limit_below_a_megabyte_truthfully(
    world: World, storage: Path, settings: Any
) -> None:
    settings.SECURITY_DOCUMENT_MAX_BYTES = 512 * 1024
    with pytest.raises(ValidationError) as refused:
        upload(world, pdf_of_size(512 * 1024 + 1))
    assert "0 MB" not in refused.value.message_dict["file"][0]


@pytest.mark.parametrize("role", ["practitioner", "designated_manager", "partnership_admin", "other_agency"])
def test_only_the_agencys_own_admins_upload(world: World, storage: Path, role: str) -> None:
    before = counts()
    with pytest.raises(policy.NotPermitted):
        security_document_upload(
            actor=world.users[role], agency=world.home, upload=io.BytesIO(PDF), filename="security-summary.pdf"
        )
    assert counts() == before


# --- Written requests, grants and refusals ------------------------------------------------------------------------


@pytest.fixture
def document(world: World, storage: Path) -> SecurityDocument:
    upload(world, PDF)
    return SecurityDocument.objects.get(agency=world.home)


def ask(
    other_admin: User, document: SecurityDocument, world: World, reason: str = "Annual audit of partners (7.2)"
) -> SecurityDocumentAccessRequest:
    return access_request_create(actor=other_admin, document=document, requesting_agency=world.other, reason=reason)


def test_another_agency_cannot_open_it_without_a_grant(world: World, document: SecurityDocument) -> None:
    before = AuditEvent.objects.filter(kind="security_document.view").count()
    for role in ("other_agency", "partnership_admin", "auditor", "no_role"):
        with pytest.raises(policy.OutOfScope):
            security_document_open(actor=world.users[role], document=document)
    assert AuditEvent.objects.filter(kind="security_document.view").count() == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_request_needs_a_written_reason(
    world: World, document: SecurityDocument, other_admin: User, reason: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as refused:
        ask(other_admin, document, world, reason)
    assert list(refused.value.message_dict) == ["reason"]
    assert "made in writing" in refused.value.message_dict["reason"][0]
    assert counts() == before


def test_a_request_is_recorded_and_the_owners_admins_are_told(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = ask(other_admin, document, world, "  We are auditing our partners.  ")
    stored = SecurityDocumentAccessRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.reason, stored.requested_by) == (
        "pending",
        "We are auditing our partners.",
        other_admin,
    )
    assert stored.requesting_agency == world.other
    told = Notification.objects.get(key=f"document-request:{request.pk}")
    assert told.recipient == world.users["agency_admin"]
    assert AuditEvent.objects.get(kind="security_document.request").actor_id == other_admin.pk
    # A second request while one is waiting is refused.
    before = counts()
    with pytest.raises(ValidationError) as twice:
        ask(other_admin, document, world)
    assert list(twice.value.message_dict) == ["reason"]
    assert counts() == before


def test_only_an_admin_asks_and_only_for_their_own_agency(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    before = counts()
    with pytest.raises(policy.NotPermitted):  # a practitioner of the other agency
        access_request_create(
            actor=world.users["other_agency"], document=document, requesting_agency=world.other, reason="Please"
        )
    with pytest.raises(policy.NotPermitted):  # the owner's admin on behalf of someone else's agency
        access_request_create(
            actor=world.users["agency_admin"], document=document, requesting_agency=world.other, reason="Please"
        )
    with pytest.raises(ValidationError) as own:  # the owner's admin for their own agency: no need
        access_request_create(
            actor=world.users["agency_admin"], document=document, requesting_agency=world.home, reason="Please"
        )
    assert list(own.value.message_dict) == ["requesting_agency"]
    assert counts() == before


def test_a_grant_lets_every_member_of_the_requesting_agency_open_it_until_its_date(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = ask(other_admin, document, world)
    until = in_a_month()
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=until
    )

    request.refresh_from_db()
    assert (request.state, request.access_expires_on, request.decided_by) == (
        "granted",
        until,
        world.users["agency_admin"],
    )
    assert SecurityDocumentGroupPermission.objects.filter(
        content_object=document, group__name=f"agency:{world.other.pk}", permission__codename="view_securitydocument"
    ).exists()
    officer = fresh(world.users["other_agency"])
    assert officer.has_perm(VIEW, document)
    version, path = security_document_open(actor=officer, document=document)
    assert path.read_bytes() == PDF and version.document == document
    # Someone who joins the agency after the grant has it too: it belongs to the agency's group.
    newcomer = make_user(name="Nina Newcomer", agency=world.other, roles=[Role.PRACTITIONER])
    assert fresh(newcomer).has_perm(VIEW, document)
    security_document_open(actor=fresh(newcomer), document=document)
    # Nobody in a third agency has it.
    third = make_agency("Third Health Trust")
    stranger = make_user(name="Sam Stranger", agency=third, roles=[Role.AGENCY_ADMIN])
    assert not fresh(stranger).has_perm(VIEW, document)
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=fresh(stranger), document=document)
    # The requester is told, with the end date.
    told = Notification.objects.get(key=f"document-decision:{request.pk}")
    assert told.recipient == other_admin and long_date(until) in told.body
    grant = AuditEvent.objects.get(kind="security_document.grant")
    assert grant.detail == {"until": until.isoformat(), "requesting_agency": world.other.pk}


def test_a_member_who_leaves_the_requesting_agency_loses_the_grant(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = ask(other_admin, document, world)
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=in_a_month()
    )
    officer = world.users["other_agency"]
    membership = Membership.objects.get(user=officer, agency=world.other)
    membership_deactivate(actor=other_admin, membership=membership, reason="Moved on")
    assert not fresh(officer).has_perm(VIEW, document)
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=fresh(officer), document=document)


def test_the_requester_can_download_it_over_http_only_once_granted(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    browser = sign_in(Client(), world.users["other_agency"])
    url = f"/agencies/{world.home.pk}/security-document/file/"
    assert browser.get(url).status_code == 404
    denied = AuditEvent.objects.filter(kind="access.denied", actor_id=world.users["other_agency"].pk)
    assert denied.count() == 1
    request = ask(other_admin, document, world)
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=in_a_month()
    )
    response = browser.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Cache-Control"] == "no-store"
    assert (
        AuditEvent.objects.filter(kind="security_document.view", actor_id=world.users["other_agency"].pk).count() == 1
    )


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (None, "Enter the date access ends."),
        (0, "The date access ends must be in the future."),
        (-5, "The date access ends must be in the future."),
        (367, "Access can be granted for at most a year at a time."),
    ],
)
def test_a_grant_needs_an_end_date_within_a_year(
    world: World, document: SecurityDocument, other_admin: User, days: int | None, message: str
) -> None:
    request = ask(other_admin, document, world)
    before = counts()
    until = None if days is None else timezone.localdate() + timedelta(days=days)
    with pytest.raises(ValidationError) as refused:
        access_request_decide(
            actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=until
        )
    assert refused.value.message_dict == {"access_expires_on": [message]}
    assert counts() == before
    assert SecurityDocumentAccessRequest.objects.get(pk=request.pk).state == "pending"
    assert not fresh(world.users["other_agency"]).has_perm(VIEW, document)


def test_a_grant_of_exactly_366_days_is_allowed(world: World, document: SecurityDocument, other_admin: User) -> None:
    request = ask(other_admin, document, world)
    until = timezone.localdate() + timedelta(days=366)
    decided = access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=until
    )
    assert decided.state == "granted" and decided.access_expires_on == until


def test_only_the_owners_admins_decide_and_only_once(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = ask(other_admin, document, world)
    before = counts()
    for actor in (other_admin, world.users["practitioner"]):
        with pytest.raises(policy.AccessDenied):
            access_request_decide(actor=actor, access_request=request, grant=True, access_expires_on=in_a_month())
    assert counts() == before
    access_request_decide(actor=world.users["agency_admin"], access_request=request, grant=False, note="Not now")
    before = counts()
    with pytest.raises(ValidationError) as again:
        access_request_decide(
            actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=in_a_month()
        )
    assert list(again.value.message_dict) == ["state"]
    assert counts() == before


def test_a_refusal_needs_a_reason_and_gives_no_access(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = ask(other_admin, document, world)
    before = counts()
    with pytest.raises(ValidationError) as no_note:
        access_request_decide(actor=world.users["agency_admin"], access_request=request, grant=False, note="  ")
    assert list(no_note.value.message_dict) == ["note"]
    assert counts() == before
    access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=False, note="Ask again after the audit"
    )
    request.refresh_from_db()
    assert (request.state, request.access_expires_on, request.decision_note) == (
        "refused",
        None,
        "Ask again after the audit",
    )
    assert not SecurityDocumentGroupPermission.objects.exists()
    assert not fresh(world.users["other_agency"]).has_perm(VIEW, document)
    for actor in (world.users["other_agency"], other_admin):
        with pytest.raises(policy.OutOfScope):
            security_document_open(actor=fresh(actor), document=document)
    told = Notification.objects.get(key=f"document-decision:{request.pk}")
    assert "refused" in told.subject and "Ask again after the audit" in told.body
    assert AuditEvent.objects.filter(kind="security_document.refuse", object_id=str(request.pk)).count() == 1


# --- Grants end ---------------------------------------------------------------------------------------------------


def grant(
    world: World, document: SecurityDocument, admin: User, agency: Agency, until: date
) -> SecurityDocumentAccessRequest:
    request = access_request_create(actor=admin, document=document, requesting_agency=agency, reason="Audit")
    return access_request_decide(
        actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=until
    )


def test_the_sweep_withdraws_a_grant_the_day_after_it_ends(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    until = in_a_month()
    request = grant(world, document, other_admin, world.other, until)
    assert access_grants_expire(today=until) == 0  # the last day still counts
    assert fresh(world.users["other_agency"]).has_perm(VIEW, document)

    assert access_grants_expire(today=until + timedelta(days=1)) == 1
    request.refresh_from_db()
    assert request.state == AccessRequestState.EXPIRED
    assert not SecurityDocumentGroupPermission.objects.filter(content_object=document).exists()
    assert not fresh(world.users["other_agency"]).has_perm(VIEW, document)
    event = AuditEvent.objects.get(kind="security_document.grant_expired")
    assert event.object_id == str(request.pk) and event.actor_label == "system: expiry sweep"
    assert access_grants_expire(today=until + timedelta(days=2)) == 0  # once only
    assert AuditEvent.objects.filter(kind="security_document.grant_expired").count() == 1


def test_an_ended_grant_is_refused_even_before_the_sweep_runs(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    request = grant(world, document, other_admin, world.other, in_a_month())
    SecurityDocumentAccessRequest.objects.filter(pk=request.pk).update(
        access_expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(policy.OutOfScope):
        security_document_open(actor=fresh(world.users["other_agency"]), document=document)


def test_ending_one_grant_leaves_the_others(world: World, document: SecurityDocument, other_admin: User) -> None:
    third = make_agency("Third Health Trust")
    third_admin = make_user(name="Theo Third", agency=third, roles=[Role.AGENCY_ADMIN])
    soon, later = in_a_month(), in_a_month() + timedelta(days=60)
    first = grant(world, document, other_admin, world.other, soon)
    renewal = grant(world, document, other_admin, world.other, later)  # the same agency asked again
    thirds = grant(world, document, third_admin, third, soon)

    assert access_grants_expire(today=soon + timedelta(days=1)) == 2
    states = dict(SecurityDocumentAccessRequest.objects.values_list("pk", "state"))
    assert states == {first.pk: "expired", renewal.pk: "granted", thirds.pk: "expired"}
    assert fresh(world.users["other_agency"]).has_perm(VIEW, document)  # its renewal runs on
    security_document_open(actor=fresh(world.users["other_agency"]), document=document)
    assert not fresh(third_admin).has_perm(VIEW, document)

    assert access_grants_expire(today=later + timedelta(days=1)) == 1
    assert not fresh(world.users["other_agency"]).has_perm(VIEW, document)


# --- Every opening is audited -------------------------------------------------------------------------------------


def test_every_opening_is_audited_with_the_version(world: World, document: SecurityDocument, other_admin: User) -> None:
    grant(world, document, other_admin, world.other, in_a_month())
    readers = [
        world.users["practitioner"],
        world.users["agency_admin"],
        world.users["other_agency"],
        world.users["other_agency"],
    ]
    for reader in readers:
        security_document_open(actor=fresh(reader), document=document)
    events = list(AuditEvent.objects.filter(kind="security_document.view").order_by("id"))
    assert [event.actor_id for event in events] == [reader.pk for reader in readers]
    current = document.versions.order_by("-id").first()
    assert current is not None
    assert all(event.object_id == str(document.pk) and event.detail == {"version": current.pk} for event in events)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (one_page_pdf(pages=0), uploads.EMPTY_PDF),
        (one_page_pdf(password="secret"), uploads.ENCRYPTED_PDF),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", uploads.NOT_A_PDF),
    ],
)
def test_the_uploader_is_told_what_is_wrong_with_the_pdf(
    world: World, storage: Path, data: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        upload(world, data)
    assert refused.value.message_dict == {"file": [message]}


def test_a_filename_keeps_no_path_and_no_control_characters(world: World, storage: Path) -> None:
    version = upload(world, PDF, "C:\\Users\\ada\\Our\x00 summary\x07.pdf")
    assert version.original_name == "Our summary.pdf"


ACTIVE_KINDS = {
    "javascript": "JavaScript",
    "open_action_script": "(/OpenAction)",
    "open_action_launch": "(/Launch)",
    "page_additional_actions": "(/AA)",
    "embedded_file": "embedded files",
    "xfa": "an XFA form",
    "rich_media": "rich media",
}


@pytest.mark.parametrize(("kind", "named"), ACTIVE_KINDS.items(), ids=list(ACTIVE_KINDS))
def test_a_pdf_with_active_content_is_refused_naming_what_was_found(
    world: World, storage: Path, kind: str, named: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as refused:
        upload(world, active_pdf(kind))
    (message,) = refused.value.message_dict["file"]
    assert message.startswith("The PDF contains ") and named in message
    assert counts() == before
    assert not storage.exists() or not any(storage.iterdir())


def test_a_pdf_that_only_opens_at_its_first_page_is_accepted(world: World, storage: Path) -> None:
    # Office suites write an /OpenAction that is only a destination: no action, nothing runs.
    assert upload(world, active_pdf("open_at_page")).size > 0


def test_a_request_is_sent_to_the_agencys_people_not_to_its_api_tokens(
    world: World, document: SecurityDocument, other_admin: User
) -> None:
    """A token whose scopes read or administer people holds the agency admin role on its system account; its
    address is not a mailbox, and nobody reads its notifications."""
    from agencies.models import TokenScope
    from tests.factories import make_api_token

    token, _ = make_api_token(world.home, [TokenScope.PEOPLE_READ])
    asked = ask(other_admin, document, world)
    recipients = set(
        Notification.objects.filter(key=f"document-request:{asked.pk}").values_list("recipient_id", flat=True)
    )
    assert recipients == {world.users["agency_admin"].pk}
    assert token.user_id not in recipients
