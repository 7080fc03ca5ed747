"""Who may see and act on disputes and the central register (issue 13; Southampton 13;
docs/after-disclosure-design.md 3.3, 5).

* **A dispute** is seen by the person who raised it, both practitioners, everyone a stage went to, and the designated
  managers, heads of service, Caldicott guardians and DPOs of both agencies (the parties); by partnership admins
  (the register's keepers: Southampton 13's "Children's Services Executive") and by auditors (a partnership auditor
  every dispute, an agency's auditor its agency's). Another agency's dispute answers 404.
* **Actions** (design 3.3), each refused with the sentence of the rule that refuses it (disclosures.rules):
  `position` - a person the current stage went to for a side, once a stage, at stage 2 after that side's advice;
  `escalate` - the raiser or a stage-1 assignee of either side, never early (rules.escalation_refusal);
  `advise` - the Caldicott guardian or DPO of a side's agency, at stage 2, once a side;
  `decide` - a stage-2 assignee of the responding side (design Q9), after both advices (rules.decision_refusal);
  `record` - once it has ended, a designated manager or an assignee of a side, once a side;
  `withdraw` - the raiser or a designated manager of the raising agency, while it is open.
  API tokens do none of these (design Q15: dispute stages are human decisions).
* **Raising one** (dispute_subject_scope / open_refusal): the requester, or a designated manager of the requesting
  agency (design Q11).
* **The register** (a Resource): partnership admins, auditors and designated managers (their agency's rows: design
  Q12); its CSV export: partnership admins and partnership auditors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import CharField, F, IntegerField, Q, Value
from django.utils import timezone

from agencies.models import Role
from agencies.policy import (
    audited_agencies,
    is_auditor,
    is_designated_manager,
    is_partnership_admin,
    is_partnership_auditor,
    principal,
)
from disclosures import rules
from disclosures.models import (
    Dispute,
    DisputeAdvice,
    DisputeAssignee,
    DisputePosition,
    DisputeRecord,
    InformationRequest,
    OnwardRequest,
)
from isp_portal.policy import RefusalPolicy, Resource, SystemActor, register, register_resource
from sharing.policy import member_agencies

DISPUTE_ACTIONS = frozenset({"view", "position", "escalate", "advise", "decide", "record", "withdraw"})
Side = rules.Side
DisputeState = rules.DisputeState

NOT_A_PERSON = "Disputes are decided by people: an API token cannot act on them."

REGISTER = Resource("dispute_register", "the dispute register")
REGISTER_EXPORT = Resource("dispute_register_export", "the dispute register's export")


def _person(user: Any) -> bool:
    return not getattr(user, "is_system", False)


@dataclass(frozen=True)
class DisputeFacts:
    """What the policy and the journey need of a dispute's children: who each stage went to, the positions, the
    advice and the case-file records (one statement: dispute_facts)."""

    assignees: frozenset[tuple[int, str, int]]  # (stage, side, user id)
    positions: Mapping[tuple[int, str], tuple[str, int]]  # (stage, side) -> (position, author id)
    advices: Mapping[str, tuple[str, int]]  # side -> (adviser role, adviser id)
    records: Mapping[str, int]  # side -> recorded by

    def positions_at(self, stage: int) -> dict[rules.Side, rules.Position]:
        return {
            Side(side): rules.Position(position)
            for (at, side), (position, _author) in self.positions.items()
            if at == stage
        }

    def assigned(self, stage: int, side: str, user_id: int) -> bool:
        return (stage, side, user_id) in self.assignees

    def assignee_ids(self, stage: int, side: str) -> list[int]:
        return sorted(user for at, on, user in self.assignees if at == stage and on == side)


def dispute_facts(dispute: Dispute, *, fresh: bool = False) -> DisputeFacts:
    """The dispute's assignees, positions, advice and records, in one statement, kept on the object (a service
    that changes them asks again with `fresh`)."""
    cached = getattr(dispute, "_dispute_facts", None)
    if isinstance(cached, DisputeFacts) and not fresh:
        return cached
    text = CharField()
    number = IntegerField()

    def rows(model: Any, kind: str, stage: Any, user: Any, value: Any) -> Any:
        return (
            model.objects.filter(dispute_id=dispute.pk)
            .order_by()
            .annotate(k=Value(kind, output_field=text), st=stage, u=user, v=value)
            .values_list("k", "st", "side", "u", "v")
        )

    union = rows(DisputeAssignee, "a", F("stage"), F("user_id"), F("basis")).union(
        rows(DisputePosition, "p", F("stage"), F("author_id"), F("position")),
        rows(DisputeAdvice, "v", Value(2, output_field=number), F("adviser_id"), F("adviser_role")),
        rows(DisputeRecord, "r", Value(0, output_field=number), F("recorded_by_id"), Value("", output_field=text)),
        all=True,
    )
    assignees: set[tuple[int, str, int]] = set()
    positions: dict[tuple[int, str], tuple[str, int]] = {}
    advices: dict[str, tuple[str, int]] = {}
    records: dict[str, int] = {}
    for kind, stage, side, user_id, value in union:
        if kind == "a":
            assignees.add((int(stage), side, int(user_id)))
        elif kind == "p":
            positions[(int(stage), side)] = (value, int(user_id))
        elif kind == "v":
            advices[side] = (value, int(user_id))
        else:
            records[side] = int(user_id)
    facts = DisputeFacts(frozenset(assignees), positions, advices, records)
    dispute._dispute_facts = facts  # type: ignore[attr-defined]
    return facts


def side_agency(dispute: Dispute, side: str) -> int:
    return int(dispute.raising_agency_id if side == Side.RAISING else dispute.responding_agency_id)


def _member_sides(user: Any, dispute: Dispute) -> list[rules.Side]:
    return [side for side in Side if _member_of(user, side_agency(dispute, side))]


def _member_of(user: Any, agency_id: int | None) -> bool:
    """Whether the user is still one of the agency's people (an active membership: agencies.policy.principal loads
    only those). Everything a person does or reads on a dispute by name - its raiser, its practitioners, the people
    a stage went to - they do for their agency, so only while they belong to it (break13e F1-F3, F15; as a
    recipient who left reads nothing: disclosures.policy.recipient_refusal, break12b F8)."""
    return agency_id is not None and principal(user).membership_in(agency_id) is not None


def is_raiser(user: Any, dispute: Dispute) -> bool:
    """The person who raised the dispute, still one of the raising agency's people."""
    return user.pk == dispute.raised_by_id and _member_of(user, dispute.raising_agency_id)


