"""The daily expiry sweep (Haringey 4.1-4.2; Buckinghamshire 4): reminders to agency admins 60, 30 and 7
days before an ICO registration or a person's training expires, then the lapse; each sent once however
often the sweep runs, and a fixed number of statements however many agencies and people are due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, Role, TrainingCourse
from agencies.services import agency_update, expiry_reminders_send, training_record_create
from agencies.tasks import expiry_sweep
from isp_portal.models import Notification, SweepRun
from tests.factories import SYSTEM, World, make_agency, make_user

pytestmark = pytest.mark.django_db

# The sweep's day is today: the services refuse an ICO expiry already past on the real date, so a fixed date
# would make these tests fail once the calendar passes it.
TODAY = timezone.localdate()


def expire_ico(agency: Agency, on: date) -> None:
    agency_update(
        actor=SYSTEM, agency=agency, ico_registration_number=f"Z{agency.pk:07d}", ico_registration_expires_on=on
    )


def ico_keys(agency: Agency) -> list[str]:
    return sorted(set(Notification.objects.filter(key__startswith=f"ico:{agency.pk}:").values_list("key", flat=True)))


def test_ico_reminders_at_60_30_and_7_days_then_the_lapse_each_once(world: World) -> None:
    expires = timezone.localdate() + timedelta(days=61)
    expire_ico(world.home, expires)
    admin = world.users["agency_admin"]
    days = [61, 60, 59, 45, 30, 29, 7, 6, 0, -1, -2]
    for days_left in days:
        for _ in range(2):  # run twice on each day
            expiry_reminders_send(today=expires - timedelta(days=days_left))
    assert ico_keys(world.home) == [f"ico:{world.home.pk}:{expires.isoformat()}:{band}" for band in (0, 30, 60, 7)]
    assert Notification.objects.filter(recipient=admin, key__startswith=f"ico:{world.home.pk}:").count() == 4
    # The lapse also goes to the partnership admins: the agency can no longer share.
    lapse = Notification.objects.get(
        recipient=world.users["partnership_admin"], key=f"ico:{world.home.pk}:{expires.isoformat()}:0"
    )
    assert "has lapsed" in lapse.subject


def test_a_renewal_starts_a_new_set_of_reminders(world: World) -> None:
    first = TODAY + timedelta(days=7)
    expire_ico(world.home, first)
    expiry_reminders_send(today=TODAY)
    renewed = first + timedelta(days=365)
    expire_ico(world.home, renewed)
    expiry_reminders_send(today=TODAY)  # nothing due for the renewed date yet
    assert ico_keys(world.home) == [f"ico:{world.home.pk}:{first.isoformat()}:7"]
    expiry_reminders_send(today=renewed - timedelta(days=60))
    assert f"ico:{world.home.pk}:{renewed.isoformat()}:60" in ico_keys(world.home)


def test_training_reminders_go_to_the_person_and_their_agency_admin(world: World) -> None:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("name").first()
    assert course is not None
    person = world.users["practitioner"]
    completed = TODAY - timedelta(days=300)
    record = training_record_create(
        actor=SYSTEM, user=person, course=course, completed_on=completed, expires_on=TODAY + timedelta(days=30)
    )
    for _ in range(2):
        expiry_reminders_send(today=TODAY)
    key = f"training:{person.pk}:{record.expires_on}:30"
    recipients = set(Notification.objects.filter(key=key).values_list("recipient_id", flat=True))
    assert recipients == {person.pk, world.users["agency_admin"].pk}
    # A newer completion replaces the old expiry: no further reminders for it.
    training_record_create(actor=SYSTEM, user=person, course=course, completed_on=TODAY - timedelta(days=1))
    expiry_reminders_send(today=TODAY + timedelta(days=23))
    assert not Notification.objects.filter(key=f"training:{person.pk}:{record.expires_on}:7").exists()


def test_nothing_is_sent_outside_the_reminder_days(world: World) -> None:
    expire_ico(world.home, TODAY + timedelta(days=200))
    expiry_reminders_send(today=TODAY)
    assert not Notification.objects.filter(key__startswith="ico:").exists()


def test_the_sweep_runs_a_fixed_number_of_statements(world: World) -> None:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("name").first()
    assert course is not None

    def add(count: int) -> None:
        for number in range(count):
            agency = make_agency(f"Swept agency {Agency.objects.count()}-{number}")
            make_user(agency=agency, roles=[Role.AGENCY_ADMIN])
            expire_ico(agency, TODAY + timedelta(days=30))
            person = make_user(agency=agency, roles=[Role.PRACTITIONER])
            training_record_create(
                actor=SYSTEM,
                user=person,
                course=course,
                completed_on=TODAY - timedelta(days=100),
                expires_on=TODAY + timedelta(days=7),
            )

    def statements(today: date) -> int:
        with CaptureQueriesContext(connection) as queries:
            result = expiry_reminders_send(today=today)
        assert result.ico_reminders > 0 and result.training_reminders > 0
        return len(queries)

    add(1)
    one = statements(TODAY)
    add(5)
    assert statements(TODAY - timedelta(days=1)) == one  # a different day, so every reminder is new again


def test_the_celery_task_records_its_heartbeat(world: World) -> None:
    expire_ico(world.home, timezone.localdate() + timedelta(days=7))
    result = expiry_sweep()
    assert result["ico"] == 1
    assert expiry_sweep()["ico"] == 0  # the second run sends nothing new
    assert SweepRun.objects.filter(name="agencies.expiry").exists()
