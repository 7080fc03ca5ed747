"""Tester break11h's findings on issue 11 after fix11g (the consent side: whose decision prevails, every-signatory
scopes, the review sweep, an agency auditor's reading), each a test that fails against main as found (33f9704),
marked xfail(strict) so the suite stays green until it is fixed. Data is built through the services, as a
practitioner meets it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Membership, Role
from consent.selectors import child_readings, consent_covering
from consent.services import consent_reviews_sweep, consent_withdraw
from isp_portal.models import Notification
from sharing.retention_rules import birthday_in
from sharing.services import involvement_add
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World, make_user, sign_in
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


def test_a_parents_later_consent_does_not_undo_a_competent_childs_withdrawal(world: World) -> None:
    """A 14-year-old was assessed Fraser-competent a month ago and consented to the school being told. Two days
    ago the child withdrew it ("I don't want the school told any more"). Yesterday a practitioner asked the
    mother instead and recorded her consent, with "No assessment was made" (the form allows it for a parent, and
    nobody re-assessed the child). consent_record takes it (parent_consent_refusal looks only for the child's
    *refusals* in force; a withdrawal is not one) and consent_covering answers covered, on the mother's word,
    against the competent child's withdrawal: superseding_child_decision lets a parent's decision made after the
    child's stand ("an assessment later found the child not competent"), but nothing asks for that assessment.
    Had the child recorded a refusal instead of withdrawing, the same mother's consent would have been refused at
    recording. Barnet, "Whose consent should be sought?": a competent child's consent or refusal "should be the
    one to consider even if the parent/carer disagrees"; DESIGN 2.4: withdrawal takes effect for every future
    disclosure. Right: after a competent child's own decision (a withdrawal included) about a share, a parent's
    decision about it is refused, or does not cover, unless it carries an assessment made after the child's
    decision finding the child not competent (consent.rules.superseding_child_decision / parent_consent_refusal)."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    month_ago = today - timedelta(days=30)
    own = record(world, child, obtained_on=month_ago, **assessed("competent", on=month_ago))
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=own,
        withdrawn_on=today - timedelta(days=2),
        reason="The child asked for the school not to be told any more",
    )
    try:
        record(world, child, **parent(), obtained_on=today - timedelta(days=1))
    except ValidationError:
        return  # refused at recording: the withdrawal stands
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered, answer.message


def test_a_later_assessment_finding_the_child_not_competent_lets_the_parent_decide(world: World) -> None:
    """Two months ago a 13-year-old was assessed Fraser-competent and consented (no end date). Today, after a
    head injury, a practitioner assesses the child again: not competent; the mother, asked instead, refuses, and
    the practitioner records her refusal with that assessment (competence "not_competent", assessed today).
    consent_covering still answers covered, by the child's consent of two months ago: prevailing_decision lets
    any decision of the child's in force beat any parent's, whatever was found since. superseding_child_decision's
    own docstring says the opposite case is meant to work ("A parent's decision made after the child's (an
    assessment later found the child not competent) is not affected"), but it is consulted only for the child's
    decisions *out of* force. The converse is worse: a child's refusal made when competent blocks the mother's
    consent at recording (parent_consent_refusal), a refusal cannot be withdrawn, and the child, now not
    competent, cannot record a new decision: nobody can decide until the refusal ends. Barnet: competence is
    judged for the decision ("can understand what is being asked ... and the consequences"); "where a child ... is
    not competent to do so, then a person with parental responsibility should be asked". Right: a parent's
    decision carrying an assessment made after the child's decision that found the child not competent prevails
    over that earlier decision of the child's (and may be recorded against its refusal)."""
    child = child_aged(world, 13)
    today = timezone.localdate()
    before = today - timedelta(days=60)
    record(world, child, obtained_on=before, **assessed("competent", on=before))
    mother = record(world, child, **parent(), decision="refused", **assessed("not_competent", on=today))
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered and answer.consent == mother, answer.message


