"""Wider tests for the fixes of break10d's findings 3, 4, 5, 8, 9 and 10 (issue 10): each fault reached through
the other door (the page and the API, a record and a correction, a create and an update). Data is built through
the services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from agencies.models import Role
from audit.models import AuditEvent
from isp_portal.models import Notification
from sharing import rules
from sharing.models import Child, ChildName, RecordEntry
from sharing.services import child_merge, child_shield, entry_record, involvement_add, involvement_end
from tests.factories import World, make_user, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world, train
from tests.sharing.test_break10d_findings import _third_agency_nurse

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def _registration(sw: World, child: Any) -> RecordEntry:
    return entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="cp_registration",
        fields={"registered_on": "2012-09-10", "category": "neglect"},
        basis="fact",
    )


# --- Finding 10: a structured field called `category` is named as a structured field ---------------------------


def test_a_correction_with_a_wrong_registration_category_is_refused_on_its_own_field(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    entry = _registration(sw, child)
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.post(
        f"/api/v1/entries/{entry.pk}/revisions/",
        data={"fields": {"registered_on": "2012-09-10"}, "basis": "fact", "reason": "The category was wrong"},
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"fields.category"}, answer.json()


@pytest.mark.parametrize("revising", [False, True])
def test_a_registration_left_without_its_category_is_refused_on_the_pages_category_input(
    sw: World, revising: bool
) -> None:
    """The page's structured inputs are `f_<name>`: a registration's category left out is named on `f_category`
    (the error summary links to it), recorded or corrected."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = sign_in(Client(), sw.users["practitioner"])
    reader.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    body = {
        "f_registered_on_day": "10",
        "f_registered_on_month": "9",
        "f_registered_on_year": "2012",
        "basis": "fact",
    }
    if revising:
        entry = _registration(sw, child)
        url = f"/children/{child.pk}/entries/{entry.pk}/revise/"
        body["reason"] = "The category was wrong"
    else:
        url = f"/children/{child.pk}/entries/new/?category=cp_registration"
    answer = reader.post(url, body)
    assert answer.status_code == 200
    form = answer.context["form"]
    assert "f_category" in form.errors and not form.non_field_errors(), form.errors
    assert RecordEntry.objects.filter(child=child).count() == (1 if revising else 0)


# --- Finding 5: an involvement the shield withholds answers as a missing one ------------------------------------


def _found_shielded(sw: World) -> tuple[Any, Any, Any, Client]:
    """A shielded child with a police involvement (open) and a police one that has ended, and a nurse of a third
    agency who found the child by its NHS number (the shield lets her in, but withholds)."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), nhs_number="4000000020")
    police = fresh(sw.users["other_agency"])
    ended = involvement_add(actor=police, child=child, agency=sw.other, service="Youth offending")
    involvement_end(actor=fresh(sw.users["other_agency"]), involvement=ended, reason="Order completed")
    hidden = involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Patrol")
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled domestic abuse")
    nurse = sign_in(Client(), _third_agency_nurse(sw))
    found = nurse.post(
        "/api/v1/children/search/", data={"nhs_number": "4000000020"}, content_type="application/json", **H
    )
    assert [row["id"] for row in found.json()["results"]] == [child.pk]
    return child, hidden, ended, nurse


def test_an_ended_involvement_the_shield_withholds_answers_as_a_missing_one(sw: World) -> None:
    """ "This involvement has already ended" would date a past agency of the shielded child: 404, page and API."""
    child, _, ended, nurse = _found_shielded(sw)
    page = nurse.get(f"/children/{child.pk}/involvements/{ended.pk}/end/")
    posted = nurse.post(f"/children/{child.pk}/involvements/{ended.pk}/end/", {"reason": "Not ours"})
    api = nurse.post(f"/api/v1/involvements/{ended.pk}/end/", data={"reason": "x"}, content_type="application/json")
    assert (page.status_code, posted.status_code, api.status_code) == (404, 404, 404)


def test_the_shielding_agencys_involvement_stays_in_scope_for_a_reader_who_found_the_child(sw: World) -> None:
    """The shield names the shielding agency (the contact): its involvement is not hidden, so ending it is the
    403 of an involvement that is not the reader's, never a 404."""
    child, hidden, _, nurse = _found_shielded(sw)
    shielding = child.involvements.get(agency=sw.home)
    page = nurse.get(f"/children/{child.pk}/involvements/{shielding.pk}/end/")
    api = nurse.post(f"/api/v1/involvements/{shielding.pk}/end/", data={"reason": "x"}, content_type="application/json")
    assert (page.status_code, api.status_code) == (403, 403)
    # An involved agency is not withheld from: the police see (and may end) their own, and the council's is a 403.
    police = sign_in(Client(), sw.users["other_agency"])
    own = police.get(f"/children/{child.pk}/involvements/{hidden.pk}/end/")
    theirs = police.get(f"/children/{child.pk}/involvements/{shielding.pk}/end/")
    assert (own.status_code, theirs.status_code) == (200, 403)


