"""The consent app's pure rules (DESIGN 2.4): ages and competence, whose decision prevails, whether a consent's
scope and period cover a share, and the review date. Plain values in, plain values out: no ORM, no I/O.

The law and the handbook they follow (Barnet, "Whose consent should be sought?"):
* "A person aged 16 or over, or a child under 16 who has the capacity to understand and make decisions, may give
  or refuse consent." So 16 and over is presumed competent; under 16, competence is assessed (Fraser/Gillick);
  "children aged 12 or over are generally expected to have sufficient understanding".
* "Where a child cannot consent, or is not competent to do so, then a person with parental responsibility should
  be asked to consent on behalf of the child ... if parents are separated, then this should be the resident
  parent."
* "If a child is deemed competent, then their consent or refusal of consent should be the one to consider even
  if the parent/carer disagrees." A competent child's decision prevails over a parent's, in both directions.
* Parental responsibility is for a child, and a "child" is a person under 18 (Children Act 1989 ss.3, 105): no
  parent decides for an adult, and a parent's decision stops counting once the young person decides for
  themselves (from 16, unless an assessment at 16 or over found otherwise; at 18 whatever was found). An adult who
  lacks capacity is decided for in their best interests under the Mental Capacity Act 2005, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from isp_portal.bounds import long_date
from isp_portal.wording import possessive
from sharing.rules import age_on as age_on  # the one age rule (29 February turns a year older on 1 March)

PRESUMED_COMPETENT_AGE = 16
# Barnet: "Children aged 12 or over are generally expected to have sufficient understanding".
FRASER_EXPECTED_AGE = 12
# Barnet: "Consent needs to be kept under active review": a year unless the practitioner says otherwise.
DEFAULT_REVIEW_MONTHS = 12
# Children Act 1989 s.105(1): a "child" is a person under 18; parental responsibility (s.3) ends at 18.
ADULT_AGE = 18
# Barnet: the assessment asks whether the child "can understand what is being asked, what information might be
# shared, the reasons for sharing and the consequences" - of this decision, so it is made for it: on the day or
# within this many days before.
ASSESSMENT_WINDOW_DAYS = 30
# No practitioner asks a child below school age whether they understand information sharing: an assessment dated
# earlier is a wrong date, not an assessment.
ASSESSMENT_MIN_AGE = 5

CHILD = "child"
PARENT = "parent"
GIVEN = "given"
REFUSED = "refused"
COMPETENT = "competent"
NOT_COMPETENT = "not_competent"


class ConsentError(ValueError):
    """A decision the rules refuse, with the field it concerns and the sentence to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- Competence -------------------------------------------------------------------------------------------------


def presumed_competent(age: int) -> bool:
    """Whether a young person of `age` is presumed competent to decide for themselves (16 and over)."""
    return age >= PRESUMED_COMPETENT_AGE


def is_competent(age: int, assessment: str) -> bool:
    """Whether a child of `age` with the assessment outcome `assessment` ("competent", "not_competent" or ""
    when none was made) decides for themselves: 16 and over unless an assessment rebutted the presumption;
    under 16 only when assessed competent."""
    if presumed_competent(age):
        return assessment != NOT_COMPETENT
    return assessment == COMPETENT


def assessment_expected(age: int) -> bool:
    """Whether the form should ask for a Fraser/Gillick assessment for a child of `age`: every under-16 whose own
    decision is recorded needs one, and from 12 a child is generally expected to be competent (Barnet), so the
    question is put to every child from 12 to 15."""
    return FRASER_EXPECTED_AGE <= age < PRESUMED_COMPETENT_AGE


