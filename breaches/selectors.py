"""Reads of breaches that depend on who reads them (issue 14; DESIGN 3.1): the list, one breach's page with its
obligations, the children affected as the sharing policy lets the reader see them, the steps the reader may take,
the choices of the reporting form, and the reader's open obligations for the dashboard. Each starts from
`policy.restrict`; each costs a fixed number of statements whatever the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import Agency
from agencies.policy import is_partnership_admin, principal
from breaches import rules
from breaches.models import Breach, Obligation, ObligationKind, ObligationState
from breaches.policy import speaking_agencies
from isp_portal import policy
from protocols.models import Protocol, ProtocolStatus, Signature

# The most breaches the list shows (newest first); the central register (its own page) filters the rest.
LIST_SIZE = 200
# The open obligations the dashboard panel lists (due soonest first).
PANEL_SIZE = 10

# Which step each form and endpoint completes, in the order the breach page offers them.
STEPS: dict[str, ObligationKind] = {
    "notify-partners": ObligationKind.NOTIFY_PARTNERS,
    "report": ObligationKind.BREACH_REPORT,
    "ico-decision": ObligationKind.ICO_DECISION,
    "ico-notification": ObligationKind.ICO_NOTIFIED,
}
OPEN_STATES = (ObligationState.OPEN, ObligationState.OVERDUE)


def breaches_visible(user: Any) -> list[Breach]:
    """The breaches `user` may see (breaches.policy.breach_scope), newest first. One statement."""
    return list(
        policy.restrict(user, "view", Breach)
        .select_related("alleged_agency", "reporting_agency", "protocol")
        .order_by("-reported_at", "-pk")[:LIST_SIZE]
    )


@dataclass(frozen=True)
class ObligationRow:
    """One step of a breach as its page, its timeline and the API show it: the anchor in words and as a date, the
    due time, the state, when and by whom it was done, and how late (frozen at the completion: rules.lateness)."""

    obligation: Obligation
    kind: str
    label: str
    anchor: str
    anchor_at: datetime
    due_at: datetime
    due_on: Any
    hour_based: bool
    state: str
    state_label: str
    completed_at: datetime | None
    completed_by: str
    late: Any
    late_words: str
    responsible: str


def _responsible(obligation: Obligation) -> str:
    if obligation.responsible_agency is not None:
        return obligation.responsible_agency.name
    return "The partnership admins"


def obligation_rows(obligations: list[Obligation], now: datetime) -> list[ObligationRow]:
    """The rows of a breach's obligations in the procedure's order (rules.OBLIGATION_ORDER), then by due time."""
    order = {kind.value: index for index, kind in enumerate(rules.OBLIGATION_ORDER)}
    rows = []
    for obligation in sorted(obligations, key=lambda o: (order.get(o.kind, 99), o.due_at)):
        late = rules.lateness(obligation.due_at, obligation.completed_at, now=now)
        done = obligation.state == ObligationState.DONE
        # A step still open past its due time is overdue whatever the sweep has stamped so far.
        state = obligation.state if done or late is None else ObligationState.OVERDUE
        rows.append(
            ObligationRow(
                obligation=obligation,
                kind=obligation.kind,
                label=obligation.get_kind_display(),
                anchor=obligation.anchor,
                anchor_at=obligation.anchor_at,
                due_at=obligation.due_at,
                due_on=obligation.due_on,
                hour_based=obligation.kind in (ObligationKind.ICO_DECISION, ObligationKind.ICO_NOTIFIED),
                state=str(state),
                state_label=ObligationState(state).label,
                completed_at=obligation.completed_at,
                completed_by=obligation.completed_by.full_name if obligation.completed_by else "",
                late=late,
                late_words=rules.lateness_words(late) if (done or late is not None) else "",
                responsible=_responsible(obligation),
            )
        )
    return rows


@dataclass(frozen=True)
class BreachPage:
    breach: Breach
    rows: list[ObligationRow]
    # The children affected that the reader may see (the sharing policy); how many more there are is not said.
    children: list[Any]
    # The steps (STEPS keys) the reader may take now.
    actions: list[str]


def breach_found(user: Any, pk: Any, *, action: str = "view") -> Breach:
    """The breach by id through the reader's scope (404 out of it, recorded), with what its pages show."""
    return policy.get_or_deny(
        user,
        Breach.objects.select_related(
            "alleged_agency", "reporting_agency", "protocol", "reported_by", "ico_decided_by", "report_submitted_by"
        ),
        action=action,
        pk=pk,
    )