# --- Finding 4: an initial with a date of birth is refused like a date of birth alone ---------------------------


@pytest.mark.parametrize("name", ["Z", "Q", "Z Q", "Z.Q."])
def test_an_initial_with_a_date_of_birth_is_refused_on_the_name_by_the_page_and_the_api(sw: World, name: str) -> None:
    make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    client = sign_in(Client(), sw.users["other_agency"])
    page = client.post(
        "/children/",
        {"purpose": PURPOSE, "name": name, "born_on_day": "9", "born_on_month": "9", "born_on_year": "2012"},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "an initial with a date of birth would list many children" in html
    assert 'href="#id_name"' in html  # the error summary points at the name
    api = client.post(
        "/api/v1/children/search/",
        data={"name": name, "born_on": "2012-09-09"},
        content_type="application/json",
        **H,
    )
    assert api.status_code == 400 and api.json()["error"]["fields"] == {"name": [rules.INITIAL_WITH_BIRTH_DATE]}
    assert not AuditEvent.objects.filter(kind="child.search").exists()


@pytest.mark.parametrize("name", ["Zara", "Quinn", "Z Quinn", "Zara Quinn"])
def test_a_whole_name_with_the_date_of_birth_still_finds_the_child(sw: World, name: str) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    client = sign_in(Client(), sw.users["other_agency"])
    api = client.post(
        "/api/v1/children/search/",
        data={"name": name, "born_on": "2012-09-09"},
        content_type="application/json",
        **H,
    )
    assert api.status_code == 200 and [row["id"] for row in api.json()["results"]] == [child.pk]


# --- Finding 3: a merge into a shielded child tells the agencies it brings in that the child is shielded -------


def _police_duplicate_of_shielded(sw: World, *, shielded_duplicate: bool = False) -> tuple[Any, Any, Any]:
    manager = make_user(name="Dora Police Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    train(manager)
    keep = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True)
    merge = make_child(
        sw,
        "Zara",
        "Quinne",
        born_on=date(2012, 9, 9),
        by="other_agency",
        agency=sw.other,
        considered=[keep.pk],
        service="Public protection",
        shielded=shielded_duplicate,
    )
    return keep, merge, manager


@pytest.mark.parametrize("door", ["page", "api"])
def test_a_merge_into_a_shielded_child_tells_the_agencies_brought_in_by_the_page_and_the_api(
    sw: World, door: str
) -> None:
    keep, merge, manager = _police_duplicate_of_shielded(sw)
    admin = sign_in(Client(), sw.users["partnership_admin"])
    if door == "page":
        admin.post(f"/children/{keep.pk}/merge/", {"other": str(merge.pk), "reason": "The same child"})
        answer = admin.post(f"/children/{keep.pk}/merge/check/", {})
        assert answer.status_code == 302, answer.content.decode()[:1000]
    else:
        answer = admin.post(
            f"/api/v1/children/{keep.pk}/merge/",
            data={"merge": merge.pk, "reason": "The same child"},
            content_type="application/json",
            **H,
        )
        assert answer.status_code == 200, answer.content[:300]
    told = Notification.objects.filter(subject=f"Child {keep.pk} is now shielded")
    assert list(told.values_list("recipient_id", flat=True)) == [manager.pk]
    assert "Withhold its address" in told.get().body and sw.home.name in told.get().body
    # The merge's audit events say who was told; the council (the shielding agency) is not told its own shield.
    events = AuditEvent.objects.filter(kind="child.merge")
    assert {tuple(event.detail.get("told_shielded", ())) for event in events} == {(sw.other.pk,)}
    council = {sw.users["designated_manager"].pk, sw.users["agency_admin"].pk}
    assert not told.filter(recipient_id__in=council).exists()


def test_a_merge_of_an_entry_shielded_by_another_agency_tells_its_agencies_whose_shield_the_child_keeps(
    sw: World,
) -> None:
    """Both entries shielded, by different agencies: the kept entry's shield stays, so the police (who shielded
    the merged entry) are told the child is now shielded by the council, whose shield decides who reaches it."""
    keep, merge, manager = _police_duplicate_of_shielded(sw, shielded_duplicate=True)
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="The same child")
    told = Notification.objects.filter(subject=f"Child {keep.pk} is now shielded", recipient=manager)
    assert told.count() == 1 and told.get().body.startswith(f"{sw.home.name} says")


