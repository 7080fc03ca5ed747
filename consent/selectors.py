"""Reads of the consent app (DESIGN 2.4).

`consent_covering` answers the question the sharing app asks for every request and again at the moment of
disclosure: which consent, if any, covers sharing tier T of child C with agency B for purpose P at time t, and
if none, why not. It is the portal's own question (the caller has already decided that the user may ask it), so
it takes no user. The reads people make (a child's consents, one consent, the summary) start from the policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import DateTimeField, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import JSONObject, Least
from django.utils import timezone
from django.utils.text import capfirst

from agencies.models import Agency
from audit.services import audit_record
from consent import rules
from consent.models import ConsentRecord, Decision, GivenBy
from consent.services import decision_facts
from isp_portal import rows
from isp_portal.policy import get_or_deny, restrict
from isp_portal.wording import long_date
from protocols.models import IN_FORCE_STATUSES, Protocol, Signature
from sharing.models import Child


class Reason(StrEnum):
    """Why a share is or is not covered by consent."""

    COVERED = "covered"
    NONE_RECORDED = "none_recorded"
    REFUSED = "refused"
    PARENT_OVERRIDDEN = "parent_overridden"  # a parent consented; the competent child refused
    WITHDRAWN = "withdrawn"
    # A parent's decision, and the young person now decides for themselves (16, or 18: rules.parent_decision_ends_on)
    PARENT_DECISION_LAPSED = "parent_decision_lapsed"
    EXPIRED = "expired"
    NOT_YET_IN_FORCE = "not_yet_in_force"
    OUT_OF_SCOPE_PURPOSE = "out_of_scope_purpose"
    OUT_OF_SCOPE_TIER = "out_of_scope_tier"
    OUT_OF_SCOPE_AGENCY = "out_of_scope_agency"


@dataclass(frozen=True)
class ConsentAnswer:
    """The answer: `covered`, the record that decides (`consent`, None when none does), the reason, the date
    that decides it (withdrawn on, expired after, in force from), who refused, and the sentence to show.
    `overridden` are the records the deciding one prevails over (a parent's consent the competent child's refusal
    overrides, or a parent's refusal the child's consent overrides)."""

    covered: bool
    reason: Reason
    message: str
    consent: ConsentRecord | None = None
    on: date | None = None
    refused_by: str = ""
    overridden: tuple[ConsentRecord, ...] = field(default_factory=tuple)


_MISS_REASON = {
    rules.Miss.WITHDRAWN: Reason.WITHDRAWN,
    rules.Miss.PARENT_LAPSED: Reason.PARENT_DECISION_LAPSED,
    # No decision of the child's counts: as if none were recorded (a Reason of its own would be a new value of the
    # disclosures' consent check).
    rules.Miss.UNASSESSED: Reason.NONE_RECORDED,
    rules.Miss.REBUTTED: Reason.NONE_RECORDED,
    rules.Miss.EXPIRED: Reason.EXPIRED,
    rules.Miss.NOT_YET_IN_FORCE: Reason.NOT_YET_IN_FORCE,
    rules.Miss.PURPOSE: Reason.OUT_OF_SCOPE_PURPOSE,
    rules.Miss.TIER: Reason.OUT_OF_SCOPE_TIER,
    rules.Miss.AGENCY: Reason.OUT_OF_SCOPE_AGENCY,
}
# When no consent is in force for the share, the nearest miss is told: a withdrawal, an expiry or a start still
# to come says more than a scope that never covered it.
_MISS_ORDER = [
    rules.Miss.WITHDRAWN,
    rules.Miss.PARENT_LAPSED,
    rules.Miss.UNASSESSED,
    rules.Miss.REBUTTED,
    rules.Miss.EXPIRED,
    rules.Miss.NOT_YET_IN_FORCE,
    rules.Miss.AGENCY,
    rules.Miss.TIER,
    rules.Miss.PURPOSE,
]
_SCOPE_MISSES = frozenset({rules.Miss.PURPOSE, rules.Miss.TIER, rules.Miss.AGENCY})
_TIER_WORDS = {"minimum": "the minimum data", "sensitive": "detailed and sensitive information"}


def who_decided(record: ConsentRecord, age: int) -> str:
    """Who decided: the child with their age on the day (`age`: decision_age, by the date of birth recorded now), or
    the parent by name and relationship."""
    if record.given_by == GivenBy.CHILD:
        return f"the child ({age})"
    return f"{record.parent_name} (the child's {record.parent_relationship.lower()})"


def _lapse_words(age: int) -> str:
    """Why a parent's decision made when the child was `age` (decision_age) no longer counts
    (rules.parent_decision_ends_on), and what is needed instead."""
    if rules.presumed_competent(age):
        return (
            f"parental responsibility ends at {rules.ADULT_AGE} (Children Act 1989), so the young person decides "
            "for themselves: their own decision is needed"
        )
    return (
        f"from {rules.PRESUMED_COMPETENT_AGE} the young person is presumed competent and decides for themselves: "
        "their own decision is needed (a parent decides again only if an assessment finds they cannot)"
    )


def decision_age(record: ConsentRecord, *, born_on: date, erased: bool = False) -> int:
    """The child's age on the day of the decision by the date of birth recorded now (`born_on`): a corrected date
    of birth corrects it (break11c finding 4). An erased record's date of birth keeps only its year
    (sharing.services.retention.child_erase), so the age recorded with the decision stands for it."""
    return record.child_age if erased else rules.age_on(born_on, record.obtained_on)


def competence_history(records: Iterable[ConsentRecord], born_on: date | None = None) -> tuple[rules.Assessment, ...]:
    """The child's history of competence assessments from `records` (all the child's decisions, withdrawn or
    not: rules.competence_history), each with the child's age on its day by `born_on` (the date of birth recorded
    now; None for an erased child's, whose date of birth keeps only its year)."""
    return rules.competence_history((decision_facts(record) for record in records), born_on)


