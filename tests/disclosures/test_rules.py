"""The disclosures app's pure rules (disclosures/rules.py): the request state machine, due dates over bank holidays,
the legal bases each consent basis allows, when a designated manager must approve, what a request may ask for, and
the canonical snapshot with its SHA-256. No database."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosures import rules
from disclosures.rules import (
    CONSENT_BASES,
    TERMINAL_STATES,
    TRANSITIONS,
    ConsentBasis,
    Kind,
    LegalBasis,
    NotSoughtReason,
    SnapshotHeader,
    SnapshotRevision,
    State,
    SubjectTold,
)
from isp_portal.workdays import NATIONS, is_working_day
from protocols.reference import HARINGEY_GROUNDS, HARINGEY_SENSITIVE_FIELDS
from sharing.rules import Category

LONDON = ZoneInfo("Europe/London")
ALL_GROUNDS = frozenset(rules.GROUNDS)
HARINGEY = frozenset(str(ground) for ground in HARINGEY_GROUNDS)

# --- The state machine ---------------------------------------------------------------------------------------------

ALLOWED = {
    (State.SUBMITTED, State.AWAITING_APPROVAL),
    (State.SUBMITTED, State.SHARED),
    (State.SUBMITTED, State.DECLINED),
    (State.SUBMITTED, State.WITHDRAWN),
    (State.SUBMITTED, State.EXPIRED),
    (State.AWAITING_APPROVAL, State.APPROVED),
    (State.AWAITING_APPROVAL, State.DECLINED),
    (State.AWAITING_APPROVAL, State.WITHDRAWN),
    (State.APPROVED, State.SHARED),
}
PAIRS = list(itertools.product(State, State))


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: State, target: State) -> None:
    refusal = rules.transition_refusal(current, target)
    if (current, target) in ALLOWED:
        assert refusal is None
    else:
        assert refusal is not None and refusal.startswith("This request is ")


def test_the_table_covers_every_state_and_closed_states_go_nowhere() -> None:
    assert set(TRANSITIONS) == set(State)
    assert all(not TRANSITIONS[state] for state in TERMINAL_STATES)
    assert {State.SHARED, State.DECLINED, State.WITHDRAWN, State.EXPIRED} == TERMINAL_STATES


def test_an_answered_request_says_so() -> None:
    assert rules.transition_refusal(State.SHARED, State.DECLINED) == (
        "This request is already answered: the information was shared, so it cannot be declined."
    )


@given(st.lists(st.sampled_from(list(State)), max_size=12))
def test_no_walk_is_both_shared_and_declined(targets: list[State]) -> None:
    """Whatever is attempted in whatever order, the states a request passes through never include both shared and
    declined, and once closed it stays closed."""
    state, seen = State.SUBMITTED, [State.SUBMITTED]
    for target in targets:
        if rules.transition_refusal(state, target) is None:
            assert state not in TERMINAL_STATES
            state = target
            seen.append(state)
    assert not {State.SHARED, State.DECLINED} <= set(seen)
    assert all(step not in TERMINAL_STATES for step in seen[:-1])


# --- Due dates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "days", "nation", "due"),
    [
        (date(2026, 11, 30), 5, "england-and-wales", date(2026, 12, 7)),  # Monday + 5 = next Monday
        (date(2026, 11, 27), 1, "england-and-wales", date(2026, 11, 30)),  # Friday + 1 = Monday
        (date(2026, 11, 28), 1, "england-and-wales", date(2026, 11, 30)),  # a Saturday counts from Monday
        (date(2026, 4, 2), 1, "england-and-wales", date(2026, 4, 7)),  # Good Friday and Easter Monday skipped
        (date(2026, 12, 24), 2, "england-and-wales", date(2026, 12, 30)),  # Christmas, Boxing Day's substitute
        (date(2026, 12, 31), 1, "england-and-wales", date(2027, 1, 4)),
        (date(2026, 12, 31), 1, "scotland", date(2027, 1, 5)),  # 2 January's substitute is a holiday there
        (date(2026, 3, 16), 1, "northern-ireland", date(2026, 3, 18)),  # St Patrick's Day
        (date(2026, 3, 16), 1, "england-and-wales", date(2026, 3, 17)),
    ],
)
def test_the_due_date_counts_working_days_over_bank_holidays(
    submitted: date, days: int, nation: rules.Nation, due: date
) -> None:
    assert rules.request_due_on(submitted, days, nation=nation) == due


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(NATIONS),
)
def test_a_due_date_is_a_later_working_day_and_one_more_day_is_later_still(
    submitted: date, days: int, nation: rules.Nation
) -> None:
    due = rules.request_due_on(submitted, days, nation=nation)
    assert due > submitted and is_working_day(due, nation=nation)
    assert rules.request_due_on(submitted, days + 1, nation=nation) > due
    assert due - submitted >= timedelta(days=days)


def test_a_response_time_below_one_day_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        rules.request_due_on(date(2026, 11, 30), 0, nation="england-and-wales")


@pytest.mark.parametrize(
    ("made_at", "due"),
    [
        # Friday afternoon: reviewed by the end of Monday.
        (datetime(2026, 11, 27, 15, 0, tzinfo=LONDON), datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=LONDON)),
        # Late on a Thursday before Easter: Good Friday and Easter Monday are not working days.
        (datetime(2026, 4, 2, 22, 0, tzinfo=LONDON), datetime(2026, 4, 7, 23, 59, 59, 999999, tzinfo=LONDON)),
        # 23:30 UTC on Friday 27 March is still Friday in London; the deadline is in summer time.
        (datetime(2026, 3, 27, 23, 30, tzinfo=UTC), datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=LONDON)),
        # 23:30 UTC on Saturday 31 October 2026 (winter time) is Saturday in London: Monday is one working day on.
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=LONDON)),
    ],
)
def test_an_emergency_disclosure_is_reviewed_by_the_end_of_the_next_working_day(
    made_at: datetime, due: datetime
) -> None:
    result = rules.review_due_at(made_at, nation="england-and-wales", tz=LONDON)
    assert result == due
    assert result.utcoffset() == due.utcoffset()


def test_a_naive_made_at_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        rules.review_due_at(datetime(2026, 11, 27, 15, 0), nation="england-and-wales", tz=LONDON)


@pytest.mark.parametrize(
    ("reviewed", "escalated", "now_offset", "due"),
    [
        (False, False, 1, True),
        (False, False, -1, False),
        (False, False, 0, False),
        (True, False, 1, False),
        (False, True, 1, False),
        (True, True, 1, False),
    ],
)
def test_escalation_is_due_once_and_only_when_unreviewed_past_the_deadline(
    reviewed: bool, escalated: bool, now_offset: int, due: bool
) -> None:
    deadline = datetime(2026, 11, 30, 23, 59, tzinfo=LONDON)
    now = deadline + timedelta(seconds=now_offset)
    assert rules.escalation_due(deadline, now, reviewed=reviewed, escalated=escalated) is due


def test_the_default_retention_is_in_calendar_months() -> None:
    assert rules.retain_until_default(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.retain_until_default(date(2026, 11, 30), 24) == date(2028, 11, 30)


def test_access_may_not_outlast_the_retention_period() -> None:
    made_on = date(2026, 8, 31)
    assert rules.retain_until_refusal(date(2027, 2, 28), made_on=made_on, retention_months=6) is None
    assert rules.retain_until_refusal(date(2026, 9, 1), made_on=made_on, retention_months=6) is None
    refusal = rules.retain_until_refusal(date(2027, 3, 1), made_on=made_on, retention_months=6)
    assert refusal is not None and "6 months" in refusal and "28 February 2027" in refusal


# --- Approval ------------------------------------------------------------------------------------------------------

TIER_SETS = [frozenset({"minimum"}), frozenset({"sensitive"}), frozenset({"minimum", "sensitive"})]
APPROVAL_CASES = list(itertools.product(TIER_SETS, list(LegalBasis), list(Kind)))


@pytest.mark.parametrize(
    ("tiers", "basis", "kind"), APPROVAL_CASES, ids=[f"{sorted(t)}-{b}-{k}" for t, b, k in APPROVAL_CASES]
)
def test_approval_is_needed_for_sensitive_information_without_consent_unless_an_emergency(
    tiers: frozenset[str], basis: LegalBasis, kind: Kind
) -> None:
    expected = "sensitive" in tiers and basis not in CONSENT_BASES and kind != Kind.EMERGENCY
    assert rules.approval_needed(tiers=tiers, legal_basis=basis, kind=kind) is expected


def test_the_approval_table_has_both_answers() -> None:
    answers = {rules.approval_needed(tiers=t, legal_basis=b, kind=k) for t, b, k in APPROVAL_CASES}
    assert answers == {True, False}
    assert rules.approval_needed(tiers={"sensitive"}, legal_basis=LegalBasis.SIGNIFICANT_HARM, kind=Kind.PROACTIVE)


@pytest.mark.parametrize(
    ("tiers", "basis", "kind"), APPROVAL_CASES, ids=[f"{sorted(t)}-{b}-{k}" for t, b, k in APPROVAL_CASES]
)
def test_an_agency_systems_share_without_consent_always_waits_for_a_designated_manager(
    tiers: frozenset[str], basis: LegalBasis, kind: Kind
) -> None:
    expected = basis not in CONSENT_BASES
    assert rules.approval_needed(tiers=tiers, legal_basis=basis, kind=kind, by_system=True) is expected


# --- Legal bases ---------------------------------------------------------------------------------------------------

SENSITIVE = frozenset({"minimum", "sensitive"})
MINIMUM = frozenset({"minimum"})


@pytest.mark.parametrize(
    ("basis", "form", "reason", "tiers", "allowed"),
    [
        (ConsentBasis.CONSENT, "explicit_written", None, SENSITIVE, {LegalBasis.EXPLICIT_CONSENT}),
        (ConsentBasis.CONSENT, "explicit_verbal", None, MINIMUM, {LegalBasis.EXPLICIT_CONSENT}),
        (ConsentBasis.CONSENT, "implied", None, SENSITIVE, {LegalBasis.IMPLIED_CONSENT}),
        (ConsentBasis.CONSENT, None, None, SENSITIVE, set()),
        (
            ConsentBasis.NOT_SOUGHT, None, "significant_harm", SENSITIVE,
            {LegalBasis.SIGNIFICANT_HARM, LegalBasis.HOME_OFFICE, LegalBasis.COURT_ORDER, LegalBasis.POLICE_S29},
        ),
        (
            ConsentBasis.NOT_SOUGHT, None, "significant_harm", MINIMUM,
            {
                LegalBasis.SIGNIFICANT_HARM, LegalBasis.STATUTORY_DUTY, LegalBasis.HOME_OFFICE, LegalBasis.COURT_ORDER,
                LegalBasis.POLICE_S29,
            },
        ),
        (
            ConsentBasis.NOT_SOUGHT, None, "serious_crime", SENSITIVE, {LegalBasis.POLICE_S29, LegalBasis.HOME_OFFICE,
            LegalBasis.COURT_ORDER},
        ),
        (
            ConsentBasis.NOT_SOUGHT, None, "serious_harm_adult", SENSITIVE,
            {LegalBasis.SIGNIFICANT_HARM, LegalBasis.HOME_OFFICE, LegalBasis.COURT_ORDER, LegalBasis.POLICE_S29},
        ),
        (
            ConsentBasis.NOT_SOUGHT, None, "unjustified_delay", SENSITIVE,
            {
                LegalBasis.SIGNIFICANT_HARM, LegalBasis.URGENT_MEDICAL, LegalBasis.HOME_OFFICE, LegalBasis.COURT_ORDER,
                LegalBasis.POLICE_S29,
            },
        ),
        (ConsentBasis.NOT_SOUGHT, None, None, SENSITIVE, set()),
        (ConsentBasis.NOT_SOUGHT, None, "no_reason", SENSITIVE, set()),
        (ConsentBasis.REFUSED, None, None, SENSITIVE, set(HARINGEY)),
        (ConsentBasis.REFUSED, None, None, MINIMUM, set(ALL_GROUNDS)),
    ],
)  # fmt: skip
def test_the_bases_each_consent_basis_allows_under_the_haringey_grounds(
    basis: ConsentBasis, form: str | None, reason: str | None, tiers: frozenset[str], allowed: set[LegalBasis]
) -> None:
    result = rules.legal_bases_allowed(
        basis=basis, consent_form=form, not_sought_reason=reason, protocol_grounds=HARINGEY, tiers=tiers
    )
    assert result == allowed


def test_crime_prevention_is_refused_under_a_protocol_without_it_and_the_message_names_the_rule() -> None:
    refusal = rules.legal_basis_refusal(
        basis=ConsentBasis.REFUSED, consent_form=None, not_sought_reason=None, protocol_grounds=HARINGEY,
        tiers=SENSITIVE, chosen=LegalBasis.CRIME_PREVENTION, citation=" (section 4.5 of the Haringey ISP)",
    )  # fmt: skip
    assert refusal == (
        "The protocol you share under (section 4.5 of the Haringey ISP) does not allow sharing detailed and "
        "sensitive information without consent on the ground 'Prevention or detection of crime'."
    )


@pytest.mark.parametrize(
    ("basis", "form", "reason", "chosen", "words"),
    [
        (ConsentBasis.CONSENT, "explicit_written", None, LegalBasis.SIGNIFICANT_HARM, "Consent covers this request"),
        (ConsentBasis.CONSENT, "implied", None, LegalBasis.EXPLICIT_CONSENT, "not explicit consent"),
        (ConsentBasis.REFUSED, None, None, LegalBasis.EXPLICIT_CONSENT, "There is no consent to share on"),
        (ConsentBasis.NOT_SOUGHT, None, "serious_crime", LegalBasis.SIGNIFICANT_HARM, "does not support sharing"),
    ],
)
def test_each_refusal_says_which_rule_refused(
    basis: ConsentBasis, form: str | None, reason: str | None, chosen: LegalBasis, words: str
) -> None:
    refusal = rules.legal_basis_refusal(
        basis=basis, consent_form=form, not_sought_reason=reason, protocol_grounds=ALL_GROUNDS, tiers=SENSITIVE,
        chosen=chosen,
    )  # fmt: skip
    assert refusal is not None and words in refusal


@given(
    basis=st.sampled_from(list(ConsentBasis)),
    form=st.sampled_from([None, *(form.value for form in rules.ConsentFormValue)]),
    reason=st.sampled_from([None, *(reason.value for reason in NotSoughtReason)]),
    grounds=st.frozensets(st.sampled_from(sorted(ALL_GROUNDS))),
    tiers=st.sampled_from(TIER_SETS),
    chosen=st.sampled_from(list(LegalBasis)),
)
def test_a_basis_is_refused_exactly_when_it_is_not_allowed(
    basis: ConsentBasis,
    form: str | None,
    reason: str | None,
    grounds: frozenset[str],
    tiers: frozenset[str],
    chosen: LegalBasis,
) -> None:
    allowed = rules.legal_bases_allowed(
        basis=basis, consent_form=form, not_sought_reason=reason, protocol_grounds=grounds, tiers=tiers
    )
    refusal = rules.legal_basis_refusal(
        basis=basis, consent_form=form, not_sought_reason=reason, protocol_grounds=grounds, tiers=tiers, chosen=chosen
    )
    assert (refusal is None) == (chosen in allowed)
    # Consent covers it: shared on consent alone. Otherwise never on consent, and the sensitive tier only on the
    # protocol's grounds (Haringey 4.4-4.5).
    if basis == ConsentBasis.CONSENT:
        assert allowed <= CONSENT_BASES
    else:
        assert not allowed & CONSENT_BASES
        if "sensitive" in tiers:
            assert allowed <= grounds


# --- The record of the decision ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("told", "reason", "error"),
    [
        (SubjectTold.TOLD, "", False),
        (SubjectTold.NOT_TOLD, "", True),
        (SubjectTold.NOT_SAFE, "   ", True),
        (SubjectTold.NOT_SAFE, "Telling the father would put the child at risk.", False),
    ],
)
def test_not_telling_the_family_is_explained(told: SubjectTold, reason: str, error: bool) -> None:
    assert (rules.subject_told_error(told, reason) is not None) is error


@pytest.mark.parametrize(
    ("basis", "reference", "error"),
    [
        (LegalBasis.POLICE_S29, "", "Enter the reference"),
        (LegalBasis.POLICE_S29, "MPS/2026/0042", None),
        (LegalBasis.POLICE_S29, "x" * 65, "64 characters"),
        (LegalBasis.POLICE_S29, "a\x00b", "NUL"),
        (LegalBasis.SIGNIFICANT_HARM, "MPS/2026/0042", "only for a police request"),
        (LegalBasis.SIGNIFICANT_HARM, "", None),
    ],
)
def test_a_police_request_carries_its_s29_form_reference(basis: LegalBasis, reference: str, error: str | None) -> None:
    result = rules.s29_reference_error(basis, reference)
    assert (result is None) if error is None else (result is not None and error in result)


# --- What a request may ask for (design12 F6) ----------------------------------------------------------------------


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_in_scope_of_the_haringey_sensitive_fields(category: Category) -> None:
    assert rules.category_in_scope(category, HARINGEY_SENSITIVE_FIELDS)


def test_a_category_outside_the_protocols_fields_is_not_in_scope() -> None:
    fields = ["Relevant  health information"]  # spacing and case do not matter
    assert rules.category_in_scope(Category.HEALTH, fields)
    assert not rules.category_in_scope(Category.CASE_NOTE, fields)
    assert not rules.category_in_scope(Category.SCHEDULE_ONE, fields)


PURPOSES = ["Ensure that children are safeguarded"]


@pytest.mark.parametrize(
    ("tiers", "categories", "purpose", "fields", "refused"),
    [
        (["minimum", "sensitive"], ["case_note"], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, set()),
        (["minimum"], [], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, set()),
        (["minimum"], [], "Marketing", HARINGEY_SENSITIVE_FIELDS, {"purpose"}),
        ([], [], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"tiers"}),
        (["aggregate"], [], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"tiers"}),
        (["sensitive"], [], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"categories"}),
        (["minimum"], ["health"], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"categories"}),
        (["sensitive"], ["health", "health"], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"categories"}),
        (["sensitive"], ["gossip"], PURPOSES[0], HARINGEY_SENSITIVE_FIELDS, {"categories"}),
        (["sensitive"], ["case_note"], PURPOSES[0], ["Relevant health information"], {"categories"}),
    ],
)
def test_a_request_outside_the_protocol_is_refused_field_by_field(
    tiers: list[str], categories: list[str], purpose: str, fields: list[str], refused: set[str]
) -> None:
    errors = rules.request_scope_refusals(
        tiers=tiers, categories=categories, purpose=purpose, permitted_purposes=PURPOSES, sensitive_fields=fields
    )
    assert set(errors) == refused


def test_the_out_of_scope_message_names_the_categories() -> None:
    errors = rules.request_scope_refusals(
        tiers=["sensitive"], categories=["case_note", "health"], purpose=PURPOSES[0], permitted_purposes=PURPOSES,
        sensitive_fields=["Relevant health information"],
    )  # fmt: skip
    assert errors == {"categories": "The protocol's detailed and sensitive information does not include: Case note."}


# --- The snapshot and its SHA-256 ----------------------------------------------------------------------------------

HEADER = SnapshotHeader(
    from_agency_id=1,
    to_agency_id=2,
    child_id=3,
    tiers=["sensitive", "minimum"],
    categories=["case_note"],
    purpose="Safeguarding",
    legal_basis="significant_harm",
    protocol_version_id=4,
    made_at=datetime(2026, 11, 30, 10, 42, tzinfo=UTC),
)


def revision(entry_id: int = 11, **values: object) -> SnapshotRevision:
    fields: dict[str, object] = {"b": 1, "a": "x"}
    base: dict[str, object] = {
        "entry_id": entry_id, "category": "case_note", "agency_id": 1, "number": 2, "fields": fields,
        "text": "Note \u2013 \u00e9", "basis": "opinion", "is_restricted": False,
        "recorded_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC), "author_id": None,
    }  # fmt: skip
    base.update(values)
    return SnapshotRevision(**base)  # type: ignore[arg-type]


CHILD = {"given": "Aoife", "born_on": date(2015, 4, 2)}

# Written out by hand: sorted keys, no spaces, UTF-8, datetimes in UTC with microseconds and Z, dates ISO.
GOLDEN = (
    '{"child":{"born_on":"2015-04-02","given":"Aoife"},"disclosure":{"categories":["case_note"],"child_id":3,'
    '"from_agency_id":1,"legal_basis":"significant_harm","made_at":"2026-11-30T10:42:00.000000Z",'
    '"protocol_version_id":4,"purpose":"Safeguarding","tiers":["minimum","sensitive"],"to_agency_id":2},'
    '"entries":[{"agency_id":1,"category":"case_note","entry_id":11,"revision":{"author_id":null,"basis":"opinion",'
    '"fields":{"a":"x","b":1},"is_restricted":false,"number":2,"recorded_at":"2026-11-01T09:00:00.000000Z",'
    '"text":"Note \u2013 \u00e9"}}],"schema":1}'
).encode("utf-8")
GOLDEN_SHA256 = "a9ca0bcc1826ef753a00b5f2616f0d93772dac818fe54ac9a0c93c2f7b28605f"


def test_the_canonical_form_and_hash_match_the_golden_vector() -> None:
    document = rules.snapshot_document(HEADER, child=CHILD, entries=[revision()])
    assert rules.canonical_json(document) == GOLDEN
    assert hashlib.sha256(GOLDEN).hexdigest() == GOLDEN_SHA256
    assert rules.snapshot_sha256(document) == GOLDEN_SHA256
    assert rules.is_sha256_hex(GOLDEN_SHA256) and not rules.is_sha256_hex(GOLDEN_SHA256.upper())


@given(st.permutations([("b", 1), ("a", "x"), ("c", True), ("d", None), ("e", [1, "two"])]))
def test_the_hash_does_not_depend_on_key_order(items: list[tuple[str, object]]) -> None:
    ordered = rules.snapshot_document(HEADER, child=CHILD, entries=[revision(fields=dict(sorted(items)))])
    shuffled = rules.snapshot_document(HEADER, child=CHILD, entries=[revision(fields=dict(items))])
    assert rules.snapshot_sha256(shuffled) == rules.snapshot_sha256(ordered)


@given(st.permutations([11, 5, 42, 7]))
def test_the_hash_does_not_depend_on_the_order_entries_are_given(ids: list[int]) -> None:
    document = rules.snapshot_document(HEADER, child=CHILD, entries=[revision(entry_id) for entry_id in ids])
    expected = rules.snapshot_document(HEADER, child=CHILD, entries=[revision(entry_id) for entry_id in sorted(ids)])
    assert rules.snapshot_sha256(document) == rules.snapshot_sha256(expected)


def test_any_change_to_what_was_disclosed_changes_the_hash() -> None:
    base = rules.snapshot_sha256(rules.snapshot_document(HEADER, child=CHILD, entries=[revision()]))
    for changed in (revision(text="Note \u2013 e"), revision(number=3), revision(is_restricted=True)):
        assert rules.snapshot_sha256(rules.snapshot_document(HEADER, child=CHILD, entries=[changed])) != base


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    london = revision(recorded_at=datetime(2026, 7, 1, 10, 0, tzinfo=LONDON))
    utc = revision(recorded_at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    one = rules.snapshot_document(HEADER, child=CHILD, entries=[london])
    other = rules.snapshot_document(HEADER, child=CHILD, entries=[utc])
    assert rules.snapshot_sha256(one) == rules.snapshot_sha256(other)


def test_the_child_is_in_the_snapshot_only_when_the_minimum_tier_was_disclosed() -> None:
    header = SnapshotHeader(**{**HEADER.__dict__, "tiers": ["sensitive"]})
    assert rules.snapshot_document(header, child=CHILD, entries=[])["child"] is None
    assert rules.snapshot_document(HEADER, child=CHILD, entries=[])["child"] == {
        "given": "Aoife",
        "born_on": "2015-04-02",
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"minutes": 1.5}, TypeError),
        ({"at": datetime(2026, 11, 1, 9, 0)}, ValueError),
        ({"tags": {"a", "b"}}, TypeError),
    ],
)
def test_a_value_with_no_single_spelling_is_a_programming_error(fields: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        rules.snapshot_document(HEADER, child=None, entries=[revision(fields=fields)])


# --- One list of values -------------------------------------------------------------------------------------------


def test_the_consent_check_values_are_the_consent_selectors_reasons() -> None:
    from consent.selectors import Reason

    assert set(rules.CONSENT_CHECK_VALUES) == {reason.value for reason in Reason}


def test_the_grounds_are_the_protocols_grounds() -> None:
    from protocols.models import Ground

    assert {ground.value for ground in Ground} == set(rules.GROUNDS)
    assert LegalBasis.POLICE_S29 in rules.GROUNDS and LegalBasis.EXPLICIT_CONSENT not in rules.GROUNDS
