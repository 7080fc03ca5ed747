"""The children API (issue 10): creating a child with its likely matches first, searching with the purpose in the
X-Purpose header and the criteria in the body, reading a child and its entries at the caller's tier (absent rather
than null), bad input answered by field with nothing written, merging, and the API token scopes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import TokenScope
from audit.models import AuditEvent
from sharing.models import Child, ChildMerge, EntryRevision, RecordEntry
from sharing.services import entry_record, involvement_add
from tests.factories import World, make_api_token
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def post(client: Client, url: str, body: dict[str, Any], purpose: str | None = PURPOSE) -> Any:
    headers = {"HTTP_X_PURPOSE": purpose} if purpose is not None else {}
    return client.post(url, data=body, content_type="application/json", **headers)


def get(client: Client, url: str, purpose: str | None = PURPOSE) -> Any:
    headers = {"HTTP_X_PURPOSE": purpose} if purpose is not None else {}
    return client.get(url, **headers)


def token_client(world: World, *scopes: str) -> Client:
    _, secret = make_api_token(world.home, list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def note(
    world: World, child: Child, *, category: str = "case_note", restricted: bool = False, by: str = "practitioner"
) -> RecordEntry:
    fields: dict[str, object] = {"indicated": True} if category == "schedule_one" else {}
    return entry_record(
        actor=fresh(world.users[by]),
        child=child,
        agency=world.home,
        category=category,
        fields=fields,
        text="Seen at home; Qzcontentq",
        basis="fact",
        restricted=restricted,
    )


def new_child(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agency": world.home.pk,
        "given": "Maisie",
        "family": "Hart-Lowe",
        "born_on": "2016-05-04",
        "nhs_number": "400 000 0020",
        "postcode": "sw1a1aa",
        "address": "1 Test Road, London",
        "service": "Early help",
        "aliases": [{"kind": "known_as", "given": "Maisy", "family": ""}],
    }
    body.update(overrides)
    return body


# --- Creating a child ------------------------------------------------------------------------------------------


def test_a_child_is_created_and_a_second_entry_is_offered_its_likely_match_first(sw: World) -> None:
    client = client_as(sw, "practitioner")
    response = post(client, "/api/v1/children/", new_child(sw))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["nhs_number"] == "4000000020" and created["address"]["postcode"] == "SW1A 1AA"
    assert [name["given"] for name in created["names"]] == ["Maisie", "Maisy"]
    assert created["involvements"][0]["service"] == "Early help"

    again = post(client, "/api/v1/children/", new_child(sw, nhs_number="", family="Hart Lowe"))
    assert again.status_code == 409, again.content
    body = again.json()
    assert body["error"]["code"] == "possible_duplicates" and "considered" in body["error"]["fields"]
    assert [match["id"] for match in body["matches"]] == [created["id"]]
    assert Child.objects.count() == 1
    assert AuditEvent.objects.filter(kind="child.match", purpose=PURPOSE).count() == 1

    anyway = post(
        client, "/api/v1/children/", new_child(sw, nhs_number="", family="Hart Lowe", considered=[created["id"]])
    )
    assert anyway.status_code == 201 and Child.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"nhs_number": "4000000021"}, "nhs_number", "check digit"),
        ({"nhs_number": "100000002"}, "nhs_number", "10 digits"),
        ({"postcode": "EC1V OBW"}, "postcode", "EC1V 0BW"),
        ({"postcode": "@SW1A 1AA"}, "postcode", "postcode"),
        ({"born_on": (date.today() + timedelta(days=2)).isoformat()}, "born_on", "in the past"),
        ({"born_on": "1995-01-01"}, "born_on", "rule"),
        ({"born_on": "2015-02-29"}, "born_on", "2015-02-29 is not a real date"),
        ({"address_from": "2023-02-29"}, "address_from", "not a real date"),
        ({"aliases": [{"kind": "known_as", "given": "", "family": ""}]}, "aliases.0.family", "name"),
        ({"purpose": "x"}, "purpose", "not accepted"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(
    sw: World, overrides: dict[str, Any], field: str, words: str
) -> None:
    response = post(client_as(sw, "practitioner"), "/api/v1/children/", new_child(sw, **overrides))
    assert response.status_code == 400, response.content
    messages = " ".join(response.json()["error"]["fields"][field])
    assert words.lower() in messages.lower(), messages
    assert not Child.objects.exists()
    assert AuditEvent.objects.filter(kind="request.refused").count() == 1


def test_a_read_without_a_purpose_is_refused_naming_the_header_and_recorded(sw: World) -> None:
    child = make_child(sw)
    client = client_as(sw, "practitioner")
    for response in (
        post(client, "/api/v1/children/search/", {"name": "Aoife"}, purpose=None),
        get(client, f"/api/v1/children/{child.pk}/", purpose="  "),
    ):
        assert response.status_code == 400
        assert "X-Purpose" in response.json()["error"]["fields"]
    assert AuditEvent.objects.filter(kind="request.refused").count() == 2
    assert not AuditEvent.objects.filter(kind__in=["child.search", "child.view"]).exists()


# --- Search ----------------------------------------------------------------------------------------------------


def test_search_takes_its_criteria_in_the_body_and_is_audited(sw: World) -> None:
    child = make_child(sw, "Łukasz", "O’Brien")
    client = client_as(sw, "other_agency")
    response = post(client, "/api/v1/children/search/", {"name": "lukasz obrien"})
    assert response.status_code == 200, response.content
    found = response.json()
    assert [result["id"] for result in found["results"]] == [child.pk]
    assert found["results"][0]["agencies"] == [sw.home.name] and found["results"][0]["postcode"] == "N1 9GU"
    event = AuditEvent.objects.get(kind="child.search")
    assert event.purpose == PURPOSE and event.detail["criteria"] == ["name"]
    # There is no GET search: criteria never travel in a query string.
    assert client.get("/api/v1/children/search/?name=lukasz", HTTP_X_PURPOSE=PURPOSE).status_code == 405
    bad = post(client, "/api/v1/children/search/", {"nhs_number": "4000000021"})
    assert bad.status_code == 400 and "check digit" in bad.json()["error"]["fields"]["nhs_number"][0]


def test_a_shielded_child_through_the_api(sw: World) -> None:
    child = make_child(
        sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, setting="school", phone="020 7946 0958"
    )
    police = client_as(sw, "other_agency")
    assert post(police, "/api/v1/children/search/", {"name": "Zara"}).json()["results"] == []
    exact = post(police, "/api/v1/children/search/", {"name": "Zara Quinn", "born_on": "2012-09-09"}).json()
    assert [result["id"] for result in exact["results"]] == [child.pk]
    assert "postcode" not in exact["results"][0] and "setting" not in exact["results"][0]
    record = get(police, f"/api/v1/children/{child.pk}/").json()
    assert record["is_shielded"] is True
    assert not {"address", "address_history", "setting", "setting_name", "phone"} & set(record)
    assert "7946" not in get(police, f"/api/v1/children/{child.pk}/").content.decode()
    asked = get(police, f"/api/v1/children/{child.pk}/?fields=names,address")
    assert asked.status_code == 400 and "address" in asked.json()["error"]["fields"]["fields"][0]
    refused = AuditEvent.objects.get(kind="access.refused", child_id=child.pk)
    assert refused.detail["fields"] == ["address"]
    ours = get(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/?fields=address,setting,phone").json()
    assert set(ours) == {"id", "address", "setting", "phone"} and ours["address"]["postcode"] == "N1 9GU"


# --- Reading at the caller's tier ------------------------------------------------------------------------------


def test_another_agency_sees_which_categories_are_held_and_no_content_at_all(sw: World) -> None:
    child = make_child(sw)
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    held = note(sw, child)
    victim = note(sw, child, restricted=True, by="restricted")
    police = client_as(sw, "other_agency")
    record = get(police, f"/api/v1/children/{child.pk}/").json()
    assert [entry["id"] for entry in record["entries"]] == [held.pk]  # the restricted one does not exist for them
    assert not {"current", "revisions", "revision_log"} & set(record["entries"][0])
    assert record["held"] == [
        {"category": "case_note", "label": "Case note", "agency": sw.home.pk, "agency_name": sw.home.name, "count": 1}
    ]
    assert "Qzcontentq" not in get(police, f"/api/v1/children/{child.pk}/").content.decode()
    denied = get(police, f"/api/v1/entries/{held.pk}/")
    assert denied.status_code == 403 and sw.home.name in denied.json()["error"]["message"]
    assert get(police, f"/api/v1/entries/{victim.pk}/").status_code == 404
    assert AuditEvent.objects.filter(kind="child.view", actor_id=sw.users["other_agency"].pk).count() == 2

    ours = get(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/").json()
    mine = next(entry for entry in ours["entries"] if entry["id"] == held.pk)
    assert mine["current"]["text"] == "Seen at home; Qzcontentq" and len(mine["revisions"]) == 1
    assert victim.pk not in [entry["id"] for entry in ours["entries"]]  # not authorised for restricted information
    theirs = get(client_as(sw, "restricted"), f"/api/v1/children/{child.pk}/").json()
    assert victim.pk in [entry["id"] for entry in theirs["entries"]]


def test_entries_are_recorded_revised_and_their_revisions_read_at_each_level(sw: World) -> None:
    child = make_child(sw)
    client = client_as(sw, "practitioner")
    url = f"/api/v1/children/{child.pk}/entries/"
    missing = post(
        client, url, {"agency": sw.home.pk, "category": "contact", "fields": {"contact_type": "phone"}, "basis": "fact"}
    )
    assert missing.status_code == 400 and "fields.contact_date" in missing.json()["error"]["fields"]
    wrong = post(
        client,
        url,
        {
            "agency": sw.home.pk,
            "category": "contact",
            "basis": "fact",
            "fields": {"contact_type": "pigeon", "contact_date": "2024-01-01", "mood": 1},
        },
    )
    assert {"fields.contact_type", "fields.mood"} <= set(wrong.json()["error"]["fields"])
    assert not RecordEntry.objects.exists()
    made = post(
        client,
        url,
        {
            "agency": sw.home.pk,
            "category": "contact",
            "basis": "opinion",
            "text": "Spoke to mum",
            "fields": {"contact_type": "phone", "contact_date": "2024-01-01"},
        },
    )
    assert made.status_code == 201, made.content
    entry_id = made.json()["id"]
    assert made.json()["current"]["fields"] == {"contact_type": "phone", "contact_date": "2024-01-01"}
    revised = post(
        client,
        f"/api/v1/entries/{entry_id}/revisions/",
        {
            "basis": "fact",
            "text": "Spoke to dad",
            "reason": "Wrong parent",
            "fields": {"contact_type": "phone", "contact_date": "2024-01-01"},
        },
    )
    assert revised.status_code == 201 and revised.json()["number"] == 2
    assert (
        post(
            client_as(sw, "other_agency"), f"/api/v1/entries/{entry_id}/revisions/", {"basis": "fact", "reason": "x"}
        ).status_code
        == 403
    )
    history = get(client, f"/api/v1/entries/{entry_id}/revisions/").json()
    assert [revision["text"] for revision in history["revisions"]] == ["Spoke to dad", "Spoke to mum"]
    audited = get(client_as(sw, "auditor"), f"/api/v1/entries/{entry_id}/revisions/").json()
    assert "revisions" not in audited and [row["number"] for row in audited["revision_log"]] == [2, 1]
    assert "Spoke" not in str(audited)
    assert EntryRevision.objects.filter(entry_id=entry_id).count() == 2


def test_a_partnership_admin_merges_two_entries_and_nobody_else_can(sw: World) -> None:
    first = make_child(sw, "Ann", "Lee", postcode="M1 1AE")
    second = make_child(sw, "Anne", "Lee", postcode="B33 8TH", considered=[first.pk])
    body = {"merge": second.pk, "reason": "Same child: same school and parents"}
    assert post(client_as(sw, "practitioner"), f"/api/v1/children/{first.pk}/merge/", body).status_code == 403
    merged = post(client_as(sw, "partnership_admin"), f"/api/v1/children/{first.pk}/merge/", body)
    assert merged.status_code == 200, merged.content
    assert ChildMerge.objects.get().kept_id == first.pk and merged.json()["merged"] == second.pk


def test_an_involvement_is_added_and_ended_by_its_own_agency_only(sw: World) -> None:
    child = make_child(sw)
    police = client_as(sw, "other_agency")
    added = post(
        police, f"/api/v1/children/{child.pk}/involvements/", {"agency": sw.other.pk, "service": "Public protection"}
    )
    assert added.status_code == 201, added.content
    involvement = added.json()["id"]
    assert (
        post(police, f"/api/v1/children/{child.pk}/involvements/", {"agency": sw.home.pk, "service": "x"}).status_code
        == 403
    )
    end = f"/api/v1/involvements/{involvement}/end/"
    assert post(client_as(sw, "practitioner"), end, {"reason": "Done"}).status_code == 403
    ended = post(police, end, {"reason": "Case closed"})
    assert ended.status_code == 200 and ended.json()["ended_on"] == timezone.localdate().isoformat()


# --- API tokens ------------------------------------------------------------------------------------------------


def test_a_children_read_token_sees_the_minimum_tier_and_no_content_even_of_its_own_agency(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    note(sw, child, category="schedule_one", by="restricted")
    reader = token_client(sw, TokenScope.CHILDREN_READ)
    assert post(reader, "/api/v1/children/search/", {"name": "Aoife"}).json()["results"][0]["id"] == child.pk
    record = get(reader, f"/api/v1/children/{child.pk}/").json()
    assert [item["id"] for item in record["entries"]] == [entry.pk]
    assert "current" not in record["entries"][0] and "Qzcontentq" not in str(record)
    refused = get(reader, f"/api/v1/entries/{entry.pk}/")
    assert refused.status_code == 403 and "children:read" in refused.json()["error"]["message"]
    assert post(reader, "/api/v1/children/", new_child(sw)).status_code == 403

    records = token_client(sw, TokenScope.RECORDS_WRITE)
    own = get(records, f"/api/v1/entries/{entry.pk}/")
    assert own.status_code == 200 and own.json()["current"]["text"] == "Seen at home; Qzcontentq"
    assert [item["id"] for item in get(records, f"/api/v1/children/{child.pk}/").json()["entries"]] == [entry.pk]
    restricted = post(
        records,
        f"/api/v1/children/{child.pk}/entries/",
        {"agency": sw.home.pk, "category": "case_note", "text": "t", "basis": "fact", "restricted": True},
    )
    # It may record one (a Schedule One indicator is always restricted), and from then on cannot see it.
    assert restricted.status_code == 201, restricted.content
    assert not {"current", "revisions"} & set(restricted.json())
    assert get(records, f"/api/v1/entries/{restricted.json()['id']}/").status_code == 404

    register = token_client(sw, TokenScope.REGISTER_READ)
    assert post(register, "/api/v1/children/search/", {"name": "Aoife"}).status_code == 403
    assert get(register, f"/api/v1/children/{child.pk}/").status_code == 404


def test_a_search_and_a_read_cost_the_same_statements_whatever_they_find(sw: World) -> None:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(sw, "practitioner")
    child = make_child(sw, "Counted", "Alpha", born_on=date(2011, 1, 1))
    note(sw, child)
    ContentType.objects.get_for_models(*apps.get_models())

    def statements(call: Any) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code == 200, response.content
        return len(queries), response.json()

    search = lambda: post(client, "/api/v1/children/search/", {"name": "Counted"})  # noqa: E731
    read = lambda: get(client, f"/api/v1/children/{child.pk}/")  # noqa: E731
    search(), read()  # the session and identity are cached from here on
    searched, found = statements(search)
    viewed, record = statements(read)
    assert len(found["results"]) == 1 and len(record["entries"]) == 1
    for number, family in enumerate(["Bravo", "Charlie", "Delta", "Echo", "Foxtrot"], start=1):
        make_child(sw, "Counted", family, born_on=date(2011, 1, 1) + timedelta(days=number), postcode="")
        note(sw, child)
    assert statements(search)[0] == searched and len(statements(search)[1]["results"]) == 6
    assert statements(read)[0] == viewed and len(statements(read)[1]["entries"]) == 6


def test_a_shielded_child_is_not_reached_by_its_number_without_an_exact_search(sw: World) -> None:
    # The ContactPoint shield: ids are sequential, so reading, joining or recording against a shielded child by its
    # id alone would find it without its exact NHS number or exact name and date of birth.
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    note(sw, child)
    entry = RecordEntry.objects.get(child=child)
    police = client_as(sw, "other_agency")
    assert get(police, f"/api/v1/children/{child.pk}/").status_code == 404
    assert get(police, f"/api/v1/entries/{entry.pk}/").status_code == 404
    joined = post(police, f"/api/v1/children/{child.pk}/involvements/", {"agency": sw.other.pk, "service": "CID"})
    assert joined.status_code == 404 and not child.involvements.filter(agency=sw.other).exists()
    assert police.get(f"/children/{child.pk}/").status_code == 404
    assert "Zara" not in get(police, f"/api/v1/children/{child.pk}/").content.decode()
    # Its own agency reaches it; anyone else after finding it exactly (the shielding agency is told).
    assert get(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/").status_code == 200
    found = post(police, "/api/v1/children/search/", {"nhs_number": "4000000020"}).json()["results"]
    assert [result["id"] for result in found] == [child.pk]
    assert get(police, f"/api/v1/children/{child.pk}/").json()["names"][0]["given"] == "Zara"
    assert get(police, f"/api/v1/entries/{entry.pk}/").status_code == 403


def test_a_revision_recorded_as_restricted_stays_restricted_when_a_correction_lifts_the_mark(sw: World) -> None:
    child = make_child(sw)
    victim = note(sw, child, restricted=True, by="restricted")
    lifted = post(
        client_as(sw, "restricted"),
        f"/api/v1/entries/{victim.pk}/revisions/",
        {"basis": "fact", "reason": "Now agreed to share", "text": "Open summary", "restricted": False},
    )
    assert lifted.status_code == 201
    colleague = client_as(sw, "practitioner")  # same agency, not authorised for restricted information
    for url in (
        f"/api/v1/entries/{victim.pk}/",
        f"/api/v1/entries/{victim.pk}/revisions/",
        f"/api/v1/children/{child.pk}/",
    ):
        answer = get(colleague, url)
        assert answer.status_code == 200 and "Open summary" in answer.content.decode()
        assert "Qzcontentq" not in answer.content.decode()
    colleague.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    assert "Qzcontentq" not in colleague.get(f"/children/{child.pk}/entries/{victim.pk}/").content.decode()
    # Those authorised still read the whole history.
    assert "Qzcontentq" in get(client_as(sw, "restricted"), f"/api/v1/entries/{victim.pk}/revisions/").content.decode()


# --- Changing the minimum data and the shield ------------------------------------------------------------------


def patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, data=body, content_type="application/json")


def test_a_patch_changes_only_the_fields_sent_and_a_new_name_is_searched(sw: World) -> None:
    child = make_child(sw, nhs_number="9434765919", languages=["Irish"])
    client = client_as(sw, "practitioner")
    answer = patch(client, f"/api/v1/children/{child.pk}/", {"gender": "male", "family": "Kavanagh"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["gender"], body["given"], body["family"]) == ("male", "Aoife", "Kavanagh")
    assert (body["languages"], body["nhs_number"], body["born_on"]) == (["Irish"], "9434765919", "2015-04-02")
    found = post(client_as(sw, "other_agency"), "/api/v1/children/search/", {"name": "Aoife OBrien"}).json()
    assert [result["id"] for result in found["results"]] == [child.pk]  # the old name is a previous name
    found = post(client_as(sw, "other_agency"), "/api/v1/children/search/", {"name": "Kavanagh"}).json()
    assert [result["id"] for result in found["results"]] == [child.pk]
    event = AuditEvent.objects.get(kind="child.update", child_id=child.pk)
    assert sorted(event.detail["fields"]) == ["gender", "name"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"nhs_number": "9434765918"}, "nhs_number", "check digit"),
        ({"nhs_number": 100000002}, "nhs_number", "as a string"),  # a JSON number: refused, never zero-padded
        ({"born_on": "2090-01-01"}, "born_on", ""),
        ({"born_on": "1990-01-01"}, "born_on", "Rule:"),
        ({"family": "", "given": ""}, "family", "Enter the child's name"),
        ({"setting": "castle"}, "setting", ""),
        ({"languages": ["x" * 200]}, "languages.0", ""),
        ({"phone": "\x00"}, "phone", ""),
        ({"is_shielded": True}, "is_shielded", "not accepted"),
    ],
)
def test_a_bad_patch_is_a_400_by_field_and_nothing_is_written(
    sw: World, body: dict[str, Any], field: str, message: str
) -> None:
    child = make_child(sw)
    before = Child.objects.filter(pk=child.pk).values().get()
    answer = patch(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/", body)
    assert answer.status_code == 400, answer.content
    fields = answer.json()["error"]["fields"]
    assert field in fields and message in " ".join(fields[field])
    assert Child.objects.filter(pk=child.pk).values().get() == before


def test_a_patched_nhs_number_another_child_has_is_the_merge_answer_not_a_500(sw: World) -> None:
    make_child(sw, "Other", "Child", born_on=date(2013, 1, 1), nhs_number="9434765919")
    child = make_child(sw)
    answer = patch(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/", {"nhs_number": "943 476 5919"})
    assert answer.status_code == 400
    assert "merge" in " ".join(answer.json()["error"]["fields"]["nhs_number"])


def test_a_patch_needs_children_write_and_an_involvement(sw: World) -> None:
    child = make_child(sw)
    url = f"/api/v1/children/{child.pk}/"
    assert patch(token_client(sw, TokenScope.CHILDREN_READ), url, {"gender": "male"}).status_code == 403
    assert patch(token_client(sw, TokenScope.CHILDREN_WRITE), url, {"gender": "male"}).status_code == 200
    assert patch(client_as(sw, "other_agency"), url, {"gender": "female"}).status_code == 403
    assert Child.objects.get(pk=child.pk).gender == "male"


def test_a_child_is_shielded_and_unshielded_through_the_api(sw: World) -> None:
    child = make_child(sw)
    url = f"/api/v1/children/{child.pk}/"
    refused = post(client_as(sw, "practitioner"), f"{url}shield/", {"agency": sw.home.pk, "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    answer = post(client_as(sw, "practitioner"), f"{url}shield/", {"agency": sw.home.pk, "reason": "Fled abuse"})
    assert answer.json() == {"id": child.pk, "is_shielded": True, "shielding_agency": sw.home.pk}
    again = post(client_as(sw, "practitioner"), f"{url}shield/", {"agency": sw.home.pk, "reason": "Again"})
    assert again.status_code == 403 and "already shielded" in again.json()["error"]["message"]
    # The existing shield holds: the police, not involved, no longer reach the child by its id.
    assert get(client_as(sw, "other_agency"), url).status_code == 404
    token = token_client(sw, TokenScope.CHILDREN_WRITE)
    assert post(token, f"{url}unshield/", {"reason": "Safe"}).status_code == 403  # people only
    assert post(client_as(sw, "practitioner"), f"{url}unshield/", {"reason": "Safe"}).status_code == 403
    answer = post(client_as(sw, "designated_manager"), f"{url}unshield/", {"reason": "Safe now"})
    assert answer.json() == {"id": child.pk, "is_shielded": False, "shielding_agency": None}
    assert get(client_as(sw, "other_agency"), url).status_code == 200


def test_the_schema_describes_the_change_and_the_shield(sw: World) -> None:
    schema = client_as(sw, "practitioner").get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "patch" in paths["/api/v1/children/{id}/"]
    assert "post" in paths["/api/v1/children/{id}/shield/"] and "post" in paths["/api/v1/children/{id}/unshield/"]
    assert "ChildChangeIn" in str(paths["/api/v1/children/{id}/"]["patch"])