def competence_error(*, given_by: str, age: int, assessment: str) -> ConsentError | None:
    """Why a decision by `given_by` about a child of `age` with the assessment `assessment` cannot be recorded,
    or None. The child's own decision needs the child to be competent; a parent's needs the child not to be, and
    to be a child (under 18: Children Act 1989 ss.3, 105)."""
    if given_by == PARENT and age >= ADULT_AGE:
        return ConsentError(
            "given_by",
            f"The young person is {age}: parental responsibility ends at {ADULT_AGE}, so no parent decides for "
            "them. Record their own decision; if they lack the capacity to decide, a decision in their best "
            "interests is made under the Mental Capacity Act 2005, not by a parent.",
        )
    if given_by == CHILD and not is_competent(age, assessment):
        if age >= ADULT_AGE:
            return ConsentError(
                "competence",
                f"The young person ({age}) was assessed as lacking the capacity to decide, so their own decision "
                "cannot be recorded as consent; as an adult, no parent decides for them either: a decision in "
                "their best interests is made under the Mental Capacity Act 2005.",
            )
        if presumed_competent(age):
            return ConsentError(
                "competence",
                f"The young person ({age}) was assessed as not competent to decide, so their own decision cannot "
                "be recorded as consent: record the decision of a person with parental responsibility.",
            )
        if assessment == NOT_COMPETENT:
            return ConsentError(
                "competence",
                f"The child ({age}) was assessed as not competent to decide, so their own decision cannot be "
                "recorded as consent: ask a person with parental responsibility.",
            )
        return ConsentError(
            "competence",
            f"The child is {age}: a child under {PRESUMED_COMPETENT_AGE} decides for themselves only when a "
            "practitioner has assessed them as competent (Fraser/Gillick). Record the assessment: who made it, "
            "when, and its outcome.",
        )
    if given_by == PARENT and is_competent(age, assessment):
        if presumed_competent(age):
            return ConsentError(
                "given_by",
                f"The young person is {age}: from {PRESUMED_COMPETENT_AGE} they are presumed competent and give or "
                "refuse consent themselves. Record their own decision (a parent decides only if an assessment "
                "found the young person not competent).",
            )
        return ConsentError(
            "given_by",
            f"The child ({age}) was assessed as competent, so the decision is theirs, not a parent's: record the "
            "child's own decision.",
        )
    return None


# --- Whose decision prevails ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionFacts:
    """One recorded decision, as the prevailing rule needs it."""

    record_id: int
    given_by: str  # CHILD or PARENT
    decision: str  # GIVEN or REFUSED
    obtained_on: date
    child_age: int
    assessment: str = ""  # COMPETENT, NOT_COMPETENT or ""
    assessed_on: date | None = None
    relationship: str = ""  # a parent's relationship to the child ("mother")


@dataclass(frozen=True)
class Prevailing:
    """The decision that counts, the ones it overrides, and the sentence that says why."""

    decision: DecisionFacts
    overridden: tuple[DecisionFacts, ...]
    message: str


def _who(facts: DecisionFacts) -> str:
    if facts.given_by == CHILD:
        return f"the child ({facts.child_age})"
    return f"their {facts.relationship.strip().lower() or 'parent'}"


def _decided(facts: DecisionFacts) -> str:
    return "consented" if facts.decision == GIVEN else "refused"


def _decision_noun(facts: DecisionFacts) -> str:
    return "consent" if facts.decision == GIVEN else "refusal"


def _competence_sentence(facts: DecisionFacts) -> str:
    if facts.assessment == COMPETENT and facts.assessed_on is not None:
        return f"was assessed Fraser-competent on {long_date(facts.assessed_on)}"
    return f"is presumed competent at {facts.child_age}"


def _latest(decisions: Iterable[DecisionFacts]) -> DecisionFacts:
    return max(decisions, key=lambda facts: (facts.obtained_on, facts.record_id))


def prevailing_decision(decisions: Sequence[DecisionFacts]) -> Prevailing | None:
    """Which of the decisions in force for one share counts (None when there are none), and why.

    A competent child's own decision prevails over any parent's, in both directions; among the child's own, or
    (when the child has made none) among the parents', the latest counts (consent "needs to be kept under
    active review": a newer decision replaces an older one). A child's own decision an assessment since found
    them not competent about is not in force (rebutted_on, Miss.REBUTTED): it never reaches this rule."""
    if not decisions:
        return None
    parents = [facts for facts in decisions if facts.given_by == PARENT]
    own = [facts for facts in decisions if facts.given_by == CHILD]
    if own:
        winner = _latest(own)
        overridden = tuple(facts for facts in parents if facts.decision != winner.decision)
        sentence = f"The child ({winner.child_age}) {_competence_sentence(winner)} and {_decided(winner)}"
        if overridden:
            against = _latest(overridden)
            message = (
                f"{sentence}: their {_decision_noun(winner)} prevails over "
                f"{possessive(_who(against))} {_decision_noun(against)}."
            )
        else:
            message = f"{sentence} on {long_date(winner.obtained_on)}."
        return Prevailing(winner, overridden, message)
    winner = _latest(parents)
    others = tuple(facts for facts in decisions if facts is not winner and facts.decision != winner.decision)
    message = (
        f"A person with parental responsibility (the child's {winner.relationship.strip().lower() or 'parent'}) "
        f"{_decided(winner)} on "
        f"{long_date(winner.obtained_on)} for the child ({winner.child_age}), who was not competent to decide."
    )
    if others:
        message += " It is the latest decision of a person with parental responsibility, so it replaces the earlier."
    return Prevailing(winner, others, message)


