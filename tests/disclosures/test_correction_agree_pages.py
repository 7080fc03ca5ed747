"""Agreeing with an inaccuracy report and correcting the entry from the browser (issue 13; Southampton 9): the
originator writes the corrected entry, checks it side by side with what the reporter received, and only the
confirmation corrects it; correction and notice pages then show both revisions to those the grant checks let
read both (never to an auditor)."""

from __future__ import annotations

import pytest
from django.test import Client

from disclosures.models import Correction, CorrectionNotice, InaccuracyReport
from disclosures.services.corrections import inaccuracy_report_submit
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db

CORRECTED = {"text": "The incident was on Tuesday.", "basis": "fact", "reason": "Reported by the school: the day."}


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def client(after: AfterWorld, role: str) -> Client:
    return sign_in(Client(), after.user(role))


def reported(after: AfterWorld) -> InaccuracyReport:
    return inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry,
        what_is_wrong="The incident was on Tuesday, not Monday.",
    )  # fmt: skip


def test_the_originator_agrees_checks_side_by_side_and_corrects(after: AfterWorld) -> None:
    report = reported(after)
    home = client(after, "practitioner")
    assert f"/inaccuracy-reports/{report.pk}/agree/" in home.get(f"/inaccuracy-reports/{report.pk}/").content.decode()
    assert client(after, "school").get(f"/inaccuracy-reports/{report.pk}/agree/").status_code == 403
    form = home.get(f"/inaccuracy-reports/{report.pk}/agree/").content.decode()
    assert "What is inaccurate: The incident was on Tuesday, not Monday." in form
    sent = home.post(f"/inaccuracy-reports/{report.pk}/agree/", CORRECTED)
    assert sent.status_code == 302 and sent["Location"] == f"/inaccuracy-reports/{report.pk}/agree/check/"
    assert not Correction.objects.exists()  # rehearsed only
    page = home.get(sent["Location"]).content.decode()
    assert "What the correction changed" in page and "Your correction" in page
    assert "The incident was on Tuesday." in page and "Changed" in page
    digest = page.split('name="draft" value="')[1].split('"')[0]
    done = home.post(sent["Location"], {"draft": digest})
    correction = Correction.objects.get()
    assert done["Location"] == f"/corrections/{correction.pk}/"
    assert InaccuracyReport.objects.get(pk=report.pk).state == "corrected"
    shown = home.get(done["Location"]).content.decode()
    assert "What the correction changed" in shown and "Corrected: revision 2" in shown


def test_the_notice_shows_both_revisions_to_the_recipient_and_none_to_an_auditor(after: AfterWorld) -> None:
    report = reported(after)
    home = client(after, "practitioner")
    home.post(f"/inaccuracy-reports/{report.pk}/agree/", CORRECTED)
    page = home.get(f"/inaccuracy-reports/{report.pk}/agree/check/").content.decode()
    home.post(f"/inaccuracy-reports/{report.pk}/agree/check/", {"draft": page.split('name="draft" value="')[1][:32]})
    notice = CorrectionNotice.objects.get(agency=after.school)
    school = client(after, "school").get(f"/corrections/notices/{notice.pk}/").content.decode()
    assert "Revision received: revision 1" in school and "The incident was on Tuesday." in school
    auditor = sign_in(Client(), after.world.users["auditor"]).get(f"/corrections/notices/{notice.pk}/")
    assert auditor.status_code == 200 and "What the correction changed" not in auditor.content.decode()


def test_a_correction_the_form_refuses_stays_on_the_form(after: AfterWorld) -> None:
    report = reported(after)
    response = client(after, "practitioner").post(f"/inaccuracy-reports/{report.pk}/agree/", {"basis": "fact"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