def is_assigned(user: Any, dispute: Dispute, stage: int, side: str) -> bool:
    """Someone stage `stage` went to for `side`, still one of that side's agency's people."""
    return dispute_facts(dispute).assigned(stage, side, user.pk) and _member_of(user, side_agency(dispute, side))


def adviser_role(user: Any, agency_id: int) -> rules.AdviserRole | None:
    """The user's advising role in `agency_id` (Southampton 13: "their Caldicott guardian or DPO"), the guardian's
    first."""
    for membership in principal(user).memberships:
        if membership.agency_id == agency_id:
            if membership.is_caldicott_guardian:
                return rules.AdviserRole.CALDICOTT_GUARDIAN
            if membership.is_data_protection_officer:
                return rules.AdviserRole.DPO
    return None


def _party_agencies(user: Any) -> list[int]:
    """The agencies whose disputes the user sees as a party's manager: designated manager, head of service,
    Caldicott guardian or DPO there."""
    return [
        m.agency_id
        for m in principal(user).memberships
        if m.agency_id is not None
        and (
            Role.DESIGNATED_MANAGER in m.roles
            or m.is_head_of_service
            or m.is_caldicott_guardian
            or m.is_data_protection_officer
        )
    ]


def acting_side(user: Any, action: str, dispute: Dispute) -> rules.Side | None:
    """The side `user` acts for in `action` (None when they act for none): the side the current stage went to
    them for (position, decide), their advising side with no advice yet (advise), their side with no record yet
    (record)."""
    facts = dispute_facts(dispute)
    if action in {"position", "decide"}:
        sides = [side for side in Side if is_assigned(user, dispute, dispute.stage, side)]
        if action == "decide":
            return Side.RESPONDING if Side.RESPONDING in sides else None
        open_sides = [side for side in sides if (dispute.stage, side) not in facts.positions]
        return (open_sides or sides or [None])[0]  # type: ignore[list-item]
    if action == "advise":
        sides = [side for side in Side if adviser_role(user, side_agency(dispute, side)) is not None]
        open_sides = [side for side in sides if side not in facts.advices]
        return (open_sides or sides or [None])[0]  # type: ignore[list-item]
    if action == "record":
        sides = [
            side
            for side in Side
            if is_designated_manager(user, side_agency(dispute, side))
            or any(is_assigned(user, dispute, stage, side) for stage in (1, 2))
        ]
        open_sides = [side for side in sides if side not in facts.records]
        return (open_sides or sides or [None])[0]  # type: ignore[list-item]
    return None