@dataclass(frozen=True)
class Assessment:
    """One assessment of the child's competence (Fraser/Gillick), as recorded on one of their decisions."""

    on: date
    outcome: str  # COMPETENT or NOT_COMPETENT
    age: int | None = None  # the child's age on the day, by the date of birth recorded now (None: not known)


def competence_history(decisions: Iterable[DecisionFacts], born_on: date | None = None) -> tuple[Assessment, ...]:
    """The child's history of competence assessments: every assessment recorded on any of `decisions` (all the
    child's decisions, the child's and the parents', withdrawn, ended or not: an assessment is a finding about the
    child, whatever becomes of the decision that carried it; break11j findings 1, 4, 6), by date, each with the
    child's age on its day by `born_on` (the child's date of birth recorded now; None when it is not known, as
    for an erased child's: such a finding is taken as made at any age)."""
    found = {
        Assessment(
            facts.assessed_on, facts.assessment, age_on(born_on, facts.assessed_on) if born_on is not None else None
        )
        for facts in decisions
        if facts.assessed_on is not None and facts.assessment in (COMPETENT, NOT_COMPETENT)
    }
    return tuple(sorted(found, key=lambda assessment: (assessment.on, assessment.outcome)))


def rests_on_presumption(own: DecisionFacts) -> bool:
    """Whether the child's own decision `own` rests on the presumption of competence at 16, not on an assessment
    finding them competent."""
    return own.given_by == CHILD and not (own.assessment == COMPETENT and own.assessed_on is not None)


def rebutted_on(own: DecisionFacts, history: Iterable[Assessment], day: date) -> date | None:
    """The day from which the child's own decision `own` no longer counts on `day` because the child was found
    not competent, or None while it counts. `history` is the child's every assessment (competence_history); of
    those made on or before `day`, the ones that can answer the competence the decision rests on are read in
    order, and when the latest found the child not competent, the decision is rebutted from the first of the
    not-competent findings since the last competent one (the latest assessment decides).

    * A decision resting on an assessment finding the child competent: the assessments made after the day of that
      assessment (not the day they decided: break11j finding 4). One on the same day cannot be ordered against
      it, and the assessed competence stands.
    * A decision resting on the presumption at 16 (rests_on_presumption): every assessment made at 16 or over,
      before the decision, on its day or after. From 16 capacity is presumed "unless it is established that he
      lacks capacity" (Mental Capacity Act 2005 s1(2)): a recorded finding of not competent at 16 or over is that
      establishment, and it stands until an assessment finds them competent again, whenever the young person's
      decision is made or typed (breakt11l F1). A finding made before 16 answers a Fraser question about a child,
      not the presumption: it does not block the young person's decisions once 16.

    Barnet, "Whose consent should be sought?": a child decides when they "have the capacity to understand and make
    decisions"; "where a child ... is not competent to do so, then a person with parental responsibility should be
    asked" (break11h finding 2). On one day, a finding of competence outweighs one of none (the seeds leave both
    open: taken for the child's own voice)."""
    if own.given_by != CHILD:
        return None
    assessed = None if rests_on_presumption(own) else own.assessed_on
    days: dict[date, set[str]] = {}
    for assessment in history:
        if assessment.on > day:
            continue
        if assessed is None:
            counts = assessment.age is None or presumed_competent(assessment.age)
        else:
            counts = assessed < assessment.on
        if counts:
            days.setdefault(assessment.on, set()).add(assessment.outcome)
    since: date | None = None
    for on in sorted(days):
        if COMPETENT in days[on]:
            since = None
        elif since is None:
            since = on
    return since


