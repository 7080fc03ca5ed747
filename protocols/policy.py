"""Who may do what with protocols, and the one question the sharing app asks: under which protocol
version, if any, may agency A share with agency B for purpose P (DESIGN 2.2, 3.2)?"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Agency, Role
from agencies.policy import (
    administered_refusal,
    agency_can_share,
    has_any_role,
    is_agency_admin,
    is_partnership_admin,
    may_act_for,
    member_refusal,
    principal,
    refusal_for,
)
from agencies.rules import AgencyAct
from isp_portal.policy import NotPermitted, Policy, SystemActor, register
from isp_portal.wording import long_date
from protocols.models import (
    IN_FORCE_STATUSES,
    AuditExtract,
    Consultation,
    ConsultationResponse,
    Meeting,
    Protocol,
    ProtocolAudit,
    ProtocolVersion,
    Review,
    ReviewAction,
    Signature,
)


def acting_agencies(user: Any) -> Any:
    """The agencies on whose behalf `user` may act in the protocols' records (give notice of an audit,
    for example): any agency for a partnership admin (or the portal itself), else the agencies they
    administer. The page's choices and the service's check both come from here, so they cannot disagree."""
    if isinstance(user, SystemActor) or is_partnership_admin(user):
        return Agency.objects.order_by("name")
    return Agency.objects.filter(pk__in=_acting_agencies(user)).order_by("name")


def require_acting_for(user: Any, agency: Agency, action: str) -> None:
    """Raise NotPermitted (403) unless `user` may act for `agency` (see acting_agencies)."""
    if isinstance(user, SystemActor) or is_partnership_admin(user):
        return
    if is_agency_admin(user, agency.pk):
        # Its admins act for it only while its standing lets it take part (issue 8, item 4).
        why = member_refusal(user, agency.pk, AgencyAct.TAKE_PART)
        if why is None:
            return
    else:
        why = f"Only the admins of {agency} or a partnership admin can do this on its behalf."
    raise NotPermitted(action=action, target_type="agencies.agency", target_id=str(agency.pk), reason=why)


def _role_holders(user: Any) -> Q | None:
    return Q() if has_any_role(user) else None


class _PartnershipRecord(Policy[Any]):
    """Protocol records are open to every member of the partnership; partnership admins keep them."""

    manage_actions: frozenset[str] = frozenset({"create", "change"})

    def scope(self, user: Any, action: str) -> Q | None:
        return _role_holders(user) if action == "view" else (Q() if is_partnership_admin(user) else None)

    def in_scope(self, user: Any, obj: Any) -> bool:
        return has_any_role(user)

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "view":
            return has_any_role(user)
        return action in self.manage_actions and is_partnership_admin(user)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        return "Only partnership admins can do this."


@register
class ProtocolPolicy(_PartnershipRecord):
    model = Protocol
    manage_actions = frozenset(
        {"create", "change", "new_version", "transition", "adopt", "open_consultation", "schedule_review", "audit"}
    )

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "sign":
            # An agency's admin records its authorised signatory's signature (Haringey 13), for an agency
            # that may take part in the protocol (issue 8, item 4), and only a protocol in force is signed.
            return obj is not None and obj.is_in_force and bool(_acting_agencies(user))
        if action == "audit":
            # Haringey 5.7: the protocol is subject to audit by any partner organisation.
            return is_partnership_admin(user) or bool(_acting_agencies(user))
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "sign" and obj is not None and not obj.is_in_force:
            return f"{obj} is {obj.get_status_display().lower()}: only a protocol in force can be signed."
        if action in {"sign", "audit"} and (why := administered_refusal(user, AgencyAct.TAKE_PART)):
            return why
        if action == "sign":
            return "Only an agency's admin can record its signature."
        if action == "audit":
            return "Only a partnership admin or an agency's admin can give notice of an audit."
        return super().reason(user, action, obj)


def _acting_agencies(user: Any) -> list[int]:
    """The agencies the user administers that may take part in the protocol."""
    return [
        agency_id
        for agency_id in principal(user).agencies_with(Role.AGENCY_ADMIN)
        if may_act_for(user, agency_id, AgencyAct.TAKE_PART)
    ]


@register
class ProtocolVersionPolicy(_PartnershipRecord):
    model = ProtocolVersion


@register
class SignaturePolicy(_PartnershipRecord):
    """The register of signatures is open to all partners; an agency's admin (or a partnership admin)
    withdraws its signature."""

    model = Signature

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "withdraw" and obj is not None:
            return obj.withdrawn_at is None and (is_partnership_admin(user) or is_agency_admin(user, obj.agency_id))
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "withdraw" and obj is not None and obj.withdrawn_at is not None:
            return f"This signature was withdrawn on {long_date(obj.withdrawn_at)}: there is nothing left to withdraw."
        if action == "withdraw":
            return "Only the agency's admins or a partnership admin can withdraw its signature."
        return super().reason(user, action, obj)


def may_respond_for(user: Any, agency_id: int) -> bool:
    """Buckinghamshire 1-2: the agency's nominated representative answers; its admins can too; only for an
    agency that may take part in the protocol (a suspended agency's answer would count toward the tally
    and the quorum: issue 8, item 4)."""
    return _represents(user, agency_id) and may_act_for(user, agency_id, AgencyAct.TAKE_PART)


def _represents(user: Any, agency_id: int) -> bool:
    return any(
        membership.agency_id == agency_id
        and (Role.AGENCY_ADMIN in membership.roles or membership.is_nominated_representative)
        for membership in principal(user).memberships
    )


def respond_refusal(user: Any, agency_ids: list[int]) -> str | None:
    """Why the user may not answer for any of these agencies because of its standing (None otherwise)."""
    for agency_id in agency_ids:
        if _represents(user, agency_id):
            why = member_refusal(user, agency_id, AgencyAct.TAKE_PART)
            if why:
                return why
    return None


@register
class ConsultationPolicy(_PartnershipRecord):
    model = Consultation
    manage_actions = frozenset({"create", "change", "decide"})

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "respond" and obj is not None:
            return obj.status == "open" and any(
                may_respond_for(user, agency_id) for agency_id in _circulated_agencies(obj)
            )
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "respond" and obj is not None and obj.status != "open":
            return f"Responses closed on {long_date(obj.deadline)}."
        if action == "respond":
            if obj is not None and (why := respond_refusal(user, _circulated_agencies(obj))):
                return why
            return "Only the nominated representative or an admin of a circulated agency can respond, while it is open."
        return super().reason(user, action, obj)


def _circulated_agencies(consultation: Consultation) -> list[int]:
    cached = getattr(consultation, "_circulated", None)
    if cached is None:
        cached = list(consultation.responses.values_list("agency_id", flat=True))
        consultation._circulated = cached  # type: ignore[attr-defined]
    return cached


@register
class ConsultationResponsePolicy(_PartnershipRecord):
    """Anyone in the partnership sees the responses; only the agency's representative answers for it."""

    model = ConsultationResponse

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "respond" and obj is not None:
            return may_respond_for(user, obj.agency_id)
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "respond":
            if obj is not None and (why := respond_refusal(user, [obj.agency_id])):
                return why
            return "Only the agency's nominated representative or its admins can respond for it."
        return super().reason(user, action, obj)


