"""The pure rules of issue 13 (disclosures/rules.py, docs/after-disclosure-design.md 3-4): the onward, inaccuracy and
dispute state machines (every pair: allowed exactly when no refusal), due dates over bank holidays, the onward scope,
the notice overlays, dispute eligibility and its messages, escalation and decision, and the lineage's visible part and
picture. No database."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosures import rules
from disclosures.rules import (
    DISPUTE_TRANSITIONS,
    INACCURACY_TRANSITIONS,
    MAX_ONWARD_HOPS,
    ONWARD_TERMINAL_STATES,
    ONWARD_TRANSITIONS,
    DisputeGround,
    DisputeState,
    DisputeSubject,
    EscalationReason,
    InaccuracyState,
    LineageNode,
    NoticeState,
    OnwardState,
    ParentFacts,
    Position,
    Side,
    SubjectFacts,
)
from isp_portal.workdays import NATIONS, is_working_day

LONDON = ZoneInfo("Europe/London")
ENGLAND = "england-and-wales"
SOURCES = re.compile(r"DESIGN|Haringey|Southampton|Buckinghamshire|Bucks|Barnet|WYCPS|design12", re.IGNORECASE)

# --- State machines: every pair, allowed exactly when the rule gives no refusal ----------------------------------

ONWARD_ALLOWED = {
    ("requested", "agreed"), ("requested", "declined"), ("requested", "withdrawn"), ("requested", "expired"),
    ("requested", "lapsed"), ("agreed", "disclosed"), ("agreed", "withdrawn"), ("agreed", "lapsed"),
}  # fmt: skip
DISPUTE_ALLOWED = {
    ("stage_one", "stage_one"), ("stage_one", "stage_two"), ("stage_one", "resolved"), ("stage_one", "withdrawn"),
    ("stage_two", "stage_two"), ("stage_two", "resolved"), ("stage_two", "withdrawn"),
}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OnwardState, OnwardState)))
def test_onward_pair_allowed_exactly_when_not_refused(current: OnwardState, target: OnwardState) -> None:
    refusal = rules.onward_transition_refusal(current, target)
    allowed = (current.value, target.value) in ONWARD_ALLOWED
    assert (refusal is None) == allowed
    assert (target in ONWARD_TRANSITIONS[current]) == allowed
    if refusal is not None:
        assert refusal.endswith(".") and not SOURCES.search(refusal)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(DisputeState, DisputeState)))
def test_dispute_pair_allowed_exactly_when_not_refused(current: DisputeState, target: DisputeState) -> None:
    refusal = rules.dispute_transition_refusal(current, target)
    allowed = (current.value, target.value) in DISPUTE_ALLOWED
    assert (refusal is None) == allowed
    assert (target in DISPUTE_TRANSITIONS[current]) == allowed
    if refusal is not None:
        assert not SOURCES.search(refusal)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(InaccuracyState, InaccuracyState)))
def test_inaccuracy_pair_allowed_exactly_when_not_refused(current: InaccuracyState, target: InaccuracyState) -> None:
    refusal = rules.inaccuracy_transition_refusal(current, target)
    allowed = current == InaccuracyState.OPEN and target != InaccuracyState.OPEN
    assert (refusal is None) == allowed
    assert (target in INACCURACY_TRANSITIONS[current]) == allowed


def test_terminal_states_go_nowhere_and_every_state_is_in_the_tables() -> None:
    assert set(ONWARD_TRANSITIONS) == set(OnwardState)
    assert set(DISPUTE_TRANSITIONS) == set(DisputeState)
    assert all(not ONWARD_TRANSITIONS[state] for state in ONWARD_TERMINAL_STATES)
    assert all(not DISPUTE_TRANSITIONS[state] for state in rules.DISPUTE_TERMINAL_STATES)
    assert {OnwardState.REQUESTED, OnwardState.AGREED} == rules.ONWARD_OPEN_STATES


def test_passing_on_before_agreement_names_the_rule() -> None:
    refusal = rules.onward_transition_refusal(OnwardState.REQUESTED, OnwardState.DISCLOSED)
    assert refusal == (
        "The agency the information came from has not agreed yet: information is passed on only with its agreement."
    )


def test_onward_decline_reasons_leave_out_the_two_that_cannot_apply() -> None:
    assert rules.DeclineReason.NOTHING_HELD not in rules.ONWARD_DECLINE_REASONS
    assert rules.DeclineReason.MANAGER_DECLINED not in rules.ONWARD_DECLINE_REASONS
    assert rules.DeclineReason.OTHER in rules.ONWARD_DECLINE_REASONS


# --- Due dates over bank holidays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "nation", "five", "ten"),
    [
        # Christmas 2026: Friday 25th, Saturday 26th (Boxing Day, substituted on Monday 28th), New Year's Day Friday.
        (date(2026, 12, 24), ENGLAND, date(2027, 1, 5), date(2027, 1, 12)),
        # Scotland also keeps 2 January (a Saturday, substituted on Monday 4th).
        (date(2026, 12, 24), "scotland", date(2027, 1, 6), date(2027, 1, 13)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March (England and Wales).
        (date(2027, 3, 25), ENGLAND, date(2027, 4, 5), date(2027, 4, 12)),
        (date(2026, 12, 2), ENGLAND, date(2026, 12, 9), date(2026, 12, 16)),
    ],
)
def test_due_dates_skip_weekends_and_bank_holidays(start: date, nation: str, five: date, ten: date) -> None:
    assert rules.stage_due_on(start, 1, nation=nation) == five
    assert rules.stage_due_on(start, 2, nation=nation) == ten
    assert rules.records_due_on(start, nation=nation) == five
    assert rules.correction_ack_due_on(start, nation=nation) == five
    assert rules.notice_escalate_on(five, nation=nation) == rules.correction_ack_due_on(five, nation=nation)
    assert rules.onward_due_on(start, 5, nation=nation) == five
    assert rules.onward_expires_on(five, 5, nation=nation) == rules.stage_due_on(five, 1, nation=nation)


def test_a_dispute_has_two_stages_and_a_protocol_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="two stages"):
        rules.stage_due_on(date(2026, 12, 2), 3, nation=ENGLAND)
    with pytest.raises(ValueError, match="at least one working day"):
        rules.onward_due_on(date(2026, 12, 2), 0, nation=ENGLAND)
    with pytest.raises(ValueError, match="at least one working day"):
        rules.onward_expires_on(date(2026, 12, 2), 0, nation=ENGLAND)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    nation=st.sampled_from(NATIONS),
    stage=st.sampled_from([1, 2]),
)
def test_a_stage_is_due_on_a_later_working_day(start: date, nation: str, stage: int) -> None:
    due = rules.stage_due_on(start, stage, nation=nation)
    assert due > start and is_working_day(due, nation=nation)
    assert rules.stage_due_on(start, 2, nation=nation) > rules.stage_due_on(start, 1, nation=nation)


def test_agreement_lasts_a_response_time_to_the_end_of_the_local_day() -> None:
    decided = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)  # 23:30 in London, Thursday 24th
    far = datetime(2030, 1, 1, tzinfo=UTC)
    until = rules.agreement_until(decided, 5, far, nation=ENGLAND, tz=LONDON)
    assert until.astimezone(LONDON).date() == date(2027, 1, 5)
    assert until.astimezone(LONDON).time().hour == 23


@given(
    decided=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 1, 1), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=30),
    retain=st.integers(min_value=1, max_value=400),
)
def test_an_agreement_never_outlives_the_parent(decided: datetime, days: int, retain: int) -> None:
    parent_retain_until = decided + timedelta(days=retain)
    until = rules.agreement_until(decided, days, parent_retain_until, nation=ENGLAND, tz=LONDON)
    assert decided < until <= parent_retain_until


def test_agreement_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        rules.agreement_until(datetime(2026, 12, 1), 5, datetime(2027, 1, 1, tzinfo=UTC), nation=ENGLAND, tz=LONDON)


# --- What may be passed on -----------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def parent(**overrides: object) -> ParentFacts:
    values: dict[str, object] = {
        "disclosure_id": 1, "hop": 0, "to_agency_id": 20, "originator_agency_id": 10,
        "tiers": frozenset({"minimum", "sensitive"}), "categories": frozenset({"case_note"}),
        "revisions": {100: 1000, 101: 1010}, "live": True, "retain_until": NOW + timedelta(days=100),
    }  # fmt: skip
    values.update(overrides)
    return ParentFacts(**values)  # type: ignore[arg-type]


def scope(facts: ParentFacts | None = None, **overrides: object) -> dict[str, str]:
    values: dict[str, object] = {
        "entries": {100: 1000},
        "tiers": ["sensitive"],
        "categories": ["case_note"],
        "to_agency_id": 30,
    }
    values.update(overrides)
    return rules.onward_scope_refusals(parent=facts or parent(), **values)  # type: ignore[arg-type]


def test_only_what_was_received_at_the_revision_received_may_be_passed_on() -> None:
    assert scope() == {}
    assert scope(entries={100: 1000, 101: 1010}, tiers=["minimum", "sensitive"]) == {}
    assert set(scope(entries={100: 1001})) == {"entries"}  # a later revision than received
    assert set(scope(entries={102: 1020})) == {"entries"}  # an entry not received
    assert set(scope(entries={})) == {"entries"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tiers": [], "categories": []}, "tiers"),
        ({"tiers": ["aggregate"], "categories": []}, "tiers"),
        ({"tiers": ["sensitive", "sensitive"]}, "tiers"),
        ({"categories": []}, "categories"),
        ({"tiers": ["minimum"], "categories": ["case_note"]}, "categories"),
        ({"categories": ["health"]}, "categories"),
        ({"to_agency_id": 20}, "to_agency"),
        ({"to_agency_id": 10}, "to_agency"),
    ],
)
def test_onward_scope_refusals_name_the_field(overrides: dict[str, object], field: str) -> None:
    errors = scope(**overrides)
    assert set(errors) == {field}
    assert not SOURCES.search(errors[field])


def test_the_minimum_tier_alone_passes_on_without_categories_only_when_received() -> None:
    assert scope(parent(tiers=frozenset({"minimum"}), categories=frozenset()), tiers=["minimum"], categories=[]) == {}
    assert set(scope(parent(tiers=frozenset({"minimum"}), categories=frozenset()))) == {"tiers", "categories"}


def test_a_dead_parent_or_too_many_hops_refuses_the_parent() -> None:
    assert set(scope(parent(live=False))) == {"parent_disclosure"}
    assert scope(parent(hop=MAX_ONWARD_HOPS - 1)) == {}
    errors = scope(parent(hop=MAX_ONWARD_HOPS))
    assert errors["parent_disclosure"] == (
        "This information has already been passed on 4 times: it can be passed on at most 4 times from the agency "
        "it came from."
    )


def test_an_onward_copy_is_never_retained_longer_than_its_source() -> None:
    source = datetime(2027, 6, 30, 12, tzinfo=UTC)
    assert rules.onward_retain_until_refusal(source, source) is None
    assert rules.onward_retain_until_refusal(source - timedelta(days=1), source) is None
    assert rules.onward_retain_until_refusal(source + timedelta(seconds=1), source) == (
        "Access may not last longer than your agency's own access to this information: choose a day no later than "
        "30 June 2027."
    )


# --- Correction notices ---------------------------------------------------------------------------------------------


def test_notice_states_overlay_the_dates() -> None:
    due = date(2026, 12, 9)
    escalate_on = rules.notice_escalate_on(due, nation=ENGLAND)
    assert escalate_on == date(2026, 12, 16)
    assert rules.notice_state(False, due, due, nation=ENGLAND) == NoticeState.PENDING
    assert rules.notice_state(False, due, due + timedelta(days=1), nation=ENGLAND) == NoticeState.OVERDUE
    assert rules.notice_state(False, due, escalate_on, nation=ENGLAND) == NoticeState.OVERDUE
    assert rules.notice_state(False, due, escalate_on + timedelta(days=1), nation=ENGLAND) == NoticeState.ESCALATED
    assert rules.notice_state(True, due, escalate_on + timedelta(days=30), nation=ENGLAND) == NoticeState.ACKNOWLEDGED


@given(due=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 1, 1)), a=st.integers(0, 60), b=st.integers(0, 60))
def test_a_notice_only_gets_later_as_time_passes(due: date, a: int, b: int) -> None:
    order = [NoticeState.PENDING, NoticeState.OVERDUE, NoticeState.ESCALATED]
    early, late = sorted((a, b))
    first = rules.notice_state(False, due, due + timedelta(days=early), nation=ENGLAND)
    second = rules.notice_state(False, due, due + timedelta(days=late), nation=ENGLAND)
    assert order.index(first) <= order.index(second)


# --- Disputes: eligibility and its messages ------------------------------------------------------------------------

TODAY = date(2026, 12, 10)


@pytest.mark.parametrize(
    ("kind", "state", "due_on", "ground"),
    [
        (DisputeSubject.REQUEST, "declined", date(2026, 12, 14), DisputeGround.DECLINED),  # declined in time
        (DisputeSubject.REQUEST, "declined", date(2026, 12, 1), DisputeGround.DECLINED),
        (DisputeSubject.REQUEST, "submitted", date(2026, 12, 9), DisputeGround.OVERDUE),
        (DisputeSubject.REQUEST, "awaiting_approval", date(2026, 12, 9), DisputeGround.OVERDUE),
        (DisputeSubject.REQUEST, "approved", date(2026, 12, 9), DisputeGround.OVERDUE),
        (DisputeSubject.REQUEST, "expired", date(2026, 11, 1), DisputeGround.OVERDUE),
        (DisputeSubject.REQUEST, "submitted", date(2026, 12, 10), None),  # due today: still in time
        (DisputeSubject.REQUEST, "shared", date(2026, 12, 14), None),
        (DisputeSubject.REQUEST, "withdrawn", date(2026, 12, 1), None),
        (DisputeSubject.ONWARD, "declined", date(2026, 12, 14), DisputeGround.DECLINED),
        (DisputeSubject.ONWARD, "requested", date(2026, 12, 9), DisputeGround.OVERDUE),
        (DisputeSubject.ONWARD, "expired", date(2026, 11, 1), DisputeGround.OVERDUE),
        (DisputeSubject.ONWARD, "requested", date(2026, 12, 14), None),
        (DisputeSubject.ONWARD, "agreed", date(2026, 12, 1), None),
        (DisputeSubject.ONWARD, "disclosed", date(2026, 12, 1), None),
        (DisputeSubject.ONWARD, "withdrawn", date(2026, 12, 1), None),
        (DisputeSubject.ONWARD, "lapsed", date(2026, 12, 1), None),
    ],
)
def test_dispute_eligibility(kind: DisputeSubject, state: str, due_on: date, ground: DisputeGround | None) -> None:
    subject = SubjectFacts(kind=kind, state=state, due_on=due_on)
    assert rules.dispute_ground(subject, TODAY) == ground
    refusal = rules.dispute_eligibility_refusal(subject, TODAY)
    assert (refusal is None) == (ground is not None)
    if refusal is not None:
        assert refusal.endswith(".") and not SOURCES.search(refusal)


def test_eligibility_messages_say_why_with_the_dates() -> None:
    not_yet = SubjectFacts(kind=DisputeSubject.REQUEST, state="submitted", due_on=date(2026, 12, 14))
    assert rules.dispute_eligibility_refusal(not_yet, TODAY) == (
        "This request is due by 14 December 2026: a dispute can be raised if it is not answered by then."
    )
    shared = SubjectFacts(
        kind=DisputeSubject.REQUEST, state="shared", due_on=date(2026, 12, 14), answered_on=date(2026, 12, 3)
    )
    assert rules.dispute_eligibility_refusal(shared, TODAY) == (
        "This request was answered on 3 December 2026, within its due date, and the information was shared: there is "
        "nothing to dispute."
    )
    withdrawn = SubjectFacts(kind=DisputeSubject.REQUEST, state="withdrawn", due_on=None)
    assert rules.dispute_eligibility_refusal(withdrawn, TODAY) == (
        "This request was withdrawn: there is nothing to dispute."
    )
    agreed = SubjectFacts(kind=DisputeSubject.ONWARD, state="agreed", due_on=date(2026, 12, 14))
    assert rules.dispute_eligibility_refusal(agreed, TODAY) == (
        "This onward request was answered and it was agreed: there is nothing to dispute."
    )


# --- Escalation, positions and the decision -------------------------------------------------------------------------

DUE_ONE = date(2026, 12, 9)
SHARE, NOT = Position.SHARE, Position.NOT_SHARE


@pytest.mark.parametrize(
    ("positions", "today", "reason"),
    [
        ({}, DUE_ONE, None),
        ({Side.RAISING: SHARE}, DUE_ONE, None),
        ({Side.RAISING: SHARE, Side.RESPONDING: SHARE}, DUE_ONE, None),
        ({Side.RAISING: SHARE, Side.RESPONDING: NOT}, DUE_ONE, EscalationReason.POSITIONS_DIFFER),
        ({}, DUE_ONE + timedelta(days=1), EscalationReason.DEADLINE_PASSED),
        ({Side.RAISING: SHARE, Side.RESPONDING: NOT}, DUE_ONE + timedelta(days=1), EscalationReason.DEADLINE_PASSED),
    ],
)
def test_escalation_only_when_positions_differ_or_stage_one_ran_out(
    positions: dict[Side, Position], today: date, reason: EscalationReason | None
) -> None:
    assert rules.escalation_reason(stage_one_due_on=DUE_ONE, positions=positions, today=today) == reason
    refusal = rules.escalation_refusal(stage_one_due_on=DUE_ONE, positions=positions, today=today)
    assert (refusal is None) == (reason is not None)


def test_early_escalation_message() -> None:
    assert rules.escalation_refusal(stage_one_due_on=DUE_ONE, positions={}, today=date(2026, 12, 3)) == (
        "Stage 1 runs until 9 December 2026: the line managers have until then to resolve it, unless both have "
        "recorded positions that differ."
    )


@given(st.dictionaries(st.sampled_from(list(Side)), st.sampled_from(list(Position))))
def test_stage_one_resolves_exactly_when_both_agree(positions: dict[Side, Position]) -> None:
    outcome = rules.stage_one_resolution(positions)
    agree = len(positions) == 2 and len(set(positions.values())) == 1
    assert (outcome is not None) == agree
    assert rules.positions_differ(positions) == (len(positions) == 2 and not agree)
    if outcome is not None:
        assert outcome == positions[Side.RAISING]


def test_a_side_speaks_once_and_at_stage_two_after_its_advice() -> None:
    assert rules.position_refusal(stage=1, side=Side.RAISING, positions={}, advices=frozenset()) is None
    assert rules.position_refusal(stage=1, side=Side.RAISING, positions={Side.RAISING: SHARE}, advices=frozenset())
    assert rules.position_refusal(stage=2, side=Side.RESPONDING, positions={}, advices=frozenset({Side.RAISING}))
    assert rules.position_refusal(stage=2, side=Side.RESPONDING, positions={}, advices=frozenset(Side)) is None


DUE_TWO = date(2026, 12, 16)


@pytest.mark.parametrize(
    ("advices", "positions", "today", "allowed"),
    [
        (frozenset(), {Side.RAISING: SHARE}, DUE_TWO, False),
        (frozenset({Side.RESPONDING}), {Side.RAISING: SHARE}, DUE_TWO, False),
        (frozenset(Side), {}, DUE_TWO, False),
        (frozenset(Side), {Side.RESPONDING: NOT}, DUE_TWO, False),
        (frozenset(Side), {Side.RAISING: SHARE}, DUE_TWO, True),
        (frozenset(Side), {}, DUE_TWO + timedelta(days=1), True),
        (frozenset({Side.RAISING}), {}, DUE_TWO + timedelta(days=1), False),
    ],
)
def test_decision_after_both_advices_and_the_raising_side_or_the_deadline(
    advices: frozenset[Side], positions: dict[Side, Position], today: date, allowed: bool
) -> None:
    refusal = rules.decision_refusal(advices=advices, positions=positions, stage_two_due_on=DUE_TWO, today=today)
    assert (refusal is None) == allowed


def test_decision_messages() -> None:
    assert rules.decision_refusal(advices=frozenset(), positions={}, stage_two_due_on=DUE_TWO, today=DUE_TWO) == (
        "The decision waits for both agencies' Caldicott guardian or data protection officer to give their advice."
    )
    assert rules.decision_refusal(advices=frozenset(Side), positions={}, stage_two_due_on=DUE_TWO, today=DUE_TWO) == (
        "The decision waits for the requesting agency's head of service to record their position, until "
        "16 December 2026."
    )


def test_referral_once_after_stage_two_runs_out() -> None:
    assert not rules.referral_due(stage_two_due_on=DUE_TWO, today=DUE_TWO, referred=False)
    assert rules.referral_due(stage_two_due_on=DUE_TWO, today=DUE_TWO + timedelta(days=1), referred=False)
    assert not rules.referral_due(stage_two_due_on=DUE_TWO, today=DUE_TWO + timedelta(days=1), referred=True)


# --- Lineage ---------------------------------------------------------------------------------------------------------

MADE = datetime(2026, 12, 1, 9, tzinfo=UTC)


def node(pk: int, parent_id: int | None, hop: int, from_agency: int, to_agency: int) -> LineageNode:
    return LineageNode(
        disclosure_id=pk, parent_id=parent_id, hop=hop, kind="onward" if hop else "requested",
        from_agency_id=from_agency, from_label=f"Agency {from_agency}", to_agency_id=to_agency,
        to_label=f"Agency {to_agency}", made_at=MADE + timedelta(hours=pk), live=True,
    )  # fmt: skip


# Council (10) -> school (20) -> health (30) -> police (40); council -> another school (50); school -> GP (60).
TREE = [
    node(1, None, 0, 10, 20),
    node(2, 1, 1, 20, 30),
    node(3, 2, 2, 30, 40),
    node(4, None, 0, 10, 50),
    node(5, 1, 1, 20, 60),
]


def ids(nodes: list[LineageNode]) -> set[int]:
    return {n.disclosure_id for n in nodes}


@pytest.mark.parametrize(
    ("viewer", "full", "expected"),
    [
        ({10}, True, {1, 2, 3, 4, 5}),
        ({30}, False, {1, 2, 3}),  # the path from the origin, and what it passed on
        ({40}, False, {1, 2, 3}),
        ({20}, False, {1, 2, 3, 5}),
        ({50}, False, {4}),
        ({99}, False, set()),
    ],
)
def test_lineage_visible_is_the_path_and_the_subtree(viewer: set[int], full: bool, expected: set[int]) -> None:
    assert ids(rules.lineage_visible(TREE, viewer_agencies=frozenset(viewer), full=full)) == expected


@st.composite
def trees(draw: st.DrawFn) -> list[LineageNode]:
    count = draw(st.integers(min_value=1, max_value=16))
    nodes: list[LineageNode] = []
    for pk in range(1, count + 1):
        candidates = [n for n in nodes if n.hop < MAX_ONWARD_HOPS]
        parent_node = draw(st.sampled_from([None, *candidates]))
        to_agency = draw(st.integers(min_value=11, max_value=19))
        if parent_node is None:
            nodes.append(node(pk, None, 0, 10, to_agency))
        else:
            nodes.append(node(pk, parent_node.disclosure_id, parent_node.hop + 1, parent_node.to_agency_id, to_agency))
    return nodes


@given(tree=trees(), viewer=st.frozensets(st.integers(min_value=10, max_value=19), max_size=3))
def test_lineage_visible_is_closed_under_parents(tree: list[LineageNode], viewer: frozenset[int]) -> None:
    visible = rules.lineage_visible(tree, viewer_agencies=viewer, full=False)
    kept = ids(visible)
    by_id = {n.disclosure_id: n for n in tree}
    for n in visible:
        assert n.parent_id is None or n.parent_id in kept
    for n in tree:
        if n.to_agency_id in viewer or n.from_agency_id in viewer:
            assert n.disclosure_id in kept
        if n.parent_id is not None and n.parent_id in kept and by_id[n.parent_id].to_agency_id in viewer:
            assert n.disclosure_id in kept
    assert [n.disclosure_id for n in visible] == [n.disclosure_id for n in tree if n.disclosure_id in kept]


@given(tree=trees())
def test_lineage_picture_has_a_box_per_node_and_no_overlaps(tree: list[LineageNode]) -> None:
    picture = rules.lineage_picture(tree)
    receivers = [box for box in picture.boxes if box.disclosure_id is not None]
    assert sorted(box.disclosure_id for box in receivers if box.disclosure_id) == sorted(ids(tree))
    assert len(picture.edges) == len(tree)
    spots = {(box.x, box.y) for box in picture.boxes}
    assert len(spots) == len(picture.boxes)
    by_id = {n.disclosure_id: n for n in tree}
    for box in receivers:
        assert box.disclosure_id is not None
        assert box.hop == by_id[box.disclosure_id].hop + 1
    for box in picture.boxes:
        assert box.x + box.width <= picture.width and box.y + box.height <= picture.height
    for edge in picture.edges:
        assert edge.x1 < edge.x2


def test_lineage_picture_of_a_partial_tree_hangs_orphans_from_their_giver() -> None:
    picture = rules.lineage_picture([TREE[2]])
    assert [box.key for box in picture.boxes] == ["a30", "d3"]
    assert rules.lineage_picture([]).boxes == ()


# --- Constants ----------------------------------------------------------------------------------------------------


def test_the_chosen_constants() -> None:
    assert (rules.STAGE_ONE_WORKING_DAYS, rules.STAGE_TWO_WORKING_DAYS, rules.RECORD_WORKING_DAYS) == (5, 10, 5)
    assert (rules.CORRECTION_ACK_WORKING_DAYS, rules.CORRECTION_ESCALATE_WORKING_DAYS, MAX_ONWARD_HOPS) == (5, 5, 4)
    assert {"escalated", "referred", "chased"} == rules.DISPUTE_ONCE_EVENTS