def dispute_refusal(user: Any, action: str, dispute: Dispute, *, today: date | None = None) -> str | None:
    """Why `user` may not `action` the dispute today (None when they may): the one rule the policy, the services
    (with the sweep's model `today`) and the journey's offered actions apply."""
    if action == "view":
        return None
    if not _person(user):
        return NOT_A_PERSON
    today = today or timezone.localdate()
    state = DisputeState(dispute.state)
    facts = dispute_facts(dispute)
    if action == "position":
        side = acting_side(user, action, dispute)
        if side is None:
            return f"Only the people stage {dispute.stage} went to can record a side's position."
        return rules.dispute_transition_refusal(state, state) or rules.position_refusal(
            stage=dispute.stage, side=side, positions=facts.positions_at(dispute.stage),
            advices=frozenset(Side(s) for s in facts.advices),
        )  # fmt: skip
    if action == "escalate":
        # Stage 2 "moves" to itself in the table (an advice, a position), so a second escalation is refused here,
        # not by the table (the database refuses it too: dispute_transition_allowed, found by the state machine).
        if state == DisputeState.STAGE_TWO:
            return "This dispute was already escalated to stage 2."
        refused = rules.dispute_transition_refusal(state, DisputeState.STAGE_TWO)
        if refused:
            return refused
        if not is_raiser(user, dispute) and not any(is_assigned(user, dispute, 1, side) for side in Side):
            return "Only the person who raised this dispute, or the line managers it went to, can escalate it."
        return rules.escalation_refusal(
            stage_one_due_on=dispute.stage_one_due_on, positions=facts.positions_at(1), today=today
        )
    if action in {"advise", "decide"} and state != DisputeState.STAGE_TWO:
        return rules.dispute_transition_refusal(state, state) or (
            "Advice is given, and the decision made, at stage 2, with the heads of service."
        )
    if action == "advise":
        side = acting_side(user, action, dispute)
        if side is None:
            return "Only the Caldicott guardian or data protection officer of either agency can advise on it."
        if side in facts.advices:
            return "Your agency's advice on this dispute has already been recorded."
        return None
    if action == "decide":
        if acting_side(user, action, dispute) is None:
            return "Only the head of service of the agency that holds the information decides at stage 2."
        assert dispute.stage_two_due_on is not None  # stage 2 always has its deadline (dispute_stage_shape)
        return rules.decision_refusal(
            advices=frozenset(Side(s) for s in facts.advices), positions=facts.positions_at(2),
            stage_two_due_on=dispute.stage_two_due_on, today=today,
        )  # fmt: skip
    if action == "record":
        if state not in rules.DISPUTE_TERMINAL_STATES:
            return "Both agencies record the dispute on their case files once it has ended."
        side = acting_side(user, action, dispute)
        if side is None:
            return (
                "Only a designated manager of either agency, or the people the dispute went to, record it on the "
                "case file."
            )
        if side in facts.records:
            return "Your agency has already recorded this dispute on its case file."
        return None
    if action == "withdraw":
        refused = rules.dispute_transition_refusal(state, DisputeState.WITHDRAWN)
        if refused:
            return refused
        if not is_raiser(user, dispute) and not is_designated_manager(user, dispute.raising_agency_id):
            return (
                "Only the person who raised this dispute, or a designated manager of the requesting agency, can "
                "withdraw it."
            )
        return None
    return "You do not have permission to do this."