def test_a_merge_of_two_unshielded_entries_tells_nobody_of_a_shield(sw: World) -> None:
    keep = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    merge = make_child(
        sw, "Zara", "Quinne", born_on=date(2012, 9, 9), by="other_agency", agency=sw.other, considered=[keep.pk]
    )
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="The same child")
    assert not Notification.objects.filter(subject__contains="shielded").exists()
    assert not any("told_shielded" in event.detail for event in AuditEvent.objects.filter(kind="child.merge"))


# --- Finding 8: a later date of birth is refused when recorded things would then precede the birth ----------------


def _contact(sw: World, child: Any, on: str, **kw: Any) -> RecordEntry:
    return entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="contact",
        fields={"contact_type": "home_visit", "contact_date": on},
        text="Visited at home",
        basis="fact",
        **kw,
    )


def test_the_entries_rule_counts_entries_and_keeps_pre_birth_child_protection_work() -> None:
    born = date(2016, 1, 1)
    entries = [
        (1, "contact", {"contact_type": "phone", "contact_date": "2015-06-01"}),
        (2, "contact", {"contact_type": "phone", "contact_date": "2016-02-01"}),
        (3, "cp_meeting", {"meeting_type": "initial_conference", "held_on": "2015-10-01"}),  # within 40 weeks
        (4, "cp_meeting", {"meeting_type": "initial_conference", "held_on": "2014-10-01"}),  # long before
        (5, "case_note", {}),
    ]
    assert rules.entries_dated_before_birth(born, entries) == {1: date(2015, 6, 1), 4: date(2014, 10, 1)}
    said = rules.born_on_change_error(born, shown=[date(2015, 6, 1), date(2014, 10, 1)], hidden=0, begun=[])
    assert said is not None and "2 entries" in said and "1 October 2014" in said
    hidden = rules.born_on_change_error(born, shown=[], hidden=1, begun=[])
    assert hidden is not None and "entry" not in hidden and "2014" not in hidden  # a restricted one not told of
    assert rules.born_on_change_error(born, shown=[], hidden=0, begun=[date(2016, 1, 1)]) is None
    begun = rules.born_on_change_error(born, shown=[], hidden=0, begun=[date(2015, 12, 31)])
    assert begun is not None and "31 December 2015" in begun


def test_a_later_date_of_birth_is_refused_on_the_page_naming_the_entries(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2015, 4, 2))
    _contact(sw, child, "2015-06-01")
    _contact(sw, child, "2015-08-01")
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.post(
        f"/children/{child.pk}/change/born-on/",
        {"born_on_day": "1", "born_on_month": "1", "born_on_year": "2016"},
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "2 entries recorded about the child" in page and "1 June 2015" in page
    assert Child.objects.get(pk=child.pk).born_on == date(2015, 4, 2)
    assert not AuditEvent.objects.filter(kind="child.update").exists()


def test_a_later_date_of_birth_is_allowed_when_only_pre_birth_child_protection_work_precedes_it(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2015, 4, 2))
    entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="cp_meeting",
        fields={"meeting_type": "initial_conference", "held_on": "2015-05-01"},
        basis="fact",
    )
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.patch(
        f"/api/v1/children/{child.pk}/", data={"born_on": "2015-09-01"}, content_type="application/json", **H
    )
    assert answer.status_code == 200, answer.content[:300]
    assert Child.objects.get(pk=child.pk).born_on == date(2015, 9, 1)


