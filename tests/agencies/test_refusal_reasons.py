"""A refusal names the rule that refused (issue 8, items 2, 3, 4, 11): the checks run from the most specific
true cause, so the only admin stepping down hears about keeping an admin, a token refused for its scopes hears
about its scopes (not about a field of its body), an expired token is told it expired, and a refusal by an
agency's standing names the standing and who can lift it, for the person refused. Each with its audit row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from agencies.models import AgencyStatus, ApiToken, Membership, Role, SignatoryRequirement, TokenScope, User
from agencies.rules import AgencyStanding, Grants, privilege_change_problems
from agencies.services import (
    PrivilegeRefused,
    agency_status_change,
    api_token_revoke,
    membership_update,
)
from audit.models import AuditEvent
from isp_portal.policy import NotPermitted
from tests import protocol_fixtures as fx
from tests.agencies.test_standing import build
from tests.factories import SYSTEM, World, make_api_token, make_user, sign_in

pytestmark = pytest.mark.django_db

LABELS = {role.value: role.label for role in Role}


def own(user: User, agency: Any) -> Membership:
    return Membership.objects.get(user=user, agency=agency, is_active=True)


def last_refusal(actor: User) -> AuditEvent:
    return AuditEvent.objects.filter(kind="access.refused", actor_id=actor.pk).latest("id")


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


# --- 1, 2: stepping down; self-changes of roles ---------------------------------------------------------------


def test_the_only_agency_admin_stepping_down_is_told_the_agency_must_keep_an_admin(world: World) -> None:
    admin = world.users["agency_admin"]
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=own(admin, world.home), roles=[Role.PRACTITIONER])
    assert set(refused.value.message_dict) == {"membership"}
    assert "only active admin of Home Council" in refused.value.message_dict["membership"][0]
    event = last_refusal(admin)
    assert set(event.detail["fields"]) == {"membership"} and event.detail["action"] == "membership.update"
    # Through the API: the same reason on the same field, once on the record.
    before = AuditEvent.objects.filter(kind="access.refused").count()
    response = sign_in(Client(), admin).patch(
        f"/api/v1/memberships/{own(admin, world.home).pk}/",
        data={"roles": ["practitioner"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    # The body names no "membership" field, so the API gives the refusal as the request's own (issue 8: errors
    # named by the body's fields).
    assert set(fields) == {"non_field_errors"} and "always has an administrator" in fields["non_field_errors"][0]
    assert AuditEvent.objects.filter(kind="access.refused").count() == before + 1
    assert own(admin, world.home).roles == [Role.AGENCY_ADMIN]


def test_with_another_admin_stepping_down_into_a_new_role_is_refused_as_a_self_grant(world: World) -> None:
    admin = world.users["agency_admin"]
    make_user(name="Second Admin", agency=world.home, roles=[Role.AGENCY_ADMIN])
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=own(admin, world.home), roles=[Role.PRACTITIONER])
    message = refused.value.message_dict["roles"][0]
    assert message == "You cannot give yourself the practitioner role: another admin must give it to you."
    assert set(last_refusal(admin).detail["fields"]) == {"roles"}


def test_the_only_partnership_admin_changing_himself_to_auditor_is_told_to_keep_an_admin(world: World) -> None:
    admin = world.users["partnership_admin"]
    membership = own(admin, None)
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=membership, roles=[Role.AUDITOR])
    assert set(refused.value.message_dict) == {"membership"}
    assert "only active admin of the partnership" in refused.value.message_dict["membership"][0]
    assert set(last_refusal(admin).detail["fields"]) == {"membership"}


def test_a_partnership_admin_is_told_another_partnership_admin_must_make_him_auditor(world: World) -> None:
    admin = world.users["partnership_admin"]
    make_user(name="Second Partnership Admin", agency=None, roles=[Role.PARTNERSHIP_ADMIN])
    for roles in ([Role.AUDITOR], [Role.PARTNERSHIP_ADMIN, Role.AUDITOR]):
        with pytest.raises(PrivilegeRefused) as refused:
            membership_update(actor=admin, membership=own(admin, None), roles=roles)
        message = refused.value.message_dict["roles"][0]
        assert "another partnership admin must give it to you" in message
        assert "only a partnership admin" not in message.lower()
        assert last_refusal(admin).detail["fields"]["roles"] == [message]


def test_an_agency_admin_is_told_only_a_partnership_admin_gives_the_auditor_role(world: World) -> None:
    admin = world.users["agency_admin"]
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=own(admin, world.home), roles=[Role.AGENCY_ADMIN, Role.AUDITOR])
    assert refused.value.message_dict["roles"] == [
        "You cannot give yourself the auditor role: only a partnership admin can give it."
    ]


def test_a_designated_manager_stepping_back_to_practitioner_narrows_and_is_allowed(world: World) -> None:
    admin = world.users["agency_admin"]
    colleague = make_user(name="Second Admin", agency=world.home, roles=[Role.AGENCY_ADMIN])
    membership_update(
        actor=colleague, membership=own(admin, world.home), roles=[Role.AGENCY_ADMIN, Role.DESIGNATED_MANAGER]
    )
    membership_update(actor=admin, membership=own(admin, world.home), roles=[Role.AGENCY_ADMIN, Role.PRACTITIONER])
    assert own(admin, world.home).roles == [Role.AGENCY_ADMIN, Role.PRACTITIONER]
    # But giving herself the practitioner role beside the admin role is a widening.
    with pytest.raises(PrivilegeRefused):
        membership_update(
            actor=admin,
            membership=own(admin, world.home),
            roles=[Role.AGENCY_ADMIN, Role.PRACTITIONER, Role.DESIGNATED_MANAGER],
        )


@pytest.mark.parametrize(
    ("before", "after", "problem"),
    [
        (["agency_admin", "practitioner"], ["practitioner"], None),  # removal only: not the self-grant rule
        (["designated_manager"], ["practitioner"], None),  # a role it includes
        (["agency_admin"], ["practitioner"], "You cannot give yourself the practitioner role"),
        (["agency_admin"], ["agency_admin", "auditor"], "only a partnership admin can give it"),
    ],
)
def test_the_self_grant_rule_fires_only_for_what_widens(before: list[str], after: list[str], problem: str) -> None:
    agency_roles = frozenset({"practitioner", "designated_manager", "agency_admin"})
    mine = Grants(roles_remove=agency_roles, is_self=True, roles_for_others=agency_roles)
    problems = privilege_change_problems(
        grants=mine, roles_before=before, roles_after=after, flags_before={}, flags_after={}, role_labels=LABELS
    )
    if problem is None:
        assert problems == {}
    else:
        assert problem in problems["roles"]


# --- 3: a token refused for its scopes is told so, before its body is read -----------------------------------


def test_a_token_without_the_scope_naming_its_own_agency_gets_the_scope_refusal(world: World) -> None:
    _token, secret = make_api_token(world.home, [TokenScope.REQUESTS_WRITE])
    body = {"agency": world.home.pk, "email": "new@test.example", "full_name": "New Person", "roles": ["practitioner"]}
    before = AuditEvent.objects.filter(kind="access.denied").count()
    response = bearer(secret).post("/api/v1/invitations/", data=body, content_type="application/json")
    assert response.status_code == 403, response.content
    assert "scopes (requests:write) do not allow this" in response.json()["error"]["message"]
    denied = AuditEvent.objects.filter(kind="access.denied").order_by("id")[before:]
    assert [event.detail.get("action") for event in denied] == ["manage_members"]


def _collection_writes() -> list[str]:
    """Every API address that takes a body naming its object's parent (no id in the path)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, methods in schema["paths"].items()
        if "{" not in path and any(method in methods for method in ("post", "put", "patch"))
    )


