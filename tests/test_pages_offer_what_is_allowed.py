"""A page offers exactly what the policy allows (issue 8, item 11).

A crawler walks the demo partnership as each demo role, from the home page, following every link and every
form's action it is offered, and checks that each one leads somewhere that role may go: a GET answers 200
(or a redirect to a page that does), never 403 or 404. The same `can` that shows a link or button decides
the page and the service behind it, so an offered link that answers 403 is a fault of that kind.

It also checks that no page a user sees names the source documents the portal was designed from (item 13):
users read the rules in plain English and the clauses of their own partnership's protocol.
"""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from agencies.demo import PEOPLE, demo_email
from agencies.models import User
from tests.cases import all_cases
from tests.cases.agencies import suspended_agency, suspended_member
from tests.factories import World, sign_in
from tests.matrix import client_as

pytestmark = pytest.mark.django_db

# Everyone a demo visitor can sign in as, and a few more with different mixes of roles and agencies.
CRAWLED = (
    "practitioner",
    "designated_manager",
    "agency_admin",
    "partnership_admin",
    "auditor",
    "police_admin",
    "caldicott",
    "school_dsl",
)
# Pages that end the visit or that are not pages of the portal.
SKIPPED = re.compile(r"^/(sign-out|signed-out|static|assets|media|api/schema)/")
# The source documents the portal was designed from: never named to users (item 13).
SOURCE_DOCUMENTS = re.compile(r"Haringey|Southampton|Buckinghamshire|Barnet|WYCPS", re.IGNORECASE)
MAX_PAGES = 600


class _Offers(HTMLParser):
    """The links and form actions a page offers."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag == "form" and (values.get("method") or "get").lower() == "post":
            self.actions.append(values.get("action") or "")


def _internal(base: str, href: str) -> str | None:
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in {"", "http"} or parts.netloc not in {"", "testserver"}:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or SKIPPED.match(parts.path) or parts.path.startswith("/api/"):
        return None
    return path


def _user(key: str) -> User:
    spec = next(spec for spec in PEOPLE if spec["key"] == key)
    return User.objects.get(email=demo_email(spec["name"]))


@pytest.fixture
def demo_world(settings: object) -> None:
    settings.DEMO_MODE = True  # type: ignore[attr-defined]
    call_command("seed_demo", stdout=io.StringIO())


def crawl(client: Client) -> tuple[dict[str, int], list[str], list[str]]:
    """Visit every page reachable from the home page. Returns the status of each page, the offers that
    did not lead anywhere the user may go (with the page that offered them), and pages naming a source
    document."""
    seen: dict[str, int] = {}
    offered_by: dict[str, str] = {}
    # A form's action may answer only POST (405 to a GET): that it exists is what a GET can check.
    post_only: set[str] = set()
    queue: deque[str] = deque(["/"])
    broken: list[str] = []
    naming: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        status = response.status_code
        if status in {301, 302}:
            target = _internal(path, response["Location"])
            status = 200 if target is not None else status
            if target is not None and target not in seen:
                queue.append(target)
                offered_by.setdefault(target, path)
        seen[path] = status
        if status == 405 and path in post_only:
            continue
        if status != 200:
            broken.append(f"{path} answered {status} (offered by {offered_by.get(path, 'the start')})")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if SOURCE_DOCUMENTS.search(html):
            naming.append(f"{path}: {SOURCE_DOCUMENTS.search(html).group(0)}")  # type: ignore[union-attr]
        offers = _Offers()
        offers.feed(html)
        for action in offers.actions:
            target = _internal(path, action or path)
            if target is not None and target != path:
                post_only.add(target)
        for href in [*offers.links, *(action or path for action in offers.actions)]:
            target = _internal(path, href)
            if target is not None and target not in seen:
                offered_by.setdefault(target, path)
                queue.append(target)
    return seen, broken, naming


@pytest.mark.parametrize("key", CRAWLED)
def test_every_link_and_form_a_role_is_offered_leads_somewhere_it_may_go(demo_world: None, key: str) -> None:
    client = sign_in(Client(), _user(key))
    seen, broken, naming = crawl(client)
    assert len(seen) > 10, seen  # the walk really went somewhere
    assert broken == [], "\n".join(broken)
    assert naming == [], "\n".join(naming)


# --- And the converse: a page offers everything the policy allows (the suspended column) -----------------------


def test_a_suspended_agencys_admin_is_offered_every_page_of_its_agency_it_may_use(world: World) -> None:
    """A suspended agency keeps its training and details current and removes access (agencies.rules.
    STANDING_ALLOWS): each of its own pages the permission matrix lets its admin open (the "suspended"
    column) must be offered by a link she can follow from the home page, not only reachable by URL."""
    suspended_pages = set()
    for case in all_cases():
        if case.method != "get" or case.json or case.expect["suspended"] != 200:
            continue
        if case.kwargs not in (suspended_agency, suspended_member):
            continue
        suspended_pages.add(reverse(case.route, kwargs=case.kwargs(world)))
    assert len(suspended_pages) >= 4, suspended_pages  # the column really has pages
    seen, broken, _ = crawl(client_as(world, "suspended"))
    assert broken == [], "\n".join(broken)
    missing = sorted(suspended_pages - set(seen))
    assert missing == [], f"allowed but offered by no link: {missing}"
