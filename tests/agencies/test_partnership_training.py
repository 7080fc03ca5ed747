"""The training of the partnership's own people (partnership admins and auditors: no agency). The training gate
holds for them too (Buckinghamshire 4; issue 10 finding 5), so a partnership admin sees and records it: a page
and the API, with the agency training form's rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Role, TrainingCourse, TrainingRecord, User
from agencies.policy import training_gate_reason
from agencies.rules import TrainingStatus, training_status
from agencies.services import training_record_create
from audit.models import AuditEvent
from tests.factories import SYSTEM, World, make_user, sign_in
from tests.matrix import client_as, untrained_partnership_admin

pytestmark = pytest.mark.django_db

PAGE = "/partnership/training/"
ADD = "/partnership/training/add/"


def sharing_course() -> TrainingCourse:
    course = TrainingCourse.objects.filter(is_information_sharing=True, is_active=True).order_by("pk").first()
    assert course is not None
    return course


def date_fields(name: str, day: date) -> dict[str, Any]:
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=body, content_type="application/json")


# --- The rule ------------------------------------------------------------------------------------------------------


def test_training_status_is_valid_expired_or_none() -> None:
    today = date(2026, 6, 1)
    assert training_status([], today) is TrainingStatus.NONE
    assert training_status([(date(2024, 1, 1), date(2026, 5, 31))], today) is TrainingStatus.EXPIRED
    assert training_status([(date(2024, 1, 1), date(2026, 6, 1))], today) is TrainingStatus.VALID  # its last day
    assert training_status([(date(2020, 1, 1), None)], today) is TrainingStatus.VALID  # does not expire
    expired_then_renewed = [(date(2023, 1, 1), date(2024, 1, 1)), (date(2026, 1, 1), date(2027, 1, 1))]
    assert training_status(expired_then_renewed, today) is TrainingStatus.VALID


# --- The page ------------------------------------------------------------------------------------------------------


def test_the_page_lists_the_partnerships_people_with_their_training(world: World) -> None:
    course = sharing_course()
    today = timezone.localdate()
    # The World's auditor is the partnership's (no agency); expired training for them.
    training_record_create(
        actor=SYSTEM,
        user=world.users["auditor"],
        course=course,
        completed_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    trained = untrained_partnership_admin(world)  # trained here, by the system
    training_record_create(actor=SYSTEM, user=trained, course=course, completed_on=today, evidence="CERT-77")
    page = client_as(world, "partnership_admin").get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("Paul Partnership", "Audrey Auditor", "Uma Untrained Partnership"):
        assert name in html
    # An agency's people are their agency admins' to see (agencies/<pk>/training/), not here.
    assert "Pat Practitioner" not in html and "Ada Admin" not in html
    assert "CERT-77" in html and course.name in html
    assert "Valid" in html and "Expired" in html and "None" in html
    assert "No training recorded" in html  # Paul, the viewer, has none


def test_the_add_form_records_training_for_a_partnership_auditor(world: World) -> None:
    client = client_as(world, "partnership_admin")
    auditor = world.users["auditor"]
    form = client.get(ADD).content.decode()
    assert "Audrey Auditor" in form
    assert f'<option value="{world.users["partnership_admin"].pk}"' not in form  # nobody records their own
    assert f'<option value="{world.users["practitioner"].pk}"' not in form  # an agency's are its admins' to record
    completed = timezone.localdate() - timedelta(days=10)
    body = {
        "user": auditor.pk,
        "course": sharing_course().pk,
        **date_fields("completed_on", completed),
        "evidence": "X1",
    }
    response = client.post(ADD, body)
    assert response.status_code == 302 and response["Location"] == PAGE
    record = TrainingRecord.objects.get(user=auditor)
    assert record.completed_on == completed and record.evidence == "X1" and record.expires_on is not None
    assert AuditEvent.objects.filter(kind="training.record", object_id=str(record.pk)).exists()
    assert training_gate_reason(User.objects.get(pk=auditor.pk)) is None


TODAY = timezone.localdate()


@pytest.mark.parametrize(
    ("completed_on", "expires_on", "words"),
    [
        (TODAY + timedelta(days=1), None, "today or in the past"),
        (date(1999, 12, 31), None, "1 January 2000"),
        (TODAY - timedelta(days=10), TODAY - timedelta(days=15), "after the completion date"),
        (TODAY - timedelta(days=10), TODAY + timedelta(days=366 * 11), "at most ten years"),
    ],
)
def test_implausible_dates_are_errors_on_the_form(
    world: World, completed_on: date, expires_on: date | None, words: str
) -> None:
    body = {
        "user": world.users["auditor"].pk,
        "course": sharing_course().pk,
        **date_fields("completed_on", completed_on),
    }
    if expires_on is not None:
        body.update(date_fields("expires_on", expires_on))
    response = client_as(world, "partnership_admin").post(ADD, body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and words in html, html[html.find("govuk-error-summary") :][:800]
    assert not TrainingRecord.objects.filter(user=world.users["auditor"]).exists()


def test_a_partnership_admin_cannot_record_her_own_training_here(world: World) -> None:
    admin = world.users["partnership_admin"]
    body = {"user": admin.pk, "course": sharing_course().pk, **date_fields("completed_on", timezone.localdate())}
    response = client_as(world, "partnership_admin").post(ADD, body)
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    assert not TrainingRecord.objects.filter(user=admin).exists()


@pytest.mark.parametrize("principal", ["agency_admin", "auditor", "practitioner", "no_role"])
def test_only_partnership_admins_reach_the_page_and_each_refusal_is_recorded(world: World, principal: str) -> None:
    client = client_as(world, principal)
    for url in (PAGE, ADD):
        response = client.get(url)
        assert response.status_code == 403, (principal, url)
        assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).exists()
    body = {"user": world.users["auditor"].pk, "course": sharing_course().pk}
    assert client.post(ADD, {**body, **date_fields("completed_on", timezone.localdate())}).status_code == 403
    assert not TrainingRecord.objects.exists()


def test_the_dashboard_links_the_page_for_partnership_admins_only(world: World) -> None:
    dashboard = client_as(world, "partnership_admin").get("/").content.decode()
    assert PAGE in dashboard
    assert PAGE not in client_as(world, "agency_admin").get("/").content.decode()
    # The untrained partnership admin is told on the dashboard, as an agency's people are.
    assert "None valid" in dashboard and "ask another partnership admin" in dashboard


# --- The API -------------------------------------------------------------------------------------------------------


def test_the_api_records_and_lists_the_partnerships_training(world: World) -> None:
    course = sharing_course()
    auditor = world.users["auditor"]
    body = {"user": auditor.pk, "course": course.pk, "completed_on": str(timezone.localdate() - timedelta(days=3))}
    created = send(client_as(world, "partnership_admin"), "post", "/api/v1/training-records/", body)
    assert created.status_code == 201, created.content
    assert created.json()["user"] == auditor.pk
    training_record_create(
        actor=SYSTEM, user=world.users["practitioner"], course=course, completed_on=timezone.localdate()
    )
    client = client_as(world, "partnership_admin")
    own = client.get("/api/v1/training-records/", {"partnership": "true"}).json()
    everyone = client.get("/api/v1/training-records/", {"partnership": "false"}).json()
    rows = own["results"] if isinstance(own, dict) else own
    all_rows = everyone["results"] if isinstance(everyone, dict) else everyone
    assert [row["user"] for row in rows] == [auditor.pk]
    assert sorted(row["user"] for row in all_rows) == sorted([auditor.pk, world.users["practitioner"].pk])
    bad = client.get("/api/v1/training-records/", {"partnership": "perhaps"})
    assert bad.status_code == 400 and "partnership" in bad.json()["error"]["fields"]


def test_the_api_refuses_the_partnerships_training_to_anyone_else(world: World) -> None:
    body = {"user": world.users["auditor"].pk, "course": sharing_course().pk, "completed_on": "2026-01-10"}
    # To an agency admin the partnership's people do not exist: a 400 naming the field, recorded.
    refused = send(client_as(world, "agency_admin"), "post", "/api/v1/training-records/", body)
    assert refused.status_code == 400 and "user" in refused.json()["error"]["fields"]
    # Naming her own agency does not help: the person is still not hers.
    with_agency = send(
        client_as(world, "agency_admin"), "post", "/api/v1/training-records/", {**body, "agency": world.home.pk}
    )
    assert with_agency.status_code == 400 and "user" in with_agency.json()["error"]["fields"]
    # A partnership auditor sees the person but may not record their training: the policy says who can.
    colleague = make_user(name="Aled Auditor", agency=None, roles=[Role.AUDITOR])
    forbidden = send(client_as(world, "auditor"), "post", "/api/v1/training-records/", {**body, "user": colleague.pk})
    assert forbidden.status_code == 403
    assert "partnership admin" in forbidden.json()["error"]["message"]
    assert not TrainingRecord.objects.exists()


# --- The gate ------------------------------------------------------------------------------------------------------


def test_an_untrained_partnership_admin_is_told_to_ask_another_partnership_admin(world: World) -> None:
    admin = untrained_partnership_admin(world)
    reason = training_gate_reason(User.objects.get(pk=admin.pk))
    assert reason is not None and "another partnership admin" in reason and "agency admin" not in reason
    practitioner = make_user(agency=world.home, roles=[Role.PRACTITIONER])
    assert "your agency admin" in (training_gate_reason(practitioner) or "")
    # Trained by another partnership admin through the page, the gate lifts.
    client = sign_in(Client(), world.users["partnership_admin"])
    body = {"user": admin.pk, "course": sharing_course().pk, **date_fields("completed_on", timezone.localdate())}
    assert client.post(ADD, body).status_code == 302
    assert training_gate_reason(User.objects.get(pk=admin.pk)) is None
