"""The auditors' workspace search (issue 15; DESIGN 2.6): the pages /audit/events/ and /audit/disclosures/ and the
selector behind them and the API. Filters refused by field; an agency's reader kept to their agency's part and refused,
audited, when naming another; keyset pages that neither skip nor repeat a row when timestamps tie; never the content
of an entry; each search audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import Role
from audit.models import AuditEvent
from oversight.filters import Source, TrailFilter
from oversight.selectors import search as selectors
from tests.factories import World, make_agency, make_user, sign_in
from tests.oversight.fixtures import AT, SECRET, agency_auditor, event, log_row

pytestmark = pytest.mark.django_db

EVENTS = "audit-events"
DISCLOSURES = "audit-disclosures"


def client(user: Any) -> Client:
    return sign_in(Client(), user)


def event_ids(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'data-event-id="(\d+)"', html)]


def log_ids(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'data-log-id="(\d+)"', html)]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"occurred_from": "2026-03-10", "occurred_to": "2026-03-01"}, "occurred_to", "same as or after the first"),
        ({"occurred_from": "2025-01-01", "occurred_to": "2026-03-01"}, "occurred_to", "at most 400 days"),
        ({"occurred_from": "1999-12-31"}, "occurred_from", "between"),
        ({"occurred_from": "2026-02-30"}, "occurred_from", "for example 2026-03-27"),
        ({"occurred_from": "2" * 5000}, "occurred_from", "for example 2026-03-27"),
        ({"action": "DROP TABLE"}, "action", "for example child.view"),
        ({"action": "a" * 65}, "action", "64 characters or fewer"),
        ({"user_id": "0"}, "user_id", "1 or more"),
        ({"user_id": str(2**63)}, "user_id", "or less"),
        ({"child_id": "nine"}, "child_id", "whole number"),
        ({"outcome": "maybe"}, "outcome", "from the list"),
        ({"after": "not-a-cursor"}, "after", "damaged or was changed"),
        ({"after": "x" * 300}, "after", "damaged or was changed"),
    ],
)
def test_a_bad_filter_is_a_400_naming_its_field(world: World, query: dict[str, str], field: str, words: str) -> None:
    response = client(world.users["auditor"]).get(reverse(EVENTS), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f'href="#{"form-errors" if field == "after" else "id_" + field}' in html
    )  # the error summary links to the field
    assert words in html
    assert not AuditEvent.objects.filter(kind=selectors.SEARCH_EVENT).exists()


@pytest.mark.parametrize(
    ("route", "query", "named"),
    [
        (EVENTS, {"agency": "1"}, "agency: this filter is not accepted here"),
        (EVENTS, {"legal_basis": "court_order"}, "legal_basis: this filter is not accepted here"),
        (EVENTS, {"user_id": ["1", "2"]}, "user_id: give this filter once"),
        (DISCLOSURES, {"page": "2"}, "page: this filter is not accepted here"),
    ],
)
def test_a_filter_the_page_does_not_read_is_a_400_naming_it(
    world: World, route: str, query: dict[str, Any], named: str
) -> None:
    response = client(world.users["auditor"]).get(reverse(route), query)
    assert response.status_code == 400
    assert named in response.content.decode()


def test_a_cursor_of_the_other_table_or_changed_by_hand_is_refused(world: World) -> None:
    cursor = selectors.Cursor(occurred_at=AT, id=5)
    events_cursor = selectors.cursor_sign(Source.EVENTS, cursor)
    assert selectors.cursor_read(Source.EVENTS, events_cursor) == cursor
    with pytest.raises(selectors.FilterError, match="damaged"):
        selectors.cursor_read(Source.DISCLOSURES, events_cursor)
    payload, signature = events_cursor.rsplit(":", 1)
    with pytest.raises(selectors.FilterError, match="damaged"):
        selectors.cursor_read(Source.EVENTS, f"{payload}:{signature[::-1]}")
    response = client(world.users["auditor"]).get(reverse(DISCLOSURES), {"after": events_cursor})
    assert response.status_code == 400 and "damaged or was changed" in response.content.decode()


def test_the_partnership_auditor_sees_every_agency_and_an_agency_auditor_only_their_own(world: World) -> None:
    home_event = event(world.home)
    other_event = event(world.other)
    nobody_event = event(None)
    home_log = log_row(world.home, world.other)
    received_log = log_row(world.other, world.home)
    elsewhere = make_agency("Far Away Trust")
    elsewhere_log = log_row(world.other, elsewhere)

    whole = client(world.users["auditor"])
    seen = event_ids(whole.get(reverse(EVENTS)).content.decode())
    assert {home_event, other_event, nobody_event} <= set(seen)
    assert {home_log, received_log, elsewhere_log} <= set(log_ids(whole.get(reverse(DISCLOSURES)).content.decode()))

    mine = client(agency_auditor(world))
    page = mine.get(reverse(EVENTS))
    assert page.status_code == 200
    seen = event_ids(page.content.decode())
    assert home_event in seen and other_event not in seen and nobody_event not in seen
    assert set(log_ids(mine.get(reverse(DISCLOSURES)).content.decode())) == {home_log, received_log}
    # The API too.
    api = mine.get(reverse("api-audit-events"))
    assert api.status_code == 200
    assert {row["actor_agency_id"] for row in api.json()["results"]} == {world.home.pk}
    api = mine.get(reverse("api-audit-disclosures"))
    assert {row["id"] for row in api.json()["results"]} == {home_log, received_log}


def test_a_caldicott_guardian_reads_their_agency_part_and_nobody_else_reads_any(world: World) -> None:
    event(world.home)
    other_event = event(world.other)
    guardian = make_user(agency=world.home, roles=[Role.PRACTITIONER], is_caldicott_guardian=True)
    page = client(guardian).get(reverse(EVENTS))
    assert page.status_code == 200 and other_event not in event_ids(page.content.decode())
    for role in ("practitioner", "agency_admin", "partnership_admin", "no_role"):
        assert client(world.users[role]).get(reverse(EVENTS)).status_code == 403


@pytest.mark.parametrize("route", [EVENTS, DISCLOSURES, "api-audit-events", "api-audit-disclosures"])
def test_an_agency_auditor_naming_another_agency_is_refused_and_the_refusal_audited(world: World, route: str) -> None:
    event(world.other)
    log_row(world.other, world.other)
    reader = agency_auditor(world)
    response = client(reader).get(reverse(route), {"agency_id": str(world.other.pk)})
    assert response.status_code == 403
    assert "your own agency" in response.content.decode()
    denial = AuditEvent.objects.get(kind="access.denied", actor_id=reader.pk)
    assert denial.outcome == "denied"
    assert not AuditEvent.objects.filter(kind=selectors.SEARCH_EVENT).exists()
    # Their own agency is fine.
    assert client(reader).get(reverse(route), {"agency_id": str(world.home.pk)}).status_code == 200


def test_pages_never_skip_or_repeat_a_row_when_timestamps_tie(world: World) -> None:
    # 130 events in 7 instants: each page boundary falls inside a group of equal timestamps.
    planted = [event(world.home, at=AT + timedelta(seconds=number // 20)) for number in range(130)]
    trail_filter = TrailFilter(occurred_from=AT.date(), occurred_to=AT.date())
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = selectors.trail_search(
            world.users["auditor"], trail_filter, source=Source.EVENTS, scope=None, after=after, page_size=17
        )
        seen += [row.id for row in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        after = selectors.cursor_read(Source.EVENTS, page.next_cursor)
    expected = sorted(planted, key=lambda pk: (AT + timedelta(seconds=(planted.index(pk)) // 20), pk), reverse=True)
    assert seen == expected and pages == 8


def test_the_pages_links_walk_the_whole_filtered_trail_newest_first(world: World) -> None:
    planted = [event(world.home, at=AT + timedelta(seconds=number // 30), kind="child.view") for number in range(120)]
    event(world.home, kind="sign_in.success")
    reader = client(world.users["auditor"])
    url = reverse(EVENTS) + "?action=child.view&occurred_from=2026-06-15&occurred_to=2026-06-15"
    seen: list[int] = []
    newest_links = 0
    while url:
        response = reader.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        seen += event_ids(html)
        newest_links += 'rel="first"' in html
        match = re.search(r'href="(\?[^"]*)" rel="next"', html)
        url = reverse(EVENTS) + match.group(1).replace("&amp;", "&") if match else ""
    assert seen == sorted(planted, key=lambda pk: (planted.index(pk) // 30, pk), reverse=True)
    assert newest_links == 2  # the second and third pages link back to the newest


def test_a_sensitive_entrys_content_never_appears_only_whitelisted_plain_values(world: World) -> None:
    event(world.home, purpose="Section 47 enquiry", detail={"note": SECRET, "rows": 3, "tier": "sensitive"})
    event(world.home, detail={"source": SECRET})  # a whitelisted key with text too long to be a word
    reader = client(world.users["auditor"])
    html = reader.get(reverse(EVENTS)).content.decode()
    assert "Section 47 enquiry" in html and "rows: 3" in html and "tier: sensitive" in html
    assert SECRET not in html and "threatened" not in html
    api = reader.get(reverse("api-audit-events")).content.decode()
    assert SECRET not in api and "threatened" not in api


def test_each_search_is_audited_with_its_filters_source_and_row_count(world: World) -> None:
    event(world.home)
    event(world.home)
    reader = world.users["auditor"]
    client(reader).get(reverse(EVENTS), {"agency_id": str(world.home.pk), "occurred_from": "2026-06-01"})
    search = AuditEvent.objects.get(kind=selectors.SEARCH_EVENT, actor_id=reader.pk)
    assert search.detail == {
        "source": "events",
        "filters": {"agency_id": world.home.pk, "occurred_from": "2026-06-01"},
        "rows": 2,
        "after": False,
    }
    client(reader).get(reverse("api-audit-disclosures"), {"legal_basis": "court_order"})
    search = AuditEvent.objects.filter(kind=selectors.SEARCH_EVENT).latest("id")
    assert search.detail["source"] == "disclosures" and search.detail["filters"] == {"legal_basis": "court_order"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "disclosure."}, {"disclosure.make", "disclosure.approve"}),
        ({"action": "disclosure.make"}, {"disclosure.make"}),
        ({"outcome": "denied"}, {"access.denied"}),
        ({"child_id": 77}, {"child.view"}),
        ({"user_id": 99}, {"sign_in.success"}),
    ],
)
def test_each_filter_narrows_the_events(world: World, filters: dict[str, Any], expected: set[str]) -> None:
    event(world.home, kind="disclosure.make")
    event(world.home, kind="disclosure.approve")
    event(world.home, kind="disclosure_x.make")  # not under "disclosure.": the underscore is not a wildcard
    event(world.home, kind="access.denied", outcome="denied")
    event(world.home, kind="child.view", child_id=77)
    event(world.home, kind="sign_in.success", user_id=99)
    page = selectors.trail_search(world.users["auditor"], TrailFilter(**filters), source=Source.EVENTS, scope=None)
    assert {row.kind for row in page.rows} == expected


def test_the_disclosure_filters(world: World) -> None:
    court = log_row(world.home, world.other, legal_basis="court_order", discloser_id=55)
    log_row(world.home, world.other)
    page = selectors.trail_search(
        world.users["auditor"], TrailFilter(legal_basis="court_order"), source=Source.DISCLOSURES, scope=None
    )
    assert [row.id for row in page.rows] == [court]
    page = selectors.trail_search(
        world.users["auditor"], TrailFilter(user_id=55), source=Source.DISCLOSURES, scope=None
    )
    assert [row.id for row in page.rows] == [court]


def test_the_api_refuses_unknown_parameters_and_bad_values_by_name(world: World) -> None:
    reader = client(world.users["auditor"])
    response = reader.get(reverse("api-audit-events"), {"agency": "1", "occurred_from": "2026-13-01"})
    assert response.status_code == 400
    errors = response.json()
    text = str(errors)
    assert "agency" in text and "occurred_from" in text
    response = reader.get(reverse("api-audit-events"), {"occurred_from": "2026-03-10", "occurred_to": "2026-03-01"})
    assert response.status_code == 400 and "occurred_to" in str(response.json())
    response = reader.get(reverse("api-audit-disclosures"), {"after": "tampered"})
    assert response.status_code == 400 and "damaged" in str(response.json())
    response = reader.get(reverse("api-audit-events"), {"legal_basis": "court_order"})
    assert response.status_code == 400 and "legal_basis" in str(response.json())


def test_the_api_pages_by_its_next_link(world: World) -> None:
    planted = {event(world.home, at=AT + timedelta(seconds=number // 25)) for number in range(60)}
    reader = client(world.users["auditor"])
    url: str | None = reverse("api-audit-events") + "?occurred_from=2026-06-15&occurred_to=2026-06-15"
    seen: list[int] = []
    while url:
        body = reader.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 60 and set(seen) == planted