def competence_histories(child_ids: Iterable[int]) -> dict[int, tuple[rules.Assessment, ...]]:
    """Each child's history of competence assessments (competence_history of all its decisions, withdrawn,
    ended or not), by child id; a child with no assessment recorded has none (an empty history). For a sweep over
    many children: one statement whatever the number of children or decisions (none for no children); only the
    decisions that carry an assessment are read, and only what decision_facts reads of them."""
    ids = set(child_ids)
    if not ids:
        return {}
    by_child: dict[int, list[ConsentRecord]] = {}
    born: dict[int, date | None] = {}
    for record in (
        ConsentRecord.objects.filter(child_id__in=ids, assessed_on__isnull=False)
        .only(
            "child_id", "given_by", "decision", "obtained_on", "child_age", "competence", "assessed_on",
            "parent_relationship",
        )
        # The child's date of birth in the same statement: each finding's age decides whether it rebuts the
        # presumption at 16 (rules.rebutted_on); an erased child's keeps only its year, so none (fix11m).
        .annotate(child_born_on=F("child__born_on"), child_erased_at=F("child__erased_at"))
    ):  # fmt: skip
        by_child.setdefault(record.child_id, []).append(record)
        born[record.child_id] = None if record.child_erased_at is not None else record.child_born_on
    return {child_id: competence_history(records, born[child_id]) for child_id, records in by_child.items()}


def record_timing(
    record: ConsentRecord,
    day: date,
    *,
    born_on: date,
    erased: bool = False,
    history: Sequence[rules.Assessment] = (),
) -> tuple[rules.Miss, date] | None:
    """Why `record` is not in force on `day` and the date that decides it, or None when it is: its period, its
    withdrawal, for a parent's decision the day the young person decides for themselves (`born_on`: the
    child's date of birth), whether the decision was the decider's to make at the child's age then by that
    date of birth (rules.decider_miss: an under-16's own decision needs a Fraser assessment), and for the child's
    own decision whether the child's history of assessments (`history`: competence_history of all the child's
    decisions) has found them not competent since the competence it rests on (rules.rebutted_on: REBUTTED;
    break11j findings 1, 4). The one reading of a record for the selector, the summary, the FHIR form and
    retention."""
    age = decision_age(record, born_on=born_on, erased=erased)
    withdrawal = record.withdrawal_or_none()
    timing = rules.period_miss(
        day=day,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        withdrawn_on=withdrawal.withdrawn_on if withdrawal else None,
        lapses_on=rules.parent_decision_ends_on(given_by=record.given_by, child_age=age, born_on=born_on),
    )
    if timing is not None and timing[0] != rules.Miss.NOT_YET_IN_FORCE:
        return timing
    # A decision that is not the decider's to make, or that the child's history of assessments rebutted, is read
    # as such before a start still to come: it would not count on that day either, and no reading (the FHIR
    # status, the summary) may take it for one about to count (breakt11l F2).
    miss = rules.decider_miss(
        given_by=record.given_by, child_age=age, assessment=record.competence, obtained_on=record.obtained_on
    )
    if miss is not None:
        return miss
    rebutted = rules.rebutted_on(decision_facts(record), history, day)
    return (rules.Miss.REBUTTED, rebutted) if rebutted is not None else timing


def _unassessed_words(record: ConsentRecord, age: int) -> str:
    # Barnet: under 16 a child decides for themselves only when assessed competent (Fraser/Gillick).
    return (
        f"the child was {age} when they decided on {long_date(record.obtained_on)} (by the date of birth recorded "
        f"now), under {rules.PRESUMED_COMPETENT_AGE}, and no Fraser assessment of their competence is recorded: "
        "record the decision of a person with parental responsibility, or assess the child and record their own "
        "decision again"
    )


def _rebutted_words(record: ConsentRecord, on: date) -> str:
    # Barnet: where a child "is not competent to do so, then a person with parental responsibility should be asked".
    if rules.rests_on_presumption(decision_facts(record)):
        # Mental Capacity Act 2005 s1(2): from 16 capacity is presumed unless it is established otherwise.
        return (
            f"an assessment on {long_date(on)} found the young person not competent to decide and none since found "
            f"them competent, so this decision of {long_date(record.obtained_on)} does not rest on the presumption "
            f"of competence at {rules.PRESUMED_COMPETENT_AGE}: record the decision of a person with parental "
            "responsibility, or assess the young person again and record their own decision again"
        )
    return (
        f"an assessment on {long_date(on)}, made after the competence this decision of "
        f"{long_date(record.obtained_on)} rests on, found the child not competent to decide: record the decision "
        "of a person with parental responsibility, or assess the child again and record their own decision again"
    )


def _facts(record: ConsentRecord, *, born_on: date, erased: bool) -> rules.DecisionFacts:
    return replace(decision_facts(record), child_age=decision_age(record, born_on=born_on, erased=erased))


