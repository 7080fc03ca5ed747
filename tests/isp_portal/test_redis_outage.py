"""While Redis cannot be reached the portal runs on PostgreSQL alone (issue 8 item 16): signed-in pages, the API
with a session and signing in with the right password all work, and what was cached before the outage is
dropped once Redis is back, so a change made during the outage is not hidden by a stale cached identity."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from agencies.models import Membership
from agencies.services import membership_deactivate
from isp_portal.cache import OutageTolerantRedisCache
from tests.factories import PASSWORD, SYSTEM, World, sign_in

UNREACHABLE = {
    "default": {
        "BACKEND": "isp_portal.cache.OutageTolerantRedisCache",
        "LOCATION": "unix:///nonexistent/isp-portal-test/redis.sock",
        "KEY_PREFIX": "isp",
    }
}


@pytest.fixture(autouse=True)
def _fresh_outage_state() -> Any:
    OutageTolerantRedisCache._skipped_writes = False
    OutageTolerantRedisCache._outage_logged = False
    yield
    OutageTolerantRedisCache._skipped_writes = False
    OutageTolerantRedisCache._outage_logged = False


@pytest.mark.django_db
def test_a_signed_in_person_keeps_working_while_redis_is_down(world: World) -> None:
    client = sign_in(Client(), world.users["agency_admin"])
    with override_settings(CACHES=UNREACHABLE):
        assert cache.get("anything", "missing") == "missing"
        assert client.get("/").status_code == 200
        assert client.get(f"/agencies/{world.home.pk}/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_signing_in_with_the_right_password_works_while_redis_is_down(world: World) -> None:
    user = world.users["practitioner"]
    with override_settings(CACHES=UNREACHABLE):
        response = Client().post("/sign-in/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302  # on to the two-factor step, not a 500


@pytest.mark.django_db
def test_an_ending_made_during_the_outage_is_not_hidden_by_the_cache_afterwards(world: World) -> None:
    user = world.users["practitioner"]
    client = sign_in(Client(), user)
    assert client.get("/").status_code == 200  # the identity is now cached in Redis
    membership = Membership.objects.get(user=user, agency=world.home)
    with override_settings(CACHES=UNREACHABLE):
        # The invalidation cannot reach Redis: the write is skipped and remembered.
        membership_deactivate(actor=SYSTEM, membership=membership, reason="Left the council")
        assert OutageTolerantRedisCache._skipped_writes
    # Redis is back: the first cache call drops what was cached before, so the ending takes effect at once.
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not OutageTolerantRedisCache._skipped_writes
