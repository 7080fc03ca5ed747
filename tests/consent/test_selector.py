"""consent.selectors.consent_covering asked about agencies, tiers and purposes in and out of scope, before and
after a withdrawal, and about consents not yet or no longer in force (issue 11, "How it will be checked")."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from agencies.models import Agency
from consent.selectors import Reason, child_consent_summary, consent_covering, consent_scope_options
from consent.services import consent_withdraw
from protocols.models import Signature
from protocols.services import signature_withdraw
from tests.consent.fixtures import OTHER_PURPOSE, child_aged, parent, record
from tests.factories import SYSTEM, World
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db


def ask(child: object, agency: Agency, *, tier: str = "minimum", purpose: str = PURPOSE, at: datetime | None = None):  # type: ignore[no-untyped-def]
    return consent_covering(child=child, tier=tier, agency=agency, purpose=purpose, at=at)  # type: ignore[arg-type]


def unsigned(world: World) -> Agency:
    return Agency.objects.get(name="Unsigned Academy")


def test_nothing_recorded(world: World) -> None:
    child = child_aged(world, 16)
    found = ask(child, world.other)
    assert not found.covered and found.reason == Reason.NONE_RECORDED and found.consent is None


def test_in_and_out_of_scope_before_and_after_a_withdrawal(world: World) -> None:
    child = child_aged(world, 16)
    today = timezone.localdate()
    consent = record(
        world, child, tiers=["minimum"], purposes=[PURPOSE], recipients=[world.other], obtained_on=today - timedelta(5)
    )
    # In scope.
    assert ask(child, world.other).covered
    # Out of scope: purpose, tier, agency, each named.
    by_purpose = ask(child, world.other, purpose=OTHER_PURPOSE)
    assert by_purpose.reason == Reason.OUT_OF_SCOPE_PURPOSE and OTHER_PURPOSE in by_purpose.message
    by_tier = ask(child, world.other, tier="sensitive")
    assert by_tier.reason == Reason.OUT_OF_SCOPE_TIER and "detailed and sensitive" in by_tier.message
    by_agency = ask(child, world.home)
    assert by_agency.reason == Reason.OUT_OF_SCOPE_AGENCY and str(world.home) in by_agency.message
    assert ask(child, world.other, tier="aggregate").reason == Reason.OUT_OF_SCOPE_TIER

    consent_withdraw(actor=fresh(world.users["practitioner"]), consent=consent, withdrawn_on=today, reason="Asked")
    after = ask(child, world.other)
    assert not after.covered and after.reason == Reason.WITHDRAWN and after.on == today
    assert "withdrawn on" in after.message
    # A share the consent never covered is still told as out of its scope, not as withdrawn.
    assert ask(child, world.other, purpose=OTHER_PURPOSE).reason == Reason.OUT_OF_SCOPE_PURPOSE
    # Before the withdrawal the consent covered it (a disclosure made yesterday was covered). The world's agencies
    # signed just now; a named recipient is covered only while it holds a live signature (break11b finding 6), so
    # its signature is dated before the consent was obtained, as it was when the consent named it.
    Signature.objects.filter(agency=world.other).update(signed_at=timezone.now() - timedelta(days=30))
    yesterday = timezone.make_aware(datetime.combine(today - timedelta(days=1), time(12)))
    assert ask(child, world.other, at=yesterday).covered


def test_every_signatory_follows_the_live_signatures(world: World) -> None:
    child = child_aged(world, 17)
    record(world, child, all_signatories=True, tiers=["minimum", "sensitive"])
    assert ask(child, world.other, tier="sensitive").covered
    assert ask(child, world.home).covered
    refused = ask(child, unsigned(world))
    assert refused.reason == Reason.OUT_OF_SCOPE_AGENCY and "no live signature" in refused.message
    before = timezone.now()
    signature = Signature.objects.get(
        agency=world.other, withdrawn_at__isnull=True, version__protocol__title="World Protocol"
    )
    signature_withdraw(actor=SYSTEM, signature=signature, reason="Leaving the partnership")
    assert ask(child, world.other).reason == Reason.OUT_OF_SCOPE_AGENCY
    assert ask(child, world.other, at=before).covered  # while it had signed


def test_not_yet_in_force_and_expired(world: World) -> None:
    child = child_aged(world, 16)
    today = timezone.localdate()
    record(world, child, valid_from=today + timedelta(days=10))
    later = ask(child, world.other)
    assert later.reason == Reason.NOT_YET_IN_FORCE and later.on == today + timedelta(days=10)
    other = child_aged(world, 16, given="Bea")
    record(world, other, obtained_on=today - timedelta(days=20), valid_until=today - timedelta(days=1))
    ended = ask(other, world.other)
    assert ended.reason == Reason.EXPIRED and ended.on == today - timedelta(days=1)


def test_a_later_decision_of_the_same_person_replaces_the_earlier(world: World) -> None:
    child = child_aged(world, 10)
    today = timezone.localdate()
    record(world, child, **parent(), obtained_on=today - timedelta(days=5))
    latest = record(world, child, **parent(), decision="refused")
    found = ask(child, world.other)
    assert found.reason == Reason.REFUSED and found.consent == latest


def test_the_summary_shows_covered_refused_withdrawn_overridden_and_due(world: World) -> None:
    child = child_aged(world, 14)
    today = timezone.localdate()
    practitioner = fresh(world.users["practitioner"])
    covered = record(world, child, **parent(), purposes=[OTHER_PURPOSE], obtained_on=today - timedelta(days=400))
    withdrawn = record(world, child, **parent(), tiers=["sensitive"], obtained_on=today - timedelta(days=3))
    consent_withdraw(actor=practitioner, consent=withdrawn, withdrawn_on=today, reason="The mother asked")
    overridden = record(world, child, **parent(), obtained_on=today - timedelta(days=2))
    refusal = record(
        world,
        child,
        decision="refused",
        competence="competent",
        assessed_on=today,
        assessor_name="Sam Social-Worker",
    )
    summary = child_consent_summary(practitioner, child, purpose="Checking the consents on the record")
    assert [line.record for line in summary.covered_now] == [covered]
    assert [line.record for line in summary.withdrawn] == [withdrawn]
    assert [line.record for line in summary.overridden] == [overridden]
    assert "their refusal prevails over their mother's consent" in summary.overridden[0].sentence
    assert [line.record for line in summary.refused] == [refusal]
    assert covered in [line.record for line in summary.due_for_review]  # a year and more ago


def test_the_answer_costs_the_same_few_statements_however_many_consents(
    world: World, django_assert_num_queries: Any
) -> None:
    child = child_aged(world, 16)
    record(world, child, all_signatories=True)
    with django_assert_num_queries(3):  # the consents with their withdrawals; their recipients; the signatures
        ask(child, world.other)
    for days in range(1, 6):
        record(
            world,
            child,
            all_signatories=True,
            purposes=[OTHER_PURPOSE],
            obtained_on=timezone.localdate() - timedelta(days),
        )
        record(world, child, recipients=[world.other], tiers=["sensitive"])
    with django_assert_num_queries(3):
        ask(child, world.other)


def test_the_scope_options_are_the_purposes_and_live_signatories_of_each_protocol_in_force(world: World) -> None:
    child_aged(world, 16)  # the World's protocol, signed by home and other
    (option,) = consent_scope_options()
    assert option.protocol.title == "World Protocol"
    assert PURPOSE in option.purposes
    assert {agency.pk for agency in option.signatories} == {world.home.pk, world.other.pk}