def superseding_child_decision(
    parent: DecisionFacts,
    decided: Iterable[DecisionFacts],
    history: Iterable[Assessment] = (),
    day: date = date.max,
) -> DecisionFacts | None:
    """The competent child's own decision that `parent`'s decision gives way to on a share on `day`, or None.

    `decided`: the child's own decisions whose scope covers the share and that are no longer (or not yet) in
    force: withdrawn, ended or still to start (those in force meet the parent's in prevailing_decision). Once a
    child competent to decide (is_competent: assessed Fraser-competent, or presumed at 16) has decided about a
    share, a parent's decision about it does not cover it, whether made before or after the child's: not when
    the child withdraws their decision, nor when its period ends. A competent child's consent or refusal "should
    be the one to consider even if the parent/carer disagrees" (Barnet, "Whose consent should be sought?"), and a
    withdrawal is the child's decision too, not a return to the parent's (break11e finding 5, break11h finding
    1). It stops prevailing once the child's history of assessments (`history`: competence_history) finds them
    not competent since the competence it rested on (rebutted_on)."""
    if parent.given_by != PARENT:
        return None
    assessments = tuple(history)
    later = [
        facts
        for facts in decided
        if facts.given_by == CHILD
        and is_competent(facts.child_age, facts.assessment)
        and rebutted_on(facts, assessments, day) is None
    ]
    return _latest(later) if later else None


def parent_consent_refusal(
    parent: DecisionFacts,
    child_refusals: Iterable[DecisionFacts],
    history: Iterable[Assessment] = (),
    day: date = date.max,
) -> ConsentError | None:
    """Why a parent's consent cannot be recorded on `day`: the competent child has already refused a share it would
    cover (`child_refusals`: the child's own refusals in force whose scope overlaps it) and the refusal still
    prevails (not rebutted_on `day` by the child's history of assessments, `history`, the parent's decision's own
    among them: break11j finding 6). None when nothing stands in its way (and always for a parent's refusal:
    recorded, but a competent child's consent prevails over it)."""
    if parent.decision != GIVEN:
        return None
    assessments = tuple(history)
    refusals = [
        facts
        for facts in child_refusals
        if facts.given_by == CHILD and facts.decision == REFUSED and rebutted_on(facts, assessments, day) is None
    ]
    if not refusals:
        return None
    refusal = _latest(refusals)
    return ConsentError(
        "decision",
        f"The child ({refusal.child_age}) {_competence_sentence(refusal)} and refused on "
        f"{long_date(refusal.obtained_on)}: their refusal prevails over {possessive(_who(parent))} consent "
        "(a competent child's consent or refusal is the one to consider even if the parent disagrees). "
        "Record the parent's view in the note of the child's record, or ask the child again.",
    )


def own_decision_rebutted_error(own: DecisionFacts, history: Iterable[Assessment], day: date) -> ConsentError | None:
    """Why the child's own decision `own` cannot be recorded on `day`: the child's history of assessments found
    them not competent and no assessment since found them competent (rebutted_on), so it would not count
    (break11j finding 4; breakt11l F1: a decision resting on the presumption at 16, after a finding at 16 or over
    that they are not competent, on the field the form asks about competence). None otherwise."""
    since = rebutted_on(own, history, day)
    if since is None:
        return None
    if rests_on_presumption(own):
        return ConsentError(
            "competence",
            f"The young person was assessed as not competent to decide on {long_date(since)}, and no assessment "
            f"since found them competent: from {PRESUMED_COMPETENT_AGE} a young person is presumed competent unless "
            "an assessment establishes that they are not, and the latest assessment decides. Assess them again and "
            "record that assessment (its outcome, when and by whom), or record the decision of a person with "
            "parental responsibility.",
        )
    return ConsentError(
        "assessed_on",
        f"The child was assessed as not competent to decide on {long_date(since)}, after the assessment this "
        "decision rests on: the latest assessment decides. Assess the child again and record the date of that "
        "assessment, or record the decision of a person with parental responsibility.",
    )


# --- Scope and period -------------------------------------------------------------------------------------------


class Miss(StrEnum):
    """Why one consent does not cover a share (consent.selectors.ConsentAnswer gives the sentence)."""

    NOT_YET_IN_FORCE = "not_yet_in_force"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    PARENT_LAPSED = "parent_lapsed"  # a parent's decision, and the young person now decides for themselves
    # The child's own decision, made under 16 (by the date of birth recorded now) with no Fraser assessment
    UNASSESSED = "unassessed"
    # The child's own decision, and an assessment since the competence it rested on found them not competent
    REBUTTED = "rebutted"
    PURPOSE = "out_of_scope_purpose"
    TIER = "out_of_scope_tier"
    AGENCY = "out_of_scope_agency"


@dataclass(frozen=True)
class ScopeFacts:
    """What a consent covers: purposes, tiers, and the named recipients or every signatory of its protocol."""

    purposes: frozenset[str]
    tiers: frozenset[str]
    all_signatories: bool
    recipients: frozenset[int]
    protocol_id: int
    # For "every signatory": the agencies that were signatories when it was decided (scope_fixed_at), or None when
    # not read (then any named agency is taken to be one, as scopes_overlap takes it).
    signatories: frozenset[int] | None = None


