"""What every disclosures service asks before it writes: the one question to the agencies layer (may agency A send
or receive tier T today?), the protocol version two agencies share, the consent check, who may receive, and who is
told (design12 sections 4, 5.1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from agencies.identity import facts_annotations, remember_facts
from agencies.models import Agency, User
from agencies.policy import principal, sanctions_load, sharing_refusal
from agencies.selectors import designated_managers_of
from consent.selectors import ConsentAnswer, consent_covering, consent_records
from disclosures import rules
from disclosures.models import InformationRequest
from disclosures.services.erasure import ERASED
from isp_portal import rows
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import can
from isp_portal.workdays import Nation, nation_from
from protocols.models import IN_FORCE_STATUSES, ProtocolKind, ProtocolVersion
from sharing.models import Child, EntryRevision
from sharing.policy import index_agencies, restricted_readers, signatory_agencies_load


def agencies_refusal(*, sender: Agency, receiver: Agency, tiers: Iterable[str], on: date) -> str | None:
    """The first refusal of the sender to send, or the receiver to receive, any of `tiers`: the one question to the
    agencies layer (its standing, the sharing gate, and any sanction after a breach: agencies.policy.sharing_refusal),
    so the breaches issue's sanctions are enforced here by adding rows only."""
    ends: tuple[tuple[Agency, Literal["send", "receive"]], ...] = ((sender, "send"), (receiver, "receive"))
    sanctions_load([sender, receiver])  # both ends' sanctions in one statement
    for tier in sorted(set(tiers)):
        for agency, direction in ends:
            refusal = sharing_refusal(agency, tier=tier, direction=direction, on=on)  # design12 5.1
            if refusal:
                return refusal
    return None


def _shared_versions(first: int, second: int) -> QuerySet[ProtocolVersion]:
    general_first = Case(When(protocol__kind=ProtocolKind.GENERAL, then=Value(0)), default=Value(1))
    signed_by_second = ProtocolVersion.objects.filter(
        signatures__agency=second, signatures__withdrawn_at__isnull=True
    ).values("pk")
    return (
        ProtocolVersion.objects.filter(
            protocol__status__in=IN_FORCE_STATUSES,
            protocol__current_version=F("pk"),
            signatures__agency=first,
            signatures__withdrawn_at__isnull=True,
            pk__in=signed_by_second,
        )
        .select_related("protocol")
        .order_by(general_first, F("adoption__adopted_at").desc(nulls_last=True), "-pk")[:1]
    )


# Compiled once per process (isp_portal.rows.Compiled): asked at every request, answer and disclosure.
_SHARED_VERSION = rows.Compiled("shared_version", _shared_versions, first=rows.SLOT_ID, second=rows.SLOT_ID_2)


def shared_version(first: Agency, second: Agency) -> ProtocolVersion | None:
    """The protocol version both agencies share under now: the version in force of a protocol in force on which
    both hold a live signature (DESIGN 2.2). The general protocol's first (Haringey 2.1: an individual protocol
    supplements it), then the one adopted most recently, then the newest. One query."""
    found = _SHARED_VERSION.rows(first=int(first.pk), second=int(second.pk))
    return found[0] if found else None


def no_shared_version(first: Agency, second: Agency) -> str:
    return f"{first} and {second} have no protocol version in force that both have signed."


def consent_answers(
    *, child: Child, tiers: Iterable[str], agency: Agency, purpose: str, at: datetime | None = None
) -> list[tuple[str, ConsentAnswer]]:
    """The consent check for each tier, detailed and sensitive first (the stricter answer is the one recorded)."""
    ordered = sorted(set(tiers), key=lambda tier: tier != rules.Tier.SENSITIVE)
    records = consent_records(child) if len(ordered) > 1 else None  # read once for every tier
    return [
        (tier, consent_covering(child=child, tier=tier, agency=agency, purpose=purpose, at=at, records=records))
        for tier in ordered
    ]


def consent_refusal(answers: Sequence[tuple[str, ConsentAnswer]]) -> str | None:
    """The message of the first tier consent does not cover (e.g. withdrawn a minute ago), or None."""
    for _tier, answer in answers:
        if not answer.covered:
            return answer.message
    return None


