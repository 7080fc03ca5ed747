"""The breach pages (issue 14): reporting through the form and "check your answers", the bad input refused on its
fields with nothing written, the breach's page and timeline, and each step's page for those responsible."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from breaches import rules
from breaches.models import Breach, ObligationKind
from breaches.services.breaches import breach_partners_notify
from tests.breaches.fixtures import reported_breach
from tests.factories import build_world, make_user, sign_in
from tests.protocol_fixtures import protocol_in_force

pytestmark = pytest.mark.django_db


def _date(name: str, value: date) -> dict[str, str]:
    return {f"{name}_day": str(value.day), f"{name}_month": str(value.month), f"{name}_year": str(value.year)}


def _answers(world: Any, occurred: date, identified: date, **more: str) -> dict[str, str]:
    return {
        "protocol": str(protocol_in_force(world).pk),
        "alleged_agency": str(world.other.pk),
        **_date("occurred_on", occurred),
        **_date("identified_on", identified),
        "description": "A child's <b>school</b> record was sent to the wrong address.",
        "is_personal_data_breach": "no",
        **more,
    }


def test_reported_through_the_form_and_check_your_answers_with_the_due_dates() -> None:
    world = build_world()
    client = sign_in(Client(), world.users["designated_manager"])
    occurred, identified = date(2026, 8, 20), date(2026, 8, 21)
    assert client.get(reverse("breach-new")).status_code == 200
    sent = client.post(reverse("breach-new"), _answers(world, occurred, identified))
    assert sent.status_code == 302 and sent["Location"] == reverse("breach-new-check")
    assert not Breach.objects.exists()
    check = client.get(reverse("breach-new-check"))
    due = rules.obligation_due_dates(occurred, identified)
    assert f"{due['breach_report'].day} {due['breach_report']:%B %Y}" == "4 September 2026"  # skips 31 August
    assert "4 September 2026" in check.content.decode()
    assert not Breach.objects.exists()  # the rehearsal kept nothing
    confirmed = client.post(reverse("breach-new-check"), {"draft": check.context["draft_digest"]})
    breach = Breach.objects.get()
    assert confirmed["Location"] == reverse("breach-reported", args=[breach.pk])
    panel = client.get(confirmed["Location"]).content.decode()
    assert breach.reference in panel and "govuk-panel--confirmation" in panel
    page = client.get(reverse("breach-detail", args=[breach.pk])).content.decode()
    assert "&lt;b&gt;school&lt;/b&gt;" in page
    assert "28 August 2026" in page  # notify: identified 21 August + 5 working days
    assert "18 September 2026" in page  # meeting: occurred 20 August + 20 working days, 31 August skipped


@pytest.mark.parametrize(
    ("occurred", "identified", "field"),
    [(3, 5, "identified_on"), (-2, 0, "occurred_on"), (2, -1, "identified_on")],
)
def test_bad_dates_are_errors_on_their_fields_and_nothing_is_written(
    occurred: int, identified: int, field: str
) -> None:
    world = build_world()
    client = sign_in(Client(), world.users["designated_manager"])
    today = timezone.localdate()
    response = client.post(
        reverse("breach-new"),
        _answers(world, today - timedelta(days=occurred), today - timedelta(days=identified)),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "govuk-error-summary" in response.content.decode()
    assert not Breach.objects.exists()


def test_personal_data_breach_needs_the_time_of_awareness() -> None:
    world = build_world()
    client = sign_in(Client(), world.users["designated_manager"])
    today = timezone.localdate()
    answers = _answers(world, today - timedelta(days=3), today - timedelta(days=2), is_personal_data_breach="yes")
    response = client.post(reverse("breach-new"), answers)
    assert {"aware_on", "aware_time"} <= set(response.context["form"].errors)
    answers.update(_date("aware_on", today - timedelta(days=2)), aware_time="25:00")
    assert "aware_time" in client.post(reverse("breach-new"), answers).context["form"].errors
    answers["aware_time"] = "09:15"
    assert client.post(reverse("breach-new"), answers).status_code == 302


def test_the_agency_in_breach_submits_its_report_and_a_second_time_is_refused() -> None:
    world = build_world()
    breach = reported_breach(world)
    speaker = make_user(name="Otto Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    reporter = sign_in(Client(), world.users["designated_manager"])
    page = reporter.get(reverse("breach-detail", args=[breach.pk])).content.decode()
    assert reverse("breach-notify-partners", args=[breach.pk]) in page
    assert reverse("breach-report", args=[breach.pk]) not in page  # not the reporter's step
    assert reporter.get(reverse("breach-report", args=[breach.pk])).status_code == 403
    other = sign_in(Client(), speaker)
    assert (
        reverse("breach-report", args=[breach.pk])
        in other.get(reverse("breach-detail", args=[breach.pk])).content.decode()
    )
    empty = other.post(reverse("breach-report", args=[breach.pk]), {"report": ""})
    assert "report" in empty.context["form"].errors
    done = other.post(reverse("breach-report", args=[breach.pk]), {"report": "Recalled the e-mail; retrained."})
    assert done.status_code == 302
    again = other.get(reverse("breach-report", args=[breach.pk])).content.decode()
    assert "cannot be changed" in again
    assert breach.obligations.get(kind=ObligationKind.BREACH_REPORT).completed_by == speaker


def test_ico_steps_through_the_pages_with_reasons_for_a_late_notification() -> None:
    world = build_world()
    dpo = make_user(name="Dora Dpo", agency=world.other, roles=[Role.PRACTITIONER], is_data_protection_officer=True)
    aware = timezone.now() - timedelta(hours=80)
    breach = reported_breach(
        world, personal_data=True, aware_at=aware, occurred_on=timezone.localdate() - timedelta(days=6)
    )
    client = sign_in(Client(), dpo)
    decided = client.post(
        reverse("breach-ico-decision", args=[breach.pk]), {"reportable": "yes", "reason": "Health data; distress."}
    )
    assert decided.status_code == 302
    told = timezone.localtime(timezone.now() - timedelta(hours=2))
    answers = {**_date("notified_on", told.date()), "notified_time": f"{told:%H:%M}", "reference": "ICO-1"}
    late = client.post(reverse("breach-ico-notification", args=[breach.pk]), answers)
    assert "delay_reason" in late.context["form"].errors
    answers["delay_reason"] = "We waited for the facts."
    assert client.post(reverse("breach-ico-notification", args=[breach.pk]), answers).status_code == 302
    breach.refresh_from_db()
    assert breach.ico_reference == "ICO-1" and breach.ico_notified_at is not None
    page = client.get(reverse("breach-detail", args=[breach.pk])).content.decode()
    assert "late" in page


def test_timeline_is_an_accessible_svg_without_script_or_inline_style() -> None:
    world = build_world()
    breach = reported_breach(world, description="<script>alert(1)</script>")
    breach_partners_notify(actor=world.users["designated_manager"], breach=breach)
    client = sign_in(Client(), world.users["designated_manager"])
    page = client.get(reverse("breach-timeline", args=[breach.pk])).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert (
        'role="img"' in svg
        and 'aria-labelledby="breach-timeline-title"' in svg
        and 'aria-describedby="breach-timeline-desc"' in svg
    )
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert "app-timeline__step" in svg and "app-timeline__done" in svg
    assert re.search(r'<title id="breach-timeline-title">Breach BR-\d+', svg)
    assert 'id="breach-steps"' in page


def test_the_list_shows_the_breaches_in_scope_newest_first() -> None:
    world = build_world()
    first = reported_breach(world)
    second = reported_breach(world, description="Another.")
    mine = sign_in(Client(), world.users["designated_manager"]).get(reverse("breach-list")).content.decode()
    assert mine.index(second.reference) < mine.index(first.reference)
    practitioner = sign_in(Client(), world.users["practitioner"]).get(reverse("breach-list")).content.decode()
    assert first.reference not in practitioner
    assert (
        sign_in(Client(), world.users["practitioner"]).get(reverse("breach-detail", args=[first.pk])).status_code == 404
    )


def test_dashboard_lists_the_readers_open_steps_due_soonest_first() -> None:
    world = build_world()
    breach = reported_breach(world)
    page = sign_in(Client(), world.users["designated_manager"]).get(reverse("dashboard")).content.decode()
    assert "Breach steps for you" in page and breach.reference in page
    speaker = make_user(name="Otto Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    theirs = sign_in(Client(), speaker).get(reverse("dashboard")).content.decode()
    assert "Breach report with the actions taken" in theirs
    assert isinstance(datetime.now(), datetime)
