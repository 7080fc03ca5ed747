"""The Playwright harness: a real Chromium against the live server, axe-core on every page visited."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page

from agencies.models import User
from tests.factories import PASSWORD, World, build_world, totp_key_for

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(page: Page) -> None:
    """Run axe-core on the current page and fail on any violation (WCAG 2.2 AA and best practice)."""
    assert AXE.exists(), "axe-core is missing: run `make setup` (npm ci installs it)"
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations"""
    )
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}" for v in violations
    ]
    assert not violations, f"axe found accessibility problems on {page.url}:\n" + "\n".join(details)


def current_code(user: User) -> str:
    totp = TOTP(bytes.fromhex(totp_key_for(user.email)))
    totp.time = time.time()
    return f"{totp.token():06d}"


class Journey:
    """Walks pages in the browser and checks each one with axe as it goes."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def visit(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        assert_accessible(self.page)
        return self.page

    def checked(self) -> Page:
        """Check the page now showing. Call it after waiting for something on the new page (a heading, a
        message): a click that submits a form returns before the next page has loaded."""
        self.page.wait_for_load_state("load")
        assert_accessible(self.page)
        return self.page

    def sign_in(self, user: User) -> Page:
        page = self.visit("/sign-in/")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/sign-in/two-factor/")
        assert_accessible(page)
        page.get_by_label("Security code").fill(current_code(user))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(self.base_url + "/")
        assert_accessible(page)
        return page


@pytest.fixture
def browser_world(transactional_db: None) -> World:
    return build_world()


@pytest.fixture
def journey(page: Page, live_server: Any) -> Journey:
    return Journey(page, live_server.url)