def _miss_message(
    miss: rules.Miss, record: ConsentRecord, on: date, *, tier: str, purpose: str, agency: Agency, age: int
) -> str:
    label = f"consent record {record.pk}"
    if miss == rules.Miss.WITHDRAWN:
        return f"The consent given by {who_decided(record, age)} ({label}) was withdrawn on {long_date(on)}."
    if miss == rules.Miss.PARENT_LAPSED:
        return (
            f"The decision of {who_decided(record, age)} ({label}) no longer counts from {long_date(on)}: "
            f"{_lapse_words(age)}."
        )
    if miss == rules.Miss.UNASSESSED:
        return f"The decision of the child ({label}) does not count: {_unassessed_words(record, age)}."
    if miss == rules.Miss.REBUTTED:
        return f"The decision of the child ({label}) no longer counts: {_rebutted_words(record, on)}."
    if miss == rules.Miss.EXPIRED:
        return f"The consent given by {who_decided(record, age)} ({label}) ended on {long_date(on)}."
    if miss == rules.Miss.NOT_YET_IN_FORCE:
        return f"The consent given by {who_decided(record, age)} ({label}) is in force only from {long_date(on)}."
    if miss == rules.Miss.PURPOSE:
        return f"No consent covers the purpose “{purpose[:100]}”: {label} covers {', '.join(record.purposes)}."
    if miss == rules.Miss.TIER:
        return f"No consent covers {_TIER_WORDS.get(tier, tier)}: {label} does not include it."
    if record.all_signatories:
        return (
            f"No consent covers sharing with {agency}: {label} covers the signatories of {record.protocol} when it "
            f"was decided on {long_date(record.obtained_on)} that still hold a live signature "
            f"on its version in force, and {agency} held no live signature then or holds none now (an agency that "
            "signed later needs a new decision)."
        )
    if any(named.pk == agency.pk for named in record.recipients.all()):
        return (
            f"No consent covers sharing with {agency}: {label} names it, but it holds no live signature on the "
            f"version in force of {record.protocol}."
        )
    return f"No consent covers sharing with {agency}: it is not among the agencies named in {label}."


# A child's consent records with their withdrawal and protocol, compiled once per process (isp_portal.rows.Compiled:
# every request and answer asks it, issue 12); the agencies each names are prefetched as before, only when there are
# records (a second statement, as prefetch_related runs it).
_RECORDS = rows.Compiled(
    "consent_records_of",
    lambda child: (
        ConsentRecord.objects.filter(child_id=child)
        .select_related("withdrawal", "protocol")
        .order_by("-obtained_on", "-pk")
    ),
    child=rows.SLOT_ID,
)


def _records_of(child: Child) -> list[ConsentRecord]:
    records = _RECORDS.rows(child=int(child.pk))
    prefetch_related_objects(records, Prefetch("recipients", queryset=Agency.objects.only("pk")))
    return records


@dataclass(frozen=True)
class _Signatures:
    """An agency's signatures of the protocols a child's consents name: `now`, the protocols it holds a live
    signature on, at the moment asked, for the version in force; `held`, each protocol's signatures (signed at,
    ended at: _signature_end), any version, for rules.signatory_at."""

    now: set[int]
    held: dict[int, list[tuple[datetime, datetime | None]]]

    def when_decided(self, record: ConsentRecord) -> bool:
        return rules.signatory_at(self.held.get(record.protocol_id, []), scope_fixed_at(record))


def scope_fixed_at(record: ConsentRecord) -> datetime:
    """When `record`'s "every signatory" scope names its agencies (rules.scope_fixed_at: the end of the day it
    was obtained, or its recording if sooner; break11h finding 3)."""
    return rules.scope_fixed_at(
        obtained_on=record.obtained_on, recorded_at=record.recorded_at, tz=timezone.get_current_timezone()
    )


def _signed(agency_id: int, protocol_ids: set[int], moment: datetime) -> _Signatures:
    """The agency's signatures of `protocol_ids` (_Signatures). One statement."""
    if not protocol_ids:
        return _Signatures(set(), {})
    rows = (
        Signature.objects.filter(agency_id=agency_id, protocol_id__in=protocol_ids)
        .annotate(current=Exists(_current_versions(protocol_ids).filter(current_version_id=OuterRef("version_id"))))
        .annotate(ended_at=_signature_end())
        .values_list("protocol_id", "signed_at", "ended_at", "current")
    )
    now: set[int] = set()
    held: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for protocol_id, signed_at, ended_at, current in rows:
        held.setdefault(protocol_id, []).append((signed_at, ended_at))
        if current and rules.signatory_at([(signed_at, ended_at)], moment):
            now.add(protocol_id)
    return _Signatures(now, held)


def signatories_covered(record: ConsentRecord, moment: datetime | None = None) -> list[Agency]:
    """The agencies an "every signatory" consent covers at `moment` (now), by name: those that were signatories of
    its protocol when it was decided and hold a live signature on its version in force now (rules.scope_miss,
    scope_fixed_at; break11e finding 7, break11h finding 3). Empty for a consent naming its recipients. One statement
    (none for a named scope)."""
    if not record.all_signatories:
        return []
    at = moment or timezone.now()
    rows = (
        Signature.objects.filter(protocol_id=record.protocol_id)
        .annotate(
            current=Exists(_current_versions({record.protocol_id}).filter(current_version_id=OuterRef("version_id")))
        )
        .annotate(ended_at=_signature_end())
        .select_related("agency")
        .order_by("agency__name", "agency_id")
    )
    held: dict[int, list[tuple[datetime, datetime | None]]] = {}
    now: set[int] = set()
    agencies: dict[int, Agency] = {}
    for signature in rows:
        agencies[signature.agency_id] = signature.agency
        held.setdefault(signature.agency_id, []).append((signature.signed_at, signature.ended_at))
        if signature.current and rules.signatory_at([(signature.signed_at, signature.withdrawn_at)], at):
            now.add(signature.agency_id)
    return [
        agency
        for agency_id, agency in agencies.items()
        if agency_id in now and rules.signatory_at(held[agency_id], scope_fixed_at(record))
    ]


