"""The partner register: agencies, their details and their status (Haringey 2.2, 4.1-4.2; Southampton 1, 7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies import rules
from agencies.identity import agencies_changed
from agencies.models import Agency, AgencyKind, AgencyStatus, AgencyStatusChange, Area, Membership, Sector
from agencies.policy import forget_principal, may_be_authorised_for_restricted
from audit.services import audit_record
from isp_portal import bounds
from isp_portal.policy import require

# Fields an agency's own admin may keep up to date; the rest of the register is the partnership's.
CONTACT_FIELDS = ("address", "phone", "registration_number", "ico_registration_number", "ico_registration_expires_on")
REGISTRY_FIELDS = ("name", "kind", "sector", "area", "parent")


def agency_group_name(agency_id: int) -> str:
    return f"agency:{agency_id}"


def agency_group(agency: Agency) -> Group:
    """The Django group holding an agency's active members: object permissions (django-guardian) granted
    to an agency are granted to this group, so they follow people as they join and leave."""
    group, _ = Group.objects.get_or_create(name=agency_group_name(agency.pk))
    return group


def _clean_details(values: dict[str, Any], *, agency: Agency | None, today: date, creating: bool) -> dict[str, Any]:
    """Normalise and check an agency's details; raise ValidationError with a message per field."""
    errors: dict[str, str] = {}
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = " ".join(str(cleaned["name"]).split())
        if not cleaned["name"]:
            errors["name"] = "Enter the agency's name."
        else:
            clash = Agency.objects.filter(name__iexact=cleaned["name"])
            if agency is not None:
                clash = clash.exclude(pk=agency.pk)
            if clash.exists():
                errors["name"] = f"An agency called {cleaned['name']} is already registered."
    if "kind" in cleaned and cleaned["kind"] not in AgencyKind.values:
        errors["kind"] = "Choose what kind of organisation this is."
    if "sector" in cleaned and cleaned["sector"] not in Sector.values:
        errors["sector"] = "Choose the sector."
    if cleaned.get("phone"):
        # Stored in E.164 whatever way it was typed (issue 8 item 15); shown in the national format.
        # An extension is refused, not dropped (rules.PHONE_EXTENSION).
        phone = rules.phone_normalised(str(cleaned["phone"]).strip())
        if phone is None:
            errors["phone"] = rules.phone_error(str(cleaned["phone"]).strip()) or rules.PHONE_INVALID
        else:
            cleaned["phone"] = phone
    if "ico_registration_number" in cleaned:
        number = rules.normalise_ico_number(str(cleaned["ico_registration_number"] or ""))
        cleaned["ico_registration_number"] = number
        if number and not rules.ico_number_is_valid(number):
            errors["ico_registration_number"] = (
                "Enter the ICO registration number as it appears on the register: Z and seven digits (Z1234567) "
                "or Z, a letter and six digits (ZA123456)."
            )
        elif number:
            clash = Agency.objects.filter(ico_registration_number=number)
            if agency is not None:
                clash = clash.exclude(pk=agency.pk)
            if clash.exists():
                errors["ico_registration_number"] = f"ICO registration {number} is already recorded for another agency."
    number = cleaned.get("ico_registration_number", agency.ico_registration_number if agency else "")
    expires = cleaned.get("ico_registration_expires_on", agency.ico_registration_expires_on if agency else None)
    if number and expires is None:
        errors["ico_registration_expires_on"] = "Enter the date the ICO registration expires."
    if expires is not None and not number:
        errors["ico_registration_number"] = "Enter the ICO registration number that this expiry date belongs to."
    if expires is not None and "ico_registration_expires_on" in cleaned and expires < today:
        verb = "registering" if creating else "recording"
        errors["ico_registration_expires_on"] = (
            f"The ICO registration has already expired; renew it with the ICO before {verb} it here."
        )
    elif expires is not None and "ico_registration_expires_on" in cleaned and expires > rules.ico_expiry_latest(today):
        # Haringey 4.1-4.2: renewed every year, so an expiry far ahead (9999-12-31) is a mistake that would
        # keep the agency able to share for ever.
        errors["ico_registration_expires_on"] = (
            "An ICO registration is renewed every year: enter an expiry date no later than "
            f"{bounds.long_date(rules.ico_expiry_latest(today))}."
        )
    parent = cleaned.get("parent")
    if parent is not None and agency is not None:
        cursor: Agency | None = parent
        while cursor is not None:
            if cursor.pk == agency.pk:
                errors["parent"] = "An agency cannot be commissioned by itself or by one of its own sub-contractors."
                break
            cursor = cursor.parent
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def agency_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    sector: str,
    area: Area | None = None,
    parent: Agency | None = None,
    address: str = "",
    phone: str = "",
    registration_number: str = "",
    ico_registration_number: str = "",
    ico_registration_expires_on: date | None = None,
) -> Agency:
    """Register a partner agency (partnership admins only)."""
    require(actor, "create", Agency)
    values = _clean_details(
        {
            "name": name,
            "kind": kind,
            "sector": sector,
            "area": area,
            "parent": parent,
            "address": address.strip(),
            "phone": phone,
            "registration_number": registration_number.strip(),
            "ico_registration_number": ico_registration_number,
            "ico_registration_expires_on": ico_registration_expires_on,
        },
        agency=None,
        today=timezone.localdate(),
        creating=True,
    )
    agency = Agency.objects.create(**values)
    agency_group(agency)
    audit_record(kind="agency.create", actor=actor, target=agency, detail={"kind": kind, "sector": sector})
    return agency