def scope_miss(
    scope: ScopeFacts,
    *,
    tier: str,
    purpose: str,
    agency_id: int,
    agency_signed: bool,
    signed_when_decided: bool = True,
) -> Miss | None:
    """Which part of its scope keeps a consent from covering sharing `tier` with agency `agency_id` for `purpose`
    (`agency_signed`: the agency holds a live signature on the version in force of the consent's protocol), or
    None when it covers it. Purpose first, then tier, then agency. Every recipient needs the live signature, a
    named one as much as "every signatory": information is shared under the protocol only with agencies that
    have signed it, so a named agency that withdrew its signature is no longer covered (break11b finding 6).

    An "every signatory" consent covers only the agencies that were signatories when it was decided
    (`signed_when_decided`: signatory_at scope_fixed_at): consent is informed about "to whom" (Barnet), and the
    person is told of the "partner organisations named in this document" (Haringey 4.3), so an agency that
    signs later needs a new decision or another basis (break11e finding 7)."""
    if purpose not in scope.purposes:
        return Miss.PURPOSE
    if tier not in scope.tiers:
        return Miss.TIER
    if not agency_signed or (scope.all_signatories and not signed_when_decided):
        return Miss.AGENCY
    return None if scope.all_signatories or agency_id in scope.recipients else Miss.AGENCY


def scope_fixed_at(*, obtained_on: date, recorded_at: datetime, tz: tzinfo) -> datetime:
    """The moment an "every signatory" scope names its agencies: the end of the day the decision was obtained
    (`tz`: the portal's local time), or its recording if that came first. The young person agrees to the partner
    organisations of the day they decide (Barnet: informed about "to whom"; Haringey 4.3, "partner organisations
    named in this document"), so an agency that signed between the decision and its typing-in is not covered
    (break11h finding 3). The whole day counts: the decision's time is not recorded, only its day."""
    end_of_day = datetime.combine(obtained_on + timedelta(days=1), time.min, tzinfo=tz)
    return min(recorded_at, end_of_day)


def signatory_at(signatures: Iterable[tuple[datetime, datetime | None]], moment: datetime) -> bool:
    """Whether an agency was a signatory of a protocol at `moment`: one of its signatures of the protocol
    (`signatures`: signed at, and ended at or None while live: withdrawn, or carried over to a new version on its
    adoption, so each is live only while its version is in force; break11j finding 5) was live then (scope_miss and
    scope_fixed_at for an "every signatory" consent; break11e finding 7)."""
    return any(signed <= moment and (withdrawn is None or withdrawn > moment) for signed, withdrawn in signatures)


def parent_decision_ends_on(*, given_by: str, child_age: int, born_on: date) -> date | None:
    """The day from which a decision by `given_by`, made when the child was `child_age`, no longer counts because
    the young person now decides for themselves, or None (the child's own decision never lapses so).

    A parent decides only for a child who cannot (competence_error). Made for a child under 16, the decision
    stops counting on the 16th birthday, when the young person is presumed competent (Barnet); made for a 16- or
    17-year-old whose presumption an assessment rebutted, on the 18th, when parental responsibility ends
    (Children Act 1989 ss.3, 105). A parent's word is never an adult's consent."""
    if given_by != PARENT:
        return None
    # Imported here: sharing.retention_rules imports this module (months_later).
    from sharing.retention_rules import birthday_in

    return birthday_in(born_on, ADULT_AGE if presumed_competent(child_age) else PRESUMED_COMPETENT_AGE)


def parent_period_error(*, given_by: str, child_age: int, born_on: date, starts: date) -> ConsentError | None:
    """Why a decision by `given_by`, made when the child was `child_age`, cannot start on `starts`: a parent's
    decision that starts on or after the day it stops counting (parent_decision_ends_on) would never count for a
    single day (break11j finding 7). Barnet: from 16 the young person decides; Children Act 1989 ss.3, 105."""
    ends = parent_decision_ends_on(given_by=given_by, child_age=child_age, born_on=born_on)
    if ends is None or starts < ends:
        return None
    if presumed_competent(child_age):
        why = f"parental responsibility ends at {ADULT_AGE}, so from then no parent decides for them"
    else:
        why = f"from {PRESUMED_COMPETENT_AGE} the young person is presumed competent and decides for themselves"
    return ConsentError(
        "valid_from",
        f"A parent's decision stops counting on {long_date(ends)}: {why}. It would start on or after that day, so "
        "it would never count: record the young person's own decision, or start the period before that day.",
    )


