"""A retraining sanction (Haringey 6.6; DESIGN 2.5) counts the same everywhere: the training gate
(agencies.identity.valid_training_records), the agency's "trained" count read through the ORM
(agencies.selectors._valid_training), the agency's page read in one hand-written statement (valid_training_sql),
and its training page; the member's page and the training page say since when and for which breach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies import selectors
from agencies.models import Agency, Membership, TrainingCourse, User
from agencies.policy import forget_training, has_valid_training
from agencies.services import training_record_create
from isp_portal.wording import long_date
from tests.breaches.hearing_fixtures import advance, breach_of, speaker_of
from tests.factories import SYSTEM, World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def _gate_count(agency: Agency) -> int:
    """Members of `agency` whom the training gate lets through, one by one."""
    people = User.objects.filter(memberships__agency=agency, memberships__is_active=True, is_system=False).distinct()
    count = 0
    for person in people:
        forget_training(person)
        count += has_valid_training(person)
    return count


def _counts(world: World, agency: Agency) -> tuple[int, int, int, int]:
    today = timezone.localdate()
    admin = world.users["partnership_admin"]
    plain = Agency.objects.get(pk=agency.pk)
    page = selectors.agency_page(admin, agency.pk, today)
    people = selectors.agency_people(admin, plain, today)
    return (
        selectors.agency_compliance(plain, today).members_trained,  # the ORM's _valid_training
        selectors.agency_compliance(page, today).members_trained,  # the agency page's statement
        sum(1 for membership in people if membership.trained),  # type: ignore[attr-defined]
        _gate_count(agency),
    )


def test_the_trained_counts_and_the_gate_agree_under_a_retraining_sanction(world: World) -> None:
    today = timezone.localdate()
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("pk").first()
    assert course is not None
    named = speaker_of(world, world.other, "named")
    kept = speaker_of(world, world.other, "kept")
    for person in (named, kept):
        training_record_create(actor=SYSTEM, user=person, course=course, completed_on=today - timedelta(days=30))
    before = _counts(world, world.other)
    assert len(set(before)) == 1 and before[0] >= 2

    breach = breach_of(world, world.other, key="b")
    advance(world, breach, "decided", sanctions=[{"kind": "retraining", "users": [named]}])
    after = _counts(world, world.other)
    assert after == (before[0] - 1,) * 4  # the named person no longer counts, anywhere

    # The member's page and the agency's training page say so, with the breach.
    words = f"Retraining required since {long_date(today)} (breach {breach.reference})"
    membership = Membership.objects.get(user=named, agency=world.other)
    admin = client_as(world, "partnership_admin")
    assert words in admin.get(f"/memberships/{membership.pk}/edit/").content.decode()
    training_page = admin.get(f"/agencies/{world.other.pk}/training/").content.decode()
    assert training_page.count("Retraining required since") == 1 and words in training_page

    # Retraining meets the requirement: counted again everywhere, and no longer said.
    training_record_create(actor=SYSTEM, user=named, course=course, completed_on=today)
    assert _counts(world, world.other) == before
    assert selectors.retraining_required([named.pk, kept.pk]) == {}
    assert "Retraining required" not in admin.get(f"/agencies/{world.other.pk}/training/").content.decode()
