"""consent.rules: pure, so every property is tried over many values (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent import rules
from consent.rules import CHILD, COMPETENT, GIVEN, NOT_COMPETENT, PARENT, REFUSED, DecisionFacts, ScopeFacts
from sharing.rules import age_on

ages = st.integers(min_value=0, max_value=25)
assessments = st.sampled_from(["", COMPETENT, NOT_COMPETENT])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_age_is_the_sharing_apps_one_rule_with_29_february() -> None:
    assert rules.age_on is age_on
    assert rules.age_on(date(2010, 2, 28), date(2026, 2, 28)) == 16
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert rules.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@given(age=ages, assessment=assessments)
def test_16_and_over_is_presumed_competent_unless_assessed_otherwise(age: int, assessment: str) -> None:
    competent = rules.is_competent(age, assessment)
    if age >= 16:
        assert competent == (assessment != NOT_COMPETENT)
    else:
        assert competent == (assessment == COMPETENT)


@given(age=ages, assessment=assessments)
def test_exactly_one_of_the_child_and_a_parent_may_decide(age: int, assessment: str) -> None:
    """Under 18 exactly one of them decides; from 18 never a parent (parental responsibility ends: Children Act
    1989 ss.3, 105), so an adult found lacking capacity has no decision recorded here (Mental Capacity Act 2005)."""
    child = rules.competence_error(given_by=CHILD, age=age, assessment=assessment)
    parent = rules.competence_error(given_by=PARENT, age=age, assessment=assessment)
    assert (child is None) == rules.is_competent(age, assessment)
    if age < rules.ADULT_AGE:
        assert (child is None) != (parent is None)
    else:
        assert parent is not None and parent.field == "given_by"


@given(born=days, child_age=st.integers(min_value=0, max_value=17))
def test_a_parents_decision_lapses_when_the_young_person_decides_for_themselves(born: date, child_age: int) -> None:
    """Made for an under-16, a parent's decision stops counting on the 16th birthday; made for a 16- or 17-year-old
    found not competent, on the 18th. The child's own decision never lapses so."""
    ends = rules.parent_decision_ends_on(given_by=PARENT, child_age=child_age, born_on=born)
    assert ends is not None
    assert age_on(born, ends) == (18 if child_age >= 16 else 16)
    assert age_on(born, ends - timedelta(days=1)) == (17 if child_age >= 16 else 15)
    assert rules.parent_decision_ends_on(given_by=CHILD, child_age=child_age, born_on=born) is None
    start = born + timedelta(days=1)
    assert rules.period_miss(day=ends, valid_from=start, valid_until=None, withdrawn_on=None, lapses_on=ends) == (
        rules.Miss.PARENT_LAPSED,
        ends,
    )
    before = ends - timedelta(days=1)
    assert rules.period_miss(day=before, valid_from=start, valid_until=None, withdrawn_on=None, lapses_on=ends) is None


def test_the_last_day_in_force_is_the_day_before_a_withdrawal_or_a_lapse() -> None:
    day = date(2026, 5, 10)
    assert rules.last_day_in_force(valid_until=None, withdrawn_on=None, lapses_on=None) is None
    assert rules.last_day_in_force(valid_until=None, withdrawn_on=day, lapses_on=None) == date(2026, 5, 9)
    assert rules.last_day_in_force(valid_until=day, withdrawn_on=None, lapses_on=None) == day
    assert rules.last_day_in_force(valid_until=day, withdrawn_on=date(2026, 6, 1), lapses_on=day) == date(2026, 5, 9)


def test_an_under_16_deciding_without_an_assessment_is_told_to_record_one() -> None:
    error = rules.competence_error(given_by=CHILD, age=14, assessment="")
    assert error is not None and error.field == "competence"
    assert "Fraser/Gillick" in str(error) and "14" in str(error)


def test_the_assessment_is_asked_for_from_12_to_15() -> None:
    assert [age for age in range(0, 20) if rules.assessment_expected(age)] == [12, 13, 14, 15]


