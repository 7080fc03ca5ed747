"""Every role signs in through the real pages (password, then TOTP) and lands on its own dashboard."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.browser.conftest import Journey
from tests.factories import World

DASHBOARD_HEADINGS = {
    "practitioner": ["Your roles", "Notifications"],
    "designated_manager": ["Your roles", "Notifications"],
    "agency_admin": ["Your roles", "Agencies you administer"],
    "partnership_admin": ["Your roles", "The partnership"],
    "auditor": ["Your roles", "Audit trail"],
}


@pytest.mark.parametrize("role", list(DASHBOARD_HEADINGS))
def test_each_role_signs_in_and_sees_its_dashboard(role: str, browser_world: World, journey: Journey) -> None:
    user = browser_world.users[role]
    page = journey.sign_in(user)
    for heading in DASHBOARD_HEADINGS[role]:
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    assert user.full_name in page.locator(".govuk-phase-banner").inner_text()
    journey.visit("/notifications/")
    journey.visit("/accessibility/")
    journey.visit("/privacy/")
    journey.visit("/api/docs/")
    journey.sign_out()
    page.wait_for_url("**/signed-out/")
    journey.checked()
    kinds = list(AuditEvent.objects.filter(actor_id=user.pk).values_list("kind", flat=True))
    assert "auth.sign_in" in kinds and "auth.sign_out" in kinds


def test_wrong_code_is_refused_with_an_error_summary(browser_world: World, journey: Journey) -> None:
    user = browser_world.users["practitioner"]
    page = journey.visit("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    journey.checked()
    assert AuditEvent.objects.filter(kind="auth.sign_in_failed", actor_label=user.email).exists()


def test_pages_are_accessible_signed_out(browser_world: World, journey: Journey) -> None:
    for path in ("/sign-in/", "/accessibility/", "/privacy/", "/signed-out/", "/no-such-page/"):
        journey.visit(path)
