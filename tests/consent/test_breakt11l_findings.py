"""Tester t11l's findings on issue 11 (the consent side: the one competence rule from the child's history of
assessments, consent.rules.competence_history and rebutted_on, as the selector, the FHIR form, the summary and the
review sweep read it), each a test that fails against main as found (a0bc640), marked xfail(strict) so the suite
stays green until it is fixed. Data is built through the services, as a practitioner meets it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.fhir import consent_resource_data
from consent.models import ConsentRecord
from consent.selectors import child_readings, consent_covering, consent_summary
from consent.services import consent_reviews_sweep
from isp_portal.models import Notification
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


def _loaded(made: ConsentRecord) -> ConsentRecord:
    return (
        ConsentRecord.objects.select_related(
            "child", "withdrawal", "protocol", "protocol_version", "recorded_by_agency"
        )
        .prefetch_related("recipients")
        .get(pk=made.pk)
    )


def _rebutted_child_consent(world: World, **values: Any) -> tuple[ConsentRecord, ConsentRecord]:
    """A 14-year-old assessed Fraser-competent 40 days ago consented that day; 20 days ago a practitioner found
    the child not competent and recorded the mother's consent carrying that assessment (rules.rebutted_on: the
    child's decision no longer counts from then)."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    forty = today - timedelta(days=40)
    own = record(world, child, obtained_on=forty, **assessed("competent", on=forty), **values)
    twenty = today - timedelta(days=20)
    mother = record(world, child, **parent(), obtained_on=twenty, **assessed("not_competent", on=twenty))
    return own, mother


def test_a_young_person_found_not_competent_does_not_decide_by_the_presumption_the_finding_rebutted(
    world: World,
) -> None:
    """A 16-year-old was assessed ten days ago and found not competent to decide about sharing (the presumption at
    16 rebutted: consent.rules.is_competent "16 and over unless an assessment rebutted the presumption"); the
    practitioner recorded the mother's refusal carrying that assessment. Today another practitioner records the
    young person's own consent to the same share, with no assessment (the form does not ask for one from 16). It is
    recorded, and consent_covering answers covered by it, overriding the mother's refusal: rules.rebutted_on looks
    only at assessments made *after* the day a presumed decision was made, so the child's latest assessment (not
    competent, unanswered by any finding of competence since) is ignored. The same happens when the not-competent
    finding is made on the very day of the young person's decision. The order of typing decides: had the consent
    been recorded first, the same finding would rebut it. Barnet, "Whose consent should be sought?": "where a
    child ... is not competent to do so, then a person with parental responsibility should be asked"; the
    recording's own refusal says "the latest assessment decides". Right: a decision resting on the presumption
    does not count (or is refused at recording: own_decision_rebutted_error) while the child's latest assessment
    made at 16 or over, on or before the day, found them not competent; a new assessment finding them competent
    lets them decide again."""
    child = child_aged(world, 16)
    today = timezone.localdate()
    ten = today - timedelta(days=10)
    mother = record(world, child, **parent(), decision="refused", obtained_on=ten, **assessed("not_competent", on=ten))
    try:
        own = record(world, child, obtained_on=today)
    except ValidationError:
        return  # refused at recording: the finding stands
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered, answer.message
    assert answer.consent != own
    assert child_readings(child.pk, today)[mother.pk].in_force


def test_a_rebutted_decision_yet_to_start_is_not_an_active_fhir_consent(world: World) -> None:
    """A 14-year-old assessed Fraser-competent 40 days ago consented that day to sharing from a date ten days
    ahead (valid_from). Twenty days ago the child was found not competent (the mother's consent carries the
    assessment). consent.selectors.record_timing reads the period first (rules.period_miss: NOT_YET_IN_FORCE) and
    returns before asking rules.rebutted_on, so the one reading says the decision "starts on" that day: the
    consent summary lists it as a decision yet to start, and the FHIR Consent is "active" with a permit from that
    day and no end (consent.fhir._status keeps "active" for a consent yet to start). On that day the selector
    answers that it does not count (REBUTTED): a receiving system reads a permit the portal will never honour. A
    withdrawn consent yet to start is read as withdrawn ("inactive"); a rebutted one should be read as rebutted.
    Right: record_timing asks the rebuttal before the start (or FHIR reads it), so the status is "inactive" and
    the summary says the decision no longer counts."""
    today = timezone.localdate()
    own, _ = _rebutted_child_consent(world, valid_from=today + timedelta(days=10))
    data = consent_resource_data(_loaded(own), today)
    assert data["status"] == "inactive", data["provision"]
    summary = consent_summary([_loaded(own)], today, decisions=list(ConsentRecord.objects.filter(child=own.child)))
    line = next(line for line in summary.not_in_force if line.record.pk == own.pk)
    assert "no longer counts" in line.sentence, line.sentence


def test_the_fhir_period_of_a_rebutted_decision_ends_the_day_before_the_finding(world: World) -> None:
    """The 14-year-old's consent of 40 days ago (no end date) was rebutted by the finding of 20 days ago. The
    FHIR Consent is "inactive", but its provision.period is {"start": <40 days ago>} with no end: a receiving
    system reads the permit as covering every day from then on, today included (FHIR R4 Consent.provision.period:
    "the timeframe in this rule is valid"). consent.fhir._period ends the period the day before a withdrawal and
    the day before a parent's decision lapses (rules.last_day_in_force), but not before a rebuttal. Right: the
    period ends the day before the rebuttal (the day of the first not-competent finding since: rebutted_on)."""
    today = timezone.localdate()
    own, _ = _rebutted_child_consent(world)
    data = consent_resource_data(_loaded(own), today)
    assert data["status"] == "inactive"
    assert data["provision"]["period"].get("end") == (today - timedelta(days=21)).isoformat(), data["provision"]


def test_the_review_sweep_does_not_ask_to_review_a_rebutted_decision(world: World) -> None:
    """The 14-year-old's consent of 40 days ago is due for review today; 20 days ago the child was found not
    competent and the mother's consent (carrying the finding) is what counts now; the summary lists the child's
    decision as no longer counting. consent.services.consent_reviews_sweep reads each due record with
    record_timing(record, today, born_on=...) and no `history`, so rules.rebutted_on sees no assessment and the
    recorder is asked to "check with the child or family that it still reflects their wishes" of a decision that
    does not count (the sweep's docstring: "only a decision in force is reviewed, read as the selector and the
    summary read it"; break11b finding 4 and break11h finding 15 took this view of a lapsed and a superseded
    parent's decision). Right: the sweep reads the child's history of assessments (competence_history of the
    child's decisions, as consent_readings does) and neither reminds nor marks a rebutted decision."""
    today = timezone.localdate()
    own, _ = _rebutted_child_consent(world, review_due_on=today)
    assert not child_readings(own.child_id, today)[own.pk].in_force  # the one reading: it does not count
    consent_reviews_sweep(today=today)
    assert not Notification.objects.filter(key__startswith=f"consent-review:{own.pk}:").exists()