@register
class DisputePolicy(RefusalPolicy[Dispute]):
    model = Dispute

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in DISPUTE_ACTIONS or not _person(user):
            return None
        if is_partnership_admin(user):
            return Q()
        # By name only while still one of the side's agency's people (_member_of: break13e F1).
        member = member_agencies(user)
        assigned = DisputeAssignee.objects.filter(user_id=user.pk)
        condition = (
            Q(raised_by_id=user.pk, raising_agency_id__in=member)
            | Q(raising_practitioner_id=user.pk, raising_agency_id__in=member)
            | Q(responding_practitioner_id=user.pk, responding_agency_id__in=member)
            | Q(pk__in=assigned.filter(side=Side.RAISING).values("dispute_id"), raising_agency_id__in=member)
            | Q(pk__in=assigned.filter(side=Side.RESPONDING).values("dispute_id"), responding_agency_id__in=member)
        )
        managed = _party_agencies(user)
        if managed:
            condition |= Q(raising_agency_id__in=managed) | Q(responding_agency_id__in=managed)
        if is_auditor(user):
            audited = audited_agencies(user)
            if audited is None:
                return Q()
            condition |= Q(raising_agency_id__in=audited) | Q(responding_agency_id__in=audited)
        return condition

    def in_scope(self, user: Any, obj: Dispute) -> bool:
        if isinstance(user, SystemActor):
            return True
        if not _person(user) or not user.is_authenticated:
            return False
        if is_auditor(user):
            audited = audited_agencies(user)
            if audited is None or {obj.raising_agency_id, obj.responding_agency_id} & audited:
                return True
        return reads_dispute_content(user, obj)

    def child_of(self, obj: Dispute) -> int | None:
        return obj.child_id

    def refusal(self, user: Any, action: str, obj: Dispute) -> str | None:
        return dispute_refusal(user, action, obj)


CONTENT_AUDITOR_ONLY = (
    "Auditors read who raised a dispute, when, between which agencies and how it went, never what was written in it."
)


def reads_dispute_content(user: Any, obj: Dispute) -> bool:
    """Whether `user` reads what was written in a dispute (its grounds and impact, the positions' notes, the advice,
    the outcome's and the withdrawal's reasons) as well as its metadata: the system, partnership admins (the
    register's keepers) and the parties (its raiser, its practitioners, the people a stage went to, each while
    still a member of their side's agency; the party agencies' managers). An auditor who is none of these reads its
    metadata only (DESIGN 2.6; break13e F4). No query beyond dispute_facts (kept on the object)."""
    if isinstance(user, SystemActor):
        return True
    if not _person(user) or not getattr(user, "is_authenticated", False):
        return False
    if (
        is_partnership_admin(user)
        or is_raiser(user, obj)
        or (user.pk == obj.raising_practitioner_id and _member_of(user, obj.raising_agency_id))
        or (user.pk == obj.responding_practitioner_id and _member_of(user, obj.responding_agency_id))
    ):
        return True
    if {obj.raising_agency_id, obj.responding_agency_id} & set(_party_agencies(user)):
        return True
    return any(is_assigned(user, obj, stage, side) for stage, side, _user in dispute_facts(obj).assignees)


# --- Raising a dispute (design Q11) --------------------------------------------------------------------------------


