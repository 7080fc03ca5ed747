"""The demo's partners' meetings (breaches/demo_hearings.py; issue 14 "Demo"): one in deliberation with the
agency in breach withdrawn, one decided and told with a suspension from the sensitive tier in force today and a
retraining requirement on a person who is not a main demo sign-in."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from agencies.demo import LOGIN_KEYS, PEOPLE, demo_email
from agencies.models import Agency, AgencySanction, RetrainingRequirement, User
from agencies.policy import has_valid_training, sharing_refusal
from breaches.demo_hearings import SCENES
from breaches.hearing_policy import WITHDRAWN, deliberation_refusal
from breaches.models import Breach, Hearing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True


def person(key: str) -> User:
    spec = next(spec for spec in PEOPLE if spec["key"] == key)
    return User.objects.get(email=demo_email(spec["name"]))


def test_the_demo_has_a_meeting_in_deliberation_and_a_sanction_in_force() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    deliberating, told = (Breach.objects.get(description=scene.description) for scene in SCENES)
    hearing = Hearing.objects.get(breach=deliberating)
    assert hearing.stage == "deliberating" and hearing.recused
    # The trust's Caldicott guardian is withdrawn: refused the deliberation, naming the rule.
    assert deliberation_refusal(person("caldicott"), hearing, deliberating) == WITHDRAWN

    assert Hearing.objects.get(breach=told).stage == "told"
    police = Agency.objects.get(pk=told.alleged_agency_id)
    today = timezone.localdate()
    suspension = AgencySanction.objects.get(agency=police, breach_reference=told.reference)
    assert suspension.from_on <= today and (suspension.until_on is None or suspension.until_on > today)
    refusal = sharing_refusal(police, tier="sensitive", direction="send", on=today)
    assert refusal is not None and told.reference in refusal
    assert sharing_refusal(police, tier="minimum", direction="send", on=today) is None

    retraining = RetrainingRequirement.objects.get(breach_reference=told.reference)
    assert retraining.user == person("police_admin") and "police_admin" not in LOGIN_KEYS
    assert not has_valid_training(person("police_admin"))
    assert has_valid_training(person("police_officer"))  # the officer who tries to disclose reaches the refusal