@register
class ReviewPolicy(_PartnershipRecord):
    """Reviews are run by partnership admins and the officers agreed for them (Haringey 5.2)."""

    model = Review

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action in {"complete", "add_action"} and obj is not None:
            if obj.status != "scheduled" and action == "complete":
                return False
            return is_partnership_admin(user) or obj.officers.filter(pk=getattr(user, "pk", None)).exists()
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "complete" and obj is not None and obj.status != "scheduled":
            return "This review has already been completed."
        if action in {"complete", "add_action"}:
            return "Only the review's officers or a partnership admin can record it."
        return super().reason(user, action, obj)


@register
class ReviewActionPolicy(_PartnershipRecord):
    model = ReviewAction

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "update" and obj is not None:
            return (is_partnership_admin(user) or is_agency_admin(user, obj.owner_agency_id)) and (
                refusal_for(user, obj.owner_agency_id, lambda: obj.owner_agency, AgencyAct.TAKE_PART) is None
            )
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "update" and obj is not None:
            why = refusal_for(user, obj.owner_agency_id, lambda: obj.owner_agency, AgencyAct.TAKE_PART)
            if why:
                return why
        return "Only the owning agency's admins or a partnership admin can update this action."


@register
class ProtocolAuditPolicy(_PartnershipRecord):
    model = ProtocolAudit

    def permits(self, user: Any, action: str, obj: Any) -> bool:
        if action == "create":
            # Haringey 5.7: any partner may audit; the same people ProtocolPolicy lets "audit" a protocol.
            return is_partnership_admin(user) or bool(_acting_agencies(user))
        if action == "share_extract" and obj is not None:
            return (is_partnership_admin(user) or is_agency_admin(user, obj.auditing_agency_id)) and (
                refusal_for(user, obj.auditing_agency_id, lambda: obj.auditing_agency, AgencyAct.TAKE_PART) is None
            )
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Any) -> str:
        if action == "create":
            # The same question ProtocolPolicy answers for "audit" (the page's and the API's refusals agree):
            # an agency admin whose agencies may not take part is told its standing rule.
            return ProtocolPolicy().reason(user, "audit", None)
        if action == "share_extract" and obj is not None:
            why = refusal_for(user, obj.auditing_agency_id, lambda: obj.auditing_agency, AgencyAct.TAKE_PART)
            if why:
                return why
        return "Only the auditing agency's admins or a partnership admin can do this."


