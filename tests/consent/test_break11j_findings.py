"""Tester break11j's findings on issue 11 after fix11i (the consent side: the rebuttal of a competent child's
decision, what the FHIR form says of a parent's decision a child's superseded, every-signatory scopes at midnight),
each a test that fails against main as found (87cd6b1), marked xfail(strict) so the suite stays green until it is
fixed. Data is built through the services, as a practitioner meets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.fhir import consent_resource_data
from consent.models import ConsentRecord
from consent.selectors import child_readings, consent_covering
from consent.services import consent_withdraw
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db


def _loaded(made: ConsentRecord) -> ConsentRecord:
    return (
        ConsentRecord.objects.select_related(
            "child", "withdrawal", "protocol", "protocol_version", "recorded_by_agency"
        )
        .prefetch_related("recipients")
        .get(pk=made.pk)
    )


def test_a_child_found_not_competent_is_not_decided_for_by_their_earlier_consent_once_the_parent_withdraws(
    world: World,
) -> None:
    """A 14-year-old was assessed Fraser-competent 40 days ago and consented to the other agency being told.
    Twenty days ago a practitioner assessed the child again, found them not competent (their understanding had
    changed), and recorded the mother's consent carrying that assessment: from then the child's own decision no
    longer prevails (consent.rules.rebutted_on) and the mother's decides. Today the mother withdraws her consent.
    consent_covering answers covered, on the consent of the child whom an assessment since found not competent:
    rebutted_on looks for the assessment only among the parents' decisions *in force*, so withdrawing (or the
    end of the period of) the parent's decision makes the assessment vanish and the rebutted decision revives -
    the mother's withdrawal turns into a consent. Barnet, "Whose consent should be sought?": "where a child ...
    is not competent to do so, then a person with parental responsibility should be asked"; DESIGN 2.4: a
    withdrawal takes effect for every future disclosure. Right: an assessment that found the child not competent
    after their decision keeps rebutting it whatever becomes of the decision that carried it."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    forty = today - timedelta(days=40)
    own = record(world, child, obtained_on=forty, **assessed("competent", on=forty))
    twenty = today - timedelta(days=20)
    mother = record(world, child, **parent(), obtained_on=twenty, **assessed("not_competent", on=twenty))
    before = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert before.covered and before.consent == mother  # the rebuttal holds while the mother's consent is in force
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=mother,
        withdrawn_on=today,
        reason="The mother withdrew her consent",
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not (answer.covered and answer.consent == own), answer.message
    # The one reading agrees: the child's consent is not read as in force either.
    assert not child_readings(child.pk, today)[own.pk].in_force