def test_a_later_date_of_birth_is_refused_when_an_involvement_would_begin_before_it(sw: World) -> None:
    """The same fact through the other dated rows: nothing about a child begins before its birth."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2015, 4, 2))
    involvement_add(
        actor=fresh(sw.users["other_agency"]),
        child=child,
        agency=sw.other,
        service="Public protection",
        started_on=date(2015, 5, 1),
    )
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.patch(
        f"/api/v1/children/{child.pk}/", data={"born_on": "2015-06-01"}, content_type="application/json", **H
    )
    assert answer.status_code == 400
    assert "1 May 2015" in answer.json()["error"]["fields"]["born_on"][0]
    assert Child.objects.get(pk=child.pk).born_on == date(2015, 4, 2)


def test_a_restricted_entry_the_changer_may_not_know_of_refuses_without_being_told_of(sw: World) -> None:
    """The police (involved) change the date of birth past the council's restricted contact: refused (the record
    must stay true), but neither counted nor dated, so the refusal does not tell of the restricted entry."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2015, 4, 2))
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    _contact(sw, child, "2015-06-01", restricted=True)
    police = sign_in(Client(), sw.users["other_agency"])
    answer = police.patch(
        f"/api/v1/children/{child.pk}/", data={"born_on": "2015-07-01"}, content_type="application/json", **H
    )
    assert answer.status_code == 400
    message = answer.json()["error"]["fields"]["born_on"][0]
    assert "entry" not in message and "June" not in message, message


# --- Finding 9: a legal name changed to an alias leaves no alias equal to it ---------------------------------------


def _names(child: Any) -> list[tuple[str, str, str]]:
    return sorted(ChildName.objects.filter(child=child).values_list("kind", "given", "family"))


@pytest.mark.parametrize(("kind", "how"), [("known_as", "change"), ("known_as", "correction"), ("previous", "change")])
def test_a_legal_name_changed_on_the_page_to_an_alias_removes_the_alias_and_says_so(
    sw: World, kind: str, how: str
) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), aliases=[(kind, "Zed", "Quinn")])
    reader = sign_in(Client(), sw.users["practitioner"])
    body = {"given": "zed", "family": "Quinn", "name_change": how}  # capitals do not make another name
    if how == "correction":
        body["reason"] = "The legal name was recorded wrongly"
    answer = reader.post(f"/children/{child.pk}/change/name/", body)
    assert answer.status_code == 302, answer.content.decode()[:1500]
    names = _names(child)
    assert [(k, g, f) for k, g, f in names if k == "legal"] == [("legal", "zed", "Quinn")]
    assert not [n for n in names if n[0] == kind and n[1].lower() == "zed"], names
    event = AuditEvent.objects.get(kind="child.update")
    assert event.detail["names_removed"] == [kind] and "Zed" not in str(event.detail)


def test_a_legal_name_changed_through_the_api_keeps_the_aliases_that_differ(sw: World) -> None:
    child = make_child(
        sw,
        "Zara",
        "Quinn",
        born_on=date(2012, 9, 9),
        aliases=[("known_as", "Zed", "Quinn"), ("known_as", "Zee", "Quinn")],
    )
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.patch(
        f"/api/v1/children/{child.pk}/",
        data={"given": "Zed", "name_change": "change"},
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 200, answer.content[:300]
    assert _names(child) == [
        ("known_as", "Zee", "Quinn"),
        ("legal", "Zed", "Quinn"),
        ("previous", "Zara", "Quinn"),
    ]
    assert AuditEvent.objects.get(kind="child.update").detail["names_removed"] == ["known_as"]