def _signature_end() -> Least:
    """When a signature stopped being live: its withdrawal, or the adoption of a new version it was carried over to
    (the carried signature, signed at the adoption, takes over: protocols.services._carry_over_signatures),
    whichever came first; NULL while live. So rules.signatory_at reads, at any moment, the signatures of the version
    then in force only (break11j finding 5). PostgreSQL's LEAST ignores NULLs."""
    return Least(F("withdrawn_at"), F("carried_to__signed_at"), output_field=DateTimeField())


def _current_versions(protocol_ids: set[int]) -> Any:
    return Protocol.objects.filter(pk__in=protocol_ids, status__in=IN_FORCE_STATUSES).values("current_version_id")


def consent_records(child: Child) -> list[ConsentRecord]:
    """The child's consent records as consent_covering reads them, for a caller asking about several tiers at once
    (one read, passed to each: disclosures.services.checks.consent_answers)."""
    return _records_of(child)


def consent_covering(
    *,
    child: Child,
    tier: str,
    agency: Agency,
    purpose: str,
    at: datetime | None = None,
    records: list[ConsentRecord] | None = None,
) -> ConsentAnswer:
    """Which consent, if any, covers sharing `tier` of `child` with `agency` for `purpose` at `at` (now), and if
    none, why not.

    A consent covers the share when its scope names the purpose and the tier and either names the agency or is
    for every signatory of its protocol, and the agency holds a live signature on its version in force at `at`,
    and it is in force on that day (from `valid_from`, to `valid_until`, not withdrawn on or before it). Of the
    decisions that cover it, a competent child's own prevails over any parent's, in both directions, and the
    latest of the prevailing party's counts (consent.rules.prevailing_decision). Two or three queries; one fewer
    when the caller read the child's records (`records`: consent_records) in this transaction."""
    moment = at or timezone.now()
    day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    if records is None:
        records = _records_of(child)
    if not records:
        return ConsentAnswer(
            covered=False,
            reason=Reason.NONE_RECORDED,
            message="No consent has been recorded for this child: consent is needed, or another lawful basis.",
        )
    signed_protocols = _signed(agency.pk, {r.protocol_id for r in records}, moment)
    applicable: list[ConsentRecord] = []
    misses: list[tuple[rules.Miss, ConsentRecord, date | None]] = []
    erased = child.erased_at is not None
    history = competence_history(records, None if erased else child.born_on)
    for record in records:
        timing = record_timing(record, day, born_on=child.born_on, erased=erased, history=history)
        scope = rules.ScopeFacts(
            purposes=frozenset(record.purposes),
            tiers=frozenset(record.tiers),
            all_signatories=record.all_signatories,
            recipients=frozenset(a.pk for a in record.recipients.all()),
            protocol_id=record.protocol_id,
        )
        miss = rules.scope_miss(
            scope,
            tier=tier,
            purpose=purpose,
            agency_id=agency.pk,
            agency_signed=record.protocol_id in signed_protocols.now,
            signed_when_decided=signed_protocols.when_decided(record),
        )
        if miss is not None:
            misses.append((miss, record, None))
        elif timing is not None:
            misses.append((timing[0], record, timing[1]))
        else:
            applicable.append(record)
    # A parent's decision gives way to a competent child's own decision about this share, made before or after it,
    # once that is withdrawn or ends, until the child's history of assessments finds them not competent since
    # (rules.superseding_child_decision; break11e finding 5, break11h finding 1, break11j finding 1).
    decided = {
        record.pk: record
        for miss, record, _ in misses
        if miss not in _SCOPE_MISSES and record.given_by == GivenBy.CHILD and record.obtained_on <= day
    }
    superseded: list[tuple[ConsentRecord, ConsentRecord]] = []
    for record in list(applicable):
        by = rules.superseding_child_decision(
            _facts(record, born_on=child.born_on, erased=erased),
            [_facts(own, born_on=child.born_on, erased=erased) for own in decided.values()],
            history,
            day,
        )
        if by is not None:
            applicable.remove(record)
            superseded.append((record, decided[by.record_id]))
    by_id = {record.pk: record for record in applicable}
    prevailing = rules.prevailing_decision(
        [_facts(record, born_on=child.born_on, erased=erased) for record in applicable]
    )
    if prevailing is None:
        miss, record, on = min(misses, key=lambda item: _MISS_ORDER.index(item[0]))
        age = decision_age(record, born_on=child.born_on, erased=erased)
        message = _miss_message(miss, record, on or day, tier=tier, purpose=purpose, agency=agency, age=age)
        if superseded:  # the child's decision out of force, and why the parent's does not cover the share again
            parent, own = superseded[0]
            miss, record, on = next(item for item in misses if item[1].pk == own.pk)
            age = decision_age(own, born_on=child.born_on, erased=erased)
            message = (
                _miss_message(miss, own, on or day, tier=tier, purpose=purpose, agency=agency, age=age)
                + " "
                + _superseded_words(parent, decision_age(parent, born_on=child.born_on, erased=erased), own, age)
            )
        return ConsentAnswer(covered=False, reason=_MISS_REASON[miss], message=message, consent=record, on=on)
    winner = by_id[prevailing.decision.record_id]
    overridden = tuple(by_id[facts.record_id] for facts in prevailing.overridden)
    if winner.decision == Decision.GIVEN:
        return ConsentAnswer(
            covered=True,
            reason=Reason.COVERED,
            message=prevailing.message,
            consent=winner,
            on=winner.obtained_on,
            overridden=overridden,
        )
    parent_consent = winner.given_by == GivenBy.CHILD and any(r.given_by == GivenBy.PARENT for r in overridden)
    return ConsentAnswer(
        covered=False,
        reason=Reason.PARENT_OVERRIDDEN if parent_consent else Reason.REFUSED,
        message=prevailing.message,
        consent=winner,
        on=winner.obtained_on,
        refused_by=who_decided(winner, prevailing.decision.child_age),
        overridden=overridden,
    )