def facts(
    record_id: int, given_by: str, decision: str, *, on: date = date(2026, 5, 1), age: int = 14, **values: str
) -> DecisionFacts:
    assessment = values.get("assessment", COMPETENT if given_by == CHILD and age < 16 else "")
    return DecisionFacts(
        record_id,
        given_by,
        decision,
        on,
        age,
        assessment,
        on if assessment else None,
        values.get("relationship", "Mother" if given_by == PARENT else ""),
    )


def test_a_competent_childs_refusal_prevails_over_a_parents_consent_and_says_why() -> None:
    result = rules.prevailing_decision([facts(1, PARENT, GIVEN), facts(2, CHILD, REFUSED)])
    assert result is not None
    assert result.decision.record_id == 2
    assert [f.record_id for f in result.overridden] == [1]
    assert result.message == (
        "The child (14) was assessed Fraser-competent on 1 May 2026 and refused: their refusal prevails over "
        "their mother's consent."
    )


def test_a_competent_childs_consent_prevails_over_a_parents_refusal() -> None:
    result = rules.prevailing_decision(
        [facts(1, CHILD, GIVEN, age=16), facts(2, PARENT, REFUSED, on=date(2026, 6, 1), relationship="Father")]
    )
    assert result is not None and result.decision.record_id == 1
    assert result.message == (
        "The child (16) is presumed competent at 16 and consented: their consent prevails over their father's refusal."
    )


decisions = st.lists(
    st.builds(
        lambda i, who, what, offset: facts(
            i, who, what, on=date(2026, 1, 1) + timedelta(days=offset), age=15 if who == CHILD else 11
        ),
        st.integers(1, 10_000),
        st.sampled_from([CHILD, PARENT]),
        st.sampled_from([GIVEN, REFUSED]),
        st.integers(0, 300),
    ),
    max_size=8,
    unique_by=lambda f: f.record_id,
)


@given(decisions)
def test_the_child_prevails_whenever_the_child_decided_and_the_latest_counts(found: list[DecisionFacts]) -> None:
    result = rules.prevailing_decision(found)
    if not found:
        assert result is None
        return
    assert result is not None
    own = [f for f in found if f.given_by == CHILD]
    pool = own or found
    latest = max(pool, key=lambda f: (f.obtained_on, f.record_id))
    assert result.decision == latest
    if own:
        # Every parent's decision that disagrees with the child is overridden, in both directions.
        assert set(result.overridden) == {f for f in found if f.given_by == PARENT and f.decision != latest.decision}
    assert result.message


def test_a_parents_consent_against_a_competent_childs_refusal_is_refused_with_the_reason() -> None:
    error = rules.parent_consent_refusal(facts(0, PARENT, GIVEN), [facts(5, CHILD, REFUSED)])
    assert error is not None and error.field == "decision"
    assert str(error).startswith(
        "The child (14) was assessed Fraser-competent on 1 May 2026 and refused on 1 May 2026: their refusal "
        "prevails over their mother's consent"
    )
    assert rules.parent_consent_refusal(facts(0, PARENT, REFUSED), [facts(5, CHILD, REFUSED)]) is None
    assert rules.parent_consent_refusal(facts(0, PARENT, GIVEN), [facts(5, CHILD, GIVEN)]) is None