@transaction.atomic
def agency_update(*, actor: Any, agency: Agency, **changes: Any) -> Agency:
    """Change an agency's details. Its own admins may change contact and ICO details; the name, kind,
    sector, area and commissioning agency belong to the partnership register (partnership admins)."""
    unknown = set(changes) - set(CONTACT_FIELDS) - set(REGISTRY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This cannot be changed here."))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    require(actor, "change", agency)
    if set(changes) & set(REGISTRY_FIELDS):
        require(actor, "change_registry", agency)
    if changes.get("phone"):
        # The same number typed another way ("020 7946 0958" for "+442079460958") is no change.
        changes["phone"] = rules.phone_normalised(str(changes["phone"]).strip()) or changes["phone"]
    changed = {field: value for field, value in changes.items() if getattr(agency, field) != value}
    if not changed:
        return agency
    # Decided for issue 8 (item 12): a recorded ICO registration is renewed or replaced, never blanked.
    # Partners keep an up-to-date registration as a condition of signing (Haringey 4.1-4.2; Southampton 18);
    # blanking it would leave the checklist complete and the signatures live for an agency that no longer
    # shows it is registered. An agency that has stopped processing is suspended or leaves instead.
    for field in ("ico_registration_number", "ico_registration_expires_on"):
        if field in changed and getattr(agency, field) and not str(changed[field] or "").strip():
            raise ValidationError(
                {
                    field: "The ICO registration cannot be removed, only renewed or replaced: partners must keep "
                    "an up-to-date registration. If the agency no longer processes personal information, ask a "
                    "partnership admin to change its status."
                }
            )
    values = _clean_details(changed, agency=agency, today=timezone.localdate(), creating=False)
    before = {field: str(getattr(agency, field) or "") for field in values}
    for field, value in values.items():
        setattr(agency, field, value)
    agency.save(update_fields=list(values))
    audit_record(
        kind="agency.update",
        actor=actor,
        target=agency,
        detail={"changed": {field: [before[field], str(getattr(agency, field) or "")] for field in values}},
    )
    if "kind" in values and not may_be_authorised_for_restricted(agency.kind):
        _restricted_authorisations_cleared(actor, agency)
    return agency


def _restricted_authorisations_cleared(actor: Any, agency: Agency) -> None:
    """Clear the restricted-information authorisations of an agency's members once it is no longer of a kind
    that may hold them (agencies.policy.may_be_authorised_for_restricted; break10g finding 3). The read rule
    already ignores such a flag; clearing it keeps the register saying what is true, so that correcting the kind
    back does not silently restore victim information to people nobody authorised again. One audit event per
    member (membership.update, as if their flag had been cleared by hand, with why)."""
    for membership in Membership.objects.select_for_update().filter(agency=agency, authorised_for_restricted=True):
        membership.authorised_for_restricted = False
        membership.save(update_fields=["authorised_for_restricted"])
        audit_record(
            kind="membership.update",
            actor=actor,
            target=membership,
            detail={
                "changed": {"authorised_for_restricted": [True, False]},
                "because": {"agency_kind": agency.kind},  # the agency is no longer a local authority
            },
        )


@transaction.atomic
def agency_status_change(
    *, actor: Any, agency: Agency, to_status: str, reason: str, effective_on: date | None = None
) -> AgencyStatusChange:
    """Suspend, reinstate or record that an agency has left, with the reason and date (partnership admins).

    A suspended agency, or one that has left, can neither send nor receive disclosures. When an agency
    leaves, every membership in it ends (and with it its people's sessions)."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    require(actor, "change_status", agency)
    today = timezone.localdate()
    effective_on = effective_on or today
    errors = {}
    if to_status not in AgencyStatus.values:
        errors["to_status"] = "Choose the new status."
    elif to_status == agency.status:
        errors["to_status"] = f"{agency} is already {agency.get_status_display().lower()}."
    if not reason.strip():
        errors["reason"] = "Say why the status is changing: it goes on the partnership's record."
    if effective_on > today:
        errors["effective_on"] = "The date must be today or in the past: the change takes effect now."
    if errors:
        raise ValidationError(errors)
    change = AgencyStatusChange.objects.create(
        agency=agency,
        from_status=agency.status,
        to_status=to_status,
        reason=reason.strip(),
        effective_on=effective_on,
        changed_by=actor if getattr(actor, "pk", None) else None,
    )
    agency.status = to_status
    agency.save(update_fields=["status"])
    audit_record(
        kind="agency.status_change",
        actor=actor,
        target=agency,
        detail={
            "from": change.from_status,
            "to": to_status,
            "reason": change.reason,
            "effective_on": str(effective_on),
        },
    )
    if to_status == AgencyStatus.LEFT:
        from agencies.services.people import membership_deactivate

        for membership in Membership.objects.filter(agency=agency, is_active=True).select_related("user"):
            membership_deactivate(actor=actor, membership=membership, reason=f"{agency} left the partnership")
            forget_principal(membership.user)
    return change


# --- Local-authority areas (WYCPS area-based access) -------------------------------------------------------------


@transaction.atomic
def area_create(*, actor: Any, code: str, name: str) -> Area:
    """Add a local-authority area (partnership admins): its ONS GSS code (any case) and its name, both unique
    (the name whatever its case). Raises ValidationError by field. Audit: area.create."""
    require(actor, "create", Area)
    errors = _area_errors(code, name)
    if errors:
        raise ValidationError(errors)
    area = Area.objects.create(code=rules.gss_code_normalised(code) or "", name=" ".join(name.split()))
    audit_record(kind="area.create", actor=actor, target=area, detail={"code": area.code})
    return area


@transaction.atomic
def area_recode(*, actor: Any, area: Area, code: str) -> Area:
    """Give an area another GSS code (partnership admins): the real one in place of the placeholder E99…
    code the areas migration gave (docs/areas.md). The agencies and children in it move with it, in the same
    transaction (their foreign keys are checked at commit). Audit: area.recode."""
    require(actor, "change", Area)
    new = rules.gss_code_normalised(code)
    if new is None:
        raise ValidationError({"code": "Enter a GSS code: E, W, S or N and eight digits, like E09000014."})
    if new != area.code and Area.objects.filter(code=new).exists():
        raise ValidationError({"code": "Another area has this code."})
    old = area.code
    if new == old:
        return area
    from sharing.models import Child  # sharing depends on agencies, not the other way round

    Area.objects.filter(code=old).update(code=new)
    Agency.objects.filter(area_id=old).update(area_id=new)
    Child.objects.filter(area_id=old).update(area_id=new)
    area = Area.objects.get(code=new)
    audit_record(kind="area.recode", actor=actor, target=area, detail={"from": old, "to": new})
    # Every member's cached identity carries their agency's area code, and the update above bypassed the
    # signals that drop it.
    agencies_changed()
    return area


def _area_errors(code: str, name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    normalised = rules.gss_code_normalised(code)
    if normalised is None:
        errors["code"] = "Enter a GSS code: E, W, S or N and eight digits, like E09000014."
    elif Area.objects.filter(code=normalised).exists():
        errors["code"] = "An area with this code is already kept."
    tidy = " ".join(name.split())
    if not tidy or len(tidy) > 100 or bounds.has_nul(tidy):
        errors["name"] = "Enter the area's name, at most 100 characters."
    elif Area.objects.filter(name__iexact=tidy).exists():
        errors["name"] = "An area with this name is already kept."
    return errors
