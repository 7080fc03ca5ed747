"""The agencies API through real requests: what agency systems and admins do with it, and the bad input the
issue names, each refused with a field-level message and nothing half-written (issue 3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Membership, Role, TrainingCourse, TrainingRecord
from agencies.services import agency_update
from audit.models import AuditEvent
from tests.factories import SYSTEM, World, make_user, sign_in
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def api(world: World, principal: str) -> Client:
    return client_as(world, principal)


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data=body or {}, content_type="application/json")


def fields_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    return dict(body["fields"])


def test_partnership_admin_registers_an_agency_and_a_duplicate_is_refused(world: World) -> None:
    client = api(world, "partnership_admin")
    body = {
        "name": "Westbrook Academy",
        "kind": "school",
        "sector": "statutory",
        "area": "e99000001",  # Northbridge's GSS code (agencies.demo.DEMO_AREAS), in any case
        "ico_registration_number": "ZA123456",
        "ico_registration_expires_on": str(timezone.localdate() + timedelta(days=200)),
    }
    created = send(client, "post", "/api/v1/agencies/", body)
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Westbrook Academy"
    assert AuditEvent.objects.filter(kind="agency.create", object_id=str(created.json()["id"])).exists()

    before = Agency.objects.count()
    duplicate = send(client, "post", "/api/v1/agencies/", {**body, "name": "westbrook academy"})
    errors = fields_of(duplicate)
    assert "name" in errors and "ico_registration_number" in errors
    assert Agency.objects.count() == before


def test_an_ico_expiry_in_the_past_is_refused_on_creation(world: World) -> None:
    body = {
        "name": "Lapsed Charity",
        "kind": "voluntary",
        "sector": "voluntary",
        "ico_registration_number": "ZB654321",
        "ico_registration_expires_on": str(timezone.localdate() - timedelta(days=1)),
    }
    before = Agency.objects.count()
    errors = fields_of(send(api(world, "partnership_admin"), "post", "/api/v1/agencies/", body))
    assert "ico_registration_expires_on" in errors
    assert Agency.objects.count() == before


def test_a_malformed_body_gets_field_messages(world: World) -> None:
    errors = fields_of(send(api(world, "partnership_admin"), "post", "/api/v1/agencies/", {"kind": "castle"}))
    assert set(errors) >= {"name", "kind", "sector"}


def test_register_filters(world: World) -> None:
    today = timezone.localdate()
    agency_update(
        actor=SYSTEM,
        agency=world.home,
        ico_registration_number="Z1111111",
        ico_registration_expires_on=today + timedelta(days=20),
    )
    client = api(world, "practitioner")
    expiring = client.get("/api/v1/agencies/", {"ico": "expiring"}).json()["results"]
    assert [row["id"] for row in expiring] == [world.home.pk]
    police = client.get("/api/v1/agencies/", {"kind": "police"}).json()["results"]
    assert [row["id"] for row in police] == [world.other.pk]
    assert "kind" in fields_of(client.get("/api/v1/agencies/", {"kind": "castle"}))


def test_agency_detail_shows_compliance(world: World) -> None:
    body = api(world, "practitioner").get(f"/api/v1/agencies/{world.home.pk}/").json()
    assert body["compliance"]["checklist_status"] == "incomplete"
    assert body["compliance"]["members"] == 3  # practitioner, designated manager, agency admin


def test_an_agency_admin_cannot_change_the_register_or_another_agency(world: World) -> None:
    client = api(world, "agency_admin")
    renamed = send(client, "patch", f"/api/v1/agencies/{world.home.pk}/", {"name": "Grander Name"})
    assert renamed.status_code == 403
    assert AuditEvent.objects.filter(kind="access.denied", request_id=renamed["X-Request-ID"]).exists()
    other = send(client, "patch", f"/api/v1/agencies/{world.other.pk}/", {"phone": "0161 000 0000"})
    assert other.status_code == 403
    world.home.refresh_from_db()
    world.other.refresh_from_db()
    assert world.home.name != "Grander Name" and world.other.phone != "0161 000 0000"
    # Its own contact details are its own to keep.
    own = send(client, "patch", f"/api/v1/agencies/{world.home.pk}/", {"phone": "0161 496 0000"})
    assert own.status_code == 200 and own.json()["phone"] == "+441614960000"  # stored in E.164


def test_an_admin_cannot_give_a_partnership_role(world: World) -> None:
    admin = world.users["agency_admin"]
    own = Membership.objects.get(user=admin, agency=world.home)
    client = api(world, "agency_admin")
    response = send(
        client, "patch", f"/api/v1/memberships/{own.pk}/", {"roles": [Role.AGENCY_ADMIN, Role.PARTNERSHIP_ADMIN]}
    )
    assert "roles" in fields_of(response)
    own.refresh_from_db()
    assert own.roles == [Role.AGENCY_ADMIN]
    invitation = send(
        client,
        "post",
        "/api/v1/invitations/",
        {"agency": world.home.pk, "email": "x@test.example", "full_name": "X", "roles": [Role.PARTNERSHIP_ADMIN]},
    )
    assert "roles" in fields_of(invitation)
    assert not mail.outbox


def test_an_agency_system_invites_a_new_member_by_token(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            api(world, "people_token"),  # a token with the people:admin scope
            "post",
            "/api/v1/invitations/",
            {
                "agency": world.home.pk,
                "email": "New.Starter@Test.Example",
                "full_name": "New Starter",
                "roles": ["practitioner"],
            },
        )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new.starter@test.example"
    assert "token" not in response.json()  # the link goes only to the person, by email
    [message] = mail.outbox
    assert message.to == ["new.starter@test.example"]


def test_deactivating_a_membership_ends_the_persons_sessions(world: World) -> None:
    person = make_user(agency=world.home, roles=[Role.PRACTITIONER])
    browser = sign_in(Client(), person)
    assert browser.get("/").status_code == 200
    membership = Membership.objects.get(user=person)
    response = send(
        api(world, "agency_admin"), "post", f"/api/v1/memberships/{membership.pk}/deactivate/", {"reason": "Left"}
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert browser.get("/").status_code == 302  # sent back to sign in


def test_a_csv_with_a_malformed_date_imports_nothing(world: World) -> None:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("name").first()
    assert course is not None
    csv = (
        "email,course,completed_on,expires_on,evidence\n"
        f"{world.users['practitioner'].email},{course.name},2026-01-10,,Cert 1\n"
        f"{world.users['designated_manager'].email},{course.name},31/02/2026,,Cert 2\n"
    )
    before = TrainingRecord.objects.count()
    response = send(
        api(world, "agency_admin"), "post", "/api/v1/training-records/import/", {"agency": world.home.pk, "csv": csv}
    )
    errors = fields_of(response)
    assert any("Line 3" in message for messages in errors.values() for message in messages), errors
    assert TrainingRecord.objects.count() == before

    good = csv.replace("31/02/2026", "28/02/2026")
    imported = send(
        api(world, "agency_admin"), "post", "/api/v1/training-records/import/", {"agency": world.home.pk, "csv": good}
    )
    assert imported.status_code == 201 and imported.json()["imported"] == 2
    assert TrainingRecord.objects.count() == before + 2


def test_checklist_confirmation_in_the_future_is_refused(world: World) -> None:
    client = api(world, "agency_admin")
    url = f"/api/v1/agencies/{world.home.pk}/checklist/"
    requirement = client.get(url).json()["requirements"][0]["requirement"]
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    assert "confirmed_on" in fields_of(
        send(client, "post", url, {"requirement": requirement, "confirmed_on": tomorrow})
    )
    confirmed = send(client, "post", url, {"requirement": requirement, "confirmed_on": str(timezone.localdate())})
    assert confirmed.status_code == 201
    rows = {row["requirement"]: row for row in confirmed.json()["requirements"]}
    assert rows[requirement]["state"] == "confirmed"


def test_training_record_for_someone_out_of_view_reads_as_missing(world: World) -> None:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("name").first()
    assert course is not None
    body = {"user": world.users["other_agency"].pk, "course": course.pk, "completed_on": "2026-01-10"}
    assert "user" in fields_of(send(api(world, "agency_admin"), "post", "/api/v1/training-records/", body))


def test_the_openapi_schema_validates(tmp_path: Any) -> None:
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/agencies/", "/api/v1/memberships/{id}/deactivate/", "/api/v1/training-records/import/"):
        assert path in text