def decider_miss(*, given_by: str, child_age: int, assessment: str, obtained_on: date) -> tuple[Miss, date] | None:
    """Why a decision made when the child was `child_age` (by the child's date of birth as recorded now: a
    corrected date of birth changes it) does not count, or None when it was the decider's to make
    (competence_error, the rule it was recorded under): the child's own decision under 16 with no assessment
    finding them competent (UNASSESSED), or a parent's for a young person who decided for themselves
    (PARENT_LAPSED, from the day it was made). Barnet, "Whose consent should be sought?" (break11c finding 4)."""
    if competence_error(given_by=given_by, age=child_age, assessment=assessment) is None:
        return None
    return (Miss.UNASSESSED if given_by == CHILD else Miss.PARENT_LAPSED), obtained_on


def period_miss(
    *,
    day: date,
    valid_from: date,
    valid_until: date | None,
    withdrawn_on: date | None,
    lapses_on: date | None = None,
) -> tuple[Miss, date] | None:
    """Why a consent is not in force on `day` and the date that decides it, or None when it is. A withdrawal
    takes effect from the start of its day for every disclosure from then on (DESIGN 2.4); a parent's decision
    stops counting from the start of `lapses_on` (parent_decision_ends_on), or at its end date if that is
    sooner."""
    if withdrawn_on is not None and withdrawn_on <= day:
        return Miss.WITHDRAWN, withdrawn_on
    if day < valid_from:
        return Miss.NOT_YET_IN_FORCE, valid_from
    if lapses_on is not None and lapses_on <= day and (valid_until is None or valid_until >= lapses_on):
        return Miss.PARENT_LAPSED, lapses_on
    if valid_until is not None and day > valid_until:
        return Miss.EXPIRED, valid_until
    return None


def last_day_in_force(
    *, valid_until: date | None, withdrawn_on: date | None, lapses_on: date | None, rebutted_from: date | None = None
) -> date | None:
    """The last day a consent covers anything (the day before its withdrawal, its lapse or, for the child's own
    decision, the day it no longer counts because the child was found not competent: rebutted_on; or its end
    date, whichever is first), or None when it has no end. A withdrawal, a lapse or a rebuttal takes effect from
    the start of its day (period_miss, rebutted_on), so that day is not covered."""
    ends = [day for day in (withdrawn_on, lapses_on, rebutted_from) if day is not None]
    last = min(ends) - timedelta(days=1) if ends else None
    if valid_until is not None and (last is None or valid_until < last):
        return valid_until
    return last


def scopes_overlap(first: ScopeFacts, second: ScopeFacts) -> bool:
    """Whether some share (a purpose, a tier, an agency) falls within both scopes. Two "every signatory" scopes
    of one protocol share their agencies; an "every signatory" scope and a named list of the same protocol are
    taken to overlap (the named agencies must have signed it to be named)."""
    if not first.purposes & second.purposes or not first.tiers & second.tiers:
        return False
    if first.all_signatories or second.all_signatories:
        if first.all_signatories and second.all_signatories:
            return first.protocol_id == second.protocol_id
        return first.protocol_id == second.protocol_id or bool(first.recipients | second.recipients)
    return bool(first.recipients & second.recipients)


