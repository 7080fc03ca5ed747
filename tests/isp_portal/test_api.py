"""The API's shared behaviour: authentication (session with two-factor, agency tokens), error shape,
pagination and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from agencies.models import ApiToken, TokenScope
from agencies.services import api_token_create, api_token_revoke
from audit.models import AuditEvent
from isp_portal.api import exception_handler
from isp_portal.notifications import notify
from tests.factories import SYSTEM, World

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def make_token(world: World, **kwargs: Any) -> tuple[ApiToken, str]:
    kwargs.setdefault("expires_at", timezone.now() + timedelta(days=30))
    return api_token_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        name=kwargs.pop("name", "Sync"),
        scopes=kwargs.pop("scopes", [TokenScope.PEOPLE_ADMIN]),
        **kwargs,
    )


def test_agency_token_acts_as_the_agencys_system_account(world: World) -> None:
    token, secret = make_token(world)
    body = bearer(secret).get("/api/v1/me/").json()
    assert body["is_system"] is True
    assert body["memberships"] == [
        {
            "agency_id": world.home.pk,
            "agency_name": world.home.name,
            "roles": ["agency_admin"],
            "is_caldicott_guardian": False,
            "is_data_protection_officer": False,
        }
    ]
    assert token.digest != secret and secret not in token.digest  # only a digest is stored


@pytest.mark.parametrize(
    "header",
    ["Bearer isp_not-a-real-token-000000000000000000000", "Bearer", "Bearer abc def", "Bearer plainly-wrong"],
)
def test_unknown_or_malformed_token_gets_401_and_is_audited(world: World, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    event = AuditEvent.objects.get(kind="auth.api_token_rejected")
    assert event.outcome == "denied" and str(event.request_id) == response["X-Request-ID"]


def test_revoked_and_expired_tokens_are_refused(world: World) -> None:
    token, secret = make_token(world)
    api_token_revoke(actor=world.users["agency_admin"], token=token)
    assert bearer(secret).get("/api/v1/me/").status_code == 401
    expiring, expiring_secret = make_token(world, name="Short", expires_at=timezone.now() + timedelta(seconds=60))
    ApiToken.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(days=1)
    )
    assert bearer(expiring_secret).get("/api/v1/me/").status_code == 401
    reasons = set(AuditEvent.objects.filter(kind="auth.api_token_rejected").values_list("detail__reason", flat=True))
    assert reasons == {"revoked token", "expired token"}


def test_token_cannot_be_created_with_a_past_expiry_or_for_another_agency(world: World) -> None:
    with pytest.raises(ValidationError, match="future"):
        make_token(world, expires_at=timezone.now() - timedelta(days=1))
    from isp_portal.policy import NotPermitted

    with pytest.raises(NotPermitted):
        api_token_create(
            actor=world.users["agency_admin"],
            agency=world.other,
            name="x",
            scopes=[TokenScope.REGISTER_READ],
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert not ApiToken.objects.exists()


def test_lists_are_paginated(world: World, client_for: Any) -> None:
    user = world.users["practitioner"]
    for number in range(3):
        notify(recipient_id=user.pk, key=f"k{number}", subject=f"S{number}", body="b")
    body = client_for("practitioner").get("/api/v1/notifications/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [row["subject"] for row in body["results"]] == ["S2", "S1"]


def test_schema_is_openapi_3_and_lists_the_endpoints(world: World, client_for: Any) -> None:
    response = client_for("practitioner").get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].endswith("json") else None
    text = response.content.decode()
    assert "openapi: 3" in text or (schema and schema["openapi"].startswith("3"))
    assert "/api/v1/me/" in text and "agencyToken" in text


def test_html_api_docs_list_the_endpoints(world: World, client_for: Any) -> None:
    page = client_for("practitioner").get("/api/docs/").content.decode()
    assert "/api/v1/notifications/{id}/read/" in page


class TestErrorShape:
    def call(self, error: Exception) -> Any:
        request = APIRequestFactory().get("/api/v1/x/")
        return exception_handler(error, {"request": request, "view": None})

    def test_validation_errors_carry_field_messages(self) -> None:
        response = self.call(exceptions.ValidationError({"name": ["This field is required."]}))
        assert response.status_code == 400
        assert response.data == {
            "error": {
                "status": 400,
                "code": "invalid",
                "message": "The request has errors.",
                "fields": {"name": ["This field is required."]},
            }
        }

    def test_service_validation_errors_become_400_with_fields(self) -> None:
        response = self.call(ValidationError({"expires_at": "The expiry must be in the future."}))
        assert response.status_code == 400
        assert response.data["error"]["fields"] == {"expires_at": ["The expiry must be in the future."]}

    def test_not_found_has_the_same_shape(self, world: World, client_for: Any) -> None:
        response = client_for("practitioner").get("/api/v1/notifications/999999/")
        assert response.status_code == 404
        assert response.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found."}}

    def test_unknown_api_path_is_json(self, world: World) -> None:
        response = Client().get("/api/v1/nothing-here/")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"

    def test_session_writes_need_csrf(self, world: World) -> None:
        from tests.factories import sign_in

        client = sign_in(Client(enforce_csrf_checks=True), world.users["practitioner"])
        notify(recipient_id=world.users["practitioner"].pk, key="k", subject="s", body="b")
        pk = world.users["practitioner"].notifications.get().pk
        response = client.post(f"/api/v1/notifications/{pk}/read/")
        assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]


def test_token_for_the_demo_is_refused_unless_well_formed(world: World) -> None:
    with pytest.raises(ValidationError):
        api_token_create(
            actor=SYSTEM,
            agency=world.home,
            name="x",
            scopes=[TokenScope.REGISTER_READ],
            expires_at=timezone.now() + timedelta(days=1),
            secret="short",
        )
