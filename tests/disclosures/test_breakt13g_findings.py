"""breakt13g: a fresh tester's findings on issue 13 after the break13e fixes (the sweeps run more than once, the
register's filters, a dispute about an onward request resolved "share", what an erased or closed child's records
still take in, two "check your answers" tabs). Each test fails today because of the defect it names (strict xfail) and
passes once it is fixed."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import Membership
from agencies.services import membership_deactivate
from disclosures.models import (
    CorrectionNotice,
    Dispute,
    DisputeAssignee,
    DisputePosition,
    InaccuracyReport,
    OnwardRequest,
)
from disclosures.services import corrections as correction_services
from disclosures.services.corrections import (
    correction_notice_acknowledge,
    corrections_sweep,
    inaccuracy_report_submit,
)
from disclosures.services.disputes import dispute_open, dispute_position_record
from disclosures.services.onward import onward_request_decline
from isp_portal.models import Notification
from isp_portal.policy import AccessDenied, SystemActor
from sharing.models import Child
from sharing.services import entry_revise
from sharing.services.retention import child_close, child_erase
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_submit, passed_on
from tests.disclosures.dispute_fixtures import opened
from tests.factories import SYSTEM, World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db

SECRET = "John Smith visits the child at 12 Elm Road"
REFUSED = (ValidationError, AccessDenied)


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def client(after: AfterWorld, role: str) -> Client:
    return sign_in(Client(), after.user(role))


def closed(after: AfterWorld) -> Child:
    return child_close(actor=fresh(after.world.users["partnership_admin"]), child=after.made.child, reason="Moved")


def erase(after: AfterWorld) -> None:
    child = closed(after)
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)


# --- The sweep reaches every overdue inaccuracy report ----------------------------------------------------------------


def test_f4_the_overdue_report_reminder_reaches_a_report_behind_a_full_batch(
    after: AfterWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    passed_on(after)
    first = inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong="The day."
    )
    second = inaccuracy_report_submit(
        actor=after.user("health_visitor"), disclosure=passed_on(after), entry=after.made.entry,
        what_is_wrong="Who was there.",
    )  # fmt: skip
    monkeypatch.setattr(correction_services, "BATCH", 1)
    late = max(first.due_on, second.due_on) + timedelta(days=3)
    for _ in range(3):  # the beat runs again and again; nobody decides the first report
        corrections_sweep(now=timezone.now(), today=late)
    told = Notification.objects.filter(key__startswith=f"inaccuracy-overdue-{second.pk}-")
    assert told.exists()


# --- The register's filters -------------------------------------------------------------------------------------------


def test_f7_the_register_export_filters_by_agency(world: World) -> None:
    after, _dispute = opened(world)
    admin = client(after, "partnership_admin")
    export = admin.get(f"/disputes/register/export.csv?agency={after.health.pk}")
    assert export.status_code == 200
    assert "Hill School" not in b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]


def test_f7b_the_register_page_filters_by_agency(world: World) -> None:
    after, dispute = opened(world)
    admin = client(after, "partnership_admin")
    page = admin.get(f"/disputes/register/?agency={after.health.pk}").content.decode()
    assert dispute.register_label not in page


# --- A dispute about a declined onward request, resolved "share" ------------------------------------------------------


def test_f5_share_on_a_declined_onward_request_is_followed_up(after: AfterWorld) -> None:
    onward = onward_request_decline(
        actor=after.user("designated_manager"), onward=onward_submit(after), reason="not_proportionate"
    )
    dispute = dispute_open(actor=after.user("school"), onward_request=onward, grounds="The visitor must know.")
    for user_id in DisputeAssignee.objects.filter(dispute=dispute, stage=1).values_list("user_id", flat=True):
        user = next(u for u in after.world.users.values() if u.pk == user_id)
        dispute_position_record(actor=fresh(user), dispute=Dispute.objects.get(pk=dispute.pk), position="share",
                                note="Share it.")  # fmt: skip
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert dispute.state == "resolved" and dispute.outcome == "share"
    again = OnwardRequest.objects.filter(child=after.made.child).exclude(pk=onward.pk)
    told = Notification.objects.filter(key__contains=f"follow-up-{dispute.pk}")
    assert again.exists() or told.exists()


# --- An erased child's records take in no new free text ---------------------------------------------------------------


def test_f1_an_erased_childs_open_dispute_takes_no_new_free_text(world: World) -> None:
    after, dispute = opened(world)
    erase(after)
    with contextlib.suppress(*REFUSED):
        dispute_position_record(
            actor=after.user("school_manager"), dispute=Dispute.objects.get(pk=dispute.pk), position="share",
            note=SECRET,
        )  # fmt: skip
    assert not DisputePosition.objects.filter(dispute=dispute, note__contains=SECRET).exists()


def test_f2_an_erased_childs_entry_takes_no_inaccuracy_report(after: AfterWorld) -> None:
    erase(after)
    with contextlib.suppress(*REFUSED):
        inaccuracy_report_submit(
            actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong=SECRET
        )
    assert not InaccuracyReport.objects.filter(what_is_wrong__contains=SECRET).exists()


def test_f3_an_erased_childs_correction_notice_takes_no_free_text(after: AfterWorld) -> None:
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The day was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    erase(after)
    with contextlib.suppress(*REFUSED):
        correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken=SECRET)
    assert not CorrectionNotice.objects.filter(action_taken__contains=SECRET).exists()


# --- The correction chase ---------------------------------------------------------------------------------------------


def test_f8_a_correction_chase_is_not_sent_to_a_recipient_who_left(after: AfterWorld) -> None:
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The day was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    membership_deactivate(
        actor=SYSTEM, membership=Membership.objects.get(user=after.world.users["school"], agency=after.school),
        reason="Left the school.",
    )  # fmt: skip
    corrections_sweep(now=timezone.now(), today=notice.ack_due_on + timedelta(days=1))
    assert Notification.objects.filter(key__startswith=f"correction-chase-{notice.pk}-").exists()
    assert not Notification.objects.filter(
        key=f"correction-chase-{notice.pk}-{after.world.users['school'].pk}"
    ).exists()


# --- Two reports agreed in two tabs -----------------------------------------------------------------------------------


def test_f6_a_stale_check_page_of_another_report_is_not_told_it_was_confirmed(after: AfterWorld) -> None:
    made = passed_on(after)
    school_report = inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry, what_is_wrong="The day."
    )
    health_report = inaccuracy_report_submit(
        actor=after.user("health_visitor"), disclosure=made, entry=after.made.entry, what_is_wrong="Who was there."
    )
    home = client(after, "practitioner")
    typed = {"text": "The incident was on Tuesday.", "basis": "fact", "reason": "Reported: the day."}
    # Tab 1: the health visitor's report, up to its check page.
    home.post(f"/inaccuracy-reports/{health_report.pk}/agree/", typed)
    tab1 = home.get(f"/inaccuracy-reports/{health_report.pk}/agree/check/").content.decode()
    digest = tab1.split('name="draft" value="')[1].split('"')[0]
    # Tab 2: the school's report, written and confirmed.
    home.post(f"/inaccuracy-reports/{school_report.pk}/agree/", typed)
    page = home.get(f"/inaccuracy-reports/{school_report.pk}/agree/check/").content.decode()
    home.post(
        f"/inaccuracy-reports/{school_report.pk}/agree/check/",
        {"draft": page.split('name="draft" value="')[1].split('"')[0]},
    )
    school_report.refresh_from_db()
    assert school_report.state == "corrected"
    # Tab 1's confirmation: the health visitor's report was never corrected.
    response = home.post(f"/inaccuracy-reports/{health_report.pk}/agree/check/", {"draft": digest}, follow=True)
    health_report.refresh_from_db()
    assert health_report.state == "open"
    assert "This was already confirmed" not in response.content.decode()