def test_the_latest_assessment_since_the_one_a_childs_decision_rests_on_decides_whether_it_still_counts() -> None:
    # break11j findings 1, 4, 6: the child's history of assessments (every decision's, withdrawn or not), compared
    # with the day the child was assessed, not the day they decided.
    assessed = date(2026, 5, 1)
    own = DecisionFacts(1, CHILD, REFUSED, date(2026, 5, 10), 14, COMPETENT, assessed)
    not_competent = rules.Assessment(date(2026, 5, 5), NOT_COMPETENT)
    competent_again = rules.Assessment(date(2026, 6, 1), COMPETENT)
    assert rules.rebutted_on(own, (), date(2026, 7, 1)) is None
    # Found not competent after the assessment it rests on (though before the child decided): rebutted from then.
    assert rules.rebutted_on(own, (not_competent,), date(2026, 7, 1)) == date(2026, 5, 5)
    assert rules.rebutted_on(own, (not_competent,), date(2026, 5, 4)) is None  # not yet on that day
    # A later finding of competence: the child's decision counts again from it.
    assert rules.rebutted_on(own, (not_competent, competent_again), date(2026, 7, 1)) is None
    assert rules.rebutted_on(own, (not_competent, competent_again), date(2026, 5, 20)) == date(2026, 5, 5)
    # On the day of its own assessment, a finding cannot be ordered against it: the assessed competence stands.
    assert rules.rebutted_on(own, (rules.Assessment(assessed, NOT_COMPETENT),), date(2026, 7, 1)) is None
    # The history is every decision's assessment, the withdrawn ones' too, and a parent's decision never rebuts.
    mother = DecisionFacts(2, PARENT, GIVEN, date(2026, 5, 5), 14, NOT_COMPETENT, date(2026, 5, 5), "Mother")
    assert rules.competence_history([own, mother]) == (rules.Assessment(assessed, COMPETENT), not_competent)
    assert rules.rebutted_on(mother, (not_competent,), date(2026, 7, 1)) is None
    # Recording: a parent's consent against a refusal the history rebutted is not refused.
    assert rules.parent_consent_refusal(mother, [own], (not_competent,), date(2026, 7, 1)) is None
    assert rules.own_decision_rebutted_error(own, (not_competent,), date(2026, 7, 1)) is not None


def test_a_finding_at_16_or_over_rebuts_the_presumption_whenever_it_was_made_and_one_at_15_does_not() -> None:
    # breakt11l F1 (Mental Capacity Act 2005 s1(2)): a decision resting on the presumption at 16 does not count
    # while the latest finding made at 16 or over, before it, on its day or after, found the young person not
    # competent; a finding made at 15 is no finding about the presumption.
    own = DecisionFacts(1, CHILD, GIVEN, date(2026, 5, 10), 16)
    assert rules.rests_on_presumption(own)
    before = rules.Assessment(date(2026, 5, 1), NOT_COMPETENT, 16)
    assert rules.rebutted_on(own, (before,), date(2026, 5, 10)) == date(2026, 5, 1)
    assert rules.rebutted_on(own, (rules.Assessment(date(2026, 5, 10), NOT_COMPETENT, 16),), date(2026, 5, 10))
    assert rules.rebutted_on(own, (rules.Assessment(date(2026, 5, 1), NOT_COMPETENT, 15),), date(2026, 7, 1)) is None
    competent_since = rules.Assessment(date(2026, 5, 5), COMPETENT, 16)
    assert rules.rebutted_on(own, (before, competent_since), date(2026, 7, 1)) is None
    error = rules.own_decision_rebutted_error(own, (before,), date(2026, 5, 10))
    assert error is not None and error.field == "competence" and "1 May 2026" in str(error)
    # The age on the day comes from the date of birth recorded now.
    mother = DecisionFacts(2, PARENT, REFUSED, date(2026, 5, 1), 16, NOT_COMPETENT, date(2026, 5, 1), "Mother")
    assert rules.competence_history([mother], date(2010, 5, 2)) == (
        rules.Assessment(date(2026, 5, 1), NOT_COMPETENT, 15),
    )
    assert rules.competence_history([mother], date(2010, 5, 1)) == (before,)
    # The period of a rebutted decision ends the day before the finding.
    assert rules.last_day_in_force(
        valid_until=None, withdrawn_on=None, lapses_on=None, rebutted_from=date(2026, 6, 1)
    ) == date(2026, 5, 31)


SCOPE = ScopeFacts(frozenset({"P1", "P2"}), frozenset({"minimum"}), False, frozenset({7}), 1)


