"""Reads of indemnity notices (Haringey 11.1; issue 14): every read starts from the policy's `restrict` and costs a
constant number of statements whatever the number of notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from agencies.models import Agency
from breaches import rules
from breaches.indemnity_policy import respond_refusal
from breaches.models import Breach, IndemnityNotice, Obligation, ObligationState
from breaches.policy import speaking_agencies
from isp_portal.policy import get_or_deny, restrict
from protocols.models import Protocol, Signature

LIST_SIZE = 100
# The breaches the new-notice form offers to link (the reader's most recent ones).
BREACHES_OFFERED = 50


@dataclass(frozen=True)
class NoticeView:
    """A notice with its answer's obligation: due, done, how late."""

    notice: IndemnityNotice
    obligation: Obligation | None
    now: datetime

    @property
    def state(self) -> str:
        """open, overdue or done: overdue as soon as the due time has passed (the sweep marks the row later)."""
        if self.obligation is None or self.obligation.state == ObligationState.DONE:
            return ObligationState.DONE.value
        if self.now > self.obligation.due_at:
            return ObligationState.OVERDUE.value
        return ObligationState.OPEN.value

    @property
    def state_label(self) -> str:
        return {"open": "Awaiting an answer", "overdue": "Answer overdue", "done": "Answered"}[self.state]

    @property
    def late(self) -> timedelta | None:
        if self.obligation is None:
            return None
        return rules.lateness(self.obligation.due_at, self.obligation.completed_at, now=self.now)

    @property
    def lateness(self) -> str:
        return rules.lateness_words(self.late)

    @property
    def due_at(self) -> datetime | None:
        return self.obligation.due_at if self.obligation is not None else None


def _with_obligation(rows: QuerySet[IndemnityNotice]) -> QuerySet[IndemnityNotice]:
    return rows.select_related("suffering_agency", "contributor_agency", "council_agency").prefetch_related(
        Prefetch("obligations", queryset=Obligation.objects.order_by("pk"), to_attr="answer_obligations")
    )


def _view(notice: IndemnityNotice, now: datetime) -> NoticeView:
    found = getattr(notice, "answer_obligations", [])
    return NoticeView(notice, found[0] if found else None, now)


def notices_mine(user: Any, *, limit: int = LIST_SIZE) -> list[NoticeView]:
    """The notices the user may see, newest first (LIST_SIZE at most). Two statements."""
    now = timezone.now()
    rows = _with_obligation(restrict(user, "view", IndemnityNotice)).order_by("-sent_at", "-pk")[:limit]
    return [_view(notice, now) for notice in rows]


@dataclass(frozen=True)
class NoticePage:
    view: NoticeView
    respond_refusal: str | None
    breach_visible: bool


def notice_page(user: Any, pk: Any) -> NoticePage:
    """One notice for its page and the API: out of scope 404. Four statements at most."""
    notice = get_or_deny(
        user,
        _with_obligation(IndemnityNotice.objects.all()).select_related("protocol", "sent_by", "responded_by", "breach"),
        pk=pk,
    )
    view = _view(notice, timezone.now())
    refusal = respond_refusal(user, notice)
    if refusal is None and notice.responded_at is not None:
        refusal = "This notice has been answered; it is answered once."
    breach_visible = (
        notice.breach_id is not None and restrict(user, "view", Breach).filter(pk=notice.breach_id).exists()
    )
    return NoticePage(view, refusal, breach_visible)


@dataclass(frozen=True)
class SendChoices:
    """What the new-notice form offers: the protocols the sender's agencies signed, the agencies it speaks for, the
    other signatories, and the breaches of those protocols the sender can see."""

    protocols: list[tuple[int, str]]
    senders: list[tuple[int, str]]
    contributors: list[tuple[int, str]]
    breaches: list[tuple[int, str]]


def send_choices(user: Any) -> SendChoices:
    """Four statements."""
    mine = speaking_agencies(user)
    # Live signatures on each protocol's version in force: its partners now.
    live = Signature.objects.filter(withdrawn_at__isnull=True, protocol__current_version_id=F("version_id"))
    protocol_ids = set(live.filter(agency_id__in=mine).values_list("protocol_id", flat=True))
    protocols = list(Protocol.objects.filter(pk__in=protocol_ids).order_by("title").values_list("pk", "title"))
    agencies = dict(
        Agency.objects.filter(signatures__in=live.filter(protocol_id__in=protocol_ids))
        .distinct()
        .order_by("name")
        .values_list("pk", "name")
    )
    senders = [(pk, name) for pk, name in sorted(agencies.items(), key=lambda kv: kv[1]) if pk in mine]
    contributors = sorted(agencies.items(), key=lambda kv: kv[1])
    breaches = [
        (breach.pk, f"{breach.reference}: {breach.alleged_agency.name}")
        for breach in restrict(user, "view", Breach)
        .filter(protocol_id__in=protocol_ids)
        .select_related("alleged_agency")
        .order_by("-reported_at", "-pk")[:BREACHES_OFFERED]
    ]
    return SendChoices(protocols, senders, contributors, breaches)