# --- Reads people make ------------------------------------------------------------------------------------------


def consents_visible(user: Any) -> QuerySet[ConsentRecord]:
    """The consent records the user may read, with what their pages and the API show (the agencies an "every
    signatory" scope covers among them: with_signatories_then)."""
    return (
        with_signatories_then(restrict(user, "view", ConsentRecord))
        .select_related(
            "child", "withdrawal", "protocol", "protocol_version", "recorded_by", "recorded_by_agency", "evidence"
        )
        .prefetch_related(Prefetch("recipients", queryset=Agency.objects.only("pk", "name")), "reviews")
    )


# A child has a handful of decisions; a list is bounded all the same (newest first).
CONSENTS_LISTED = 200


def child_consents(user: Any, child: Child, *, purpose: str = "") -> list[ConsentRecord]:
    """The child's consent records the user may read, newest first (at most CONSENTS_LISTED). Audit:
    consent.list, with the purpose stated (a read of the child's information: DESIGN 2.6)."""
    records = list(consents_visible(user).filter(child_id=child.pk).order_by("-obtained_on", "-pk")[:CONSENTS_LISTED])
    audit_record(
        kind="consent.list",
        actor=user,
        object_type="sharing.child",
        object_id=child.pk,
        object_label=f"consents of child {child.pk}",
        child_id=child.pk,
        purpose=purpose,
        detail={"count": len(records)},
    )
    return records


def consent_detail(user: Any, pk: Any, *, purpose: str = "", action: str = "view") -> ConsentRecord:
    """One consent record (OutOfScope when out of the user's reach). Audit: consent.view, with the purpose."""
    record: ConsentRecord = get_or_deny(user, consents_visible(user), action=action, pk=pk)
    audit_record(kind="consent.view", actor=user, target=record, child_id=record.child_id, purpose=purpose)
    return record


@dataclass(frozen=True)
class Reading:
    """How one decision reads on a day among its child's decisions (consent_readings): the one reading of a
    record for the consent summary, the FHIR form, the API's `in_force` and the pages' tags.

    `age` is the child's age on the day of the decision by the date of birth recorded now (decision_age);
    `timing` why it is not in force and the date that decides it (record_timing), None when it is; `standing`
    (only when in force) the shares it covers and those on which another decision prevails against it
    (consent.rules.decision_standing); `reason` says why it is overridden, wholly or in part, and `part` (when
    in part) what part; `names` names the agencies the child's decisions name; `rebutted_from` (the child's own
    decision) the day from which the child's history of assessments found them not competent (rules.rebutted_on),
    whatever else ended it, for the FHIR period."""

    record: ConsentRecord
    age: int
    timing: tuple[rules.Miss, date] | None
    facts: rules.DecisionFacts
    standing: rules.Standing | None = None
    reason: str = ""
    part: str = ""
    names: dict[int, str] = field(default_factory=dict)
    rebutted_from: date | None = None  # the child's own decision: the day it no longer counts (rules.rebutted_on)

    @property
    def overridden(self) -> bool:
        """In force, but another decision prevails against it on every share it covers."""
        return self.standing is not None and self.standing.overridden

    @property
    def partly_overridden(self) -> bool:
        return self.standing is not None and self.standing.partly_overridden

    @property
    def in_force(self) -> bool:
        """Whether the decision counts today for some share: in its period, not withdrawn, the decider's to make
        (record_timing), and not overridden on every share it covers."""
        return self.timing is None and not self.overridden

    @property
    def parts_against(self) -> list[rules.SharePart]:
        """The shares on which another decision prevails against it, as parts (consent.rules.share_parts)."""
        if self.standing is None:
            return []
        return rules.share_parts(share for share, _ in self.standing.against)

    @property
    def parts_prevailed_in_force(self) -> list[rules.SharePart]:
        """The shares on which a decision in force prevails against it (not those only a decision out of force
        supersedes: rules.Standing.superseded, where nothing covers the share at all), as parts."""
        if self.standing is None:
            return []
        superseded = self.standing.superseded
        return rules.share_parts(share for share, _ in self.standing.against if share not in superseded)


def _scope_facts(record: ConsentRecord) -> rules.ScopeFacts:
    signatories = getattr(record, "signatories_then", None)  # _decisions_of reads it
    return rules.ScopeFacts(
        frozenset(record.purposes),
        frozenset(record.tiers),
        record.all_signatories,
        frozenset(a.pk for a in record.recipients.all()),
        record.protocol_id,
        frozenset(signatories) if signatories is not None else None,
    )


