"""Ending a token's system account revokes its tokens in the same transaction, each revocation audited
(issue 8): a token whose account can no longer act is not listed as active."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from agencies.models import AgencyStatus, ApiToken, Membership, TokenScope
from agencies.services import agency_status_change, membership_deactivate, user_deactivate
from audit.models import AuditEvent
from tests.factories import World, make_api_token

pytestmark = pytest.mark.django_db


def account_membership(token: ApiToken) -> Membership:
    return Membership.objects.get(user=token.user, is_active=True)


def test_ending_the_system_accounts_membership_revokes_its_token_audited(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    other, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    admin = world.users["agency_admin"]
    membership_deactivate(actor=admin, membership=account_membership(token), reason="System retired")
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin
    assert other.revoked_at is None  # another system's token is untouched
    (event,) = AuditEvent.objects.filter(kind="api_token.revoke", object_id=str(token.pk))
    assert event.actor_id == admin.pk and event.detail == {"because": "membership.deactivate"}
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/agencies/")
    assert response.status_code == 401


def test_deactivating_the_system_account_revokes_its_token(world: World) -> None:
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    user_deactivate(actor=world.users["partnership_admin"], user=token.user, reason="System retired")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(kind="api_token.revoke", object_id=str(token.pk)).count() == 1


def test_an_agency_that_leaves_has_its_tokens_revoked(world: World) -> None:
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    agency_status_change(
        actor=world.users["partnership_admin"], agency=world.home, to_status=AgencyStatus.LEFT, reason="Closed"
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_revoked_already_is_not_revoked_again(world: World) -> None:
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    membership_deactivate(actor=world.users["agency_admin"], membership=account_membership(token), reason="Gone")
    token.refresh_from_db()
    assert token.revoked_at == token.created_at
    assert not AuditEvent.objects.filter(kind="api_token.revoke", object_id=str(token.pk)).exists()


def test_the_membership_and_the_revocation_stand_or_fall_together(world: World) -> None:
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    membership = account_membership(token)
    with (
        mock.patch("agencies.services.people.forget_principal", side_effect=RuntimeError("after the revocation")),
        pytest.raises(RuntimeError),
    ):
        membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="System retired")
    token.refresh_from_db()
    membership.refresh_from_db()
    assert token.revoked_at is None and membership.is_active


def test_the_api_lists_the_token_as_revoked(world: World) -> None:
    from tests.matrix import client_as

    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    client = client_as(world, "agency_admin")
    url = f"/api/v1/memberships/{account_membership(token).pk}/deactivate/"
    ended = client.post(url, {"reason": "System retired"}, content_type="application/json")
    assert ended.status_code == 200, ended.content
    listed = client.get("/api/v1/api-tokens/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    (row,) = [row for row in rows if row["id"] == token.pk]
    assert row["revoked_at"] is not None
