"""The partners' meeting about a breach, with recusal, and sanctions with effect (issue 14; Haringey 6.3-6.6;
DESIGN 2.5): through the services and the policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, AgencySanction, RetrainingRequirement, TrainingCourse
from agencies.policy import forget_training, has_valid_training, sharing_refusal
from agencies.services import training_record_create
from audit.models import AuditEvent
from breaches import rules
from breaches.models import Hearing, HearingVote, Obligation, SanctionDecision
from breaches.services import hearings
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, can, require, restrict
from protocols.models import AgendaItem, Meeting
from tests.breaches.hearing_fixtures import advance, breach_of, speaker_of
from tests.factories import SYSTEM, World

pytestmark = pytest.mark.django_db


def admin(world: World) -> Any:
    return world.users["partnership_admin"]


# --- Putting the breach on the agenda ---------------------------------------------------------------------------


def test_a_meeting_dated_before_the_breach_occurred_is_refused_and_nothing_is_written(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    meetings = Meeting.objects.count()
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_schedule(actor=admin(world), breach=breach, held_on=breach.occurred_on - timedelta(days=1))
    assert "before the breach occurred" in refused.value.message_dict["held_on"][0]
    assert Meeting.objects.count() == meetings and not Hearing.objects.exists()


def test_an_existing_meeting_before_the_breach_is_refused_on_the_meeting(world: World) -> None:
    from protocols.services.meetings import meeting_create

    breach = breach_of(world, world.other, key="b")
    early = meeting_create(
        actor=admin(world),
        title="Earlier",
        held_on=breach.occurred_on - timedelta(days=2),
        attendee_agencies=[world.home],
    )
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_schedule(actor=admin(world), breach=breach, meeting=early)
    assert "meeting" in refused.value.message_dict


def test_scheduling_adds_the_agency_in_breach_and_an_agenda_item_named_by_the_reference(world: World) -> None:
    from protocols.services.meetings import meeting_create

    breach = breach_of(world, world.other, key="b")
    meeting = meeting_create(
        actor=admin(world), title="Quarterly", held_on=timezone.localdate(), attendee_agencies=[world.home],
        agenda=[("Reviews", None)],
    )  # fmt: skip
    hearing = hearings.hearing_schedule(actor=admin(world), breach=breach, meeting=meeting)
    assert hearing.meeting == meeting and hearing.stage == "scheduled"
    assert world.other in meeting.attendee_agencies.all()
    item = AgendaItem.objects.get(meeting=meeting, position=2)
    assert breach.reference in item.title
    with pytest.raises(ValidationError):  # once per breach
        hearings.hearing_schedule(actor=admin(world), breach=breach, meeting=meeting)
    assert AuditEvent.objects.filter(kind="breach.hearing.schedule", object_id=str(hearing.pk)).count() == 1


def test_only_a_partnership_admin_outside_the_agency_in_breach_schedules(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    with pytest.raises(NotPermitted) as refused:
        hearings.hearing_schedule(actor=speaker_of(world, world.home, "home_speaker"), breach=breach,
                                  held_on=timezone.localdate())  # fmt: skip
    assert "partnership admin" in refused.value.reason


# --- The stages -------------------------------------------------------------------------------------------------


def test_presenting_holds_the_meeting_and_sets_the_minutes_clock_from_its_date(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    hearing = advance(world, breach, "presented")
    meeting_step = Obligation.objects.get(breach=breach, kind="partners_meeting")
    assert meeting_step.state == "done" and meeting_step.completed_at == hearing.presented_at
    minutes = Obligation.objects.get(breach=breach, kind="minutes_circulated")
    expected = rules.obligation_due_dates(
        breach.occurred_on, breach.identified_on, meeting_held_on=hearing.meeting.held_on, nation=breach.nation
    )["minutes_circulated"]
    assert minutes.due_on == expected and minutes.state == "open"


def test_the_stage_moves_forward_only_and_its_times_never_change(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    hearing = advance(world, breach, "deliberating")
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_present(actor=admin(world), breach=breach)
    assert "in deliberation" in refused.value.message_dict["stage"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Hearing.objects.filter(pk=hearing.pk).update(stage="presented")
    with pytest.raises(IntegrityError), transaction.atomic():
        Hearing.objects.filter(pk=hearing.pk).update(withdrew_at=timezone.now())


def test_a_sanction_ending_before_it_starts_is_refused_and_nothing_is_written(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    advance(world, breach, "deliberating", sanctions=[])
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_sanction_draft(
            actor=admin(world), breach=breach, kind="suspension_sensitive", reason="Serious.", direction="both",
            from_on=today + timedelta(days=5), until_on=today + timedelta(days=2),
        )  # fmt: skip
    assert "cannot end before it starts" in refused.value.message_dict["until_on"][0]
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_sanction_draft(actor=admin(world), breach=breach, kind="retraining", reason="Careless.",
                                        users=[world.users["practitioner"]])  # fmt: skip
    assert "users" in refused.value.message_dict  # a home practitioner is not of the agency in breach
    assert not SanctionDecision.objects.exists()


def test_the_agency_in_breach_never_votes(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    advance(world, breach, "deliberating", sanctions=[], votes=False)
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_vote_cast(actor=admin(world), breach=breach, agency=world.other, choice="against")
    assert "does not vote" in refused.value.message_dict["agency"][0]
    with pytest.raises(NotPermitted):
        hearings.hearing_vote_cast(actor=speaker_of(world, world.other, "other_speaker"), breach=breach,
                                   agency=world.home, choice="for")  # fmt: skip
    # One who speaks for a partner casts its vote, once.
    hearings.hearing_vote_cast(actor=speaker_of(world, world.home, "home_speaker"), breach=breach,
                               agency=world.home, choice="for")  # fmt: skip
    with pytest.raises(ValidationError):
        hearings.hearing_vote_cast(actor=admin(world), breach=breach, agency=world.home, choice="against")
    assert HearingVote.objects.count() == 1


def test_the_whole_meeting_is_audited_told_and_the_minutes_complete_the_last_step(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    told_speaker = speaker_of(world, world.other, "other_speaker")
    hearing = advance(world, breach, "told")
    assert hearing.told_at is not None and hearing.told_by == admin(world)
    told = Notification.objects.get(recipient=told_speaker, key__startswith=f"breach-{breach.pk}-hearing-told")
    assert "Formal warning" in told.body and "A formal warning is given." in told.body
    kinds = set(AuditEvent.objects.filter(kind__startswith="breach.hearing.").values_list("kind", flat=True))
    assert kinds == {f"breach.hearing.{step}" for step in
                     ("schedule", "present", "withdraw", "notes", "sanction", "vote", "decide", "tell")}  # fmt: skip
    with pytest.raises(ValidationError):  # the minutes must be written first
        hearings.hearing_minutes_circulate(actor=admin(world), breach=breach)
    hearings.hearing_minutes_circulate(actor=admin(world), breach=breach, minutes="Agreed: a formal warning.")
    step = Obligation.objects.get(breach=breach, kind="minutes_circulated")
    assert step.state == "done" and Meeting.objects.get(pk=hearing.meeting_id).minutes_circulated_on is not None


# --- Recusal, enforced by the policy ----------------------------------------------------------------------------


def test_while_withdrawn_the_agency_in_breach_sees_no_deliberation_and_after_the_decision_the_outcome(
    world: World,
) -> None:
    breach = breach_of(world, world.other, key="b")
    in_breach = speaker_of(world, world.other, "other_speaker")
    partner = speaker_of(world, world.home, "home_speaker")
    hearing = advance(world, breach, "deliberating")
    assert hearing.recused
    assert can(in_breach, "view", hearing)  # the page saying it is withdrawn
    with pytest.raises(NotPermitted) as refused:
        require(in_breach, "deliberation", hearing)
    assert "withdrawn" in refused.value.reason
    assert not restrict(in_breach, "view", SanctionDecision).exists()
    assert not restrict(in_breach, "view", HearingVote).exists()
    for sees_all in (partner, admin(world), world.users["auditor"]):
        require(sees_all, "deliberation", hearing)
        assert restrict(sees_all, "view", SanctionDecision).count() == 1
        assert restrict(sees_all, "view", HearingVote).count() == 1
    hearing = advance(world, breach, "decided")
    assert restrict(in_breach, "view", SanctionDecision).count() == 1
    assert restrict(in_breach, "view", HearingVote).count() == 1
    with pytest.raises(NotPermitted) as refused:  # the notes, never
        require(in_breach, "deliberation", hearing)
    assert "notes" in refused.value.reason


# --- Sanctions with effect --------------------------------------------------------------------------------------


def test_a_suspension_refuses_the_agencys_disclosures_naming_the_sanction_and_ends_by_itself(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.disclosures.fixtures import case, submit

    made = case(world)
    breach = breach_of(world, world.home, key="home_breach")
    today = timezone.localdate()
    until = today + timedelta(days=3)
    advance(world, breach, "decided", sanctions=[{
        "kind": "suspension_sensitive", "direction": "send", "from_on": today, "until_on": until,
    }])  # fmt: skip
    enforced = AgencySanction.objects.get(agency=world.home)
    assert enforced.breach_reference == breach.reference and enforced.until_on == until
    assert SanctionDecision.objects.get().agency_sanction == enforced
    with pytest.raises(ValidationError) as refused:
        submit(made)
    assert breach.reference in str(refused.value)
    assert AuditEvent.objects.filter(kind="breach.sanction.impose", detail__agency_sanction=enforced.pk).exists()
    # On the day it is lifted the same request goes through (no sweep needed for the rule: it reads the dates).
    home = Agency.objects.get(pk=world.home.pk)
    assert sharing_refusal(home, tier="sensitive", direction="send", on=until - timedelta(days=1)) is not None
    assert sharing_refusal(home, tier="sensitive", direction="send", on=until) is None
    later = timezone.now() + timedelta(days=4)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert submit(made).state == "submitted"


def test_retraining_makes_the_named_users_fail_the_training_gate_until_they_retrain(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    person = speaker_of(world, world.other, "other_speaker")
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("pk").first()
    assert course is not None
    today = timezone.localdate()
    training_record_create(actor=SYSTEM, user=person, course=course, completed_on=today - timedelta(days=30))
    assert has_valid_training(person)
    advance(world, breach, "decided", sanctions=[{"kind": "retraining", "users": [person]}])
    requirement = RetrainingRequirement.objects.get(user=person)
    assert requirement.breach_reference == breach.reference
    forget_training(person)
    assert not has_valid_training(person)
    training_record_create(actor=SYSTEM, user=person, course=course, completed_on=today)
    forget_training(person)
    assert has_valid_training(person)


# --- Removing a draft sanction -------------------------------------------------------------------------------


def test_a_draft_sanction_is_removed_in_deliberation_audited_and_never_imposed(world: World) -> None:
    breach = breach_of(world, world.other, key="b")
    today = timezone.localdate()
    person = speaker_of(world, world.other, "other_speaker")
    advance(world, breach, "deliberating", sanctions=[
        {"kind": "suspension_sensitive", "direction": "both", "from_on": today},
        {"kind": "retraining", "users": [person]},
    ])  # fmt: skip
    suspension, retraining = SanctionDecision.objects.filter(hearing__breach=breach).order_by("pk")
    with pytest.raises(NotPermitted):  # only a partnership admin running the meeting
        hearings.hearing_sanction_remove(
            actor=speaker_of(world, world.home, "home"), breach=breach, sanction=suspension
        )
    hearings.hearing_sanction_remove(actor=admin(world), breach=breach, sanction=suspension)
    hearings.hearing_sanction_remove(actor=admin(world), breach=breach, sanction=retraining)
    assert not SanctionDecision.objects.filter(hearing__breach=breach).exists()
    event = AuditEvent.objects.get(kind="breach.hearing.sanction_remove", detail__sanction=suspension.pk)
    assert event.detail["sanction_kind"] == "suspension_sensitive" and event.detail["breach"] == breach.pk
    hearings.hearing_decide(actor=admin(world), breach=breach, decision="No sanction.")
    assert not AgencySanction.objects.filter(agency=world.other).exists()
    assert not RetrainingRequirement.objects.filter(user=person).exists()


def test_an_imposed_sanction_or_another_hearings_is_not_removed(world: World) -> None:
    decided = breach_of(world, world.other, key="decided")
    advance(world, decided, "decided")
    imposed = SanctionDecision.objects.get(hearing__breach=decided)
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_sanction_remove(actor=admin(world), breach=decided, sanction=imposed)
    assert "stage" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():  # the database keeps it too
        SanctionDecision.objects.filter(pk=imposed.pk).delete()
    deliberating = breach_of(world, world.other, key="deliberating")
    advance(world, deliberating, "deliberating")
    with pytest.raises(ValidationError) as refused:
        hearings.hearing_sanction_remove(actor=admin(world), breach=deliberating, sanction=imposed)
    assert "sanction" in refused.value.message_dict
    assert SanctionDecision.objects.filter(pk=imposed.pk).exists()
    assert not AuditEvent.objects.filter(kind="breach.hearing.sanction_remove").exists()