# --- What a decision counts for among the others ---------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One share a decision may cover: a purpose, a tier, and a recipient: a named agency (`agency_id`), or, when
    `agency_id` is None, the signatories of protocol `protocol_id` that no decision of the child names."""

    purpose: str
    tier: str
    agency_id: int | None
    protocol_id: int


def share_within(scope: ScopeFacts, share: Share) -> bool:
    """Whether `share` falls within `scope`: a named agency is within an "every signatory" scope when it was a
    signatory when the decision was made (scope.signatories, as consent_covering asks; any named agency when not
    read, as scopes_overlap reads scopes), and the signatories no decision names within the "every signatory"
    scopes of their own protocol."""
    if share.purpose not in scope.purposes or share.tier not in scope.tiers:
        return False
    if share.agency_id is None:
        return scope.all_signatories and scope.protocol_id == share.protocol_id
    return _among_signatories(scope, share.agency_id) or share.agency_id in scope.recipients


def _among_signatories(scope: ScopeFacts, agency_id: int) -> bool:
    """Whether an "every signatory" scope covers named agency `agency_id`: it was a signatory when the decision
    was made (scope.signatories; as consent_covering asks, scope_miss: break11h finding 4)."""
    return scope.all_signatories and (scope.signatories is None or agency_id in scope.signatories)


def scope_shares(scope: ScopeFacts, named: Iterable[int]) -> frozenset[Share]:
    """The shares `scope` covers: each purpose, tier and recipient, the recipients of an "every signatory" scope
    being the agencies any decision of the child names (`named`) that were signatories when it was decided
    (share_within) and the signatories no decision names."""
    agencies: set[int | None] = (
        {agency for agency in named if _among_signatories(scope, agency)} | {None}
        if scope.all_signatories
        else set(scope.recipients)
    )
    return frozenset(
        Share(purpose, tier, agency, scope.protocol_id)
        for purpose in scope.purposes
        for tier in scope.tiers
        for agency in agencies
    )


@dataclass(frozen=True)
class Standing:
    """What a decision in force counts for among the child's decisions in force (decision_standing): the shares
    its scope covers (`shares`) and, for those on which another decision prevails against it, that decision
    (`against`). Wholly overridden when that is every share; partly when some. `superseded`: those of `against`
    on which the decision prevailing is out of force (a competent child's withdrawn or ended decision:
    superseding_child_decision), so no decision covers them at all."""

    shares: frozenset[Share]
    against: tuple[tuple[Share, DecisionFacts], ...] = ()
    superseded: frozenset[Share] = frozenset()

    @property
    def overridden(self) -> bool:
        """Whether no share it covers goes by it: another decision prevails against it on every one."""
        return bool(self.shares) and len(self.against) == len(self.shares)

    @property
    def partly_overridden(self) -> bool:
        return bool(self.against) and not self.overridden

    @property
    def prevailing(self) -> tuple[DecisionFacts, ...]:
        """The decisions that prevail against it somewhere, latest first."""
        found = {facts.record_id: facts for _, facts in self.against}
        return tuple(sorted(found.values(), key=lambda facts: (facts.obtained_on, facts.record_id), reverse=True))


def decision_standing(
    target: DecisionFacts,
    decisions: Sequence[tuple[DecisionFacts, ScopeFacts]],
    decided: Sequence[tuple[DecisionFacts, ScopeFacts]] = (),
    history: Sequence[Assessment] = (),
    day: date = date.max,
) -> Standing:
    """What `target` (one of `decisions`: the child's decisions in force on a day, with their scopes) counts for:
    share by share, the decisions whose scope covers it meet as consent_covering meets them
    (prevailing_decision: a competent child's own over any parent's, in both directions; the party's latest
    over its earlier), and where the one that counts decided the other way, `target` is overridden there. A
    decision of the same way that prevails agrees with it: it is not overridden (Barnet "Whose consent should be
    sought?"; consent "kept under active review"). Where no decision of the child's in force covers a share, a
    parent's `target` is overridden there by a competent child's decision out of force (`decided`: the child's
    own decisions made by the day but withdrawn, ended or still to start), before or after it, unless the child's
    history of assessments (`history` on `day`) found them not competent since (superseding_child_decision,
    break11e finding 5, break11h finding 1)."""
    scopes = {facts.record_id: scope for facts, scope in decisions}
    own = scopes[target.record_id]
    named = {agency for scope in scopes.values() for agency in scope.recipients}
    shares = scope_shares(own, named)
    rivals = [
        (facts, scope)
        for facts, scope in decisions
        if facts.record_id != target.record_id and scope.purposes & own.purposes and scope.tiers & own.tiers
    ]
    against: list[tuple[Share, DecisionFacts]] = []
    superseded: set[Share] = set()
    for share in sorted(shares, key=_share_order):
        meeting = [target, *(facts for facts, scope in rivals if share_within(scope, share))]
        prevailing = prevailing_decision(meeting)
        if prevailing is not None and prevailing.decision.given_by == PARENT:
            superseding = superseding_child_decision(
                target,
                [facts for facts, scope in decided if share_within(scope, share)],
                history,
                day,
            )
            if superseding is not None:
                against.append((share, superseding))
                superseded.add(share)
                continue
        if prevailing is not None and prevailing.decision.decision != target.decision:
            against.append((share, prevailing.decision))
    return Standing(shares, tuple(against), frozenset(superseded))


def _share_order(share: Share) -> tuple[str, str, bool, int]:
    return share.purpose, share.tier, share.agency_id is None, share.agency_id or 0


@dataclass(frozen=True)
class SharePart:
    """Shares that make a whole: every purpose with every tier and every recipient (None: the signatories of the
    protocol that no decision names), as a FHIR provision says them."""

    purposes: frozenset[str]
    tiers: frozenset[str]
    agencies: frozenset[int | None]


def share_parts(shares: Iterable[Share]) -> list[SharePart]:
    """`shares` as parts, each every purpose x tier x recipient of its own (a FHIR provision's purpose, class and
    actor lists), together exactly `shares`: the agencies with the same pairs of purpose and tier go together,
    and of those pairs the tiers with the same purposes."""
    pairs: dict[int | None, set[tuple[str, str]]] = {}
    for share in shares:
        pairs.setdefault(share.agency_id, set()).add((share.purpose, share.tier))
    agencies_of: dict[frozenset[tuple[str, str]], set[int | None]] = {}
    for agency, pairs_held in pairs.items():
        agencies_of.setdefault(frozenset(pairs_held), set()).add(agency)
    parts: list[SharePart] = []
    for held, agencies in agencies_of.items():
        tiers_of: dict[frozenset[str], set[str]] = {}
        for tier in {tier for _, tier in held}:
            tiers_of.setdefault(frozenset(purpose for purpose, t in held if t == tier), set()).add(tier)
        parts.extend(SharePart(purposes, frozenset(tiers), frozenset(agencies)) for purposes, tiers in tiers_of.items())
    return sorted(parts, key=lambda part: (sorted(part.purposes), sorted(part.tiers), sorted(map(str, part.agencies))))


# --- Dates ------------------------------------------------------------------------------------------------------


def months_later(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 January + 1 month is
    28 or 29 February; 29 February + 12 months is 28 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def default_review_on(obtained_on: date) -> date:
    return months_later(obtained_on, DEFAULT_REVIEW_MONTHS)


def dates_error(
    *,
    obtained_on: date,
    valid_from: date,
    valid_until: date | None,
    review_due_on: date | None,
    assessed_on: date | None,
    notice_given_on: date | None,
    born_on: date,
    today: date,
) -> dict[str, str]:
    """What is wrong with a consent's dates, by field (empty when nothing)."""
    errors: dict[str, str] = {}
    if obtained_on > today:
        errors["obtained_on"] = "The date the decision was obtained must be today or in the past."
    elif obtained_on < born_on:
        errors["obtained_on"] = "The decision cannot be obtained before the child was born."
    if valid_from < obtained_on:
        errors["valid_from"] = "The consent cannot start before the decision was obtained."
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "The end of the period must be on or after its start."
    if review_due_on is not None and review_due_on < obtained_on:
        errors["review_due_on"] = "The review date must be on or after the date the decision was obtained."
    if assessed_on is not None:
        if assessed_on > obtained_on:
            errors["assessed_on"] = "The competence assessment must be made on or before the day of the decision."
        elif assessed_on < born_on or age_on(born_on, assessed_on) < ASSESSMENT_MIN_AGE:
            errors["assessed_on"] = (
                f"The assessment is dated when the child was under {ASSESSMENT_MIN_AGE}: enter the date it was made."
            )
        elif (obtained_on - assessed_on).days > ASSESSMENT_WINDOW_DAYS:
            # Barnet: whether the child understands what is being asked, what might be shared and why, and the
            # consequences - of this decision: an older assessment is of another.
            errors["assessed_on"] = (
                "The competence assessment must be of this decision: made on the day it was obtained or within "
                f"{ASSESSMENT_WINDOW_DAYS} days before. Assess the child again."
            )
    if notice_given_on is not None and (notice_given_on > today or notice_given_on < born_on):
        errors["notice_given_on"] = "The fair-processing notice must be dated between the child's birth and today."
    return errors


def withdrawal_error(*, withdrawn_on: date, obtained_on: date, today: date) -> str | None:
    """Why a withdrawal cannot be dated `withdrawn_on`: before the consent was obtained, or in the future
    (a withdrawal takes effect at once: it is recorded when it is made)."""
    if withdrawn_on < obtained_on:
        return (
            f"The withdrawal cannot be dated before the consent was obtained ({long_date(obtained_on)}): enter the "
            "day the person withdrew it."
        )
    if withdrawn_on > today:
        return "A withdrawal takes effect at once: enter today or the day in the past when it was made."
    return None
