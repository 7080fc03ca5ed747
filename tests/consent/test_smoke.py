from __future__ import annotations

import pytest
from django.utils import timezone

from consent.selectors import Reason, consent_covering
from consent.services import consent_withdraw
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db


def test_child_refusal_prevails(world: World) -> None:
    child = child_aged(world, 14)
    record(world, child, decision="refused", **assessed())
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered and answer.reason == Reason.REFUSED, answer
    print(answer.message)


def test_withdrawal(world: World) -> None:
    child = child_aged(world, 17)
    consent = record(world, child)
    assert consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE).covered
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=consent,
        withdrawn_on=timezone.localdate(),
        reason="Changed mind",
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.reason == Reason.WITHDRAWN, answer
    print(answer.message)


def test_fhir(world: World) -> None:
    from fhir.resources.R4B.consent import Consent

    from consent.fhir import consent_json
    from consent.selectors import consents_visible

    child = child_aged(world, 11)
    made = record(world, child, **parent(), all_signatories=True, recipients=[])
    loaded = consents_visible(fresh(world.users["practitioner"])).get(pk=made.pk)
    text = consent_json(loaded, timezone.localdate())
    print(text)
    parsed = Consent.model_validate_json(text)
    assert parsed.provision.type == "permit"
