"""Security summary documents and the written requests to see them (Haringey 7.2-7.4).

The file is a PDF checked by its content (not its name), at most SECURITY_DOCUMENT_MAX_BYTES, stored under
PRIVATE_MEDIA_ROOT (outside the web root) with a random name, and served only through a view that asks the
policy. Another agency's access is a django-guardian object permission granted to that agency's group,
with an expiry that a sweep enforces.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from agencies.models import (
    AccessRequestState,
    Agency,
    Membership,
    Role,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SecurityDocumentGroupPermission,
    SecurityDocumentVersion,
)
from agencies.services.registry import agency_group, agency_group_name
from audit.services import EventDraft, audit_record, audit_record_many
from isp_portal import uploads
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import SystemActor, require
from isp_portal.wording import long_date, possessive

VIEW_PERMISSION = "agencies.view_securitydocument"
MAX_GRANT_DAYS = 366


def _storage_dir() -> Path:
    directory = Path(settings.PRIVATE_MEDIA_ROOT) / "security-documents"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def stored_path(version: SecurityDocumentVersion) -> Path:
    return _storage_dir() / version.stored_name


def _size(limit: int) -> str:
    """A size limit as people say it: 10 MB, 512 KB (GOV.UK style: no decimals when whole)."""
    if limit >= 1024 * 1024:
        megabytes = limit / (1024 * 1024)
        return f"{megabytes:g} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"
    return f"{max(limit // 1024, 1)} KB"


@transaction.atomic
def security_document_upload(
    *, actor: Any, agency: Agency, upload: IO[bytes], filename: str
) -> SecurityDocumentVersion:
    """Upload (or replace) an agency's security summary document (its own admins)."""
    require(actor, "upload_security_document", agency)
    limit: int = settings.SECURITY_DOCUMENT_MAX_BYTES
    data = upload.read(limit + 1)
    if not data:
        raise ValidationError({"file": "The selected file is empty."})
    if len(data) > limit:
        raise ValidationError({"file": f"The file must be smaller than {_size(limit)}."})
    problem = uploads.pdf_problem(data)
    if problem:
        raise ValidationError({"file": problem})
    document, _ = SecurityDocument.objects.get_or_create(agency=agency)
    stored_name = f"{uuid.uuid4().hex}.pdf"
    version = SecurityDocumentVersion.objects.create(
        document=document,
        stored_name=stored_name,
        original_name=uploads.safe_filename(filename, "security-summary.pdf"),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    path = _storage_dir() / stored_name
    with open(path, "xb") as handle:  # never overwrite
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    path.chmod(0o600)
    audit_record(
        kind="security_document.upload",
        actor=actor,
        target=document,
        detail={"version": version.pk, "size": version.size, "sha256": version.sha256},
    )
    return version


def security_document_open(*, actor: Any, document: SecurityDocument) -> tuple[SecurityDocumentVersion, Path]:
    """Check the policy and record the view; return the current version and where its file is.

    Every opening of a security document is audited (Haringey 7.2)."""
    require(actor, "view", document)
    version = document.versions.order_by("-uploaded_at", "-id").first()
    if version is None:
        raise ValidationError({"document": "No document has been uploaded yet."})
    audit_record(kind="security_document.view", actor=actor, target=document, detail={"version": version.pk})
    return version, stored_path(version)


def _admins_of(agency_id: int) -> list[int]:
    return list(
        # The agency's people: a token's system account may hold the role (agencies.rules.token_roles), but its
        # address is no mailbox and nobody reads its notifications.
        Membership.objects.filter(
            agency_id=agency_id, is_active=True, roles__contains=[Role.AGENCY_ADMIN], user__is_system=False
        ).values_list("user_id", flat=True)
    )


@transaction.atomic
def access_request_create(
    *, actor: Any, document: SecurityDocument, requesting_agency: Agency, reason: str
) -> SecurityDocumentAccessRequest:
    """Ask in writing to see another agency's security document (the requesting agency's admins)."""
    require(actor, "request_security_document", requesting_agency)
    errors = {}
    if document.agency_id == requesting_agency.pk:
        errors["requesting_agency"] = "Your own agency's members can already see its document."
    if not reason.strip():
        # Haringey 7.2: access follows a written request.
        errors["reason"] = "Explain why your agency needs to see this document: the request is made in writing."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            access_request = SecurityDocumentAccessRequest.objects.create(
                document=document, requesting_agency=requesting_agency, requested_by=actor, reason=reason.strip()
            )
    except IntegrityError:
        raise ValidationError(
            {"reason": f"{requesting_agency} already has a request waiting for {document.agency}."}
        ) from None
    audit_record(kind="security_document.request", actor=actor, target=access_request)
    notify_many(
        NotificationDraft(
            recipient_id=admin_id,
            key=f"document-request:{access_request.pk}",
            subject=f"{requesting_agency} asks to see your security document",
            body=(
                f"{requesting_agency} has asked in writing to see {possessive(document.agency)} security summary "
                "document."
            ),
            link=f"/security-documents/requests/{access_request.pk}/",
        )
        for admin_id in _admins_of(document.agency_id)
    )
    return access_request


@transaction.atomic
def access_request_decide(
    *,
    actor: Any,
    access_request: SecurityDocumentAccessRequest,
    grant: bool,
    note: str = "",
    access_expires_on: date | None = None,
) -> SecurityDocumentAccessRequest:
    """Grant or refuse a request (the owning agency's admins). A grant lasts until `access_expires_on`."""
    access_request = (
        SecurityDocumentAccessRequest.objects.select_for_update()
        .select_related("document__agency", "requesting_agency")
        .get(pk=access_request.pk)
    )
    require(actor, "decide", access_request)
    today = timezone.localdate()
    errors = {}
    if access_request.state != AccessRequestState.PENDING:
        errors["state"] = "This request has already been decided."
    if grant:
        if access_expires_on is None:
            errors["access_expires_on"] = "Enter the date access ends."
        elif access_expires_on <= today:
            errors["access_expires_on"] = "The date access ends must be in the future."
        elif (access_expires_on - today).days > MAX_GRANT_DAYS:
            errors["access_expires_on"] = "Access can be granted for at most a year at a time."
    elif not note.strip():
        errors["note"] = "Say why the request is refused: the requesting agency will see it."
    if errors:
        raise ValidationError(errors)
    access_request.state = AccessRequestState.GRANTED if grant else AccessRequestState.REFUSED
    access_request.decided_by = actor
    access_request.decided_at = timezone.now()
    access_request.decision_note = note.strip()
    access_request.access_expires_on = access_expires_on if grant else None
    access_request.save()
    if grant:
        assign_perm(VIEW_PERMISSION, agency_group(access_request.requesting_agency), access_request.document)
    audit_record(
        kind="security_document.grant" if grant else "security_document.refuse",
        actor=actor,
        target=access_request,
        detail={
            "until": str(access_expires_on) if grant else None,
            "requesting_agency": access_request.requesting_agency_id,
        },
    )
    owner = access_request.document.agency
    notify_many(
        [
            NotificationDraft(
                recipient_id=access_request.requested_by_id,
                key=f"document-decision:{access_request.pk}",
                subject=f"{owner} {'granted' if grant else 'refused'} your request",
                body=(
                    f"You can see {possessive(owner)} security summary document until {long_date(access_expires_on)}."
                    if grant and access_expires_on
                    else f"{owner} refused your request to see its security summary document: {note.strip()}"
                ),
                link=f"/agencies/{owner.pk}/",
            )
        ]
    )
    return access_request


@transaction.atomic
def access_grants_expire(*, today: date) -> int:
    """Withdraw the guardian permission of every grant whose end date has passed (a daily sweep).

    Set-based (DESIGN 3.3): a fixed number of statements however many grants end, and rows another worker
    holds are skipped. An agency keeps its permission while another grant of the same document runs on."""
    expired = list(
        SecurityDocumentAccessRequest.objects.select_for_update(skip_locked=True)
        .filter(state=AccessRequestState.GRANTED, access_expires_on__lt=today)
        .values_list("pk", "document_id", "requesting_agency_id")
    )
    if not expired:
        return 0
    ids = [pk for pk, _, _ in expired]
    ending = {(document_id, agency_id) for _, document_id, agency_id in expired}
    still_granted = set(
        SecurityDocumentAccessRequest.objects.filter(
            state=AccessRequestState.GRANTED,
            access_expires_on__gte=today,
            document_id__in={document_id for document_id, _ in ending},
            requesting_agency_id__in={agency_id for _, agency_id in ending},
        )
        .exclude(pk__in=ids)
        .values_list("document_id", "requesting_agency_id")
    )
    withdraw = ending - still_granted
    if withdraw:
        match = Q()
        for document_id, agency_id in withdraw:
            match |= Q(content_object_id=document_id, group__name=agency_group_name(agency_id))
        SecurityDocumentGroupPermission.objects.filter(
            match, permission__codename="view_securitydocument", permission__content_type__app_label="agencies"
        ).delete()
    SecurityDocumentAccessRequest.objects.filter(pk__in=ids).update(state=AccessRequestState.EXPIRED)
    audit_record_many(
        kind="security_document.grant_expired",
        actor=SystemActor("expiry sweep"),
        events=(EventDraft("agencies.securitydocumentaccessrequest", pk) for pk in ids),
    )
    return len(ids)