def latest_revisions(entry_ids: Iterable[int]) -> dict[int, EntryRevision]:
    """The latest revision of each entry (entry id -> revision, its author loaded): what a disclosure made now would
    carry, offered by the selectors (entries_to_disclose) and taken by the services (answers.chosen_entries, after
    locking the entries, so no correction slips in between). One query."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    return {revision.entry_id: revision for revision in _LATEST_REVISIONS.rows(ids=ids)}


# Compiled once per process (isp_portal.rows.Compiled), the ids bound as one array: asked at every answer.
_LATEST_REVISIONS = rows.Compiled(
    "latest_revisions",
    lambda ids: (
        EntryRevision.objects.filter(rows.any_of("entry_id", ids))
        .select_related("author")
        .order_by("entry_id", "-number")
        .distinct("entry_id")
    ),
    ids=rows.SLOT_IDS,
)


def nation() -> Nation:
    """The bank holidays working days are counted by (settings.BANK_HOLIDAY_NATION)."""
    return nation_from(settings.BANK_HOLIDAY_NATION)


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def recipient_refusal(
    user: User, *, agency: Agency, child: Child, restricted_entry_agencies: Iterable[int]
) -> str | None:
    """Why `user` cannot receive this disclosure (None when they can): a person (DESIGN 4: system accounts are never
    recipients), an active member of the receiving agency with index access (trained, signed), and for a restricted
    entry authorised for restricted information (WYCPS; Barnet) - otherwise their grant would be dead and the
    disclosure a lie."""
    if user.is_system:
        return f"{user} is an agency system, not a person: disclosures are made to people."
    # The user's active memberships, as their principal holds them (one statement, which the index check below
    # needs anyway): the same rows as Membership(user, agency, is_active).
    if not user.is_active or principal(user).membership_in(agency.pk) is None:
        return f"{user} is not one of the people of {agency}."
    if agency.pk not in index_agencies(user):
        return f"{user} cannot use the child index for {agency} (training, signature or the agency's standing)."
    for agency_id in set(restricted_entry_agencies):
        if not restricted_readers(user, child.area_id, agency_id):
            return (
                f"An entry is restricted: only people authorised for restricted information may receive it, and "
                f"{user} is not."
            )
    return None


def designated_managers(agency_id: int) -> list[int]:
    return list(designated_managers_of([agency_id]).values_list("user_id", flat=True))


def tell(user_ids: Iterable[int], *, key: str, subject: str, body: str, link: str = "", email: bool = True) -> int:
    """Notify each person once per key (isp_portal.notifications: one INSERT, ON CONFLICT DO NOTHING)."""
    return notify_many(
        NotificationDraft(user_id, f"{key}-{user_id}", subject, body, link, email) for user_id in sorted(set(user_ids))
    )


# The agency's designated managers with the memberships and training the approval's policy asks about, in one
# statement compiled once per process (isp_portal.rows.Compiled), rather than one or more for each of them.
_APPROVERS = rows.Compiled(
    "approval_candidates",
    lambda agency, today: (
        User.objects.filter(pk__in=designated_managers_of([agency]).values("user_id"))
        .annotate(**facts_annotations("pk", today=today))
        .order_by("pk")
    ),
    agency=rows.SLOT_ID,
    today=rows.SLOT_DAY,
)


def ask_approval(request: InformationRequest, *, agency_id: int, subject: str) -> int:
    """Tell the designated managers of `agency_id` who may approve the disclosure `request` waits for - as the policy
    decides (disclosures.policy: never the requester or the discloser, Haringey 4.6-4.7; for a restricted entry
    only a manager authorised for restricted information, WYCPS) - that it waits for them; once each per request.
    A manager the policy would refuse is not asked."""
    candidates = _APPROVERS.rows(agency=int(agency_id), today=timezone.localdate())
    for manager in candidates:
        remember_facts(manager, manager)  # read with them: the policy asks no statement per manager for these
    signatory_agencies_load(candidates)  # and their agencies' signatures, one statement for them all
    return tell(
        [manager.pk for manager in candidates if can(manager, "approve", request)],
        key=f"approval-{request.pk}",
        subject=subject,
        body=(
            "Detailed and sensitive information is to be shared without consent: a designated manager must approve it."
        ),
        link=request_link(request),
    )


def request_link(request: InformationRequest) -> str:
    return f"/requests/{request.pk}/"


def errors_or_none(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


def user_of(actor: Any) -> User:
    """The person (or agency system) acting: requests and answers name a user row."""
    if not isinstance(actor, User):
        raise ValidationError("Requests and disclosures are made by people of an agency, not by the portal itself.")
    return actor


# --- No new free text about an erased record (Southampton 6, 8; breakt13g F1-F3) ----------------------------------

ERASED_RECORD = (
    "This child's record was erased at the end of its retention period, so nothing new may be written about it here."
)


def text_about(child: Child, text: str, *, field: str, closes: bool = False) -> str:
    """The one rule "no new free text about an erased record": the erasure (disclosures.services.erasure) erased
    every free text about the child once, so a text written afterwards would be kept in full for good. While the
    record is not erased, `text` itself. Once it is (`child.erased_at`; the entries merged into it are marked with
    it): an action that only closes or moves on a workflow (`closes`: acknowledging a correction, escalating or
    withdrawing a dispute, declining or withdrawing a request or an onward request, declining to approve, rejecting
    a report; docs/rules.md lists the callers) is still taken, so nothing is left waiting and chased for ever, its
    text stored as ERASED (a blank optional text stays blank); any other action is refused:
    ValidationError {field: ERASED_RECORD}, raised before anything is written (a page's field error or the API's
    400, recorded as a refused request by isp_portal.refusals)."""
    return text_after_erasure(child.erased_at, text, field=field, closes=closes)


def text_after_erasure(erased_at: datetime | None, text: str, *, field: str, closes: bool = False) -> str:
    """text_about for a caller holding only the child's `erased_at` (a locked read of that column alone)."""
    if erased_at is None:
        return text
    if closes:
        return ERASED if text else text
    raise ValidationError({field: ERASED_RECORD})
