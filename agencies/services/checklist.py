"""The signatory checklist (Southampton 18): the requirements are data; agencies confirm them yearly."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, ChecklistConfirmation, SignatoryRequirement, User
from audit.services import audit_record
from isp_portal.policy import require


@transaction.atomic
def checklist_confirm(
    *, actor: Any, agency: Agency, requirement: SignatoryRequirement, confirmed_on: date, note: str = ""
) -> ChecklistConfirmation:
    """An agency's admin confirms one requirement, with the date and a note (a renewal adds a new row)."""
    require(actor, "confirm_checklist", agency)
    today = timezone.localdate()
    errors = {}
    if not requirement.is_active:
        errors["requirement"] = "This requirement is no longer on the list."
    if confirmed_on > today:
        errors["confirmed_on"] = "The date must be today or in the past."
    if errors:
        raise ValidationError(errors)
    confirmation = ChecklistConfirmation.objects.create(
        agency=agency,
        requirement=requirement,
        confirmed_on=confirmed_on,
        note=note.strip(),
        confirmed_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        kind="checklist.confirm",
        actor=actor,
        target=confirmation,
        detail={"requirement": requirement.number, "confirmed_on": confirmed_on.isoformat()},
    )
    return confirmation


def _next_number() -> int:
    last = SignatoryRequirement.objects.filter(is_active=True).order_by("-number").first()
    return (last.number + 1) if last else 1


@transaction.atomic
def requirement_create(*, actor: Any, text: str, number: int | None = None) -> SignatoryRequirement:
    """Add a requirement to the list (partnership admins). Every agency must then confirm it."""
    require(actor, "create", SignatoryRequirement)
    if not text.strip():
        raise ValidationError({"text": "Enter the requirement."})
    number = number or _next_number()
    if SignatoryRequirement.objects.filter(number=number, is_active=True).exists():
        raise ValidationError({"number": f"Requirement {number} already exists."})
    requirement = SignatoryRequirement.objects.create(number=number, text=text.strip())
    audit_record(kind="requirement.create", actor=actor, target=requirement, detail={"number": number})
    return requirement


@transaction.atomic
def requirement_update(
    *, actor: Any, requirement: SignatoryRequirement, text: str | None = None, is_active: bool | None = None
) -> SignatoryRequirement:
    """Reword or retire a requirement (partnership admins). Rewording keeps existing confirmations;
    retiring takes it off every agency's checklist."""
    require(actor, "change", requirement)
    changed: dict[str, Any] = {}
    if text is not None:
        if not text.strip():
            raise ValidationError({"text": "Enter the requirement."})
        changed["text"] = text.strip()
    if is_active is not None:
        if (
            is_active
            and not requirement.is_active
            and SignatoryRequirement.objects.filter(number=requirement.number, is_active=True).exists()
        ):
            raise ValidationError({"is_active": f"Another active requirement already has number {requirement.number}."})
        changed["is_active"] = is_active
    changed = {field: value for field, value in changed.items() if getattr(requirement, field) != value}
    if changed:
        before = {field: getattr(requirement, field) for field in changed}
        for field, value in changed.items():
            setattr(requirement, field, value)
        requirement.save(update_fields=list(changed))
        audit_record(
            kind="requirement.update",
            actor=actor,
            target=requirement,
            detail={"changed": {field: [before[field], value] for field, value in changed.items()}},
        )
    return requirement