def consent_readings(records: list[ConsentRecord], today: date) -> dict[int, Reading]:
    """Each of `records` (one child's decisions, with their child, withdrawal and recipients) read on `today` by
    id: record_timing first, then, among those in force, consent.rules.decision_standing (share by share, the
    decision that counts by rules.prevailing_decision, as consent_covering meets them). No query beyond what the
    records hold."""
    names = {agency.pk: agency.name for record in records for agency in record.recipients.all()}
    child = records[0].child if records else None
    history = competence_history(records, child.born_on if child is not None and child.erased_at is None else None)
    first: dict[int, Reading] = {}
    for record in records:
        erased = record.child.erased_at is not None
        born_on = record.child.born_on
        first[record.pk] = Reading(
            record=record,
            age=decision_age(record, born_on=born_on, erased=erased),
            timing=record_timing(record, today, born_on=born_on, erased=erased, history=history),
            facts=_facts(record, born_on=born_on, erased=erased),
            names=names,
            rebutted_from=rules.rebutted_on(decision_facts(record), history, today),
        )
    in_force = [(reading.facts, _scope_facts(reading.record)) for reading in first.values() if reading.timing is None]
    decided = _decided_out_of_force(first.values(), today)
    readings: dict[int, Reading] = {}
    for pk, reading in first.items():
        if reading.timing is not None:
            readings[pk] = reading
            continue
        standing = rules.decision_standing(reading.facts, in_force, decided, history, today)
        readings[pk] = replace(reading, standing=standing)
    for pk, reading in readings.items():
        if reading.standing is not None and reading.standing.against:
            readings[pk] = replace(
                reading,
                reason=_overriding_words(reading, readings),
                part=_parts_words(reading) if reading.partly_overridden else "",
            )
    return readings


def _decided_out_of_force(
    readings: Iterable[Reading], today: date
) -> list[tuple[rules.DecisionFacts, rules.ScopeFacts]]:
    """The child's own decisions made by `today` that are not in force on it (withdrawn, ended, still to start),
    with their scopes: what a parent's earlier decision gives way to for good (rules.superseding_child_decision)."""
    return [
        (reading.facts, _scope_facts(reading.record))
        for reading in readings
        if reading.timing is not None
        and reading.record.given_by == GivenBy.CHILD
        and reading.record.obtained_on <= today
    ]


def _superseded_words(parent: ConsentRecord, parent_age: int, child: ConsentRecord, child_age: int) -> str:
    """Why a parent's decision no longer counts where a competent child decided after it (the one sentence for
    the reading and consent_covering's "why not"; rules.superseding_child_decision)."""
    return (
        f"The decision of {who_decided(parent, parent_age)} (consent record {parent.pk}) no longer counts here: "
        f"the child ({child_age}), competent to decide, decided for themselves on {long_date(child.obtained_on)} "
        f"(consent record {child.pk}), and a competent child's decision prevails over a parent's, even once it "
        "is withdrawn or ends, unless an assessment made since finds the child not competent. Record the child's "
        "own decision again."
    )


def _overriding_words(reading: Reading, readings: dict[int, Reading]) -> str:
    """Why the decision is overridden (wholly or in part): by the latest decision that prevails against it. Barnet:
    a competent child's consent or refusal "should be the one to consider even if the parent/carer disagrees";
    consent "kept under active review": the party's later decision replaces its earlier one."""
    assert reading.standing is not None
    winner = reading.standing.prevailing[0]
    child = readings.get(winner.record_id)
    if child is not None and child.timing is not None and reading.record.given_by == GivenBy.PARENT:
        return _superseded_words(reading.record, reading.age, child.record, child.age)
    if winner.given_by == GivenBy.CHILD and reading.record.given_by == GivenBy.PARENT:
        prevailing = rules.prevailing_decision([reading.facts, winner])
        assert prevailing is not None
        return prevailing.message
    later = readings[winner.record_id]
    # The later decision by its record's number, not by who made it: this reason is read by whoever may read
    # `reading`'s record, who may not read the later one (an agency auditor of another agency: DESIGN 3.2, one
    # choke point; break11h finding 6); its own page, behind the policy, names the person.
    by = "the child" if later.record.given_by == GivenBy.CHILD else "a person with parental responsibility"
    return (
        f"The decision of {who_decided(reading.record, reading.age)} on {long_date(reading.record.obtained_on)} is "
        f"replaced by a later decision of {by} (consent record {later.record.pk}) on "
        f"{long_date(later.record.obtained_on)}."
    )


def _parts_words(reading: Reading) -> str:
    """The shares another decision prevails on, in words: "the minimum data with Northshire Police, for ..."."""
    record = reading.record
    said = []
    for part in reading.parts_against:
        tiers = " and ".join(_TIER_WORDS.get(tier, tier) for tier in record.tiers if tier in part.tiers)
        whom = [reading.names.get(agency, f"agency {agency}") for agency in sorted(a for a in part.agencies if a)]
        if None in part.agencies:
            whom.append(f"every other signatory of {record.protocol}")
        purposes = [purpose for purpose in record.purposes if purpose in part.purposes]
        said.append(f"{tiers} with {', '.join(whom)}, for {'; '.join(purposes)}")
    return "; and ".join(said)


def child_decisions(child_id: int) -> list[ConsentRecord]:
    """Every decision recorded about the child, whoever may read it, with what consent_readings reads (each is
    read among all of them: a decision the reader cannot see may still prevail). Two statements: the records
    with their child and withdrawal, and their recipients."""
    return _decisions_of([child_id])