@pytest.mark.parametrize(
    ("tier", "purpose", "agency", "signed", "miss"),
    [
        ("minimum", "P1", 7, True, None),
        # A named recipient needs a live signature too (break11b finding 6).
        ("minimum", "P1", 7, False, rules.Miss.AGENCY),
        ("minimum", "P3", 7, True, rules.Miss.PURPOSE),
        ("sensitive", "P1", 7, True, rules.Miss.TIER),
        ("minimum", "P2", 8, True, rules.Miss.AGENCY),
    ],
)
def test_scope_names_what_it_misses(
    tier: str, purpose: str, agency: int, signed: bool, miss: rules.Miss | None
) -> None:
    assert rules.scope_miss(SCOPE, tier=tier, purpose=purpose, agency_id=agency, agency_signed=signed) == miss


def test_every_signatory_means_a_live_signature() -> None:
    scope = ScopeFacts(frozenset({"P1"}), frozenset({"minimum"}), True, frozenset(), 1)
    assert rules.scope_miss(scope, tier="minimum", purpose="P1", agency_id=9, agency_signed=True) is None
    assert rules.scope_miss(scope, tier="minimum", purpose="P1", agency_id=9, agency_signed=False) == rules.Miss.AGENCY


@given(day=days, start=days, length=st.one_of(st.none(), st.integers(0, 800)), withdrawn=st.one_of(st.none(), days))
def test_a_consent_is_in_force_in_its_period_until_the_day_it_is_withdrawn(
    day: date, start: date, length: int | None, withdrawn: date | None
) -> None:
    until = start + timedelta(days=length) if length is not None else None
    result = rules.period_miss(day=day, valid_from=start, valid_until=until, withdrawn_on=withdrawn)
    in_force = start <= day and (until is None or day <= until) and (withdrawn is None or day < withdrawn)
    assert (result is None) == in_force
    if withdrawn is not None and withdrawn <= day:
        assert result == (rules.Miss.WITHDRAWN, withdrawn)


@given(day=days, months=st.integers(0, 120))
def test_months_later_keeps_the_day_or_takes_the_months_last(day: date, months: int) -> None:
    later = rules.months_later(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)


def test_review_a_year_on_and_29_february() -> None:
    assert rules.default_review_on(date(2024, 2, 29)) == date(2025, 2, 28)
    assert rules.default_review_on(date(2026, 5, 1)) == date(2027, 5, 1)


@given(obtained=days, withdrawn=days, today=days)
def test_a_withdrawal_is_dated_between_the_consent_and_today(obtained: date, withdrawn: date, today: date) -> None:
    problem = rules.withdrawal_error(withdrawn_on=withdrawn, obtained_on=obtained, today=today)
    assert (problem is None) == (obtained <= withdrawn <= today)


@given(
    first=st.builds(
        ScopeFacts,
        st.frozensets(st.sampled_from("abc"), min_size=1),
        st.frozensets(st.sampled_from(["minimum", "sensitive"]), min_size=1),
        st.booleans(),
        st.frozensets(st.integers(1, 4)),
        st.integers(1, 2),
    ),
    second=st.builds(
        ScopeFacts,
        st.frozensets(st.sampled_from("abc"), min_size=1),
        st.frozensets(st.sampled_from(["minimum", "sensitive"]), min_size=1),
        st.booleans(),
        st.frozensets(st.integers(1, 4)),
        st.integers(1, 2),
    ),
)
def test_overlap_is_symmetric_and_needs_a_shared_purpose_and_tier(first: ScopeFacts, second: ScopeFacts) -> None:
    assert rules.scopes_overlap(first, second) == rules.scopes_overlap(second, first)
    if not first.purposes & second.purposes or not first.tiers & second.tiers:
        assert not rules.scopes_overlap(first, second)


# --- What a decision counts for among the others (break11d findings 6, 7, 9) ----------------------------------------

scopes = st.builds(
    ScopeFacts,
    st.frozensets(st.sampled_from("abc"), min_size=1),
    st.frozensets(st.sampled_from(["minimum", "sensitive"]), min_size=1),
    st.booleans(),
    st.frozensets(st.integers(1, 4), min_size=1),
    st.integers(1, 2),
)


