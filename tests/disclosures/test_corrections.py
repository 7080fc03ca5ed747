"""Corrections (issue 13; Southampton 9; docs/after-disclosure-design.md 3.2, 6.2, 10): a correction of a disclosed
entry is recorded whatever path revised it, told once to every agency that received an older revision (any hop),
acknowledged once by that agency only, and inaccuracy reports go to the originator. Every refusal leaves nothing
written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent, DisclosureLogEntry
from disclosures.models import Correction, CorrectionNotice, Disclosure, DisclosureEntry, InaccuracyReport
from disclosures.services.corrections import (
    correction_notice_acknowledge,
    correction_notices_catch_up,
    inaccuracy_report_agree,
    inaccuracy_report_reject,
    inaccuracy_report_submit,
    inaccuracy_report_withdraw,
)
from isp_portal.models import Notification
from isp_portal.policy import AccessDenied, NotPermitted, OutOfScope
from sharing.models import EntryGrant, EntryRevision
from sharing.services.entries import entry_record, entry_revise
from tests.disclosures.after_fixtures import AfterWorld, after_world, disclose
from tests.disclosures.fixtures import submit
from tests.disclosures.test_after_constraints import onward_disclosure_values, onward_ready
from tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def revise(after: AfterWorld, *, by: str = "practitioner", reason: str = "The date of the incident was wrong.") -> Any:
    return entry_revise(
        actor=after.user(by), entry=after.made.entry, fields={}, text="Corrected note.", basis="fact", reason=reason
    )


def onward_to_health(after: AfterWorld) -> Disclosure:
    """Hill School passes the council's case note on to the health visitors, with the council's agreement, at the
    revision the school received (hop 1). Built with WP1's constraint-test helpers until WP2's services land."""
    ready = onward_ready(after)
    made = Disclosure.objects.create(**onward_disclosure_values(after, ready))
    received = DisclosureEntry.objects.get(disclosure=after.disclosure, entry=after.made.entry)
    DisclosureEntry.objects.create(disclosure=made, entry=after.made.entry, revision_id=received.revision_id)
    return made


def snapshot() -> tuple[int, ...]:
    return (
        Correction.objects.count(),
        CorrectionNotice.objects.count(),
        CorrectionNotice.objects.filter(acknowledged_at__isnull=False).count(),
        InaccuracyReport.objects.count(),
        AuditEvent.objects.filter(kind__startswith="correction.").count(),
        AuditEvent.objects.filter(kind__startswith="inaccuracy.").count(),
    )


# --- Recording and fan-out ----------------------------------------------------------------------------------------


def test_correcting_a_disclosed_entry_tells_its_recipient_once(after: AfterWorld) -> None:
    first = after.disclosure.entries.get().revision
    revision = revise(after)
    correction = Correction.objects.get(revision=revision)
    assert correction.entry_id == after.made.entry.pk
    assert correction.originator_agency_id == after.world.home.pk
    assert correction.issued_by_id == after.user("practitioner").pk
    assert correction.summary == "The date of the incident was wrong."
    notice = CorrectionNotice.objects.get(correction=correction)
    assert (notice.agency_id, notice.via_disclosure_id, notice.received_revision_id) == (
        after.school.pk, after.disclosure.pk, first.pk,
    )  # fmt: skip
    assert notice.acknowledged_at is None
    assert AuditEvent.objects.filter(kind="correction.issue", object_id=str(correction.pk)).count() == 1
    assert AuditEvent.objects.filter(kind="correction.notify", object_id=str(notice.pk)).count() == 1
    assert DisclosureLogEntry.objects.filter(kind="corrected", disclosure_id=after.disclosure.pk).count() == 1
    # The school's named recipient is told, and (design Q5) now reads the corrected revision too.
    school = after.user("school")
    key = f"correction-{correction.pk}-{after.school.pk}-{school.pk}"
    assert Notification.objects.filter(recipient=school, key=key).exists()
    assert (
        EntryGrant.objects.filter(
            entry=after.made.entry, user=school, revision=revision, disclosure_id=after.disclosure.pk, revoked_at=None
        ).count()
        == 1
    )


def test_correcting_an_entry_nobody_received_records_no_correction(after: AfterWorld) -> None:
    kept = entry_record(
        actor=after.user("practitioner"), child=after.made.child, agency=after.world.home, category="case_note",
        fields={}, text="Never disclosed.", basis="fact",
    )  # fmt: skip
    entry_revise(actor=after.user("practitioner"), entry=kept, fields={}, text="Still ours.", basis="fact", reason="x")
    assert not Correction.objects.filter(entry=kept).exists()


def test_every_agency_that_received_the_entry_is_told_once_per_correction(after: AfterWorld) -> None:
    # Two direct disclosures to the school and one to the health visitors: three disclosures, two agencies.
    disclose(after.made)
    disclose(after.made, submit(after.made, by="health_visitor"))
    first = Correction.objects.get(revision=revise(after))
    assert sorted(first.notices.values_list("agency_id", flat=True)) == sorted([after.school.pk, after.health.pk])
    # The school's notice goes through its latest disclosure.
    latest = Disclosure.objects.filter(to_agency=after.school).order_by("-made_at", "-pk").first()
    assert first.notices.get(agency=after.school).via_disclosure_id == latest.pk  # type: ignore[union-attr]
    second = Correction.objects.get(revision=revise(after, reason="The name was misspelt."))
    assert second.notices.count() == 2
    # Nothing owed remains: a catch-up tells nobody twice.
    assert correction_notices_catch_up(entry_ids=[after.made.entry.pk]) == 0


def test_an_agency_a_hop_away_is_told_through_its_onward_disclosure(after: AfterWorld) -> None:
    onward = onward_to_health(after)
    correction = Correction.objects.get(revision=revise(after))
    notices = {n.agency_id: n for n in correction.notices.all()}
    assert set(notices) == {after.school.pk, after.health.pk}
    assert notices[after.health.pk].via_disclosure_id == onward.pk
    assert DisclosureLogEntry.objects.filter(kind="corrected", disclosure_id=onward.pk).count() == 1


def test_a_disclosure_made_while_a_correction_was_issued_is_caught_up_once(after: AfterWorld) -> None:
    correction = Correction.objects.get(revision=revise(after))
    assert correction.notices.count() == 1
    # The school passes on the revision it received, agreed before the correction: its new recipient is owed one.
    onward = onward_to_health(after)
    assert correction_notices_catch_up(entry_ids=[after.made.entry.pk], disclosure_id=onward.pk) == 1
    assert correction_notices_catch_up(entry_ids=[after.made.entry.pk], disclosure_id=onward.pk) == 0
    assert correction.notices.get(agency=after.health).via_disclosure_id == onward.pk


def test_the_originator_is_never_told_of_its_own_correction(after: AfterWorld) -> None:
    correction = Correction.objects.get(revision=revise(after))
    assert not correction.notices.filter(agency=after.world.home).exists()


# --- Acknowledging ------------------------------------------------------------------------------------------------


def pending(after: AfterWorld) -> CorrectionNotice:
    revise(after)
    return CorrectionNotice.objects.get(agency=after.school)


def test_the_receiving_agency_acknowledges_with_what_it_did(after: AfterWorld) -> None:
    notice = correction_notice_acknowledge(
        actor=after.user("school"), notice=pending(after), action_taken="Updated the pastoral record."
    )
    assert notice.acknowledged_by_id == after.user("school").pk
    assert notice.action_taken == "Updated the pastoral record."
    assert AuditEvent.objects.filter(kind="correction.acknowledge", object_id=str(notice.pk)).count() == 1
    # The last acknowledgement tells the person who corrected it.
    assert Notification.objects.filter(key__startswith=f"correction-acknowledged-{notice.correction_id}-").exists()


def test_a_second_acknowledgement_is_refused_naming_the_first_with_no_second_event(after: AfterWorld) -> None:
    notice = pending(after)
    correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken="Updated.")
    before = snapshot()
    with pytest.raises(NotPermitted, match="already acknowledged by"):
        correction_notice_acknowledge(actor=after.user("school_manager"), notice=notice, action_taken="Again.")
    assert snapshot() == before
    assert AuditEvent.objects.filter(kind="correction.acknowledge").count() == 1


@pytest.mark.parametrize(
    ("role", "denial"),
    [
        ("other_agency", OutOfScope),  # never received the entry: no notice of theirs
        ("practitioner", NotPermitted),  # the originator follows its notices (a 404 by URL), never acknowledges them
        ("health_visitor", OutOfScope),  # another agency's notice id
        ("auditor", NotPermitted),  # reads the metadata, acts on nothing
        ("agency_admin", OutOfScope),
    ],
)
def test_only_the_notices_agency_acknowledges_it(after: AfterWorld, role: str, denial: type[AccessDenied]) -> None:
    notice = pending(after)
    before = snapshot()
    with pytest.raises(denial):
        correction_notice_acknowledge(actor=after.user(role), notice=notice, action_taken="Updated.")
    assert snapshot() == before


@pytest.mark.parametrize("action_taken", ["", "   ", "x" * 5000, "nul\x00"])
def test_an_acknowledgement_says_what_was_done(after: AfterWorld, action_taken: str) -> None:
    notice = pending(after)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken=action_taken)
    assert "action_taken" in refused.value.message_dict
    assert snapshot() == before


def test_acknowledging_a_newer_correction_acknowledges_the_older_ones(after: AfterWorld) -> None:
    revise(after)
    revise(after, reason="And the time.")
    older, newer = CorrectionNotice.objects.filter(agency=after.school).order_by("correction__revision__number")
    correction_notice_acknowledge(actor=after.user("school"), notice=newer, action_taken="Updated both.")
    older.refresh_from_db()
    assert older.acknowledged_at is not None
    assert older.action_taken == f"Acknowledged with correction {newer.correction_id}."


# --- Inaccuracy reports -------------------------------------------------------------------------------------------


def report(after: AfterWorld) -> InaccuracyReport:
    return inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry,
        what_is_wrong="The incident was on Tuesday, not Monday.", suggested_correction="Tuesday.",
    )  # fmt: skip


def test_a_recipient_reports_an_inaccuracy_and_the_originator_corrects_it(after: AfterWorld) -> None:
    made = report(after)
    assert (made.state, made.reporter_agency_id, made.originator_agency_id) == (
        "open", after.school.pk, after.world.home.pk,
    )  # fmt: skip
    assert Notification.objects.filter(key__startswith=f"inaccuracy-{made.pk}-").exists()
    correction = inaccuracy_report_agree(
        actor=after.user("practitioner"), report=made, fields={}, text="On Tuesday.", basis="fact",
        reason="Reported by the school: the day was wrong.",
    )  # fmt: skip
    made.refresh_from_db()
    assert (made.state, made.correction_id) == ("corrected", correction.pk)
    assert correction.notices.filter(agency=after.school).exists()


def test_only_a_designated_manager_of_the_originator_rejects_a_report(after: AfterWorld) -> None:
    made = report(after)
    before = snapshot()
    with pytest.raises(NotPermitted):
        inaccuracy_report_reject(actor=after.user("practitioner"), report=made, reason="It is right.")
    with pytest.raises(ValidationError):
        inaccuracy_report_reject(actor=after.user("designated_manager"), report=made, reason=" ")
    assert snapshot() == before
    inaccuracy_report_reject(actor=after.user("designated_manager"), report=made, reason="Checked: it was Monday.")
    made.refresh_from_db()
    assert made.state == "rejected"
    with pytest.raises(NotPermitted, match="already rejected"):
        inaccuracy_report_withdraw(actor=after.user("school"), report=made)


def test_the_reporter_withdraws_and_nobody_else(after: AfterWorld) -> None:
    made = report(after)
    with pytest.raises(NotPermitted):
        inaccuracy_report_withdraw(actor=after.user("school_manager"), report=made)
    inaccuracy_report_withdraw(actor=after.user("school"), report=made)
    made.refresh_from_db()
    assert made.state == "withdrawn"


def test_a_report_is_only_about_an_entry_the_disclosure_carried(after: AfterWorld) -> None:
    other = entry_record(
        actor=after.user("practitioner"), child=after.made.child, agency=after.world.home, category="case_note",
        fields={}, text="Never disclosed.", basis="fact",
    )  # fmt: skip
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        inaccuracy_report_submit(
            actor=after.user("school"), disclosure=after.disclosure, entry=other, what_is_wrong="x"
        )
    assert "entry" in refused.value.message_dict
    with pytest.raises(ValidationError) as empty:
        inaccuracy_report_submit(
            actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong=""
        )
    assert "what_is_wrong" in empty.value.message_dict
    # The originator reads its own disclosure but does not report to itself; another agency never reads it.
    with pytest.raises(NotPermitted):
        inaccuracy_report_submit(
            actor=after.user("practitioner"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong="x"
        )
    with pytest.raises(OutOfScope):
        inaccuracy_report_submit(
            actor=after.user("other_agency"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong="x"
        )
    assert snapshot() == before
    assert EntryRevision.objects.filter(entry=after.made.entry).count() == 1
