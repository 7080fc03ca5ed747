"""A write a browser form refuses is recorded once, as the API records it (issue 8, item 8): the names of the
fields refused, never the values sent; a refusal a service recorded itself is not recorded twice; a value
posted for a field the page disabled is refused and recorded as tampering."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from agencies.models import Membership
from audit.models import AuditEvent
from tests.cases import all_cases
from tests.factories import World
from tests.matrix import TOKENS, client_as, make_request

pytestmark = pytest.mark.django_db

SECRET_VALUE = "Qz-do-not-store-this-value"
NOT_A_BROWSER_USER = {*TOKENS, "anonymous"}
REFUSAL_KINDS = {"request.refused", "access.refused", "access.denied"}


def refusals_of(response: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(request_id=response["X-Request-ID"], kind__in=REFUSAL_KINDS))


def membership_of(world: World, role: str) -> Membership:
    return Membership.objects.get(user=world.users[role], is_active=True)


# --- One representative form of each app --------------------------------------------------------------------------


def test_a_form_error_on_an_agencies_page_is_recorded_once_without_the_values(world: World) -> None:
    response = client_as(world, "agency_admin").post(
        reverse("agency-invite", args=[world.home.pk]),
        {"email": SECRET_VALUE, "full_name": "", "roles": ["practitioner"]},
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    (event,) = refusals_of(response)
    assert event.kind == "request.refused" and event.outcome == "denied"
    assert "email" in event.detail["fields"] and event.detail["reason"] == "invalid input"
    assert event.detail["method"] == "POST"
    assert SECRET_VALUE not in json.dumps(event.detail) and SECRET_VALUE not in event.object_label


def test_a_service_refusal_on_an_agencies_page_is_recorded_once(world: World) -> None:
    # The form is fine; the service refuses: an invitation to someone who is already a member.
    member = world.users["practitioner"]
    response = client_as(world, "agency_admin").post(
        reverse("agency-invite", args=[world.home.pk]),
        {"email": member.email, "full_name": "Pat Again", "roles": ["practitioner"]},
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    (event,) = refusals_of(response)
    assert event.kind == "request.refused"
    assert event.detail["reason"] == "a rule refused the request" and event.detail["fields"]


def test_a_form_error_on_a_protocols_page_is_recorded_once(world: World) -> None:
    response = client_as(world, "partnership_admin").post(reverse("protocol-create"), {"title": SECRET_VALUE})
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    (event,) = refusals_of(response)
    assert event.kind == "request.refused" and event.detail["fields"]
    assert SECRET_VALUE not in json.dumps(event.detail)


def test_a_privilege_refusal_on_a_page_is_recorded_once_by_the_service(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page no longer offers taking the last admin's role away; were it to pass it on all the same, the
    # service refuses it and records it itself, and the page records it no second time.
    from agencies.forms import MembershipForm

    monkeypatch.setattr(MembershipForm, "roles_to_save", lambda self: ["practitioner"])
    admin = membership_of(world, "agency_admin")
    response = client_as(world, "partnership_admin").post(
        reverse("membership-edit", args=[admin.pk]), {"roles": ["practitioner"], "job_title": "Lead"}
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    (event,) = refusals_of(response)
    assert event.kind == "access.refused" and event.detail["action"] == "membership.update", event.detail
    admin.refresh_from_db()
    assert "agency_admin" in admin.roles


@pytest.mark.parametrize("last_admin", [True, False], ids=["roles not offered", "roles offered"])
def test_a_role_granted_to_oneself_by_tampering_is_refused_and_recorded(world: World, last_admin: bool) -> None:
    from tests.factories import make_user

    if not last_admin:
        make_user(name="Second Admin", agency=world.home, roles=["agency_admin"])
    admin = membership_of(world, "agency_admin")
    response = client_as(world, "agency_admin").post(
        reverse("membership-edit", args=[admin.pk]), {"roles": ["agency_admin", "auditor"], "job_title": "Lead"}
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    assert "You cannot" in response.content.decode()
    (event,) = refusals_of(response)
    assert event.kind == "access.refused" and event.detail["fields"] == ["roles"]
    assert event.object_id == str(admin.pk)
    admin.refresh_from_db()
    assert admin.roles == ["agency_admin"] and admin.job_title != "Lead"


def test_a_valid_write_records_no_refusal(world: World) -> None:
    admin = membership_of(world, "agency_admin")
    response = client_as(world, "agency_admin").post(
        reverse("membership-edit", args=[admin.pk]), {"roles": ["agency_admin"], "job_title": "Lead"}
    )
    assert response.status_code == 302
    assert refusals_of(response) == []


def test_a_failed_sign_in_is_not_recorded_as_a_refused_form(world: World) -> None:
    from django.test import Client

    response = Client().post(reverse("sign-in"), {"email": world.users["practitioner"].email, "password": "wrong"})
    assert not AuditEvent.objects.filter(request_id=response["X-Request-ID"], kind="request.refused").exists()


# --- Item 2: a disabled privilege field posted by tampering ------------------------------------------------------


@pytest.mark.parametrize("flag", ["is_data_protection_officer", "is_caldicott_guardian", "authorised_for_restricted"])
def test_a_self_grant_through_a_disabled_checkbox_is_refused_and_recorded(world: World, flag: str) -> None:
    admin = membership_of(world, "agency_admin")
    page = client_as(world, "agency_admin").get(reverse("membership-edit", args=[admin.pk]))
    assert page.status_code == 200
    assert f'name="{flag}"' in page.content.decode() and "disabled" in page.content.decode()
    response = client_as(world, "agency_admin").post(
        reverse("membership-edit", args=[admin.pk]), {"roles": ["agency_admin"], flag: "on"}
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    assert "another admin must" in response.content.decode()
    admin.refresh_from_db()
    assert getattr(admin, flag) is False
    (event,) = refusals_of(response)
    assert event.kind == "access.refused" and event.outcome == "denied"
    assert event.detail["fields"] == [flag]
    assert event.object_id == str(admin.pk)


def test_posting_a_disabled_checkbox_unchanged_is_no_refusal(world: World) -> None:
    admin = membership_of(world, "agency_admin")
    response = client_as(world, "agency_admin").post(
        reverse("membership-edit", args=[admin.pk]), {"roles": ["agency_admin"], "is_caldicott_guardian": ""}
    )
    assert response.status_code == 302
    assert refusals_of(response) == []


# --- The whole kind: every page that shows a form ------------------------------------------------------------------


def _form_pages() -> list[Any]:
    pages = []
    seen: set[tuple[str, str]] = set()
    for case in all_cases():
        if case.method != "get" or case.json or case.route.startswith("api") or (case.route, case.note) in seen:
            continue
        # People at a browser; the sign-in forms record failures as sign-in events instead.
        allowed = [p for p, status in case.expect.items() if status == 200 and p not in NOT_A_BROWSER_USER]
        if allowed:
            seen.add((case.route, case.note))
            pages.append(pytest.param(case, allowed[0], id=f"{case.id} as {allowed[0]}"))
    return pages


@pytest.mark.parametrize(("case", "principal"), _form_pages())
def test_every_form_page_records_an_empty_submission_once(world: World, case: Any, principal: str) -> None:
    """Each page of the matrix that shows a form posting to itself: an empty submission that the page
    refuses (shown again with its errors) leaves exactly one refusal, naming fields, in the audit trail."""
    page = make_request(case, world, principal)
    if page.status_code != 200 or getattr(page, "streaming", False) or 'method="post"' not in page.content.decode():
        pytest.skip("no form on this page")
    # Not quite empty: the views take an empty POST for no submission at all (`request.POST or None`).
    response = client_as(world, principal).post(page.request["PATH_INFO"], {"nothing": ""})
    if response.status_code != 200 or b"govuk-error-summary" not in response.content:
        pytest.skip(f"an empty submission is not refused with a form error here ({response.status_code})")
    events = refusals_of(response)
    assert len(events) == 1, [(event.kind, event.detail) for event in events]
    assert events[0].detail.get("fields")


# --- And in the code: no view shows a service's refusal without recording it ----------------------------------


VIEW_FILES = sorted(
    path
    for app in ("agencies", "protocols", "isp_portal", "sharing")
    for path in (Path(__file__).resolve().parents[2] / app / "views").glob("*.py")
)


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_every_view_that_catches_a_service_refusal_records_it(path: Path) -> None:
    """A view that catches a service's ValidationError shows it through add_service_errors (on a form) or
    add_service_message (a button), which record it; nothing else."""
    tree = ast.parse(path.read_text())
    for handler in ast.walk(tree):
        if not isinstance(handler, ast.ExceptHandler) or not isinstance(handler.type, ast.Name):
            continue
        if handler.type.id != "ValidationError":
            continue
        called = {
            node.func.id
            for statement in handler.body
            for node in ast.walk(statement)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert called & {"add_service_errors", "add_service_message"}, (
            f"{path.name}:{handler.lineno} shows a service refusal without recording it"
        )


# --- Item 3: a page never offers what the rules refuse in every case (the last administrator) -------------------


def _partnership_membership(world: World) -> Membership:
    return Membership.objects.get(user=world.users["partnership_admin"], agency__isnull=True, is_active=True)


@pytest.mark.parametrize(
    ("actor", "whose"),
    [("agency_admin", "agency_admin"), ("partnership_admin", "agency_admin"), ("partnership_admin", "partnership")],
)
def test_the_last_admins_end_membership_page_explains_and_offers_no_form(world: World, actor: str, whose: str) -> None:
    membership = _partnership_membership(world) if whose == "partnership" else membership_of(world, whose)
    url = reverse("membership-deactivate", args=[membership.pk])
    page = client_as(world, actor).get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<form" not in body.split('id="main-content"')[-1] and 'name="reason"' not in body
    assert "only active admin" in body and "can give the" in body
    assert refusals_of(page) == []

    response = client_as(world, actor).post(url, {"reason": SECRET_VALUE})
    assert response.status_code == 200 and "only active admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
    (event,) = refusals_of(response)
    assert event.kind == "access.refused" and event.detail["action"] == "membership.deactivate"
    assert SECRET_VALUE not in json.dumps(event.detail)


def test_an_admin_who_is_not_the_last_gets_the_form(world: World) -> None:
    from tests.factories import make_user

    make_user(name="Second Admin", agency=world.home, roles=["agency_admin"])
    admin = membership_of(world, "agency_admin")
    page = client_as(world, "agency_admin").get(reverse("membership-deactivate", args=[admin.pk]))
    assert 'name="reason"' in page.content.decode()
    edit = client_as(world, "partnership_admin").get(reverse("membership-edit", args=[admin.pk]))
    assert 'value="agency_admin"' in edit.content.decode()


def test_the_last_admins_role_page_does_not_offer_taking_the_admin_role_away(world: World) -> None:
    admin = membership_of(world, "agency_admin")
    url = reverse("membership-edit", args=[admin.pk])
    page = client_as(world, "partnership_admin").get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="agency_admin"' not in body and "only active admin" in body
    # Posting the other roles without it keeps it (it is not this page's to change).
    response = client_as(world, "partnership_admin").post(url, {"roles": ["practitioner"], "job_title": "Lead"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert set(admin.roles) == {"agency_admin", "practitioner"}
    own = client_as(world, "agency_admin").get(url).content.decode()
    assert 'value="agency_admin"' not in own and "only active admin" in own