@register
class AuditExtractPolicy(Policy[AuditExtract]):
    """Haringey 5.10: draft extracts are shared only with the partners they name (their admins), the
    auditing agency's admins and partnership admins."""

    model = AuditExtract

    def scope(self, user: Any, action: str) -> Q | None:
        if is_partnership_admin(user):
            return Q()
        admin_of = principal(user).agencies_with(Role.AGENCY_ADMIN)
        if not admin_of:
            return None
        # A subquery, not a join across the many-to-many: an extract naming several of the user's
        # agencies must come back once (get_or_deny would otherwise find it twice).
        named = AuditExtract.named_agencies.through.objects.filter(agency_id__in=admin_of).values("auditextract_id")
        return Q(pk__in=named) | Q(audit__auditing_agency_id__in=admin_of)

    def in_scope(self, user: Any, obj: AuditExtract) -> bool:
        if is_partnership_admin(user):
            return True
        admin_of = principal(user).agencies_with(Role.AGENCY_ADMIN)
        return obj.audit.auditing_agency_id in admin_of or obj.named_agencies.filter(pk__in=admin_of).exists()

    def permits(self, user: Any, action: str, obj: AuditExtract | None) -> bool:
        if obj is None:
            return False
        if action == "view":
            return True
        if action == "respond":
            admin_of = _acting_agencies(user)
            return obj.named_agencies.filter(pk__in=admin_of).exists()
        return False

    def reason(self, user: Any, action: str, obj: AuditExtract | None) -> str:
        if action == "respond" and obj is not None:
            named = set(obj.named_agencies.values_list("pk", flat=True))
            for agency_id in principal(user).agencies_with(Role.AGENCY_ADMIN) & named:
                if why := member_refusal(user, agency_id, AgencyAct.TAKE_PART):
                    return why
        return "Only the admins of an agency named in this extract can respond to it."


@register
class MeetingPolicy(_PartnershipRecord):
    model = Meeting
    manage_actions = frozenset({"create", "change", "circulate"})


# --- The question the sharing app asks -----------------------------------------------------------------


def sharing_protocol_version(
    sender: Agency, recipient: Agency, purpose: str, today: date | None = None
) -> ProtocolVersion | None:
    """The protocol version in force under which `sender` may share with `recipient` for `purpose`, or None.

    Sharing needs both agencies able to share (active, ICO registration in force) and a live signature of
    each on the current version of a protocol in force (active, or under review or consultation, when that
    version stays in force) whose
    permitted purposes include `purpose` (DESIGN 2.2: "sharing is only possible between agencies with a
    live signature on an active protocol"). The disclosure cites the version returned."""
    today = today or timezone.localdate()
    if not (agency_can_share(sender, today) and agency_can_share(recipient, today)):
        return None
    candidates = (
        ProtocolVersion.objects.filter(
            protocol__status__in=IN_FORCE_STATUSES,
            protocol__current_version=F("pk"),
            permitted_purposes__contains=[purpose],
        )
        .filter(signatures__agency=sender, signatures__withdrawn_at__isnull=True)
        .filter(signatures__agency=recipient, signatures__withdrawn_at__isnull=True)
        .order_by("protocol__title")
    )
    return candidates.first()
