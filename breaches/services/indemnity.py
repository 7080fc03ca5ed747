"""Indemnity notices (Haringey 11.1(a)-(b); issue 14): a suffering partner tells the alleged contributor in writing
of a claim it may contribute to, and the Council too unless the Council is either of them; the contributor answers
in writing within four days, an Obligation swept like the breach steps (breaches.rules.indemnity_response_due).

Each service is one transaction: the notice, its obligation, the notifications and the audit event commit together
or not at all.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import Agency, AgencyKind, AgencyStatus, Membership, User
from audit.services import audit_record
from breaches import rules
from breaches.models import Breach, IndemnityNotice, Obligation, ObligationKind
from breaches.policy import speaking_agencies
from breaches.services.breaches import ANCHOR_NOTICE, _complete, _nation, _speakers, obligation_build, written
from isp_portal.notifications import notify_selected
from isp_portal.policy import NotPermitted, require, restrict
from isp_portal.wording import long_datetime
from protocols.models import Protocol, Signature


def indemnity_link(notice: IndemnityNotice) -> str:
    return f"/breaches/indemnity/{notice.pk}/"


def _signatories(protocol: Protocol) -> QuerySet[Signature]:
    """The live signatures on the protocol's version in force: its partners now."""
    return Signature.objects.filter(version_id=protocol.current_version_id, withdrawn_at__isnull=True)


def council_of(protocol: Protocol) -> Agency | None:
    """The Council of Haringey 11.1(a) for a notice under `protocol`: its local-authority signatory, and when several
    local authorities signed it (neighbouring councils), the one whose area most of the protocol's partners work in
    (the partnership's own council), then the first to sign. None when no local authority signed it. One query."""
    signatures = list(
        _signatories(protocol)
        .filter(agency__status=AgencyStatus.ACTIVE)
        .select_related("agency")
        .order_by("signed_at", "agency__name", "pk")
    )
    partners_in = Counter(signature.agency.area_id for signature in signatures if signature.agency.area_id)
    councils = [s for s in signatures if s.agency.kind == AgencyKind.LOCAL_AUTHORITY]
    if not councils:
        return None
    # max() keeps the first of equals: the earliest signature among the councils of the busiest area.
    return max(councils, key=lambda s: partners_in.get(s.agency.area_id, 0) if s.agency.area_id else 0).agency


def _suffering_agency(actor: Any, chosen: Agency | None) -> Agency | None:
    """The partner the actor writes for: the one chosen among those they speak for, else their only one."""
    mine = speaking_agencies(actor)
    if chosen is not None:
        if chosen.pk not in mine:
            raise ValidationError({"suffering_agency": "Choose an agency you speak for in the breach procedure."})
        return chosen
    if len(mine) == 1:
        return Agency.objects.get(pk=next(iter(mine)))
    raise ValidationError({"suffering_agency": "Choose the agency you send the notice for."})


