"""Three gaps in the child index (issue 10, with issue 11's closing of records): the likely existing entries offered
before a child is created leave closed, erased and merged-away records out, or mark a closed one (same NHS number)
as closed without the "add my involvement" action; the API's child detail says whether the record is open, closed
or erased; and a given name with the family name's initial ("Zara Q") finds the child. Data is built through the
services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from isp_portal.policy import SystemActor
from sharing import rules
from sharing.models import Child, Involvement
from sharing.selectors import child_search, likely_matches
from sharing.services import child_shield
from sharing.services.retention import child_close, child_erase
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}
BORN = date(2013, 6, 14)


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def _nhs(first_nine: str) -> str:
    digit = rules.nhs_check_digit(first_nine)
    assert digit is not None, first_nine
    return f"{first_nine}{digit}"


def _closed(sw: World, child: Child) -> Child:
    child_close(actor=fresh(sw.users["partnership_admin"]), child=child, reason="Moved out of the partnership")
    return Child.objects.get(pk=child.pk)


def _erased(sw: World, child: Child) -> Child:
    closed = _closed(sw, child)
    assert closed.erase_due_on is not None
    child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on)
    return Child.objects.get(pk=child.pk)


def _matches(sw: World, role: str = "other_agency", **values: Any) -> list[Any]:
    criteria = {"given": "Zara", "family": "Quinn", "born_on": BORN, **values}
    return likely_matches(principal=fresh(sw.users[role]), purpose=PURPOSE, **criteria).results


# --- 1. The likely existing entries: a closed record only for its NHS number, marked closed ----------------------


def test_a_closed_record_is_offered_only_for_its_nhs_number_and_marked_closed(sw: World) -> None:
    number = _nhs("401023213")
    closed = _closed(sw, make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number))
    # Same date of birth and name (and postcode), no NHS number: a closed record is not offered, as the search
    # does not find it.
    assert _matches(sw, postcode="N1 9GU") == []
    # The same NHS number: offered, marked closed, so nobody records a second entry without knowing why not.
    found = _matches(sw, nhs_number=number)
    assert [(result.child_id, result.is_closed) for result in found] == [(closed.pk, True)]


def test_an_open_record_is_offered_as_before_and_not_marked_closed(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=BORN)
    assert [(result.child_id, result.is_closed) for result in _matches(sw)] == [(child.pk, False)]


def test_an_erased_or_merged_record_is_never_offered(sw: World) -> None:
    from sharing.services import child_merge

    number = _nhs("401023213")
    _erased(sw, make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number, postcode="E1 6AN"))
    assert _matches(sw, nhs_number=number, postcode="E1 6AN") == []
    kept = make_child(sw, "Zara", "Quinn", born_on=BORN, postcode="N1 9GU", considered=range(10_000))
    merged = make_child(sw, "Zarah", "Quinn", born_on=BORN, postcode="N1 9GU", considered=range(10_000))
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=kept, merge=merged, reason="The same child")
    assert [result.child_id for result in _matches(sw, postcode="N1 9GU")] == [kept.pk]


def test_the_check_your_answers_page_says_a_closed_match_is_closed_without_the_add_action(sw: World) -> None:
    number = _nhs("401023213")
    closed = _closed(sw, make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number))
    client = sign_in(Client(), sw.users["other_agency"])
    sent = client.post(
        "/children/new/",
        {
            "given": "Zara",
            "family": "Quinn",
            "born_on_day": str(BORN.day),
            "born_on_month": str(BORN.month),
            "born_on_year": str(BORN.year),
            "gender": "not_known",
            "ethnicity": "not_stated",
            "setting": "none",
            "service": "Youth offending",
            "address": "2 Page Road, Northbridge",
            "postcode": "N1 9GU",
            "nhs_number": number,
        },
    )
    assert sent["Location"] == "/children/new/check/"
    page = client.get("/children/new/check/").content.decode()
    assert "may already be in the index" in page
    assert "This child&#x27;s record is closed" in page or "This child's record is closed" in page
    assert "contact a partnership admin" in page
    assert f'name="use" value="{closed.pk}"' not in page
    assert "Add my involvement to this child instead" not in page
    # Posting it anyway is refused by the one rule for closed records (sharing.policy.require_open_record).
    refused = client.post("/children/new/check/", {"use": str(closed.pk)})
    assert refused.status_code == 403
    assert not Involvement.objects.filter(child=closed, agency=sw.other).exists()


def test_the_api_match_says_a_closed_record_is_closed(sw: World) -> None:
    number = _nhs("401023213")
    closed = _closed(sw, make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number))
    open_one = make_child(sw, "Zarah", "Quinn", born_on=BORN, considered=range(10_000))
    client = sign_in(Client(), sw.users["other_agency"])
    answer = client.post(
        "/api/v1/children/match/",
        data={"given": "Zara", "family": "Quinn", "born_on": BORN.isoformat(), "nhs_number": number},
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 200, answer.content
    statuses = {result["id"]: result["status"] for result in answer.json()["results"]}
    assert statuses == {closed.pk: "closed", open_one.pk: "open"}


# --- 2. The API's child detail says whether the record is open, closed or erased --------------------------------


def test_the_api_child_detail_says_whether_the_record_is_open_closed_or_erased(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=BORN)
    client = sign_in(Client(), sw.users["practitioner"])
    url = f"/api/v1/children/{child.pk}/"
    body = client.get(url, **H).json()
    assert body["status"] == "open"
    assert body["closed_on"] is None and body["closed_under"] is None and body["erased_on"] is None
    closed = _closed(sw, child)
    body = client.get(url, **H).json()
    assert body["status"] == "closed"
    assert body["closed_on"] == closed.closed_on.isoformat()  # type: ignore[union-attr]
    assert body["closed_under"] == "admin" and body["close_reason"] == "Moved out of the partnership"
    assert body["erase_due_on"] == closed.erase_due_on.isoformat()  # type: ignore[union-attr]
    assert closed.erase_due_on is not None
    child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on)
    erased_child = Child.objects.get(pk=child.pk)
    body = client.get(url, **H).json()
    assert body["status"] == "erased"
    assert body["erased_on"] == erased_child.erased_at.date().isoformat()  # type: ignore[union-attr]
    assert body["close_reason"] is None  # as the erased page: the reason goes with the content
    # The fields can be asked for by name (`?fields=`).
    assert set(client.get(url + "?fields=status,closed_on", **H).json()) == {"id", "status", "closed_on"}


def test_the_schema_describes_the_record_status(sw: World) -> None:
    client = sign_in(Client(), sw.users["practitioner"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    child = schema["components"]["schemas"]["ChildOut"]["properties"]
    assert {"status", "closed_on", "closed_under", "erase_due_on", "erased_on"} <= set(child)
    result = schema["components"]["schemas"]["SearchResultOut"]["properties"]
    assert "status" in result


# --- 3. A given name with the family name's initial ("Zara Q"), and an initial with the family name --------------


@pytest.mark.parametrize(
    ("stored", "query", "found"),
    [
        (("Zara", "Quinn"), "Zara Q", True),
        (("Zara", "Quinn"), "zara q", True),
        (("Zara", "Quinn"), "Zarah Q", True),  # the given name by sound, as elsewhere
        (("Zara", "Quinn"), "Z Quinn", True),
        (("Zara Jane", "Quinn"), "Zara Q", True),
        (("Zara", "Quinn-Smith"), "Zara S", True),
        (("Zara", "Smith"), "Zara Q", False),
        (("Zoe", "Quinn"), "Zara Q", False),
        (("Zara", "Quinn"), "Zara R", False),
    ],
)
def test_a_given_name_with_the_family_initial_is_a_name_rule(stored: tuple[str, str], query: str, found: bool) -> None:
    matches, exactly = rules.name_match(rules.name_query(query), rules.name_index_keys(*stored))
    assert (matches, exactly) == (found, False)


def _search(sw: World, **criteria: Any) -> list[int]:
    found = child_search(principal=fresh(sw.users["practitioner"]), purpose=PURPOSE, **criteria)
    return [result.child_id for result in found.results]


def test_zara_q_finds_zara_quinn_in_the_database_by_every_shape_of_search(sw: World) -> None:
    number = _nhs("401023213")
    zara = make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number, postcode="E1 6AN")
    smith = make_child(sw, "Zara", "Smith", born_on=BORN, postcode="E1 6AN", considered=range(10_000))
    zoe = make_child(sw, "Zoe", "Quinn", born_on=BORN, postcode="E1 6AN", considered=range(10_000))
    make_child(sw, "Zara", "Quinn", born_on=date(2014, 2, 2), postcode="N1 9GU", considered=range(10_000))
    assert set(_search(sw, name="Zara Q")) == {zara.pk, Child.objects.get(born_on=date(2014, 2, 2)).pk}
    assert _search(sw, name="Zara Q", born_on=BORN) == [zara.pk]
    assert _search(sw, name="Zara Q", postcode="E1 6AN") == [zara.pk]
    assert _search(sw, name="Zara Q", nhs_number=number) == [zara.pk]
    assert _search(sw, name="Zara S", born_on=BORN) == [smith.pk]
    assert set(_search(sw, name="Z Quinn", born_on=BORN)) == {zara.pk, zoe.pk}
    assert _search(sw, name="Zara R", born_on=BORN) == []


def test_an_initial_never_finds_a_shielded_child(sw: World) -> None:
    zara = make_child(sw, "Zara", "Quinn", born_on=BORN)
    child_shield(actor=fresh(sw.users["practitioner"]), child=zara, agency=sw.home, reason="Protected address")
    for query in ("Zara Q", "Z Quinn", "Zara Q."):
        assert _search(sw, name=query, born_on=BORN) == [], query
        assert _search(sw, name=query) == [], query
    # Its exact full name with its date of birth still finds it (the ContactPoint shield).
    assert _search(sw, name="Zara Quinn", born_on=BORN) == [zara.pk]


def test_the_family_initial_adds_no_statement_to_a_search(sw: World) -> None:
    make_child(sw, "Zara", "Quinn", born_on=BORN)
    counts = []
    for query in ("Zara Quinn", "Zara Q"):
        with CaptureQueriesContext(connection) as run:
            assert _search(sw, name=query, born_on=BORN)
        counts.append(len(run.captured_queries))
    assert counts[0] == counts[1]