class _DayEnd(Func):
    """The end of a date's day (the next day's midnight) in the portal's time zone, as rules.scope_fixed_at."""

    template = f"((%(expressions)s + 1)::timestamp AT TIME ZONE '{settings.TIME_ZONE}')"
    output_field = DateTimeField()


def _signed_at(*, protocol: Any, moment: Any) -> QuerySet[Signature]:
    """The signatures of `protocol` live at `moment` (the version then in force: _signature_end): rules.signatory_at
    as a condition the database answers, both given as expressions of an outer query."""
    return Signature.objects.annotate(ended_at=_signature_end()).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=moment), protocol_id=protocol, signed_at__lte=moment
    )


def with_signatories_then(records: QuerySet[ConsentRecord], *, named: bool = True) -> QuerySet[ConsentRecord]:
    """`records` each with the agencies that were signatories of its protocol when it was decided, read in the
    same statement (no statement more, whatever the number of records): `scope_at`, the moment an "every
    signatory" scope names its agencies (rules.scope_fixed_at: the end of the day it was obtained in the portal's
    time zone, or its recording if sooner), `signatories_then`, their ids (rules.signatory_at at that moment, any
    version of the protocol), and (unless not `named`) `signatories_then_named`, each as {"id", "name"} by name.
    The one reading of an
    "every signatory" scope's agencies for consent_readings, the API and the FHIR form (signatories_when_decided);
    computed for every record, read only for an "every signatory" one."""
    live_then = _signed_at(protocol=OuterRef("protocol_id"), moment=OuterRef("scope_at"))
    by_name = (
        Agency.objects.filter(
            Exists(
                _signed_at(protocol=OuterRef(OuterRef("protocol_id")), moment=OuterRef(OuterRef("scope_at"))).filter(
                    agency_id=OuterRef("pk")
                )
            )
        )
        .order_by("name", "pk")
        .values(agency=JSONObject(id="pk", name="name"))
    )
    annotated = records.annotate(scope_at=Least(F("recorded_at"), _DayEnd(F("obtained_on")))).annotate(
        signatories_then=ArraySubquery(live_then.values("agency_id"))
    )
    return annotated.annotate(signatories_then_named=ArraySubquery(by_name)) if named else annotated


def signatories_when_decided(record: ConsentRecord) -> list[dict[str, Any]]:
    """The agencies an "every signatory" consent covers, as {"id", "name"} by name: its protocol's signatories
    when it was decided (with_signatories_then, read with the record by consents_visible; one statement when the
    record was read without it). Empty for a consent naming its recipients."""
    if not record.all_signatories:
        return []
    named = getattr(record, "signatories_then_named", None)
    if named is None:
        read: Any = with_signatories_then(ConsentRecord.objects.filter(pk=record.pk)).get()
        named = read.signatories_then_named
    return list(named)


def _decisions_of(child_ids: Iterable[int]) -> list[ConsentRecord]:
    """The children's decisions with what consent_readings reads, each with `signatories_then`: the agencies that
    were signatories of its protocol when it was decided (with_signatories_then), read in the same statement, so
    that the reading asks what consent_covering asks (break11h finding 4)."""
    return list(
        with_signatories_then(ConsentRecord.objects.filter(child_id__in=list(child_ids)), named=False)
        .select_related("withdrawal", "protocol", "child")
        .prefetch_related(Prefetch("recipients", queryset=Agency.objects.only("pk", "name")))
        .order_by("-obtained_on", "-pk")
    )


def children_readings(child_ids: Iterable[int], today: date) -> dict[int, Reading]:
    """How each decision of each of the children reads on `today` (consent_readings, each child's decisions read
    among themselves), by id: for a sweep over many children. Two statements (none for no children)."""
    ids = set(child_ids)
    if not ids:
        return {}
    by_child: dict[int, list[ConsentRecord]] = {}
    for record in _decisions_of(ids):
        by_child.setdefault(record.child_id, []).append(record)
    return {pk: reading for records in by_child.values() for pk, reading in consent_readings(records, today).items()}


def child_readings(child_id: int, today: date) -> dict[int, Reading]:
    """How each of the child's decisions reads on `today` (consent_readings), by id. Two statements."""
    return consent_readings(child_decisions(child_id), today)


def record_reading(record: ConsentRecord, today: date) -> Reading:
    """How `record` reads on `today` among its child's decisions (consent_readings). Two statements."""
    decisions = child_decisions(record.child_id)
    readings = consent_readings(decisions, today)
    found = readings.get(record.pk)
    if found is None:  # recorded between the two reads: read it among those
        return consent_readings([*decisions, record], today)[record.pk]
    return found


@dataclass(frozen=True)
class SummaryLine:
    record: ConsentRecord
    sentence: str


@dataclass(frozen=True)
class ConsentSummary:
    """A child's consents at a glance (the consent summary page): what is covered now, what was refused or
    withdrawn, what is due for review, and the records not yet or no longer in force, with how each record reads
    (`readings`, by id: consent_readings)."""

    covered_now: list[SummaryLine]
    refused: list[SummaryLine]
    withdrawn: list[SummaryLine]
    due_for_review: list[SummaryLine]
    not_in_force: list[SummaryLine]
    overridden: list[SummaryLine]
    readings: dict[int, Reading] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.covered_now or self.refused or self.withdrawn or self.not_in_force or self.overridden)