@transaction.atomic
def indemnity_notice_send(
    *,
    actor: Any,
    protocol: Protocol,
    contributor_agency: Agency,
    details: str,
    suffering_agency: Agency | None = None,
    breach: Breach | None = None,
) -> IndemnityNotice:
    """Notify `contributor_agency` in writing of an indemnity event it is alleged to have contributed to (Haringey
    11.1(a)), with full details, optionally naming the breach it arises from; the Council (council_of) is told as
    well unless it is either party. Opens the answer's obligation, due by the end of the fourth day (11.1(b)), with
    the contributor responsible, and tells the people who speak for the contributor and the Council at once.

    Raises ValidationError keyed by field (no details, the contributor the sender itself, a party that has not
    signed the protocol, a breach of another protocol or out of the sender's sight) and NotPermitted when the
    actor may not send one."""
    require(actor, "create", IndemnityNotice)
    if not isinstance(actor, User):
        raise NotPermitted(action="create", target_type="breaches.indemnitynotice", reason="A person sends it.")
    errors: dict[str, str] = {}
    sender: Agency | None = None
    try:
        sender = _suffering_agency(actor, suffering_agency)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    try:
        details = written(details, field="details", missing="Give full details of the indemnity event and the claim.")
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    signed = set(_signatories(protocol).values_list("agency_id", flat=True))
    if sender is not None and sender.pk not in signed:
        errors["protocol"] = f"{sender.name} has not signed {protocol.title}: choose a protocol it has signed."
    if sender is not None and contributor_agency.pk == sender.pk:
        errors["contributor_agency"] = "Choose another partner agency: a notice goes to the alleged contributor."
    elif contributor_agency.pk not in signed:
        errors["contributor_agency"] = f"{contributor_agency.name} has not signed {protocol.title}."
    if breach is not None:
        if not restrict(actor, "view", Breach).filter(pk=breach.pk).exists():
            errors["breach"] = "Choose a breach you can see, or none."
        elif breach.protocol_id != protocol.pk:
            errors["breach"] = f"Breach {breach.reference} is of another protocol: choose one of {protocol.title}."
    if errors:
        raise ValidationError(errors)
    assert sender is not None
    council = council_of(protocol)
    if council is not None and council.pk in (sender.pk, contributor_agency.pk):
        council = None  # 11.1(a): "provided the Council is neither the Suffering Partner nor an Alleged Contributor"
    now = timezone.now()
    notice = IndemnityNotice.objects.create(
        protocol=protocol,
        suffering_agency=sender,
        contributor_agency=contributor_agency,
        council_agency=council,
        breach=breach,
        details=details,
        sent_by=actor,
        sent_at=now,
    )
    due_at = rules.indemnity_response_due(now)
    obligation_build(
        indemnity_notice=notice,
        kind=ObligationKind.INDEMNITY_RESPONSE,
        anchor=ANCHOR_NOTICE,
        anchor_at=now,
        due_at=due_at,
        responsible_agency_id=contributor_agency.pk,
        nation=_nation(),
    ).save()
    audit_record(
        kind="breach.indemnity.send",
        actor=actor,
        target=notice,
        detail={
            "suffering_agency": sender.pk,
            "contributor_agency": contributor_agency.pk,
            "council_agency": council.pk if council is not None else None,
            "breach": breach.pk if breach is not None else None,
            "protocol": protocol.pk,
            "due_at": due_at.isoformat(),
        },
    )
    told = [contributor_agency.pk] + ([council.pk] if council is not None else [])
    notify_selected(
        _speakers(told).exclude(user_id=actor.pk).values("user_id"),
        key=f"indemnity-{notice.pk}-sent",
        subject=f"Indemnity notice from {sender.name}",
        body=(
            f"{sender.name} has notified {contributor_agency.name} of a claim it may contribute to (the protocol, "
            f"section 11.1(a)). {contributor_agency.name} must answer in writing by {long_datetime(due_at)}."
        ),
        link=indemnity_link(notice),
    )
    return notice


def _tell_sender(notice: IndemnityNotice, responder: User) -> None:
    recipients: QuerySet[Membership] = _speakers([notice.suffering_agency_id]) | Membership.objects.filter(
        user_id=notice.sent_by_id, is_active=True, user__is_active=True
    )
    notify_selected(
        recipients.exclude(user_id=responder.pk).values("user_id"),
        key=f"indemnity-{notice.pk}-answered",
        subject=f"{notice.contributor_agency.name} has answered your indemnity notice",
        body="The alleged contributor has answered your indemnity notice in writing (the protocol, section 11.1(b)).",
        link=indemnity_link(notice),
    )


@transaction.atomic
def indemnity_notice_respond(*, actor: Any, notice: IndemnityNotice, response: str) -> IndemnityNotice:
    """The alleged contributor's written answer (Haringey 11.1(b)), once: completes the obligation now (a late
    answer stays late) and tells the suffering partner. Raises NotPermitted for anyone but the people who speak
    for the contributor, ValidationError keyed by `response` when empty, too long or already given."""
    notice = (
        IndemnityNotice.objects.select_for_update(of=("self",))
        .select_related("contributor_agency", "suffering_agency")
        .get(pk=notice.pk)
    )
    require(actor, "respond", notice)
    if notice.responded_at is not None:
        raise ValidationError(
            {"response": f"This notice was answered on {long_datetime(notice.responded_at)}; it is answered once."}
        )
    response = written(response, field="response", missing="Write your answer to the notice.")
    if not isinstance(actor, User):
        raise NotPermitted(action="respond", target_type="breaches.indemnitynotice", reason="A person answers it.")
    obligation = (
        Obligation.objects.select_for_update()
        .filter(indemnity_notice=notice, kind=ObligationKind.INDEMNITY_RESPONSE)
        .first()
    )
    if obligation is None:
        raise ValidationError({"response": "This notice has no answer to give."})
    now = timezone.now()
    notice.response = response
    notice.responded_by = actor
    notice.responded_at = now
    notice.save(update_fields=["response", "responded_by", "responded_at"])
    obligation.indemnity_notice = notice
    _complete(obligation, actor=actor, at=now)
    audit_record(
        kind="breach.indemnity.respond",
        actor=actor,
        target=notice,
        detail={"late": now > obligation.due_at, "due_at": obligation.due_at.isoformat()},
    )
    _tell_sender(notice, actor)
    return notice
