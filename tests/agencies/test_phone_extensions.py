"""A phone number's extension is refused with a clear message, never dropped (issue 8): the register keeps one
number in E.164, which has no place for one. The rule is in agencies.rules and applies wherever a number is
entered: the service, so the agency pages and the API alike."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from agencies import rules
from agencies.models import Agency
from agencies.services import agency_update
from tests.factories import World
from tests.matrix import client_as

EXTENSIONS = ["020 7946 0958 ext 123", "020 7946 0958 x123", "020 7946 0958 #123", "+44 20 7946 0958;ext=123"]


@pytest.mark.parametrize("value", EXTENSIONS)
def test_a_number_with_an_extension_is_not_a_storable_number(value: str) -> None:
    assert rules.phone_normalised(value) is None and not rules.phone_is_valid(value)
    message = rules.phone_error(value)
    assert message is not None and "without an extension" in message and "123" in message


@pytest.mark.parametrize(("value", "error"), [("020 7946 0958", None), ("phone", rules.PHONE_INVALID)])
def test_phone_error_says_nothing_of_extensions_otherwise(value: str, error: str | None) -> None:
    assert rules.phone_error(value) == error


@pytest.mark.django_db
@pytest.mark.parametrize("value", EXTENSIONS)
def test_the_service_refuses_an_extension_and_keeps_the_number_it_had(world: World, value: str) -> None:
    agency_update(actor=world.users["agency_admin"], agency=world.home, phone="020 8489 0000")
    with pytest.raises(ValidationError) as refused:
        agency_update(actor=world.users["agency_admin"], agency=world.home, phone=value)
    assert "without an extension" in refused.value.message_dict["phone"][0]
    assert Agency.objects.get(pk=world.home.pk).phone == "+442084890000"


@pytest.mark.django_db
def test_the_api_refuses_an_extension_on_the_phone_field(world: World) -> None:
    response = client_as(world, "agency_admin").patch(
        f"/api/v1/agencies/{world.home.pk}/",
        json.dumps({"phone": "020 7946 0958 ext. 4"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "without an extension" in response.json()["error"]["fields"]["phone"][0]
    assert Agency.objects.get(pk=world.home.pk).phone == ""


@pytest.mark.django_db
def test_the_api_refuses_an_extension_when_an_agency_is_registered(world: World) -> None:
    body = {"name": "Westbrook Academy", "kind": "school", "sector": "statutory", "phone": "01865 270000 x 9"}
    response = client_as(world, "partnership_admin").post(
        "/api/v1/agencies/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and "phone" in response.json()["error"]["fields"]
    assert not Agency.objects.filter(name="Westbrook Academy").exists()


@pytest.mark.django_db
def test_the_page_shows_the_extension_message_against_the_phone_field(world: World) -> None:
    response = client_as(world, "agency_admin").post(
        f"/agencies/{world.home.pk}/edit/", {"address": "", "phone": "020 7946 0958 ext 5", "registration_number": ""}
    )
    assert response.status_code == 200
    assert "without an extension" in " ".join(response.context["form"].errors["phone"])
    assert Agency.objects.get(pk=world.home.pk).phone == ""