def test_an_every_signatory_consent_covers_the_signatories_of_the_day_it_was_obtained(world: World) -> None:
    """A 16-year-old signs the school's paper consent form "share with every signatory of the protocol" on a
    visit a month ago; the practitioner enters it today with the day it was obtained (the form asks for it, and
    allows any past day). Yesterday an academy signed the protocol. fix11g (break11e finding 7) fixes the agencies
    an every-signatory consent covers at `recorded_at` (rules.signatory_when_recorded), the moment of typing,
    not the moment the young person decided: the academy, which was no party when the young person agreed, is
    covered, and the consent's page lists it among "every signatory ... when it was recorded". Consent is
    informed about "to whom" (Barnet) and the person is told of the "partner organisations named in this
    document" (Haringey 4.3) when they decide. Right: the signatories covered are those of the day the decision
    was obtained (and still signed), so an agency that signed between the decision and its recording is not."""
    child = child_aged(world, 16)
    today = timezone.localdate()
    academy = Agency.objects.get(name="Unsigned Academy")
    complete_checklist(academy)
    sign(protocol_in_force(world), academy)  # signs now, a month after the young person decided
    record(world, child, all_signatories=True, obtained_on=today - timedelta(days=30))
    answer = consent_covering(child=child, tier="minimum", agency=academy, purpose=PURPOSE)
    assert not answer.covered, answer.message


