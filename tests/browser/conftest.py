"""The Playwright harness: a real Chromium against the live server, axe-core on every page visited.

Every journey runs once, at the width its people use (`viewport`): a 375 px phone for the practitioner's journeys
out of the office (PHONE_JOURNEYS: a child found, consent recorded, a request made, an emergency disclosure, signing
in), a desktop for the rest. Every page is still seen at both widths: `test_every_page` opens each page every role
can reach at the phone's and the desktop's width with long values, and the `every_viewport` tests do the same for
the pages a journey fills in. On every page a journey checks, nothing may stick out sideways (`assert_fits`) and axe
must find nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from playwright.sync_api import Page

from agencies.models import User
from tests.factories import PASSWORD, World, build_world, sign_in, totp_key_for

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}

# What sticks out past the right (or left) edge of the window. An element inside a box that scrolls or clips
# sideways (a table's scroll region) is that box's business, as long as the box itself fits; visually hidden
# text (clipped to a pixel) does not count.
OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) found.push(`the page is ${root.scrollWidth}px wide`);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right <= width + 1 && box.left >= -1) continue;
    const style = getComputedStyle(el);
    if (style.position === 'absolute' && (style.clip !== 'auto' || style.clipPath !== 'none')) continue;
    let parent = el.parentElement, contained = false;
    while (parent && parent !== document.body) {
      const sideways = getComputedStyle(parent).overflowX;
      if (['auto', 'scroll', 'hidden', 'clip'].includes(sideways)) { contained = true; break; }
      parent = parent.parentElement;
    }
    if (!contained) found.push(`${describe(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}px`);
    if (found.length > 8) break;
  }
  return found;
}"""


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


def assert_fits(page: Page) -> None:
    """Nothing on the page is wider than the window: no sideways scrolling of the page, no element past its
    edge (issue 8 item 14: a 200-character name made the register 4,400 px wide)."""
    found: list[str] = page.evaluate(OVERFLOW_SCRIPT)
    width = page.viewport_size["width"] if page.viewport_size else "?"
    assert not found, f"{page.url} does not fit {width} px:\n" + "\n".join(found)


# The last 30-second window each person's code was used in: django-otp refuses a code of a window already used
# (a replay), so a journey that signs the same person in twice within one window waits for the next.
_WINDOW_USED: dict[str, int] = {}


def current_code(user: User, key: str | None = None) -> str:
    """The person's current code (`key`: their TOTP key in hex, the test world's by default), from a window their
    code was not used in yet."""
    now = time.time()
    if _WINDOW_USED.get(user.email, -1) >= int(now // 30):
        time.sleep(30 - now % 30 + 0.5)
        now = time.time()
    _WINDOW_USED[user.email] = int(now // 30)
    totp = TOTP(bytes.fromhex(key or totp_key_for(user.email)))
    totp.time = now
    return f"{totp.token():06d}"


class Journey:
    """Walks pages in the browser and checks each one with axe as it goes."""

    def __init__(self, page: Page, base_url: str, *, axe_once: set[tuple[str, str]] | None = None) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        # When given (shared by a journey's people): axe runs once per page (its path and title), not on each later
        # visit of it; every visit is still checked to fit the window.
        self.axe_once = axe_once

    def _check(self) -> None:
        assert_fits(self.page)
        if self.axe_once is not None:
            seen = (urlsplit(self.page.url).path, self.page.title())
            if seen in self.axe_once:
                return
            self.axe_once.add(seen)
        assert_accessible(self.page)

    def visit(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        self._check()
        return self.page

    def open_nav(self, label: str) -> Page:
        """Follow a link of the service navigation; on a phone it is behind the Menu button."""
        menu = self.page.get_by_role("button", name="Menu")
        if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
            menu.click()
        self.page.locator("#navigation").get_by_role("link", name=label, exact=True).click()
        return self.checked()

    def sign_out(self) -> Page:
        menu = self.page.get_by_role("button", name="Menu")
        if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
            menu.click()
        self.page.get_by_role("button", name="Sign out").click()
        return self.page

    def checked(self) -> Page:
        """Check the page now showing. Call it after waiting for something on the new page (a heading, a
        message): a click that submits a form returns before the next page has loaded."""
        self.page.wait_for_load_state("load")
        self._check()
        return self.page

    def signed_in_as(self, user: User) -> None:
        """Sign this browser in with a session made as tests.factories.sign_in makes one (password and two-factor
        passed), for journeys about something else: test_sign_in walks the sign-in pages themselves."""
        client = sign_in(Client(), user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base_url}])

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


# The journeys run at the phone's width (the rest at the desktop's). Each journey once, not once per width: the
# widths are the pages' business, and every page is seen at both (module docstring); a journey run twice cost the
# suite a sixth of its time for no page not already checked.
PHONE_JOURNEYS = frozenset(
    {"test_children", "test_consent", "test_disclosure_emergency", "test_disclosure_requests", "test_sign_in"}
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each browser test runs at one width: the phone's for PHONE_JOURNEYS, the desktop's otherwise."""
    if "viewport" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("every_viewport"):
        width = "phone" if metafunc.module.__name__.rsplit(".", 1)[-1] in PHONE_JOURNEYS else "desktop"
        metafunc.parametrize("viewport", [width], indirect=True)


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The test's window size; a test marked `every_viewport` checks both itself and opens at the phone's."""
    return VIEWPORTS[getattr(request, "param", "phone")]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], viewport: dict[str, int]) -> dict[str, Any]:
    """Each test's browser contexts (the second one of a journey too) open at the test's width."""
    return {**browser_context_args, "viewport": viewport}


@pytest.fixture
def journey(page: Page, live_server: Any) -> Journey:
    return Journey(page, live_server.url)
