"""The kinds of fault behind the break10c tester's findings 1-5 on issue 10, beyond the tester's own cases: a
postcode never confirms a shielded child's address (any search shape, page and API); the shield names only the
shielding agency among the agencies of a shielded child (involvements, held entries, an entry's own answer); a
merged-away entry is read through its survivor's shield (a chain of merges too); a form that names a child by
its id asks the purpose first and records the view; the duplicate check is paced like the search (the page)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from agencies.models import Role
from agencies.services import agency_update
from audit.models import AuditEvent
from sharing import rules
from sharing.models import Child
from sharing.search_pace import search_pace_reset
from sharing.services import child_address_change, child_merge, child_shield, entry_record, involvement_add
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in
from tests.protocol_fixtures import complete_checklist, sign
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world, train

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def client(world: World, role: str) -> Client:
    return sign_in(Client(), world.users[role])


def api_search(reader: Client, **criteria: str) -> list[int]:
    answer = reader.post("/api/v1/children/search/", data=criteria, content_type="application/json", **H)
    assert answer.status_code == 200, answer.content[:300]
    return [result["id"] for result in answer.json()["results"]]


# --- 1. A postcode never confirms where a shielded child lives --------------------------------------------------


def test_the_rule_finds_a_shielded_child_on_exact_terms_and_never_with_a_postcode() -> None:
    assert rules.shielded_child_found(nhs_number=True, exact_name_with_born_on=False, postcode=False)
    assert rules.shielded_child_found(nhs_number=False, exact_name_with_born_on=True, postcode=False)
    assert not rules.shielded_child_found(nhs_number=False, exact_name_with_born_on=False, postcode=False)
    for nhs_number, exact in ((True, False), (False, True), (True, True)):
        assert not rules.shielded_child_found(nhs_number=nhs_number, exact_name_with_born_on=exact, postcode=True)


def test_no_search_shape_with_a_postcode_finds_a_shielded_child_even_for_an_involved_reader(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    child_address_change(actor=fresh(sw.users["practitioner"]), child=child, address="Refuge", postcode="SW1A 1AA")
    for role in ("other_agency", "practitioner"):
        reader = client(sw, role)
        assert api_search(reader, nhs_number="4000000020") == [child.pk]
        for code in ("SW1A 1AA", "N1 9GU", "EC1V 0BW"):
            for criteria in (
                {"nhs_number": "4000000020"},
                {"name": "Zara Quinn", "born_on": "2012-09-09"},
                {"name": "Zara Quinn"},
                {"born_on": "2012-09-09"},
                {"name": "Zara Quinn", "born_on": "2012-09-09", "nhs_number": "4000000020"},
            ):
                assert api_search(reader, **criteria, postcode=code) == [], (role, criteria, code)


def test_the_search_page_with_a_postcode_does_not_find_a_shielded_child(sw: World) -> None:
    make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    police = client(sw, "other_agency")
    found = police.post("/children/", {"purpose": PURPOSE, "nhs_number": "4000000020"}).content.decode()
    assert "Zara" in found
    for code in ("N1 9GU", "EC1V 0BW"):
        page = police.post("/children/", {"purpose": PURPOSE, "nhs_number": "4000000020", "postcode": code})
        assert page.status_code == 200 and "Zara" not in page.content.decode(), code


# --- 2. The shield names only the shielding agency --------------------------------------------------------------


def _school_involved_shielded_child(sw: World) -> tuple[Child, Any]:
    """Zara Quinn, shielded by the home agency; the police (other agency) are involved too and hold an entry."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), nhs_number="4000000020")
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    held = entry_record(
        actor=fresh(sw.users["other_agency"]),
        child=child,
        agency=sw.other,
        category="case_note",
        fields={},
        text="Seen at the school gate",
        basis="fact",
    )
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled domestic abuse")
    return child, held


