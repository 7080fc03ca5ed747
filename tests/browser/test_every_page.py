"""Every page each role can reach, filled with 200-character unbroken values (names, titles, descriptions,
reasons...), fits a 375 px phone and a desktop window: the page never scrolls sideways and no element sticks
out past the window's edge (a table may scroll inside its own labelled region). axe checks each page too.

Issue 8 item 14: a 200-character unbroken agency name made the register 4,400 px wide, and at a phone's
width the protocol and agency pages overflowed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser

from agencies.models import AgencyStatus, Role, TrainingCourse
from agencies.services import agency_status_change, agency_update, requirement_create, training_record_create
from protocols.models import Review
from protocols.services import (
    audit_extract_share,
    consultation_open,
    consultation_respond,
    meeting_create,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    review_action_add,
    review_complete,
)
from tests import protocol_fixtures as fx
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.factories import SYSTEM, World, area_named, build_world, make_agency, make_user

ROLES = ["practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor"]
# Not pages: files, the API (its documentation page is one), signing out, health.
SKIP = re.compile(r"^/(static/|api/(?!docs/)|sign-out|signed-out|healthz)|/file/?$|/download/?$|\.(pdf|csv|zip|jsonl)$")
MAX_PAGES_PER_ROLE = 60


def unbroken(prefix: str, length: int = 200) -> str:
    """A value with no space to wrap at, of the widest letter: the worst case for a layout."""
    return (prefix + "W" * length)[:length]


def build_long_world() -> World:
    """The test World with every free-text value the pages show at its longest and unbroken."""
    world = build_world()
    today = timezone.localdate()
    agency_update(
        actor=SYSTEM,
        agency=world.home,
        name=unbroken("Agency"),
        area=area_named(unbroken("Area", 100)),
        address=unbroken("Address"),
        registration_number=unbroken("Registration", 50),
    )
    person = make_user(
        name=unbroken("Person"),
        agency=world.home,
        roles=[Role.PRACTITIONER],
        job_title=unbroken("Job"),
        team=unbroken("Team"),
    )
    course = TrainingCourse.objects.filter(is_active=True).order_by("pk").first()
    assert course is not None
    training_record_create(
        actor=SYSTEM, user=person, course=course, completed_on=today - timedelta(days=10), evidence=unbroken("Cert")
    )
    requirement_create(actor=SYSTEM, text=unbroken("Requirement"))
    fx.complete_checklist(world.home)
    fx.complete_checklist(world.other)
    suspended = make_agency(unbroken("Suspended"))
    agency_status_change(actor=SYSTEM, agency=suspended, to_status=AgencyStatus.SUSPENDED, reason=unbroken("Reason"))

    protocol = protocol_create(
        actor=SYSTEM,
        title=unbroken("Protocol"),
        kind="general",
        change_note=unbroken("FirstNote"),
        **fx.rules(permitted_purposes=[unbroken("Purpose"), fx.PURPOSE]),
    )
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(), completion_date=None)
    protocol.refresh_from_db()
    fx.sign(protocol, world.home)
    fx.sign(protocol, world.other)
    version = protocol_version_create(
        actor=SYSTEM,
        protocol=protocol,
        text=protocol.versions.get().text + "\n" + unbroken("Clause"),
        change_note=unbroken("Change"),
        response_working_days=5,
    )
    consultation = consultation_open(actor=SYSTEM, protocol=protocol, version=version, working_days=10)
    consultation_respond(
        actor=world.users["agency_admin"],
        consultation=consultation,
        agency=world.home,
        response="comment",
        comment=unbroken("Comment"),
    )
    review = Review.objects.filter(protocol=protocol).order_by("number").first()
    assert review is not None
    review_complete(actor=SYSTEM, review=review, findings=unbroken("Findings"), completed_on=today)
    review_action_add(
        actor=SYSTEM,
        review=review,
        description=unbroken("Action"),
        owner_agency=world.home,
        due_on=today + timedelta(days=30),
    )
    audit = protocol_audit_create(
        actor=SYSTEM,
        protocol=protocol,
        auditing_agency=world.other,
        scope=unbroken("Scope"),
        notice_given_on=today,
        starts_on=today + timedelta(days=40),
        responses_due_on=today + timedelta(days=90),
    )
    audit_extract_share(
        actor=SYSTEM, audit=audit, title=unbroken("Extract"), text=unbroken("Finding"), named_agencies=[world.home]
    )
    meeting_create(
        actor=SYSTEM,
        title=unbroken("Meeting"),
        held_on=today,
        location=unbroken("Location"),
        attendee_agencies=[world.home],
        attendees=[world.users["agency_admin"]],
        agenda=[(unbroken("Agenda"), None)],
    )
    return world


@pytest.fixture
def long_world(transactional_db: None) -> World:
    return build_long_world()


def _pattern(path: str) -> str:
    """Pages that differ only by an id are one page for this test (/agencies/7/ and /agencies/8/)."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


@pytest.mark.every_viewport
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_a_desktop_with_long_values(
    role: str, long_world: World, live_server: Any, browser: Browser, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**{**browser_context_args, "viewport": VIEWPORTS["phone"]})
    page = context.new_page()
    journey = Journey(page, live_server.url)
    journey.sign_in(long_world.users[role])
    origin = urlsplit(live_server.url).netloc
    queue, seen, visited = ["/"], {_pattern("/")}, []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        response = page.goto(live_server.url + path)
        assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
        visited.append(path)
        assert "---------" not in page.content(), f"{path}: a select offers Django's dashes, not 'Choose ...'"
        for width in ("phone", "desktop"):
            page.set_viewport_size(VIEWPORTS[width])
            assert_fits(page)
        page.set_viewport_size(VIEWPORTS["phone"])
        assert_accessible(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))"):
            target = urlsplit(urljoin(live_server.url + path, href))
            if target.netloc != origin or SKIP.search(target.path):
                continue
            if _pattern(target.path) not in seen:
                seen.add(_pattern(target.path))
                queue.append(target.path)
    context.close()
    # The crawl really went round the portal (a broken sign-in would "pass" with one page).
    assert len(visited) >= 8, visited
    assert not queue, f"{role}: more than {MAX_PAGES_PER_ROLE} kinds of page; raise the limit: {queue}"
