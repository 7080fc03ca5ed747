"""The daily expiry sweep, agencies.services.expiry_reminders_send, and its Celery task (Haringey 4.1-4.2,
Buckinghamshire 4, Haringey 7.2): reminders 60, 30 and 7 days before an ICO registration or a person's
information-sharing training expires, each raised exactly once however often the sweep runs, none outside
the reminder window, and a number of SQL statements that does not grow with the agencies swept."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, Membership, Role, SecurityDocument, TokenScope, TrainingCourse, User
from agencies.services import (
    access_request_create,
    access_request_decide,
    agency_update,
    expiry_reminders_send,
    membership_deactivate,
    security_document_upload,
    training_record_create,
)
from agencies.tasks import expiry_sweep
from isp_portal.models import Notification, SweepRun
from isp_portal.wording import long_date
from tests.factories import SYSTEM, World, make_agency, make_api_token, make_user
from tests.pdf_samples import PDF

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def days(n: int) -> date:
    return today() + timedelta(days=n)


def set_ico(agency: Agency, expires_on: date) -> None:
    agency_update(
        actor=SYSTEM,
        agency=agency,
        ico_registration_number=f"ZA{agency.pk:06d}",
        ico_registration_expires_on=expires_on,
    )


def sharing_course() -> TrainingCourse:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("name").first()
    assert course is not None
    return course


def train(user: User, expires_on: date, course: TrainingCourse | None = None) -> None:
    training_record_create(
        actor=SYSTEM, user=user, course=course or sharing_course(), completed_on=days(-100), expires_on=expires_on
    )


def ico_key(agency: Agency, expires_on: date, band: int) -> str:
    return f"ico:{agency.pk}:{expires_on.isoformat()}:{band}"


def training_key(user: User, expires_on: date, band: int) -> str:
    return f"training:{user.pk}:{expires_on.isoformat()}:{band}"


def reminders(prefix: str = "") -> list[tuple[int, str]]:
    return sorted(Notification.objects.filter(key__startswith=prefix).values_list("recipient_id", "key"))


@pytest.fixture
def other_admin(world: World) -> User:
    return make_user(name="Oona Otheradmin", agency=world.other, roles=[Role.AGENCY_ADMIN])


@pytest.fixture
def third(world: World) -> tuple[Agency, User]:
    agency = make_agency("Third Health Trust")
    return agency, make_user(name="Theo Third", agency=agency, roles=[Role.AGENCY_ADMIN])


# --- ICO registrations ------------------------------------------------------------------------------------------


def test_ico_reminders_at_60_30_and_7_days_are_raised_once_however_often_the_sweep_runs(
    world: World, other_admin: User, third: tuple[Agency, User]
) -> None:
    third_agency, third_admin = third
    set_ico(world.home, days(60))
    set_ico(world.other, days(30))
    set_ico(third_agency, days(7))

    first = expiry_reminders_send(today=today())
    second = expiry_reminders_send(today=today())

    assert (first.ico_reminders, second.ico_reminders) == (3, 0)
    assert reminders("ico:") == sorted(
        [
            (world.users["agency_admin"].pk, ico_key(world.home, days(60), 60)),
            (other_admin.pk, ico_key(world.other, days(30), 30)),
            (third_admin.pk, ico_key(third_agency, days(7), 7)),
        ]
    )
    seven = Notification.objects.get(key=ico_key(third_agency, days(7), 7))
    assert seven.subject == f"Third Health Trust: ICO registration expires on {long_date(days(7))} (in 7 days or fewer)"
    assert seven.link == f"/agencies/{third_agency.pk}/"


def test_no_reminder_outside_the_window(world: World) -> None:
    set_ico(world.home, days(61))
    set_ico(world.other, days(300))
    train(world.users["practitioner"], days(61))
    result = expiry_reminders_send(today=today())
    assert (result.ico_reminders, result.training_reminders, result.grants_expired) == (0, 0, 0)
    assert not Notification.objects.exists()
    # The next day both are 60 days away: now, and only now, their reminders are due.
    later = expiry_reminders_send(today=days(1))
    assert (later.ico_reminders, later.training_reminders) == (1, 2)
    assert reminders() == sorted(
        [
            (world.users["agency_admin"].pk, ico_key(world.home, days(61), 60)),
            (world.users["agency_admin"].pk, training_key(world.users["practitioner"], days(61), 60)),
            (world.users["practitioner"].pk, training_key(world.users["practitioner"], days(61), 60)),
        ]
    )


def test_each_band_is_raised_once_across_a_daily_sweep(world: World) -> None:
    expires = days(60)
    set_ico(world.home, expires)
    raised: dict[int, int] = {}
    for day in range(0, 63):  # every day from 60 days before until 2 days after
        for _ in range(2):
            result = expiry_reminders_send(today=days(day))
            if result.ico_reminders:
                raised[day] = raised.get(day, 0) + result.ico_reminders
    admin = world.users["agency_admin"].pk
    partnership_admin = world.users["partnership_admin"].pk
    # 60, 30 and 7 days before, then the day after it lapsed (the lapse also to partnership admins).
    assert raised == {0: 1, 30: 1, 53: 1, 61: 2}
    assert reminders("ico:") == sorted(
        [(admin, ico_key(world.home, expires, band)) for band in (60, 30, 7, 0)]
        + [(partnership_admin, ico_key(world.home, expires, 0))]
    )


def test_a_missed_day_still_sends_the_band_that_matters_and_not_the_earlier_one(world: World) -> None:
    set_ico(world.home, days(20))  # 20 days left: the 60-day reminder's time has gone
    expiry_reminders_send(today=today())
    assert reminders("ico:") == [(world.users["agency_admin"].pk, ico_key(world.home, days(20), 30))]


def test_a_renewal_starts_its_reminders_afresh(world: World) -> None:
    set_ico(world.home, days(7))
    expiry_reminders_send(today=today())
    set_ico(world.home, days(7 + 365))
    assert expiry_reminders_send(today=today()).ico_reminders == 0  # the renewed one is far off
    assert expiry_reminders_send(today=days(365)).ico_reminders == 1
    assert [key for _, key in reminders("ico:")] == sorted(
        [ico_key(world.home, days(7), 7), ico_key(world.home, days(372), 7)]
    )


def test_ico_reminders_skip_system_accounts_and_former_admins(world: World) -> None:
    make_api_token(world.home, [TokenScope.PEOPLE_ADMIN], name="Case system")
    former = make_user(name="Fay Former", agency=world.home, roles=[Role.AGENCY_ADMIN])
    membership_deactivate(actor=SYSTEM, membership=Membership.objects.get(user=former), reason="Retired")
    set_ico(world.home, days(30))
    expiry_reminders_send(today=today())
    assert [recipient for recipient, _ in reminders("ico:")] == [world.users["agency_admin"].pk]


# --- Training ---------------------------------------------------------------------------------------------------


def test_training_reminders_at_60_30_and_7_days_go_to_the_person_and_their_admin_once(
    world: World, other_admin: User
) -> None:
    practitioner, manager, officer = (world.users[r] for r in ("practitioner", "designated_manager", "other_agency"))
    train(practitioner, days(60))
    train(manager, days(30))
    train(officer, days(7))

    first = expiry_reminders_send(today=today())
    second = expiry_reminders_send(today=today())

    assert (first.training_reminders, second.training_reminders) == (6, 0)
    home_admin = world.users["agency_admin"].pk
    assert reminders("training:") == sorted(
        [
            (practitioner.pk, training_key(practitioner, days(60), 60)),
            (home_admin, training_key(practitioner, days(60), 60)),
            (manager.pk, training_key(manager, days(30), 30)),
            (home_admin, training_key(manager, days(30), 30)),
            (officer.pk, training_key(officer, days(7), 7)),
            (other_admin.pk, training_key(officer, days(7), 7)),
        ]
    )
    to_admin = Notification.objects.get(recipient=other_admin, key=training_key(officer, days(7), 7))
    assert to_admin.subject.startswith("Olly Other's information-sharing training expires on")


def test_training_reminders_follow_the_latest_training_and_only_information_sharing(world: World) -> None:
    person = world.users["practitioner"]
    train(person, days(7))
    training_record_create(
        actor=SYSTEM, user=person, course=sharing_course(), completed_on=days(-1), expires_on=days(300)
    )  # renewed
    other_course = TrainingCourse.objects.get(is_information_sharing=False)
    train(world.users["designated_manager"], days(7), course=other_course)
    assert expiry_reminders_send(today=today()).training_reminders == 0
    assert not Notification.objects.exists()


def test_someone_whose_training_lapsed_is_told_once(world: World) -> None:
    person = world.users["practitioner"]
    train(person, days(5))
    for day in (6, 6, 7, 40):
        expiry_reminders_send(today=days(day))
    lapsed = training_key(person, days(5), 0)
    assert reminders("training:") == sorted([(person.pk, lapsed), (world.users["agency_admin"].pk, lapsed)])
    assert "has lapsed" in Notification.objects.get(recipient=person, key=lapsed).subject


# --- Statements per sweep ------------------------------------------------------------------------------------------


def add_agencies(world: World, count: int, sweep_day: date) -> None:
    """Agencies each with an admin and a practitioner, an ICO registration 30 days from the sweep, training
    7 days from it, and a grant to see the home agency's security document that has ended by then."""
    course = sharing_course()
    document = SecurityDocument.objects.get(agency=world.home)
    for _ in range(count):
        agency = make_agency()
        admin = make_user(agency=agency, roles=[Role.AGENCY_ADMIN], device=False)
        person = make_user(agency=agency, roles=[Role.PRACTITIONER], device=False)
        set_ico(agency, sweep_day + timedelta(days=30))
        training_record_create(
            actor=SYSTEM, user=person, course=course, completed_on=days(-100), expires_on=sweep_day + timedelta(days=7)
        )
        request = access_request_create(actor=admin, document=document, requesting_agency=agency, reason="Audit")
        access_request_decide(
            actor=world.users["agency_admin"], access_request=request, grant=True, access_expires_on=days(5)
        )