def steps_allowed(user: Any, breach: Breach, obligations: list[Obligation]) -> list[str]:
    """The steps `user` may take now: an open step they are responsible for (breaches.policy.obligation_refusal).
    Decided in memory from the rows read."""
    open_kinds = {o.kind: o for o in obligations if o.state != ObligationState.DONE}
    allowed = []
    for step, kind in STEPS.items():
        obligation = open_kinds.get(kind)
        if obligation is None:
            continue
        obligation.breach = breach
        if policy.can(user, "complete", obligation):
            allowed.append(step)
    return allowed


def breach_obligations(breach: Breach) -> list[Obligation]:
    return list(breach.obligations.select_related("responsible_agency", "completed_by"))


def children_seen(user: Any, breach: Breach) -> list[Any]:
    """The children affected that `user` may see (sharing.policy's ChildPolicy view scope), by index number."""
    from sharing.models import Child

    return list(
        policy.restrict(user, "view", Child)
        .filter(pk__in=breach.children.through.objects.filter(breach_id=breach.pk).values("child_id"))
        .only("pk", "born_on")
        .order_by("pk")
    )


def breach_page(user: Any, pk: Any) -> BreachPage:
    breach = breach_found(user, pk)
    obligations = breach_obligations(breach)
    return BreachPage(
        breach=breach,
        rows=obligation_rows(obligations, timezone.now()),
        children=children_seen(user, breach),
        actions=steps_allowed(user, breach, obligations),
    )


def reporter_protocols(user: Any) -> QuerySet[Protocol]:
    """The protocols `user` may report a breach of: those in force that one of their agencies signed (a live
    signature on any version); a partnership admin, every protocol in force."""
    in_force = Protocol.objects.filter(
        status__in=(ProtocolStatus.ACTIVE, ProtocolStatus.UNDER_REVIEW), current_version__isnull=False
    ).order_by("title", "pk")
    if is_partnership_admin(user):
        return in_force
    agencies = [m.agency_id for m in principal(user).memberships if m.agency_id is not None]
    return in_force.filter(
        pk__in=Signature.objects.filter(agency_id__in=agencies, withdrawn_at__isnull=True).values("protocol_id")
    )


def signatory_agencies() -> QuerySet[Agency]:
    """The agencies that could be in breach of a protocol: every agency that has signed one (the service checks
    the one chosen signed the protocol chosen)."""
    return Agency.objects.filter(
        pk__in=Signature.objects.filter(withdrawn_at__isnull=True).values("agency_id")
    ).order_by("name")


def obligations_waiting(user: Any) -> list[Obligation]:
    """The open steps `user` is responsible for (the dashboard's panel), due soonest first: those of their
    agencies' breaches they speak for (report, ICO), the notifications of breaches they or their agency reported,
    and for a partnership admin the partnership's (the meeting and minutes). One statement."""
    p = principal(user)
    if p.is_token or not getattr(user, "is_authenticated", False):
        return []
    speaking = speaking_agencies(user)
    mine = Q(kind=ObligationKind.NOTIFY_PARTNERS) & (
        Q(breach__reported_by_id=p.user_id) | Q(breach__reporting_agency_id__in=speaking)
    )
    if speaking:
        mine |= ~Q(kind=ObligationKind.NOTIFY_PARTNERS) & Q(responsible_agency_id__in=speaking)
    if is_partnership_admin(user):
        mine |= Q(responsible_agency__isnull=True)
    return list(
        policy.restrict(user, "view", Obligation)
        .filter(mine, breach__isnull=False, state__in=OPEN_STATES)
        .select_related("breach__alleged_agency")
        .order_by("due_at", "pk")[:PANEL_SIZE]
    )