def test_the_reading_and_the_selector_agree_about_an_agency_that_signed_later(world: World) -> None:
    """A 14-year-old assessed competent consents to sharing with every signatory; afterwards an academy signs the
    protocol; then the mother refuses sharing with the academy (recorded without an assessment, which the form
    allows for a parent). consent_covering (fix11g, break11e finding 7) leaves the child's consent out for the
    academy, which was not a signatory when it was recorded, and answers: not covered, refused by the mother.
    The one reading (consent.selectors.consent_readings, the summary, the FHIR status, the API's in_force and the
    pages' tags) still takes the academy to be within the child's every-signatory scope (rules.share_within,
    scopes_overlap: "a named agency is within an every signatory scope of any protocol"), so the mother's refusal
    reads as overridden by the child's consent: tagged "Does not prevail", FHIR status inactive, in_force false,
    while the selector that decides disclosures answers that it is the refusal that counts. The child's
    consent's own page meanwhile lists the agencies it covers without the academy. Right: the reading asks
    what consent_covering asks (signatory_when_recorded) before putting a named agency within an every-signatory
    scope, so that every view says what the selector decides."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    month_ago = today - timedelta(days=30)
    record(world, child, all_signatories=True, obtained_on=month_ago, **assessed("competent", on=month_ago))
    academy = Agency.objects.get(name="Unsigned Academy")
    complete_checklist(academy)
    sign(protocol_in_force(world), academy)
    mother = record(world, child, **parent(), decision="refused", recipients=[academy])
    answer = consent_covering(child=child, tier="minimum", agency=academy, purpose=PURPOSE)
    assert not answer.covered and answer.consent == mother  # the selector: the mother's refusal counts
    reading = child_readings(child.pk, today)[mother.pk]
    assert reading.in_force, reading.reason


def test_a_review_due_is_reminded_whatever_lies_unmarked_before_it(world: World) -> None:
    """fix11g (break11e finding 6) marks only the decisions it reminds. A parent's decision for a child who has
    turned 16 since (rules.parent_decision_ends_on: no longer counts) with its review date past is not reminded
    and so never marked, yet the sweep's claim still selects it (it excludes only parents' decisions for adults)
    and, ordered by review date, selects it first: every tick claims the same unmarked rows again, until the
    young person is 18. Once there are `limit` of them (5,000 a tick; a partnership with many parent consents
    made for 15-year-olds has that many within a year or two), no review due later is ever reminded: here with a
    limit of one, a 12-year-old's mother's consent in force, its review due, is never reminded, tick after tick
    (issue 11: "Consent review dates are swept (reminders when due, once each)"; DESIGN 3.3: a sweep loses
    nothing). The same for a child's own decision that no longer counts (an under-16's without an assessment by
    a corrected date of birth). Right: the claim leaves out what cannot be reminded today (the parent's decision
    lapsed by the date of birth, as it already leaves out adults'), or the sweep marks those it passes over with
    the day checked and claims them again only when something changes."""
    sharing_world(world)
    today = timezone.localdate()
    born = date(today.year - 16, today.month, min(today.day, 28)) - timedelta(days=10)
    assert birthday_in(born, 16) <= today - timedelta(days=5)  # turned 16 some days ago
    lapsed_child = make_child(world, "Lapsed", "Parentdecision", born_on=born)
    record(
        world,
        lapsed_child,
        **parent(),
        obtained_on=birthday_in(born, 16) - timedelta(days=20),  # the child was 15
        review_due_on=birthday_in(born, 16) - timedelta(days=1),
    )
    due_child = child_aged(world, 12)
    due = record(world, due_child, **parent(), obtained_on=today - timedelta(days=3), review_due_on=today)
    for _ in range(3):  # three ticks of the beat
        consent_reviews_sweep(today=today, limit=1)
    assert Notification.objects.filter(key__startswith=f"consent-review:{due.pk}:").exists()


def test_an_agency_auditor_reads_no_decision_of_another_agency_through_the_summary(world: World) -> None:
    """An auditor of the council (an agency auditor: ConsentRecordPolicy lets them read the consents the council
    recorded, not the police's) opens a 12-year-old's consent summary. The council recorded the mother's consent;
    the police later recorded the father's refusal (Declan Fairweather), which the auditor may not read - it is
    not listed. But the mother's line says why it is overridden, read among all the child's decisions
    (consent_readings over child_decisions): "replaced by the later decision of Declan Fairweather (the child's
    father) on ...": the father's name, that he refused and when, from a record out of the auditor's scope
    (DESIGN 3.2: one choke point; an agency auditor reads their agency's records). The same words reach the
    consent's page and the API's `overridden_in_part`. Right: the reason names only what the reader may read
    (a later decision of a person with parental responsibility, recorded by another agency), or the reading
    the reader gets is of the records they may read."""
    child = child_aged(world, 12)
    today = timezone.localdate()
    involvement_add(
        actor=fresh(world.users["other_agency"]),
        child=child,
        agency=world.other,
        service="Neighbourhood policing",
        lead_professional=Membership.objects.get(user=world.users["other_agency"], agency=world.other),
    )
    record(world, child, **parent(name="Mary Fairweather"), obtained_on=today - timedelta(days=30))
    record(
        world,
        child,
        by="other_agency",
        **parent(relationship="Father", name="Declan Fairweather"),
        decision="refused",
    )
    auditor = make_user(name="Hana Auditor", agency=world.home, roles=[Role.AUDITOR])
    page = sign_in(Client(), auditor).get(f"/children/{child.pk}/consents/")
    assert page.status_code == 200
    assert "Declan" not in page.content.decode()


def test_a_review_nobody_at_its_agency_can_be_told_of_is_handled_once(world: World) -> None:
    """The police practitioner who recorded a 12-year-old's mother's consent has left (membership ended); the
    police have no designated manager yet. On the review date the sweep finds the consent in force and due, and
    nobody at the police to tell. Before: it sent nothing and left the consent unmarked, so every beat tick claimed
    it again, for nothing (break11h finding 13; b11k). Right: one outcome however often the sweep runs: the
    partnership admins are told, once, that nobody at the police can review it (so they appoint someone, as the
    retention sweep leaves nobody untold), the consent is marked for its review date, and that is recorded once
    (consent.review_unassigned). A second sweep, and one after a manager is appointed, change nothing."""
    from agencies.services import membership_deactivate
    from audit.models import AuditEvent
    from tests.factories import SYSTEM

    child = child_aged(world, 12)
    today = timezone.localdate()
    leaver = Membership.objects.get(user=world.users["other_agency"], agency=world.other)
    involvement_add(
        actor=fresh(world.users["other_agency"]),
        child=child,
        agency=world.other,
        service="Neighbourhood policing",
        lead_professional=leaver,
    )
    made = record(
        world, child, by="other_agency", **parent(), obtained_on=today - timedelta(days=3), review_due_on=today
    )
    membership_deactivate(actor=SYSTEM, membership=leaver, reason="Left the force")

    def outcome() -> tuple[list[tuple[int, str]], list[dict[str, object]], object]:
        made.refresh_from_db()
        notes = Notification.objects.filter(
            Q(key__startswith=f"consent-review:{made.pk}:")
            | Q(key__startswith=f"consent-review-unassigned:{world.other.pk}:")
        ).order_by("pk")
        events = AuditEvent.objects.filter(kind="consent.review_unassigned", object_id=str(made.pk))
        return (
            list(notes.values_list("recipient_id", "key")),
            list(events.values_list("detail", flat=True)),
            made.review_reminded_for,
        )

    assert consent_reviews_sweep(today=today) == 1  # the one partnership admin
    first = outcome()
    assert first[0] == [(world.users["partnership_admin"].pk, f"consent-review-unassigned:{world.other.pk}:{today}")]
    assert first[1] == [{"review_due_on": today.isoformat(), "agency": world.other.pk, "partnership_admins_told": 1}]
    assert first[2] == today
    note = Notification.objects.get(key__startswith="consent-review-unassigned:")
    words = note.subject + note.body
    assert str(world.other) in words and "Neighbourhood" not in words
    assert f"hild {child.pk}" not in words and f"ecord {made.pk}" not in words
    assert consent_reviews_sweep(today=today) == 0
    assert outcome() == first  # two sweeps, one outcome
    make_user(name="Morag Manager", agency=world.other, roles=[Role.DESIGNATED_MANAGER])
    assert consent_reviews_sweep(today=today + timedelta(days=7)) == 0
    assert outcome() == first


def test_a_review_nobody_at_all_can_be_told_of_is_recorded_once(world: World) -> None:
    """No partnership admin either: nothing is sent, the consent is marked all the same and the review nobody could
    be told of is recorded once (consent.review_unassigned, none told), however often the sweep runs."""
    from agencies.services import membership_deactivate
    from audit.models import AuditEvent
    from tests.factories import SYSTEM

    child = child_aged(world, 12)
    today = timezone.localdate()
    leaver = Membership.objects.get(user=world.users["other_agency"], agency=world.other)
    involvement_add(
        actor=fresh(world.users["other_agency"]),
        child=child,
        agency=world.other,
        service="Neighbourhood policing",
        lead_professional=leaver,
    )
    made = record(
        world, child, by="other_agency", **parent(), obtained_on=today - timedelta(days=3), review_due_on=today
    )
    membership_deactivate(actor=SYSTEM, membership=leaver, reason="Left the force")
    Membership.objects.filter(user=world.users["partnership_admin"]).update(
        is_active=False, deactivated_at=timezone.now()
    )
    for _ in range(2):
        assert consent_reviews_sweep(today=today) == 0
    events = AuditEvent.objects.filter(kind="consent.review_unassigned", object_id=str(made.pk))
    assert list(events.values_list("detail", flat=True)) == [
        {"review_due_on": today.isoformat(), "agency": world.other.pk, "partnership_admins_told": 0}
    ]
    made.refresh_from_db()
    assert made.review_reminded_for == today
    assert not Notification.objects.filter(key__startswith="consent-review").exists()


def test_the_review_sweep_does_not_ask_to_review_a_parents_decision_superseded_for_good(world: World) -> None:
    """A 14-year-old's mother consented two months ago (review due today). A month ago the child, assessed
    Fraser-competent, consented too, and yesterday withdrew. Since fix11g the mother's consent "no longer counts
    here ... even once [the child's] is withdrawn or ends" (consent.rules.superseding_child_decision; the summary
    lists it as not prevailing, FHIR inactive). The review sweep reads only record_timing, not the one reading, so
    today it asks the recorder to review the mother's consent - "check with the child or family that it still
    reflects their wishes" - a decision that can never count again, while the child's own decision is what would
    need asking (break11b finding 4 took the same view of a parent's decision lapsed at 16: "nobody is asked to
    review it, since only the young person's own decision can be used now"). Right: the sweep leaves out (and
    marks) a decision the one reading holds overridden for good, as it leaves out a lapsed one."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    mother = record(world, child, **parent(), obtained_on=today - timedelta(days=60), review_due_on=today)
    month_ago = today - timedelta(days=30)
    own = record(world, child, obtained_on=month_ago, **assessed("competent", on=month_ago))
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=own,
        withdrawn_on=today - timedelta(days=1),
        reason="The child asked for the school not to be told any more",
    )
    assert not child_readings(child.pk, today)[mother.pk].in_force  # the one reading: does not count
    consent_reviews_sweep(today=today)
    assert not Notification.objects.filter(key__startswith=f"consent-review:{mother.pk}:").exists()
