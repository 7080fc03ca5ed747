"""The corrections pages (issue 13; Southampton 9; docs/after-disclosure-design.md 9): the school acknowledges the
council's correction with what it did (an empty answer is an error on the field, with the summary); a second
acknowledgement is refused naming the first; the council follows the acknowledgement table; the school reports an
inaccuracy from the disclosure it received and the council's designated manager decides not to correct it."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from disclosures.models import CorrectionNotice, InaccuracyReport
from sharing.services.entries import entry_revise
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def notice_of(after: AfterWorld) -> CorrectionNotice:
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The date of the incident was wrong.",
    )  # fmt: skip
    return CorrectionNotice.objects.get(agency=after.school)


def test_the_school_acknowledges_the_correction_once(after: AfterWorld, client_for: Any) -> None:
    notice = notice_of(after)
    school = client_for("school")
    listed = school.get("/corrections/")
    assert listed.status_code == 200
    assert f"/corrections/notices/{notice.pk}/" in listed.content.decode()
    page = school.get(f"/corrections/notices/{notice.pk}/")
    assert "The date of the incident was wrong." in page.content.decode()
    assert "Acknowledge the correction" in page.content.decode()
    url = f"/corrections/notices/{notice.pk}/acknowledge/"
    empty = school.post(url, {"action_taken": ""})
    assert empty.status_code == 200
    body = empty.content.decode()
    assert "govuk-error-summary" in body and "#id_action_taken" in body
    done = school.post(url, {"action_taken": "Updated the pastoral record."})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.action_taken == "Updated the pastoral record."
    again = client_for("school_manager").post(url, {"action_taken": "Again."})
    assert again.status_code == 403
    assert "already acknowledged by" in again.content.decode()
    assert AuditEvent.objects.filter(kind="correction.acknowledge").count() == 1
    # The council follows who acknowledged it, and cannot acknowledge it itself.
    council = client_for("practitioner")
    table = council.get(f"/corrections/{notice.correction_id}/").content.decode()
    assert "Hill School" in table
    assert council.get(url).status_code == 404


def test_the_school_reports_and_the_council_decides_not_to_correct(after: AfterWorld, client_for: Any) -> None:
    school = client_for("school")
    url = f"/disclosures/{after.disclosure.pk}/entries/{after.made.entry.pk}/report/"
    assert school.get(url).status_code == 200
    sent = school.post(url, {"what_is_wrong": "The incident was on Tuesday.", "suggested_correction": ""})
    assert sent.status_code == 302
    report = InaccuracyReport.objects.get()
    manager = client_for("designated_manager")
    assert "Decide not to correct it" in manager.get(f"/inaccuracy-reports/{report.pk}/").content.decode()
    decided = manager.post(f"/inaccuracy-reports/{report.pk}/reject/", {"reason": "Checked: it was Monday."})
    assert decided.status_code == 302
    report.refresh_from_db()
    assert report.state == "rejected"
    # The council discloses; it does not report to itself.
    assert client_for("practitioner").get(url).status_code == 403


def test_the_api_answers_a_second_acknowledgement_with_a_conflict(after: AfterWorld, client_for: Any) -> None:
    notice = notice_of(after)
    url = f"/api/v1/correction-notices/{notice.pk}/acknowledge/"
    body = {"action_taken": "Updated the pastoral record."}
    assert client_for("other_agency").post(url, body, content_type="application/json").status_code == 404
    assert client_for("practitioner").post(url, body, content_type="application/json").status_code == 404
    blank = client_for("school").post(url, {"action_taken": ""}, content_type="application/json")
    assert blank.status_code == 400
    assert "action_taken" in blank.json()["error"]["fields"]
    assert client_for("school").post(url, body, content_type="application/json").status_code == 200
    again = client_for("school_manager").post(url, body, content_type="application/json")
    assert again.status_code == 409
    assert "already acknowledged by" in again.json()["error"]["message"]
    assert AuditEvent.objects.filter(kind="correction.acknowledge").count() == 1