def test_a_reader_the_shield_withholds_from_sees_only_the_shielding_agency(sw: World) -> None:
    child, held = _school_involved_shielded_child(sw)
    # A third agency's practitioner, not involved, who finds the child on its exact terms.
    third = make_agency("Third Health Trust")
    agency_update(
        actor=SYSTEM,
        agency=third,
        ico_registration_number="ZA100088",
        ico_registration_expires_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    complete_checklist(third)
    sign(sw.objects["protocol"], third)
    nurse = make_user(name="Nia Nurse", agency=third, roles=[Role.PRACTITIONER])
    train(nurse)
    reader = sign_in(Client(), nurse)
    found = reader.post(
        "/api/v1/children/search/", data={"nhs_number": "4000000020"}, content_type="application/json", **H
    ).json()
    assert found["results"][0]["agencies"] == [sw.home.name]
    record = reader.get(f"/api/v1/children/{child.pk}/", **H).json()
    assert {row["agency"] for row in record["involvements"]} == {sw.home.pk}
    assert sw.other.name not in str(record["held"]) and sw.other.name not in str(record["entries"])
    # The entry itself: the same 404 as a missing id, never a 403 naming its holder.
    assert reader.get(f"/api/v1/entries/{held.pk}/", **H).status_code == 404
    reader.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = reader.get(f"/children/{child.pk}/").content.decode()
    assert "Home Council" in page and sw.other.name not in page
    assert reader.get(f"/children/{child.pk}/entries/{held.pk}/").status_code == 404
    # An agency involved with the child sees every agency.
    police = client(sw, "other_agency")
    involved = police.get(f"/api/v1/children/{child.pk}/", **H).json()
    assert {row["agency"] for row in involved["involvements"]} == {sw.home.pk, sw.other.pk}


# --- 3. A merged-away entry is read through its survivor's shield ------------------------------------------------


def test_an_entry_merged_into_one_later_merged_into_a_shielded_child_is_shielded_too(sw: World) -> None:
    first = make_child(sw, "Zarah", "Quin", born_on=date(2012, 9, 9), phone="020 7946 0958")
    middle = make_child(sw, "Zara", "Quinne", born_on=date(2012, 9, 9), considered=[first.pk])
    last = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, considered=[first.pk, middle.pk])
    admin = fresh(sw.users["partnership_admin"])
    child_merge(actor=admin, keep=middle, merge=first, reason="The same child")
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=last, merge=middle, reason="The same child")
    first.refresh_from_db()
    assert first.merged_into_id == last.pk  # repointed to the survivor
    police = client(sw, "other_agency")
    for pk in (first.pk, middle.pk):
        assert police.get(f"/api/v1/children/{pk}/", **H).status_code == 404
        assert police.get(f"/children/{pk}/").status_code == 404
    # Reached on the exact terms today: the merged-away entry answers as the shielded child does, withheld.
    assert api_search(police, name="Zara Quinn", born_on="2012-09-09") == [last.pk]
    seen = police.get(f"/api/v1/children/{first.pk}/", **H)
    assert seen.status_code == 200 and "7946" not in seen.content.decode() and "phone" not in seen.json()
    # The involved agency still reads it.
    assert "7946" in client(sw, "practitioner").get(f"/api/v1/children/{first.pk}/", **H).content.decode()


# --- 4. A form naming a child by its id asks the purpose and records the view ------------------------------------


@pytest.mark.parametrize("page", ["involvements/new/", "entries/new/", "entries/new/?category=case_note"])
def test_a_form_names_the_child_only_after_a_purpose_and_records_the_view(sw: World, page: str) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = client(sw, "practitioner")
    asked = reader.get(f"/children/{child.pk}/{page}").content.decode()
    assert "Why are you looking at this record?" in asked and "Zara" not in asked
    reader.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    before = AuditEvent.objects.filter(kind="child.view", child_id=child.pk).count()
    shown = reader.get(f"/children/{child.pk}/{page}").content.decode()
    if "category" in page or "involvements" in page:
        assert "Zara Quinn, born 9 September 2012" in shown
        viewed = AuditEvent.objects.filter(kind="child.view", child_id=child.pk).order_by("-id").first()
        assert viewed is not None and viewed.purpose == PURPOSE and viewed.detail["page"]
        assert AuditEvent.objects.filter(kind="child.view", child_id=child.pk).count() == before + 1


def test_a_form_posted_without_a_purpose_shows_only_the_index_number(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = client(sw, "other_agency")
    refused = reader.post(f"/children/{child.pk}/involvements/new/", {"service": ""}).content.decode()
    assert "Zara" not in refused and "9 September 2012" not in refused and f"Child {child.pk}" in refused


# --- 5. The page's duplicate check is paced like the search -------------------------------------------------------


@override_settings(CHILD_SEARCHES_PER_MINUTE=2)
def test_the_pages_duplicate_check_is_paced_and_shows_a_form_error(sw: World) -> None:
    from tests.sharing.test_pages import new_child_data

    reader = sw.users["practitioner"]
    search_pace_reset(reader)
    page = client(sw, "practitioner")
    page.post("/children/new/", new_child_data())
    answers = [page.get("/children/new/check/") for _ in range(3)]
    search_pace_reset(reader)
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2].content.decode()
    assert "There is a problem" in refused and "more than 2 times in a minute" in refused
    assert not Child.objects.exists()
    assert AuditEvent.objects.filter(kind="access.refused", actor_id=reader.pk).count() == 1
