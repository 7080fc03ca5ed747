"""API tokens: least privilege by scope, a bounded expiry, revocation by people, and every use on the
record (issue 8, item 3; DESIGN 4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from agencies import rules
from agencies.models import AgencyStatus, ApiToken, Membership, TokenScope
from agencies.policy import TOKEN_SCOPE_ACTIONS
from agencies.services import agency_status_change, api_token_create, api_token_revoke
from audit.models import AuditEvent
from isp_portal.policy import NotPermitted
from tests.factories import SYSTEM, World, make_api_token, sign_in

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def create(world: World, **values: Any) -> tuple[ApiToken, str]:
    values.setdefault("actor", world.users["agency_admin"])
    values.setdefault("agency", world.home)
    values.setdefault("name", "Case system")
    values.setdefault("scopes", [TokenScope.REGISTER_READ])
    values.setdefault("expires_at", timezone.now() + timedelta(days=30))
    return api_token_create(**values)


# --- The scopes ---------------------------------------------------------------------------------------------


def test_the_scopes_are_one_list_each_described_and_mapped() -> None:
    assert {scope.value for scope in TokenScope} == {scope.value for scope in rules.TokenScope}
    assert set(rules.TOKEN_SCOPE_DESCRIPTIONS) == set(rules.TokenScope)
    assert set(TOKEN_SCOPE_ACTIONS) == set(rules.TokenScope)


@pytest.mark.parametrize(
    ("scopes", "roles"),
    [
        (["register:read"], ["practitioner"]),
        (["requests:write"], ["practitioner"]),
        (["people:read"], ["agency_admin"]),
        (["people:admin"], ["agency_admin"]),
        (["training:write", "register:read"], ["agency_admin", "practitioner"]),
    ],
)
def test_a_tokens_account_holds_the_least_role_its_scopes_need(scopes: list[str], roles: list[str]) -> None:
    assert rules.token_roles(scopes) == roles


def test_administering_people_implies_seeing_them() -> None:
    assert rules.token_scopes_effective(["people:admin"]) == {
        rules.TokenScope.PEOPLE_ADMIN,
        rules.TokenScope.PEOPLE_READ,
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
        ({"expires_at": timezone.now() + timedelta(days=rules.TOKEN_MAX_LIFETIME_DAYS + 2)}, "expires_at"),
        ({"name": "  "}, "name"),
    ],
    ids=["no scope", "unknown scope", "no expiry", "past expiry", "over a year", "no name"],
)
def test_a_token_needs_scopes_a_name_and_an_expiry_within_a_year(
    world: World, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create(world, **values)
    assert field in refused.value.message_dict
    assert not ApiToken.objects.exists()


def test_the_database_holds_the_bounds_too(world: World) -> None:
    token, _ = create(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + timedelta(days=400))
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(scopes=["admin:everything"])


# --- Least privilege through the same policy ---------------------------------------------------------------


def test_a_register_token_reads_the_register_and_nothing_about_people(world: World) -> None:
    _, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    client = bearer(secret)
    assert client.get("/api/v1/agencies/").status_code == 200
    assert client.get("/api/v1/memberships/").json()["count"] == 0
    practitioner = Membership.objects.get(user=world.users["practitioner"])
    assert client.get(f"/api/v1/memberships/{practitioner.pk}/").status_code == 404
    refused = client.post(
        "/api/v1/invitations/",
        {"agency": world.home.pk, "email": "x@test.example", "full_name": "X", "roles": ["practitioner"]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert "register:read" in refused.json()["error"]["message"]
    denial = AuditEvent.objects.filter(kind="access.denied", request_id=refused["X-Request-ID"]).get()
    assert "scopes" in denial.detail["reason"]


def test_a_read_only_people_token_reads_people_but_changes_nobody(world: World) -> None:
    _, secret = make_api_token(world.home, [TokenScope.PEOPLE_READ])
    client = bearer(secret)
    practitioner = Membership.objects.get(user=world.users["practitioner"])
    assert client.get(f"/api/v1/memberships/{practitioner.pk}/").status_code == 200
    response = client.post(
        f"/api/v1/memberships/{practitioner.pk}/deactivate/", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert Membership.objects.get(pk=practitioner.pk).is_active


def test_no_token_makes_or_revokes_tokens(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.PEOPLE_ADMIN, TokenScope.TRAINING_WRITE])
    client = bearer(secret)
    body = {
        "agency": world.home.pk,
        "name": "Another",
        "scopes": ["people:admin"],
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    }
    assert client.post("/api/v1/api-tokens/", body, content_type="application/json").status_code == 403
    # Refused by its scopes, whatever the id (the same answer for its own token and one that does not exist).
    assert client.post(f"/api/v1/api-tokens/{token.pk}/revoke/").status_code == 403
    assert client.post("/api/v1/api-tokens/99999999/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1


# --- Use is audited; revocation by people, on the page and through the API -----------------------------------


def test_every_use_is_recorded_and_sets_last_used(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    assert token.last_used_at is None
    response = bearer(secret).get("/api/v1/agencies/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    use = AuditEvent.objects.get(kind="api_token.use", request_id=response["X-Request-ID"])
    assert use.actor_id == token.user_id and use.object_id == str(token.pk)
    assert use.detail == {"path": "/api/v1/agencies/", "method": "GET"}


def test_an_agency_admin_makes_and_revokes_a_token_through_the_api(world: World) -> None:
    admin = sign_in(Client(), world.users["agency_admin"])
    made = admin.post(
        "/api/v1/api-tokens/",
        {
            "agency": world.home.pk,
            "name": "Case system",
            "scopes": ["register:read", "people:read"],
            "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    secret = body["secret"]
    assert body["scopes"] == ["people:read", "register:read"]
    assert secret not in ApiToken.objects.get(pk=body["id"]).digest
    assert "secret" not in admin.get(f"/api/v1/api-tokens/{body['id']}/").json()
    assert bearer(secret).get("/api/v1/me/").status_code == 200
    revoked = admin.post(f"/api/v1/api-tokens/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert bearer(secret).get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(kind="api_token.revoke", object_id=str(body["id"])).exists()


def test_an_agency_admin_makes_and_revokes_a_token_on_the_page(world: World) -> None:
    admin = sign_in(Client(), world.users["agency_admin"])
    url = f"/agencies/{world.home.pk}/api-tokens/"
    expires = timezone.localdate() + timedelta(days=100)
    page = admin.post(
        url,
        {
            "name": "Case system",
            "scopes": ["register:read"],
            "expires_on_day": expires.day,
            "expires_on_month": expires.month,
            "expires_on_year": expires.year,
        },
    )
    assert page.status_code == 200
    token = ApiToken.objects.get()
    assert "Copy it now" in page.content.decode() and token.prefix in page.content.decode()
    assert token.expires_at.date() == expires
    admin.post(f"/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == world.users["agency_admin"]


def test_a_suspended_agency_makes_no_token_but_revokes_its_tokens(world: World) -> None:
    token, _ = make_api_token(world.home, [TokenScope.REGISTER_READ])
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.SUSPENDED, reason="Sanction")
    world.home.refresh_from_db()
    with pytest.raises(NotPermitted, match="suspended"):
        create(world, name="New")
    page = sign_in(Client(), world.users["agency_admin"]).get(f"/agencies/{world.home.pk}/api-tokens/")
    assert page.status_code == 200 and "is suspended" in page.content.decode()
    api_token_revoke(actor=world.users["agency_admin"], token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_page_refuses_an_expiry_more_than_a_year_away(world: World) -> None:
    admin = sign_in(Client(), world.users["agency_admin"])
    expires = timezone.localdate() + timedelta(days=800)
    page = admin.post(
        f"/agencies/{world.home.pk}/api-tokens/",
        {
            "name": "Case system",
            "scopes": ["register:read"],
            "expires_on_day": expires.day,
            "expires_on_month": expires.month,
            "expires_on_year": expires.year,
        },
    )
    assert page.status_code == 200
    assert "at most a year" in page.content.decode()
    assert not ApiToken.objects.exists()
