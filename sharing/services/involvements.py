"""Involvements: an agency's service starting and ending work with a child (Haringey 3.8a)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency, Membership, Role, User
from audit.services import audit_record
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import NotPermitted, require
from isp_portal.wording import long_date, possessive
from sharing import rules
from sharing.models import Child, Involvement
from sharing.policy import require_open_record, shield_admits_involvement, shield_involvement_refusal
from sharing.services.checks import involvement_errors, reason_cleaned, service_cleaned
from sharing.services.children import acting_agency, refuse_merged
from sharing.services.shielding import shielded_involvement_added


@transaction.atomic
def involvement_add(
    *,
    actor: Any,
    child: Child,
    agency: Agency,
    service: str,
    lead_professional: Membership | None = None,
    is_key_contact: bool = False,
    started_on: date | None = None,
) -> Involvement:
    """Record that one of the actor's agencies works with a child already in the index (instead of creating a
    second entry). One open involvement per agency's service. On a shielded child only the shielding agency's
    (sharing.policy.shield_admits_involvement: NotPermitted otherwise, saying whom to contact), and its
    designated managers and admins are told of each one. The other agencies already involved are told of every
    involvement added (_involvement_notice). Audit: involvement.add (with how many were told).

    The child's row is locked first and every check reads the locked row: child_shield locks it too, so a shield
    set at the same moment either commits first (and this sees it and refuses) or waits for this involvement
    (and is set on a child whose involvements it then knows). A stale `child` passed in decides nothing."""
    # DESIGN 2.3 (the ContactPoint shield): the shield check must see the shield as it is now, not as the caller
    # read it; `of=("self",)` locks only the child, not the shielding agency read with it for the refusal.
    child = Child.objects.select_for_update(of=("self",)).select_related("shielding_agency").get(pk=child.pk)
    refuse_merged(child)  # merged while the caller's form was open (break10g finding 4)
    require(actor, "add_involvement", child)
    acting_agency(actor, agency)
    if not shield_admits_involvement(child, agency.pk):
        # The user practises for the shielding agency too (so the policy let them in), but adds another's.
        raise NotPermitted(
            action="add_involvement",
            target_type="sharing.child",
            target_id=str(child.pk),
            reason=shield_involvement_refusal(actor, child),
            child_id=child.pk,
        )
    today = timezone.localdate()
    started = started_on or today
    service = service_cleaned(service)
    errors = involvement_errors(
        agency=agency,
        service=service,
        lead_professional=lead_professional,
        is_key_contact=is_key_contact,
        started_on=started,
        today=today,
        born_on=child.born_on,
    )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            involvement = Involvement.objects.create(
                child=child,
                agency=agency,
                service=service,
                lead_professional=lead_professional,
                is_key_contact=is_key_contact,
                started_on=started,
                recorded_by=actor if isinstance(actor, User) else None,
            )
    except IntegrityError:
        raise ValidationError(
            {"service": f"{possessive(agency)} {service} is already involved with this child."}
        ) from None
    told = _involvement_notice(actor, child, agency, involvement)
    audit_record(
        kind="involvement.add",
        actor=actor,
        target=involvement,
        child_id=child.pk,
        detail={
            "agency_id": agency.pk,
            "lead_professional_id": lead_professional.pk if lead_professional else None,
            "told": told,
        },
    )
    if child.is_shielded and child.shielding_agency_id is not None:
        shielded_involvement_added(
            actor=actor,
            child_id=child.pk,
            agency_id=child.shielding_agency_id,
            involvement_id=involvement.pk,
            added=f"{agency}: {service}",
        )
    return involvement


def _involvement_notice(actor: Any, child: Child, agency: Agency, involvement: Involvement) -> int:
    """Tell the other agencies involved with the child now (open involvements of agencies other than `agency`)
    that `agency` recorded an involvement with it: their designated managers and the lead professionals of their
    involvements, people only (never a system account: an API token's user holds roles but reads nothing,
    DESIGN 4), never the actor. Any index agency may add its own involvement to an unshielded child (DESIGN 2.3:
    the practitioner adds their involvement instead of a second entry) and then change its minimum data or
    shield it (ChildPolicy `change`, `shield`), so the agencies already working with the child are told someone
    joined, once per involvement (the key), with a link to the child, whose record shows who, behind the policy.
    Returns how many were told. Two statements, one when nobody is to be told."""
    others = Involvement.objects.filter(child=child, ended_on__isnull=True).exclude(agency_id=agency.pk)
    recipients = (
        Membership.objects.filter(is_active=True, user__is_active=True, user__is_system=False)
        .filter(
            Q(agency_id__in=others.values("agency_id"), roles__overlap=[Role.DESIGNATED_MANAGER.value])
            | Q(pk__in=others.filter(lead_professional__isnull=False).values("lead_professional_id"))
        )
        .exclude(user_id=getattr(actor, "pk", None) or 0)
        .values_list("user_id", flat=True)
    )
    # Names the child by its index number and the day only: never the service, the agency or the person who
    # recorded it, as the consent and retention notices name none (the comment above
    # sharing.services.retention.LEAD; fix11h). A notice is an email too, read outside the policy (DESIGN 3.2), and
    # its recipients include designated managers who may not open the record (no valid training, a suspended
    # agency); which service is involved with a child ("Sexual health", "CAMHS") is the involvement DESIGN 2.3
    # lets the index show only behind the policy, on the record page, where the shield can still withhold it
    # (sharing.policy.shield_names_agency), and the agency or a person of it can say the same (b11k, issue 11).
    return notify_many(
        NotificationDraft(
            recipient_id=recipient_id,
            key=f"involvement-added:{involvement.pk}:user-{recipient_id}",
            subject=f"Another agency is now involved with child {child.pk}",
            body=(
                f"Another agency recorded its involvement with child {child.pk}, from "
                f"{long_date(involvement.started_on)}. Its people can now change the child's details. The child's "
                "record shows which agency, where you may see it."
            ),
            link=f"/children/{child.pk}/",
        )
        for recipient_id in sorted(set(recipients))
    )


@transaction.atomic
def involvement_end(*, actor: Any, involvement: Involvement, ended_on: date | None = None, reason: str) -> Involvement:
    """End an agency's involvement (its own practitioners). Audit: involvement.end."""
    # The child comes with it (not locked): the policy asks whether it is shielded (InvolvementPolicy.in_scope).
    involvement = Involvement.objects.select_related("child").select_for_update(of=("self",)).get(pk=involvement.pk)
    require(actor, "end", involvement)
    require_open_record(
        involvement.child, action="end", target=involvement, what="its involvements can no longer be changed."
    )
    today = timezone.localdate()
    ended = ended_on or today
    errors: dict[str, str] = {}
    if problem := rules.period_error(involvement.started_on, ended, today):
        errors["ended_on"] = problem
    reason = reason_cleaned(reason, errors, field="reason", missing="Say why the involvement ended.")
    if errors:
        raise ValidationError(errors)
    involvement.ended_on = ended
    involvement.end_reason = reason
    involvement.save(update_fields=["ended_on", "end_reason"])
    audit_record(kind="involvement.end", actor=actor, target=involvement, child_id=involvement.child_id)
    return involvement