def dispute_subject_scope(user: Any) -> Q | None:
    """The requests (or onward requests: the same field names are not shared, so two scopes) a person may dispute:
    those they made, and those made for an agency they are a designated manager of. None for nobody."""
    if not _person(user) or not getattr(user, "is_authenticated", False):
        return None
    condition = Q(requester_id=user.pk, requester_agency_id__in=member_agencies(user))  # break13e F15
    managed = list(principal(user).agencies_with(Role.DESIGNATED_MANAGER))
    if managed:
        condition |= Q(requester_agency_id__in=managed)
    return condition


def onward_subject_scope(user: Any) -> Q | None:
    if not _person(user) or not getattr(user, "is_authenticated", False):
        return None
    condition = Q(requester_id=user.pk, from_agency_id__in=member_agencies(user))  # break13e F15
    managed = list(principal(user).agencies_with(Role.DESIGNATED_MANAGER))
    if managed:
        condition |= Q(from_agency_id__in=managed)
    return condition


def subject_facts(subject: InformationRequest | OnwardRequest) -> rules.SubjectFacts:
    """What decides whether a request or an onward request may be disputed (rules.dispute_eligibility_refusal)."""
    if isinstance(subject, InformationRequest):
        answered = subject.answered_at or subject.declined_at
        kind = rules.DisputeSubject.REQUEST
    else:
        answered = subject.decided_at
        kind = rules.DisputeSubject.ONWARD
    return rules.SubjectFacts(
        kind=kind, state=subject.state, due_on=subject.due_on,
        answered_on=timezone.localdate(answered) if answered else None,
    )  # fmt: skip


def dispute_offered(user: Any, subject: InformationRequest | OnwardRequest, today: date) -> bool:
    """Whether a request's (or an onward request's) page offers to raise a dispute: the reader may raise one
    (open_refusal) and the request is declined or overdue (rules.dispute_eligibility_refusal). One already open is
    the service's to refuse (a query the page does not spend). No query."""
    if open_refusal(user, subject) is not None:
        return False
    return rules.dispute_eligibility_refusal(subject_facts(subject), today) is None


def open_refusal(user: Any, subject: InformationRequest | OnwardRequest) -> str | None:
    """Why `user` may not raise a dispute about the subject (None when they may): the requester, or a designated
    manager of the requesting agency (design Q11), a person."""
    if not _person(user):
        return NOT_A_PERSON
    raising = subject.requester_agency_id if isinstance(subject, InformationRequest) else subject.from_agency_id
    # The requester only while still one of the requesting agency's people (break13e F15: _member_of).
    if (subject.requester_id == user.pk and _member_of(user, raising)) or is_designated_manager(user, raising):
        return None
    return "Only the person who made the request, or a designated manager of their agency, can raise a dispute."


# --- The register (Southampton 13: "all disputes to be recorded on a central register") ----------------------------


def register_agencies(user: Any) -> frozenset[int] | None:
    """Whose rows of the register the user reads: None for all of it (partnership admins, partnership auditors);
    an agency's auditor their agencies'; a designated manager their agencies' (design Q12)."""
    if is_partnership_admin(user) or is_partnership_auditor(user):
        return None
    audited = audited_agencies(user) if is_auditor(user) else frozenset()
    return frozenset(audited or ()) | principal(user).agencies_with(Role.DESIGNATED_MANAGER)


def _register_rule(user: Any, action: str) -> bool:
    if not _person(user):
        return False
    if action == "view":
        return is_partnership_admin(user) or is_auditor(user) or is_designated_manager(user)
    return False


def _export_rule(user: Any, action: str) -> bool:
    return _person(user) and action == "view" and (is_partnership_admin(user) or is_partnership_auditor(user))


register_resource(
    REGISTER,
    _register_rule,
    lambda user, action: "Only partnership admins, auditors and designated managers read the dispute register.",
    register_agencies,
)
register_resource(
    REGISTER_EXPORT,
    _export_rule,
    lambda user, action: "Only partnership admins and partnership auditors export the dispute register.",
)


def sides_of(user: Any, dispute: Dispute) -> list[rules.Side]:
    """The sides whose agency the user is a member of."""
    return _member_sides(user, dispute)


def user_ids(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})
