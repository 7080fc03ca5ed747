"""Signatures (Haringey 13; Buckinghamshire 1): signing a version, withdrawing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, AgencyStatus, User
from agencies.rules import ChecklistStatus
from agencies.selectors import checklist_rows
from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.wording import possessive
from protocols import rules
from protocols.models import ProtocolVersion, Signature

# Signing needs the agency's checklist confirmed (Southampton 18); one due for renewal still counts.
CHECKLIST_OK = {ChecklistStatus.COMPLETE, ChecklistStatus.DUE_FOR_RENEWAL}


@transaction.atomic
def signature_sign(
    *,
    actor: Any,
    agency: Agency,
    version: ProtocolVersion,
    signatory_name: str,
    signatory_title: str,
    attestation: str,
) -> Signature:
    """Record an agency's signature of the version in force (its admin, for its authorised signatory).

    Refused unless the agency is active, its signatory checklist is complete (Southampton 18), the
    version is the one in force, and the agency has not already signed it."""
    require(actor, "sign_protocols", agency)
    protocol = version.protocol
    errors: dict[str, str] = {}
    if not protocol.is_in_force:
        errors["version"] = (
            f"{protocol} is {protocol.get_status_display().lower()}: only a protocol in force is signed."
        )
    elif protocol.current_version_id != version.pk:
        errors["version"] = "Only the version in force can be signed."
    if agency.status != AgencyStatus.ACTIVE:
        errors["agency"] = f"{agency} is {agency.get_status_display().lower()} and cannot sign."
    _, status = checklist_rows(agency)
    if status not in CHECKLIST_OK:
        errors["agency"] = (
            f"{possessive(agency)} signatory checklist is {status.value}: every requirement must be confirmed "
            "before it signs."
        )
    for field, value, message in (
        ("signatory_name", signatory_name, "Enter the name of the person signing."),
        ("signatory_title", signatory_title, "Enter their job title."),
    ):
        if not value.strip():
            errors[field] = message
    # The attestation is the signature: the set sentence, naming the agency, not any text at all.
    if not rules.attestation_matches(attestation, agency.name):
        errors["attestation"] = f"Type the attestation exactly: “{rules.attestation_sentence(agency.name)}”"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                agency=agency,
                version=version,
                protocol=protocol,
                signatory_name=signatory_name.strip(),
                signatory_title=signatory_title.strip(),
                attestation=" ".join(attestation.split()),
                signed_by=actor if isinstance(actor, User) else None,
            )
    except IntegrityError:
        raise ValidationError({"agency": f"{agency} has already signed {version}."}) from None
    audit_record(kind="protocol.sign", actor=actor, target=signature, detail={"version": version.number})
    return signature


@transaction.atomic
def signature_withdraw(*, actor: Any, signature: Signature, reason: str) -> Signature:
    """Withdraw a signature (at any time, with a reason). A signature withdrawn before a new version is
    adopted does not carry over to it (Buckinghamshire 1)."""
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    require(actor, "withdraw", signature)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the agency is withdrawing."})
    signature.withdrawn_at = timezone.now()
    signature.withdrawal_reason = reason.strip()
    signature.withdrawn_by = actor if isinstance(actor, User) else None
    signature.save(update_fields=["withdrawn_at", "withdrawal_reason", "withdrawn_by"])
    audit_record(
        kind="protocol.withdraw", actor=actor, target=signature, detail={"reason": signature.withdrawal_reason}
    )
    return signature