def _scope_words(record: ConsentRecord) -> str:
    tiers = " and ".join(_TIER_WORDS.get(tier, tier) for tier in record.tiers)
    whom = (
        f"every signatory of {record.protocol}"
        if record.all_signatories
        else ", ".join(a.name for a in record.recipients.all())
    )
    return f"{tiers} with {whom}, for {'; '.join(record.purposes)}"


def consent_summary(
    records: list[ConsentRecord], today: date, *, decisions: list[ConsentRecord] | None = None
) -> ConsentSummary:
    """The summary of `records` (one child's, as child_consents read them, with their child: no further query) on
    `today`, each read among `decisions` (the child's every decision: child_decisions; `records` by default) by
    consent_readings, as consent_covering reads them: in force by record_timing, and share by share the decision
    that counts by rules.prevailing_decision (a competent child's own over a parent's; the latest of the party's).
    A decision is listed as covered or refused when it counts for some share (saying for which shares it does not,
    if any); one another decision prevails against on every share it covers is listed with what stands against
    it."""
    readings = consent_readings(decisions if decisions is not None else records, today)
    covered: list[SummaryLine] = []
    refused: list[SummaryLine] = []
    withdrawn: list[SummaryLine] = []
    due: list[SummaryLine] = []
    idle: list[SummaryLine] = []
    lines_overridden: list[SummaryLine] = []
    for record in records:
        reading = readings.get(record.pk) or consent_readings([record], today)[record.pk]
        timing, age = reading.timing, reading.age
        who = who_decided(record, age)
        if timing is not None and timing[0] == rules.Miss.WITHDRAWN:
            withdrawn.append(
                SummaryLine(
                    record, f"{capfirst(who)} withdrew consent on {long_date(timing[1])}: {_scope_words(record)}."
                )
            )
            continue
        if timing is not None and timing[0] == rules.Miss.PARENT_LAPSED:
            idle.append(
                SummaryLine(
                    record,
                    f"The decision of {who} no longer counts from {long_date(timing[1])}: {_lapse_words(age)}.",
                )
            )
            continue
        if timing is not None and timing[0] == rules.Miss.UNASSESSED:
            idle.append(SummaryLine(record, f"The decision of {who} does not count: {_unassessed_words(record, age)}."))
            continue
        if timing is not None and timing[0] == rules.Miss.REBUTTED:
            idle.append(
                SummaryLine(record, f"The decision of {who} no longer counts: {_rebutted_words(record, timing[1])}.")
            )
            continue
        if timing is not None:
            word = "ended on" if timing[0] == rules.Miss.EXPIRED else "starts on"
            idle.append(SummaryLine(record, f"The decision of {who} {word} {long_date(timing[1])}."))
            continue
        if record.review_due_on is not None and record.review_due_on <= today:
            due.append(SummaryLine(record, f"Review was due on {long_date(record.review_due_on)}."))
        if reading.overridden:
            lines_overridden.append(SummaryLine(record, reading.reason))
            continue
        verb = "consented to" if record.decision == Decision.GIVEN else "refused"
        sentence = f"{capfirst(who)} {verb} sharing {_scope_words(record)}."
        if reading.partly_overridden:
            sentence += f" It does not count for {reading.part}: {reading.reason}"
        (covered if record.decision == Decision.GIVEN else refused).append(SummaryLine(record, sentence))
    return ConsentSummary(covered, refused, withdrawn, due, idle, lines_overridden, readings)


def own_consent_live(records: list[ConsentRecord], today: date) -> bool:
    """Whether the young person's own consent is live on `today` among `records` (one child's, with their child):
    a decision of theirs to share that the consent summary lists as covered now. A parent's decision never counts
    here: it is not the young person's consent, and parental responsibility ends at 18 (Southampton 11: "consent
    is only required ... to retain records for young people past 18"; Children Act 1989 ss.3, 105)."""
    return any(line.record.given_by == GivenBy.CHILD for line in consent_summary(records, today).covered_now)


def child_consent_summary(user: Any, child: Child, *, purpose: str = "", today: date | None = None) -> ConsentSummary:
    """The consent summary of `child` as the user may read it (child_consents: audited), each decision read among
    all the child's (child_decisions)."""
    records = child_consents(user, child, purpose=purpose)
    return consent_summary(records, today or timezone.localdate(), decisions=child_decisions(child.pk))


@dataclass(frozen=True)
class ScopeOption:
    """What a consent under one protocol may cover: the purposes of its version in force and the agencies with a
    live signature on it (the recipients a consent may name). For the consent form's choices."""

    protocol: Protocol
    purposes: list[str]
    signatories: list[Agency]


def consent_scope_options() -> list[ScopeOption]:
    """Every protocol in force with what a consent under it may cover (ScopeOption), by title. Two statements."""
    protocols = list(
        Protocol.objects.filter(status__in=IN_FORCE_STATUSES, current_version__isnull=False)
        .select_related("current_version")
        .order_by("title")
    )
    signed: dict[int, list[Agency]] = {}
    for signature in (
        Signature.objects.filter(
            protocol__in=protocols, version_id__in=[p.current_version_id for p in protocols], withdrawn_at__isnull=True
        )
        .select_related("agency")
        .order_by("agency__name")
    ):
        signed.setdefault(signature.protocol_id, []).append(signature.agency)
    return [
        ScopeOption(
            protocol=protocol,
            purposes=list(protocol.current_version.permitted_purposes) if protocol.current_version else [],
            signatories=signed.get(protocol.pk, []),
        )
        for protocol in protocols
    ]