def test_every_collection_write_refuses_a_token_for_its_scopes_before_reading_the_body(world: World) -> None:
    _token, secret = make_api_token(world.home, [TokenScope.REQUESTS_WRITE])
    paths = _collection_writes()
    assert "/api/v1/invitations/" in paths and "/api/v1/training-records/import/" in paths
    client = bearer(secret)
    for path in paths:
        # A body naming the token's own agency, and nothing else that is valid.
        response = client.post(path, data={"agency": world.home.pk}, content_type="application/json")
        assert response.status_code == 403, (path, response.content)
        assert "scopes" in response.json()["error"]["message"], path


def test_a_detail_write_outside_a_tokens_scopes_is_refused_for_them_whatever_the_id(world: World) -> None:
    _token, secret = make_api_token(world.home, [TokenScope.REQUESTS_WRITE])
    member = own(world.users["practitioner"], world.home)
    client = bearer(secret)
    answers = [
        client.patch(f"/api/v1/memberships/{pk}/", data={"job_title": "Lead"}, content_type="application/json")
        for pk in (member.pk, 99999999)
    ]
    # The same answer for an id that exists and one that does not: nothing learnt about which exist.
    assert [response.status_code for response in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    assert "scopes (requests:write) do not allow this" in answers[0].json()["error"]["message"]


# --- 4: an expired or revoked token is told so; a wrong secret learns nothing ----------------------------------


def expire(token: ApiToken) -> None:
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(created_at=now - timedelta(days=10), expires_at=now - timedelta(days=1))


def test_an_expired_token_is_told_it_expired(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    expire(token)
    response = bearer(secret).get("/api/v1/agencies/")
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert message.startswith("This API token expired on ") and "make a new one" in message
    event = AuditEvent.objects.filter(kind="auth.api_token_rejected").latest("id")
    assert event.detail["reason"] == "expired token" and event.object_id == str(token.pk)


def test_a_revoked_token_is_told_it_was_revoked(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    api_token_revoke(actor=world.users["agency_admin"], token=token)
    response = bearer(secret).get("/api/v1/agencies/")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("This API token was revoked on ")
    assert AuditEvent.objects.filter(kind="auth.api_token_rejected").latest("id").detail["reason"] == "revoked token"


def test_a_wrong_secret_is_told_nothing_more(world: World) -> None:
    token, secret = make_api_token(world.home, [TokenScope.REGISTER_READ])
    expire(token)
    response = bearer(secret[:-4] + "abcd").get("/api/v1/agencies/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid API token."
    assert AuditEvent.objects.filter(kind="auth.api_token_rejected").latest("id").detail["reason"] == "unknown token"


# --- 5: the API names the standing rule, as the page does ----------------------------------------------------


def suspend(world: World, agency: Any = None) -> None:
    agency_status_change(
        actor=SYSTEM, agency=agency or world.home, to_status=AgencyStatus.SUSPENDED, reason="Breach sanction"
    )


def test_a_suspended_agencys_admin_giving_notice_of_an_audit_through_the_api_is_told_why(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    suspend(world)
    today = timezone.localdate()
    body = {
        "protocol": protocol.pk,
        "auditing_agency": world.home.pk,
        "scope": "Consent",
        "notice_given_on": today.isoformat(),
        "starts_on": (today + timedelta(days=40)).isoformat(),
        "responses_due_on": (today + timedelta(days=90)).isoformat(),
    }
    admin = world.users["agency_admin"]
    response = sign_in(Client(), admin).post("/api/v1/protocol-audits/", data=body, content_type="application/json")
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "is suspended from the partnership, so it cannot take part in the protocol" in message
    event = AuditEvent.objects.filter(kind="access.denied", actor_id=admin.pk).latest("id")
    assert "suspended" in event.detail["reason"]


# --- 6: a standing refusal's help names who can lift it, for the person refused -------------------------------


def test_the_403_page_of_a_suspended_agency_names_who_can_lift_it(world: World) -> None:
    suspend(world)
    url = reverse("agency-invite", kwargs={"pk": world.home.pk})
    page = sign_in(Client(), world.users["partnership_admin"]).get(url)
    assert page.status_code == 403
    text = page.content.decode()
    assert "is suspended from the partnership" in text
    assert "As a partnership admin, you can change" in text and "another partnership admin" not in text
    page = sign_in(Client(), world.users["agency_admin"]).get(url)
    text = page.content.decode()
    assert page.status_code == 403 and "Only a partnership admin can change" in text


def test_a_lapsed_agencys_admin_is_told_she_can_record_the_registration(world: World) -> None:
    from agencies.models import Agency

    Agency.objects.filter(pk=world.home.pk).update(
        ico_registration_number="Z1234567", ico_registration_expires_on=timezone.localdate() - timedelta(days=1)
    )
    page = sign_in(Client(), world.users["agency_admin"]).get(reverse("agency-invite", kwargs={"pk": world.home.pk}))
    assert page.status_code == 403
    text = page.content.decode()
    assert "ICO registration has lapsed" in text and "You can record" in text and "partnership admin" not in text


def test_in_a_suspended_agency_roles_and_flags_are_taken_away_but_not_given(world: World) -> None:
    member = make_user(name="Dee Manager", agency=world.home, roles=[Role.DESIGNATED_MANAGER])
    membership = own(member, world.home)
    membership_update(actor=SYSTEM, membership=membership, is_data_protection_officer=True)
    suspend(world)
    for actor in (world.users["agency_admin"], world.users["partnership_admin"]):
        for change in ({"roles": [Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN]}, {"job_title": "Lead"}):
            with pytest.raises(NotPermitted) as refused:
                membership_update(actor=actor, membership=own(member, world.home), **change)
            assert "is suspended from the partnership, so it cannot take on people" in refused.value.reason
    admin = world.users["agency_admin"]
    membership_update(actor=admin, membership=own(member, world.home), is_data_protection_officer=False)
    membership_update(actor=admin, membership=own(member, world.home), roles=[Role.PRACTITIONER])
    membership = own(member, world.home)
    assert membership.roles == [Role.PRACTITIONER] and not membership.is_data_protection_officer
    # The page offers the removals only: details and new roles are not offered.
    page = sign_in(Client(), admin).get(f"/memberships/{membership.pk}/edit/").content.decode()
    assert 'value="agency_admin"' not in page and "so it cannot take on people" in page
    # Through the API a promotion is a 403 with the standing rule, on the record.
    response = sign_in(Client(), admin).patch(
        f"/api/v1/memberships/{membership.pk}/", data={"roles": ["designated_manager"]}, content_type="application/json"
    )
    assert response.status_code == 403 and "suspended" in response.json()["error"]["message"]
    assert AuditEvent.objects.filter(kind="access.denied", actor_id=admin.pk).latest("id").detail["action"] == "change"


def _api_writes(scene: Any) -> dict[str, tuple[str, str, dict[str, Any]]]:
    today = timezone.localdate()
    agency = scene.agency.pk
    requirement = SignatoryRequirement.objects.filter(is_active=True).order_by("number").first()
    assert requirement is not None
    return {
        "invite someone": (
            "post",
            "/api/v1/invitations/",
            {"agency": agency, "email": "n@test.example", "full_name": "N P", "roles": ["practitioner"]},
        ),
        "promote a member": (
            "patch",
            f"/api/v1/memberships/{scene.objects['member'].pk}/",
            {"roles": ["designated_manager"]},
        ),
        "confirm a checklist item": (
            "post",
            f"/api/v1/agencies/{agency}/checklist/",
            {"requirement": requirement.pk, "confirmed_on": today.isoformat()},
        ),
        "sign a protocol": (
            "post",
            f"/api/v1/protocols/{scene.objects['second'].pk}/sign/",
            {"agency": agency, "signatory_name": "A B", "signatory_title": "Director", "attestation": "x"},
        ),
        "answer a consultation": (
            "post",
            f"/api/v1/consultations/{scene.objects['consultation'].pk}/respond/",
            {"agency": agency, "response": "agree"},
        ),
        "respond to an audit extract": (
            "post",
            f"/api/v1/audit-extracts/{scene.objects['extract'].pk}/responses/",
            {"agency": agency, "text": "Agreed."},
        ),
        "update its review action": (
            "patch",
            f"/api/v1/review-actions/{scene.objects['review_action'].pk}/",
            {"status": "done"},
        ),
    }


@pytest.mark.parametrize(
    "write",
    [
        "invite someone",
        "promote a member",
        "confirm a checklist item",
        "sign a protocol",
        "answer a consultation",
        "respond to an audit extract",
        "update its review action",
    ],
)
def test_every_api_write_a_suspended_agency_may_not_make_names_the_standing_rule(world: World, write: str) -> None:
    # The page and the API ask the same policy: each refusal names the standing rule, never a generic one.
    scene = build(world, AgencyStanding.SUSPENDED)
    method, url, body = _api_writes(scene)[write]
    client = sign_in(Client(), scene.admin)
    response = getattr(client, method)(url, data=body, content_type="application/json")
    assert response.status_code == 403, response.content
    assert "is suspended from the partnership, so it cannot" in response.json()["error"]["message"]