def statements(sweep_day: date) -> tuple[int, tuple[int, int, int]]:
    with CaptureQueriesContext(connection) as queries:
        result = expiry_reminders_send(today=sweep_day)
    return len(queries), (result.ico_reminders, result.training_reminders, result.grants_expired)


def test_a_sweep_runs_the_same_statements_for_one_agency_and_for_five(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    security_document_upload(
        actor=world.users["agency_admin"], agency=world.home, upload=io.BytesIO(PDF), filename="summary.pdf"
    )
    sweep_day = days(10)
    add_agencies(world, 1, sweep_day)
    one, done = statements(sweep_day)
    assert done == (1, 2, 1)  # every part of the sweep had work to do
    add_agencies(world, 4, sweep_day)
    five, done = statements(sweep_day)
    assert done == (4, 8, 4)
    assert five == one


def test_a_sweep_runs_the_same_statements_for_a_few_reminders_and_for_many(world: World) -> None:
    set_ico(world.home, days(30))
    one, done = statements(today())
    assert done == (1, 0, 0)
    for _ in range(120):
        make_user(agency=world.other, roles=[Role.AGENCY_ADMIN], password=None, device=False)
    set_ico(world.other, days(30))
    many, done = statements(today())
    assert done == (120, 0, 0)
    assert many == one


# --- The Celery task ---------------------------------------------------------------------------------------------


def test_the_celery_task_sweeps_today_once_and_records_its_run(world: World) -> None:
    set_ico(world.home, days(7))
    train(world.users["practitioner"], days(30))
    assert expiry_sweep.apply().get() == {"ico": 1, "training": 2, "grants": 0}
    assert expiry_sweep.apply().get() == {"ico": 0, "training": 0, "grants": 0}
    assert len(reminders()) == 3
    run = SweepRun.objects.get(name="agencies.expiry")
    assert run.runs == 2 and run.last_ok and run.last_finished_at is not None