def _scope(purposes: str = "a", tiers: tuple[str, ...] = ("minimum",), *recipients: int) -> ScopeFacts:
    return ScopeFacts(frozenset(purposes), frozenset(tiers), not recipients, frozenset(recipients), 1)


def test_a_childs_refusal_of_one_agency_overrides_the_parents_consent_there_only() -> None:
    """The mother consented to sharing with agencies 1 and 2; her competent child refuses agency 1: her consent
    still covers agency 2, and is overridden for agency 1 (break11d finding 9)."""
    mothers, childs = facts(1, PARENT, GIVEN), facts(2, CHILD, REFUSED)
    standing = rules.decision_standing(
        mothers, [(mothers, _scope("a", ("minimum",), 1, 2)), (childs, _scope("a", ("minimum",), 1))]
    )
    assert standing.partly_overridden and not standing.overridden
    assert [share.agency_id for share, _ in standing.against] == [1]
    assert standing.prevailing == (childs,)
    whole = rules.decision_standing(
        mothers, [(mothers, _scope("a", ("minimum",), 1)), (childs, _scope("ab", ("minimum", "sensitive"), 1, 2))]
    )
    assert whole.overridden and not whole.partly_overridden


def test_a_decision_the_same_way_agrees_and_a_lone_one_stands() -> None:
    mothers, childs = facts(1, PARENT, GIVEN), facts(2, CHILD, GIVEN)
    assert not rules.decision_standing(mothers, [(mothers, _scope()), (childs, _scope())]).against
    assert not rules.decision_standing(mothers, [(mothers, _scope())]).against


def test_every_other_signatory_is_overridden_only_by_a_decision_for_every_signatory() -> None:
    """A parent's consent for every signatory, the child's refusal of agencies 1 and 2 only: the consent still
    covers any other signatory (one that signs tomorrow, as consent_covering would answer)."""
    mothers, childs = facts(1, PARENT, GIVEN), facts(2, CHILD, REFUSED)
    standing = rules.decision_standing(mothers, [(mothers, _scope()), (childs, _scope("a", ("minimum",), 1, 2))])
    assert standing.partly_overridden
    assert rules.share_parts(share for share, _ in standing.against) == [
        rules.SharePart(frozenset("a"), frozenset({"minimum"}), frozenset({1, 2}))
    ]


@given(st.lists(st.tuples(decisions.map(lambda found: found[:1]), scopes), min_size=1, max_size=5))
def test_a_decision_is_overridden_on_a_share_when_the_one_that_counts_there_decided_otherwise(
    drawn: list[tuple[list[DecisionFacts], ScopeFacts]],
) -> None:
    """Share by share, the decisions covering it meet as consent_covering meets them (prevailing_decision)."""
    found = [(made[0], scope) for made, scope in drawn if made]
    found = list({made.record_id: (made, scope) for made, scope in found}.values())
    for target, _ in found:
        standing = rules.decision_standing(target, found)
        against = dict(standing.against)
        for share in standing.shares:
            meeting = [made for made, scope in found if rules.share_within(scope, share)]
            assert target in meeting
            winner = rules.prevailing_decision(meeting)
            assert winner is not None
            assert (share in against) == (winner.decision.decision != target.decision)
        assert standing.overridden == (bool(standing.shares) and set(against) == set(standing.shares))


@given(
    st.frozensets(
        st.builds(
            rules.Share,
            st.sampled_from("abc"),
            st.sampled_from(["minimum", "sensitive"]),
            st.one_of(st.none(), st.integers(1, 4)),
            st.just(1),
        ),
        max_size=24,
    )
)
def test_the_parts_are_exactly_the_shares(shares: frozenset[rules.Share]) -> None:
    """Each part is every purpose x tier x recipient of its own (a FHIR provision), and together, without overlap,
    they are the shares given."""
    parts = rules.share_parts(shares)
    spelled = [
        rules.Share(purpose, tier, agency, 1)
        for part in parts
        for purpose in part.purposes
        for tier in part.tiers
        for agency in part.agencies
    ]
    assert len(spelled) == len(set(spelled)) and set(spelled) == shares
