"""Consent decisions for children of 11, 14, 16 and 17 with parents agreeing and refusing, recorded as a new
user would (through the services), and what the selector then answers (issue 11, "How it will be checked")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.models import ConsentRecord
from consent.selectors import Reason, consent_covering
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


def answer(world: World, child: object) -> object:
    return consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)  # type: ignore[arg-type]


def refused_with(values: dict[str, object], world: World, child: object) -> dict[str, list[str]]:
    before = ConsentRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(world, child, **values)  # type: ignore[arg-type]
    assert ConsentRecord.objects.count() == before  # nothing half-written
    return caught.value.message_dict


# --- 11 -------------------------------------------------------------------------------------------------------


def test_11_a_parent_agreeing_covers_the_share(world: World) -> None:
    child = child_aged(world, 11)
    made = record(world, child, **parent())
    found = answer(world, child)
    assert found.covered and found.consent == made and found.reason == Reason.COVERED
    assert "not competent to decide" in found.message and "mother" in found.message


def test_11_a_parent_refusing_is_a_refusal_by_the_parent(world: World) -> None:
    child = child_aged(world, 11)
    record(world, child, **parent("Father", "Frank OBrien"), decision="refused")
    found = answer(world, child)
    assert not found.covered and found.reason == Reason.REFUSED
    assert found.refused_by == "Frank OBrien (the child's father)"


def test_11_the_childs_own_decision_needs_an_assessment(world: World) -> None:
    child = child_aged(world, 11)
    errors = refused_with({}, world, child)
    assert (
        "a child under 16 decides for themselves only when a practitioner has assessed them" in errors["competence"][0]
    )


def test_11_assessed_competent_the_childs_refusal_stands_against_a_parent(world: World) -> None:
    child = child_aged(world, 11)
    record(world, child, decision="refused", **assessed())
    errors = refused_with(parent(), world, child)
    assert errors["decision"][0].startswith("The child (11) was assessed Fraser-competent on")
    assert "their refusal prevails over their mother's consent" in errors["decision"][0]


# --- 14 -------------------------------------------------------------------------------------------------------


def test_14_competent_refusal_prevails_over_a_mothers_earlier_consent(world: World) -> None:
    child = child_aged(world, 14)
    today = timezone.localdate()
    mothers = record(world, child, **parent(), obtained_on=today - timedelta(days=30))
    childs = record(world, child, decision="refused", **assessed(on=today - timedelta(days=1)))
    found = answer(world, child)
    assert not found.covered
    assert found.reason == Reason.PARENT_OVERRIDDEN
    assert found.consent == childs and found.overridden == (mothers,)
    assert found.message.startswith("The child (14) was assessed Fraser-competent on ")
    assert found.message.endswith("and refused: their refusal prevails over their mother's consent.")
    assert found.refused_by == "the child (14)"


def test_14_a_mothers_consent_after_the_competent_childs_refusal_is_refused_at_recording(world: World) -> None:
    child = child_aged(world, 14)
    record(world, child, decision="refused", **assessed())
    errors = refused_with(parent(), world, child)
    assert "their refusal prevails over their mother's consent" in errors["decision"][0]
    # A consent of a scope the refusal does not touch (another purpose) is recorded.
    record(world, child, **parent(), purposes=["Ensure that clients can be traced"])


def test_14_competent_consent_prevails_over_a_parents_refusal(world: World) -> None:
    child = child_aged(world, 14)
    today = timezone.localdate()
    record(world, child, **parent("Father", "Frank OBrien"), decision="refused", obtained_on=today - timedelta(days=2))
    childs = record(world, child, **assessed())
    found = answer(world, child)
    assert found.covered and found.consent == childs
    assert "their consent prevails over their father's refusal" in found.message


def test_14_not_assessed_the_parent_decides(world: World) -> None:
    child = child_aged(world, 14)
    record(world, child, **parent())
    assert answer(world, child).covered
    errors = refused_with(assessed("not_competent"), world, child)
    assert "assessed as not competent" in errors["competence"][0]


def test_14_a_parent_cannot_decide_for_a_child_assessed_competent_on_the_same_record(world: World) -> None:
    child = child_aged(world, 14)
    errors = refused_with({**parent(), **assessed()}, world, child)
    assert "the decision is theirs, not a parent's" in errors["given_by"][0]


# --- 16 -------------------------------------------------------------------------------------------------------


def test_16_decides_without_an_assessment_and_a_parent_cannot_decide_for_them(world: World) -> None:
    child = child_aged(world, 16)
    made = record(world, child, decision="refused")
    assert made.competence == "" and made.child_age == 16
    found = answer(world, child)
    assert found.reason == Reason.REFUSED and "presumed competent at 16" in found.message
    errors = refused_with(parent(), world, child)
    assert "from 16 they are presumed competent" in errors["given_by"][0]


def test_16_assessed_not_competent_a_parent_decides(world: World) -> None:
    child = child_aged(world, 16)
    record(world, child, **parent(), **assessed("not_competent"))
    assert answer(world, child).covered


# --- 17 -------------------------------------------------------------------------------------------------------


def test_17_consents_though_a_parent_refused_when_they_were_14(world: World) -> None:
    child = child_aged(world, 17)
    today = timezone.localdate()
    refused = record(
        world,
        child,
        **parent("Father", "Frank OBrien"),
        decision="refused",
        obtained_on=today - timedelta(days=3 * 365),
    )
    assert refused.child_age == 14
    own = record(world, child)
    found = answer(world, child)
    # The father decided for a 14-year-old: from 16 the young person decides for themselves, so his refusal no
    # longer counts at all (consent.rules.parent_decision_ends_on), let alone stands against their consent.
    assert found.covered and found.consent == own and found.overridden == ()


def test_17_refuses_a_parent_agrees_refused(world: World) -> None:
    child = child_aged(world, 17)
    record(world, child, decision="refused")
    errors = refused_with(parent(), world, child)
    assert "presumed competent" in errors["given_by"][0]
    assert answer(world, child).reason == Reason.REFUSED


def test_separated_parents_the_resident_parent_decides(world: World) -> None:
    child = child_aged(world, 9)
    errors = refused_with(parent(parents_separated=True), world, child)
    assert "resident parent" in errors["is_resident_parent"][0]
    made = record(world, child, **parent(parents_separated=True, is_resident_parent=True))
    assert made.is_resident_parent
