"""Who the user is costs at most one statement per request, and none when cached; any change to it is seen on
the very next request (agencies/identity.py; issue 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.identity import identity_for
from agencies.models import AgencyStatus, Membership, Role
from agencies.services import agency_status_change, agency_update, membership_update
from tests.factories import SYSTEM, World

pytestmark = pytest.mark.django_db

COUNTING = ["isp_portal.middleware.StatementCountMiddleware", *settings.MIDDLEWARE]


def statements(client: Client, path: str = "/") -> tuple[int, int, int]:
    """(status, statements before the view, statements in all) of one request."""
    with override_settings(MIDDLEWARE=COUNTING):
        response = client.get(path)
    return response.status_code, int(response["X-Statements-Before-View"]), int(response["X-Statements"])


def me(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/me/")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def test_the_user_costs_one_statement_then_none(client_for: Any) -> None:
    client = client_for("agency_admin")
    status, first, first_total = statements(client)
    assert status == 200
    assert first <= 1  # session from the cache; user, device and memberships in one statement
    status, second, second_total = statements(client)
    assert status == 200
    assert second == 0  # all of it from the cache
    assert second_total == first_total - first


def test_a_role_change_is_seen_on_the_next_request(world: World, client_for: Any) -> None:
    client = client_for("practitioner")
    assert me(client)["memberships"][0]["roles"] == [Role.PRACTITIONER]
    membership = Membership.objects.get(user=world.users["practitioner"])
    membership_update(actor=SYSTEM, membership=membership, roles=[Role.DESIGNATED_MANAGER])
    assert me(client)["memberships"][0]["roles"] == [Role.DESIGNATED_MANAGER]


def test_an_agency_change_is_seen_on_the_next_request_by_its_members(world: World, client_for: Any) -> None:
    client = client_for("practitioner")
    assert me(client)["memberships"][0]["agency_name"] == world.home.name
    agency_update(actor=SYSTEM, agency=world.home, name="Renamed Council")
    assert me(client)["memberships"][0]["agency_name"] == "Renamed Council"
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.SUSPENDED, reason="ICO lapsed")
    user = world.users["practitioner"]
    identity = identity_for(user.pk)
    assert identity is not None
    assert identity.principal().memberships[0].agency_status == AgencyStatus.SUSPENDED


def test_deactivation_ends_a_cached_session_on_the_next_request(world: World, client_for: Any) -> None:
    from agencies.services import user_deactivate

    client = client_for("designated_manager")
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200  # now served from the cached identity
    user_deactivate(actor=SYSTEM, user=world.users["designated_manager"], reason="Left")
    assert client.get("/").status_code == 302


def test_removing_the_device_that_verified_the_session_ends_it(world: World, client_for: Any) -> None:
    client = client_for("practitioner")
    assert client.get("/").status_code == 200
    TOTPDevice.objects.filter(user=world.users["practitioner"]).delete()
    assert client.get("/").status_code == 302  # no longer verified by a second factor


def test_a_stale_cache_entry_is_never_read_after_a_change(world: World) -> None:
    user = world.users["agency_admin"]
    before = identity_for(user.pk)
    assert before is not None and before.memberships[0]["roles"] == [Role.AGENCY_ADMIN]
    # A bulk update sends no signal; the service that does it calls identity_changed (people.py). Without
    # that call the cache would keep the old roles: prove the version token is what decides.
    Membership.objects.filter(user=user).update(roles=[Role.AGENCY_ADMIN, Role.PRACTITIONER])
    assert identity_for(user.pk).memberships[0]["roles"] == [Role.AGENCY_ADMIN]  # type: ignore[union-attr]
    from agencies.identity import identity_changed

    identity_changed(user.pk)
    after = identity_for(user.pk)
    assert after is not None and sorted(after.memberships[0]["roles"]) == [Role.AGENCY_ADMIN, Role.PRACTITIONER]


def test_the_cached_identity_holds_no_secret(world: World) -> None:
    identity = identity_for(world.users["agency_admin"].pk)
    assert identity is not None
    assert "password" not in identity.user
    user = identity.build_user()
    assert "password" in user.get_deferred_fields()  # saving it can never write a stale password