def test_the_fhir_form_never_permits_what_a_withdrawn_consent_covered(world: World) -> None:
    """The mother of a 14-year-old refused two months ago to any sharing (the minimum data and the detailed and
    sensitive information) with the other agency. A month ago the child, assessed Fraser-competent, consented to
    the minimum data being shared; ten days ago the child withdrew that consent. Nothing covers any share now
    (consent_covering says so). But the FHIR Consent of the mother's refusal is read as "partly overridden" by
    the child's consent (rules.decision_standing counts a child's decision out of force as prevailing against a
    parent's, superseding_child_decision), and consent.fhir._provisions_against writes that part as the
    opposite of the refusal: a nested provision of type "permit" for the minimum data with the other agency.
    A receiving system reads: refused, except the minimum data, which is permitted - what the child withdrew
    (DESIGN 2.4: a withdrawal takes effect for every future disclosure; FHIR R4 Consent.provision.provision: the
    nested rules are exceptions to the base). Right: a nested permit only where a decision in force permits;
    a part superseded by a decision out of force is not permitted by anyone."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    mother = record(
        world,
        child,
        **parent(),
        decision="refused",
        tiers=["minimum", "sensitive"],
        obtained_on=today - timedelta(days=60),
    )
    month = today - timedelta(days=30)
    own = record(world, child, obtained_on=month, **assessed("competent", on=month))
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=own,
        withdrawn_on=today - timedelta(days=10),
        reason="The child changed their mind",
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered
    data = consent_resource_data(_loaded(mother), today)
    nested = data["provision"].get("provision", [])
    assert all(part["type"] != "permit" for part in nested), nested


def test_a_childs_decision_resting_on_an_assessment_a_later_one_contradicted_does_not_prevail(world: World) -> None:
    """A 14-year-old was assessed Fraser-competent twelve days ago (about this share). Ten days ago a second
    practitioner assessed the child and found them not competent, and recorded the mother's consent carrying that
    assessment. Five days ago the first practitioner recorded the child's own refusal, giving as its assessment
    the one of twelve days ago (dates_error allows any assessment within 30 days before the decision). The latest
    finding about the child's competence is "not competent", yet consent_covering answers PARENT_OVERRIDDEN: the
    child's refusal prevails over the mother's consent, because rebutted_on compares the not-competent
    assessment with the day the child *decided*, never with the day the child was *assessed*. The decision of a
    child found not competent since their assessment is taken as a competent child's. Barnet, "Whose consent
    should be sought?": a child decides when they "have the capacity to understand and make decisions"; where
    "not competent to do so, then a person with parental responsibility should be asked". Right: a child's own
    decision does not prevail over an assessment that found them not competent made after the assessment it rests
    on (or the refusal is refused at recording with the rule that says so)."""
    from django.core.exceptions import ValidationError

    child = child_aged(world, 14)
    today = timezone.localdate()
    ten = today - timedelta(days=10)
    mother = record(world, child, **parent(), obtained_on=ten, **assessed("not_competent", on=ten))
    try:
        record(
            world,
            child,
            decision="refused",
            obtained_on=today - timedelta(days=5),
            **assessed("competent", on=today - timedelta(days=12)),
        )
    except ValidationError:
        return  # refused at recording: the later finding stands
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.covered and answer.consent == mother, (answer.reason, answer.message)


def test_an_agency_that_had_withdrawn_when_the_child_decided_is_not_covered_by_every_signatory(world: World) -> None:
    """The protocol's version 2 is adopted: every live signature of version 1 is carried over as a new signature of
    version 2, and the version 1 signatures stay as they were - live (protocols.services._carry_over_signatures
    sets no withdrawn_at on them). The other agency then withdraws its signature (of version 2, the only one
    signature_withdraw is offered). Today the young person (17) consents to sharing with "every signatory" of the
    protocol: the other agency is not one. Later the same day the other agency signs again. consent_covering
    answers covered for the other agency: rules.signatory_at reads every signature of the protocol "any version",
    and the version 1 signature, never withdrawn, says the agency was a signatory when the young person decided
    (the same read is in selectors._decisions_of's signatories_then and signatories_covered, so the page lists it
    too). Barnet: consent is informed about "to whom"; Haringey 4.3 "partner organisations named in this
    document" (break11e finding 7, break11h finding 3). Right: an agency that had withdrawn when the decision was
    made is not covered by it - a superseded version's signature ends when the version is superseded (or when
    the signature carried from it is withdrawn), or signatory_at reads the signatures of the version in force
    at that moment."""
    from protocols.models import Signature
    from protocols.services import protocol_adopt, signature_withdraw
    from tests.protocol_fixtures import SYSTEM, protocol_in_force, sign

    protocol = protocol_in_force(world)
    second = protocol.versions.get(number=2)
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=second)
    protocol.refresh_from_db()
    current = Signature.objects.get(agency=world.other, version=second)
    signature_withdraw(actor=SYSTEM, signature=current, reason="Reviewing our data handling")
    child = child_aged(world, 17)
    made = record(world, child, all_signatories=True)
    sign(protocol, world.other)
    # The cause: the version 1 signature was never withdrawn (carried over, then left live).
    assert Signature.objects.get(agency=world.other, version__number=1).withdrawn_at is None
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered, answer.message
    assert made.pk  # the consent was recorded while the other agency held no live signature on the version in force


def test_a_second_parent_may_consent_once_the_childs_refusal_was_rebutted(world: World) -> None:
    """A 14-year-old, assessed Fraser-competent, refused forty days ago. Twenty days ago a practitioner found the
    child not competent and recorded the mother's consent with that assessment: the child's refusal no longer
    prevails (rules.rebutted_on; consent_covering answers covered by the mother's consent). Today the father, who
    also holds parental responsibility, consents as well (the practitioner records it without repeating the
    assessment). consent_record refuses it: "their refusal prevails over their father's consent" -
    rules.parent_consent_refusal asks rebutted_on only of the decision being recorded, never of the parents'
    decisions already recorded, so it names a rule that no longer holds (the selector itself says the refusal
    no longer prevails). Right: a parent's consent is refused only for a child's refusal that still prevails, as
    consent_covering reads it (DESIGN 3.1: one rule in one place; every refusal names the rule that refused it,
    truly)."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    forty = today - timedelta(days=40)
    record(world, child, decision="refused", obtained_on=forty, **assessed("competent", on=forty))
    twenty = today - timedelta(days=20)
    mother = record(world, child, **parent(), obtained_on=twenty, **assessed("not_competent", on=twenty))
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.covered and answer.consent == mother  # the refusal no longer prevails
    father = record(world, child, **parent(relationship="Father", name="Frank OBrien"))
    assert father.pk


def test_a_parents_decision_that_could_never_count_is_refused_at_recording(world: World) -> None:
    """The mother of a young person who turns 16 in a week consents today, and the practitioner enters the period
    as starting in a fortnight (when a new placement begins). consent_record takes it. The decision was made for a
    15-year-old, so it stops counting on the 16th birthday (rules.parent_decision_ends_on): it is never in force
    for a single day - "starts on" in the summary until the birthday, "no longer counts" after, never covering
    anything - and the practitioner is not told. Barnet: from 16 the young person decides for themselves. Right:
    refused at recording with the rule ("from 16 the young person decides: record their own decision"), as
    competence_error refuses a parent's decision made on or after the 16th birthday."""
    from django.core.exceptions import ValidationError

    from sharing.retention_rules import birthday_in
    from tests.sharing.fixtures import make_child, sharing_world

    today = timezone.localdate()
    born = birthday_in(today + timedelta(days=7), -16)
    child = make_child(sharing_world(world), "Aoife", "Mcvoqo", born_on=born)
    with pytest.raises(ValidationError):
        record(world, child, **parent(), valid_from=today + timedelta(days=14))
