"""Issue 10, findings 13 to 17 and the cosmetic ones of the break10b tester (/tmp/findings.md): a known-as name
with the family name, a legal name corrected or changed, dates before birth, NHS numbers that are placeholders or
sent as JSON numbers, repeated languages, the date-of-birth example, the phone bound and a repeated query
parameter. Pure rules first (with hypothesis properties for the kind), then the services that enforce them, then
the web and the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from sharing import rules
from sharing.api.child_shapes import ChildChangeIn, ChildCreateIn
from sharing.forms import ChildChangeForm, ChildForm
from sharing.models import Child, ChildName, NameKind
from sharing.selectors import child_search
from sharing.services import (
    MinimumData,
    NameChange,
    child_address_change,
    child_name_add,
    child_update,
    involvement_add,
    minimum_data_of,
)
from tests.factories import World
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

BORN = date(2015, 4, 2)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)


# --- Rules ------------------------------------------------------------------------------------------------------


@given(words, words, words)
def test_a_known_as_given_name_is_found_with_the_legal_family_name(alias: str, family: str, other: str) -> None:
    """Finding 13: "Effie O'Brien" finds a child known as Effie whose legal family name is O'Brien, and the alias
    is found as before (its own keys are kept)."""
    keys = rules.alias_index_keys(alias, "", family)
    assert rules.name_match(rules.name_query(f"{alias} {family}"), keys)[0]
    assert rules.name_match(rules.name_query(f"{family} {alias}"), keys)[0]
    assert rules.name_index_keys(alias, other) <= rules.alias_index_keys(alias, other, family)


def test_effie_obrien_and_mo_larkspur() -> None:
    assert rules.name_match(rules.name_query("Effie O'Brien"), rules.alias_index_keys("Effie", "", "O’Brien"))[0]
    assert rules.name_match(rules.name_query("Mo Larkspur"), rules.alias_index_keys("Mo", "", "Larkspur"))[0]
    assert not rules.name_match(rules.name_query("Mo Larkspur"), rules.name_index_keys("Mo", ""))[0]


@pytest.mark.parametrize("digit", "0123456789")
def test_one_digit_repeated_is_a_placeholder_not_an_nhs_number(digit: str) -> None:
    with pytest.raises(rules.RuleError, match="placeholder"):
        rules.nhs_number_normalised(digit * 10)


@pytest.mark.parametrize("typed", ["943\t476\t5919", "943\n476 5919", "943\r4765919", "943\u00a0476\u00a05919"])
def test_only_spaces_and_hyphens_separate_the_digits(typed: str) -> None:
    with pytest.raises(rules.RuleError, match="spaces or hyphens"):
        rules.nhs_number_normalised(typed)


@given(st.dates(min_value=date(1990, 1, 1)), st.integers(min_value=-4000, max_value=4000))
def test_nothing_about_a_child_begins_before_its_birth(born: date, offset: int) -> None:
    day = born + timedelta(days=offset)
    problem = rules.before_birth_error(day, born, "The start date")
    assert (problem is None) == (day >= born)
    if problem:
        assert problem.startswith("The start date must be on or after") and str(born.year) in problem


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_the_date_of_birth_example_is_always_a_past_real_date(today: date) -> None:
    day, month, year = (int(part) for part in rules.birth_date_example(today).split())
    assert date(year, month, day) < today


def test_repeated_languages_are_kept_once_in_the_first_spelling() -> None:
    assert rules.languages_distinct(["Polish", "polish", " Irish ", "POLISH", "Irish  Gaelic", "irish gaelic"]) == [
        "Polish",
        "Irish",
        "Irish Gaelic",
    ]


# --- Services ---------------------------------------------------------------------------------------------------


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def found(world: World, name: str, **criteria: Any) -> set[int]:
    search = child_search(principal=fresh(world.users["practitioner"]), purpose=PURPOSE, name=name, **criteria)
    return {result.child_id for result in search.results}


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {name: " ".join(messages) for name, messages in caught.value.message_dict.items()}


@pytest.mark.django_db
def test_a_known_as_name_is_searched_with_the_family_name_through_every_change(sw: World) -> None:
    child = make_child(sw, "Euphemia", "O’Brien", aliases=[("known_as", "Effie", "")])
    assert child.pk in found(sw, "Effie O'Brien") and child.pk in found(sw, "Effie", born_on=child.born_on)
    child_name_add(actor=fresh(sw.users["practitioner"]), child=child, kind="known_as", given="Mo", family="")
    assert child.pk in found(sw, "Mo O Brien")
    # The family name changes: the names it is known by now combine with the new one, and the old still finds it
    # (the old legal name is a previous name).
    child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=("Euphemia", "Larkspur"),
    )
    assert child.pk in found(sw, "Mo Larkspur") and child.pk in found(sw, "Effie Larkspur")
    assert child.pk in found(sw, "Euphemia O'Brien")


@pytest.mark.django_db
def test_a_shielded_child_is_still_found_only_by_a_recorded_name_exactly(sw: World) -> None:
    child = make_child(sw, "Euphemia", "Quinn", aliases=[("known_as", "Effie", "")], shielded=True)
    searcher = fresh(sw.users["other_agency"])
    combined = child_search(principal=searcher, purpose=PURPOSE, name="Effie Quinn", born_on=child.born_on)
    assert child.pk not in {result.child_id for result in combined.results}


def legal_and_previous(child: Child) -> list[tuple[str, str, str]]:
    return sorted(
        (name.kind, name.given, name.family)
        for name in ChildName.objects.filter(child=child, kind__in=[NameKind.LEGAL, NameKind.PREVIOUS])
    )


@pytest.mark.django_db
def test_the_same_name_again_changes_nothing(sw: World) -> None:
    child = make_child(sw, "Seraphina", "Elderwick")
    before = AuditEvent.objects.filter(kind="child.update").count()
    child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=(" Seraphina ", "Elderwick  "),
    )
    assert legal_and_previous(child) == [("legal", "Seraphina", "Elderwick")]
    assert AuditEvent.objects.filter(kind="child.update").count() == before


@pytest.mark.django_db
def test_a_correction_replaces_the_name_with_its_reason_and_a_change_keeps_the_old_one(sw: World) -> None:
    child = make_child(sw, "Seraphina", "Elderwik")
    actor = fresh(sw.users["practitioner"])
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=actor,
            child=child,
            data=minimum_data_of(child),
            name=("Seraphina", "Elderwick"),
            name_change="correction",
        )
    assert "mistake" in errors_of(caught)["reason"]
    child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=("Seraphina", "Elderwick"),
        name_change=NameChange.CORRECTION,
        reason="Typed wrongly at referral",
    )
    assert legal_and_previous(child) == [("legal", "Seraphina", "Elderwick")]
    assert not ChildName.objects.filter(child=child, family="Elderwik").exists()
    event = AuditEvent.objects.filter(kind="child.update").latest("pk")
    assert event.detail["name_change"] == "correction"
    assert event.detail["reason_length"] == len("Typed wrongly at referral") and "reason" not in event.detail
    # A change of name keeps the old one as a previous name.
    child_update(
        actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child), name=("Seraphina", "Moss")
    )
    assert legal_and_previous(child) == [("legal", "Seraphina", "Moss"), ("previous", "Seraphina", "Elderwick")]
    # Going back to the former name: never the same name as legal and previous.
    child_update(
        actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child), name=("Seraphina", "Elderwick")
    )
    assert legal_and_previous(child) == [("legal", "Seraphina", "Elderwick"), ("previous", "Seraphina", "Moss")]
    # A change of case or accents only is the same name: a correction, whatever was said, so it asks why
    # (breakt11l F5: a correction keeps its reason).
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]),
            child=child,
            data=minimum_data_of(child),
            name=("Séraphina", "ELDERWICK"),
        )
    assert "recorded as a correction of a mistake" in errors_of(caught)["reason"]
    child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=("Séraphina", "ELDERWICK"),
        reason="The accent and the capitals of the birth certificate",
    )
    assert legal_and_previous(child) == [("legal", "Séraphina", "ELDERWICK"), ("previous", "Seraphina", "Moss")]
    assert child.pk in found(sw, "Seraphina Moss") and child.pk in found(sw, "Seraphina Elderwick")


@pytest.mark.django_db
def test_dates_before_the_childs_birth_are_refused_naming_it(sw: World) -> None:
    child = make_child(sw, born_on=BORN)
    with pytest.raises(ValidationError) as caught:
        involvement_add(
            actor=fresh(sw.users["other_agency"]),
            child=child,
            agency=sw.other,
            service="Public protection",
            started_on=date(2001, 1, 1),
        )
    assert "on or after the child's date of birth, 2 April 2015" in errors_of(caught)["started_on"]
    with pytest.raises(ValidationError) as caught:
        child_address_change(
            actor=fresh(sw.users["practitioner"]),
            child=child,
            address="2 New Road",
            postcode="SW1A 1AA",
            moved_on=date(2014, 6, 1),
        )
    assert "2 April 2015" in errors_of(caught)["moved_on"]
    from sharing.services import child_create

    with pytest.raises(ValidationError) as caught:
        child_create(
            actor=fresh(sw.users["practitioner"]),
            agency=sw.home,
            given="Anwen",
            family="Price",
            data=MinimumData(born_on=BORN, area="Northbridge"),
            service="Children's social care",
            address="3 Old Road",
            postcode="N1 9GU",
            address_from=date(2014, 1, 1),
            involved_from=date(2013, 1, 1),
        )
    errors = errors_of(caught)
    assert "2 April 2015" in errors["address_from"] and "2 April 2015" in errors["involved_from"]
    # On the day of birth is fine.
    involvement_add(
        actor=fresh(sw.users["other_agency"]),
        child=child,
        agency=sw.other,
        service="Public protection",
        started_on=BORN,
    )


@pytest.mark.django_db
def test_repeated_languages_are_stored_once_and_a_placeholder_nhs_number_is_refused(sw: World) -> None:
    child = make_child(sw, languages=["Polish", "polish", "Irish"])
    assert child.languages == ["Polish", "Irish"]
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, nhs_number="0000000000")
        )
    assert "placeholder" in errors_of(caught)["nhs_number"]


# --- The API and the pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_an_nhs_number_sent_as_a_json_number(sw: World) -> None:
    child = make_child(sw)
    client = client_as(sw, "practitioner")
    for number in (9434765919, 100000002):
        answer = client.patch(
            f"/api/v1/children/{child.pk}/", data={"nhs_number": number}, content_type="application/json"
        )
        assert answer.status_code == 400 and "as a string" in answer.json()["error"]["fields"]["nhs_number"][0], (
            answer.content
        )
        searched = client.post(
            "/api/v1/children/search/",
            data={"nhs_number": number},
            content_type="application/json",
            HTTP_X_PURPOSE=PURPOSE,
        )
        assert searched.status_code == 400 and "as a string" in searched.json()["error"]["fields"]["nhs_number"][0]
    child.refresh_from_db()
    assert child.nhs_number is None
    nine = client.patch(
        f"/api/v1/children/{child.pk}/", data={"nhs_number": "100000002"}, content_type="application/json"
    )
    assert nine.status_code == 400 and "10 digits" in nine.json()["error"]["fields"]["nhs_number"][0]


@pytest.mark.django_db
def test_the_api_corrects_a_legal_name_with_its_reason(sw: World) -> None:
    child = make_child(sw, "Seraphina", "Elderwik")
    client = client_as(sw, "practitioner")
    answer = client.patch(
        f"/api/v1/children/{child.pk}/",
        data={"family": "Elderwick", "name_change": "correction", "reason": "Typo"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert legal_and_previous(child) == [("legal", "Seraphina", "Elderwick")]


@pytest.mark.django_db
def test_the_change_page_asks_whether_the_name_was_a_mistake(sw: World) -> None:
    child = make_child(sw, "Seraphina", "Elderwik")
    client = client_as(sw, "practitioner")
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = client.get(f"/children/{child.pk}/change/name/").content.decode()
    assert "Is this a correction of a mistake, or has the child" in page
    sent = client.post(
        f"/children/{child.pk}/change/name/",
        {"given": "Seraphina", "family": "Elderwick", "name_change": "correction", "reason": "Typo at referral"},
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert legal_and_previous(child) == [("legal", "Seraphina", "Elderwick")]


@pytest.mark.django_db
def test_a_repeated_query_parameter_is_refused_not_the_last_used(sw: World) -> None:
    child = make_child(sw)
    client = client_as(sw, "practitioner")
    answer = client.get(f"/api/v1/children/{child.pk}/?fields=id&fields=phone", HTTP_X_PURPOSE=PURPOSE)
    assert answer.status_code == 400 and "once" in answer.json()["error"]["fields"]["fields"][0]
    assert client.get(f"/api/v1/children/{child.pk}/?fields=id,phone", HTTP_X_PURPOSE=PURPOSE).status_code == 200


@pytest.mark.django_db  # the change form reads the partnership's areas for its select
def test_the_web_and_the_api_bound_the_phone_alike() -> None:
    from isp_portal import bounds

    web = {
        ChildForm(agencies=[]).fields["phone"].max_length,
        ChildChangeForm(fields=("phone",)).fields["phone"].max_length,
    }
    api = {ChildCreateIn().fields["phone"].max_length, ChildChangeIn().fields["phone"].max_length}
    assert web == api == {bounds.PHONE}


def test_the_date_of_birth_error_gives_a_past_example() -> None:
    form = ChildChangeForm({"born_on_day": "31", "born_on_month": "2", "born_on_year": "2015"}, fields=("born_on",))
    assert not form.is_valid()
    message = form.errors["born_on"][0]
    example = message.rsplit("for example ", 1)[1]
    day, month, year = (int(part) for part in example.split())
    assert date(year, month, day) < date.today(), message


# --- Merging entries whose dates of birth differ (finding 15) ----------------------------------------------------


def two_entries(world: World) -> tuple[Child, Child]:
    keep = make_child(world, "Sam", "Smith", born_on=date(2014, 1, 5))
    merge = make_child(
        world,
        "Samuel",
        "Smithers",
        born_on=date(2010, 3, 7),
        by="other_agency",
        agency=world.other,
        considered=[keep.pk],
        postcode="B33 8TH",
    )
    return keep, merge


@pytest.mark.django_db
def test_entries_with_different_dates_of_birth_merge_only_when_confirmed_and_the_old_date_still_finds(
    sw: World,
) -> None:
    from sharing.services import child_merge

    keep, merge = two_entries(sw)
    with pytest.raises(ValidationError) as caught:
        child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    assert "5 January 2014" in errors_of(caught)["confirm"] and "7 March 2010" in errors_of(caught)["confirm"]
    assert not Child.objects.filter(merged_into=keep).exists()
    child_merge(
        actor=fresh(sw.users["partnership_admin"]),
        keep=keep,
        merge=merge,
        reason="Same child; 2014 is right",
        differences_confirmed=True,
    )
    event = AuditEvent.objects.filter(kind="child.merge").latest("pk")
    assert event.detail["dates_of_birth_differed"] is True
    # The merged entry's exact old name and date of birth lead to the kept child; the kept one's still does.
    assert found(sw, "Samuel Smithers", born_on=date(2010, 3, 7)) == {keep.pk}
    assert found(sw, "Samuel Smithers", born_on=date(2010, 3, 7), postcode="B33 8TH") == {keep.pk}
    assert found(sw, "Sam Smith", born_on=date(2014, 1, 5)) == {keep.pk}
    assert found(sw, "Sam Smith", born_on=date(2010, 3, 7)) == set()
    # Correcting the kept child's date of birth moves its own names' keys, not the merged ones'.
    keep.refresh_from_db()
    child_update(
        actor=fresh(sw.users["practitioner"]), child=keep, data=minimum_data_of(keep, born_on=date(2014, 1, 6))
    )
    assert found(sw, "Sam Smith", born_on=date(2014, 1, 6)) == {keep.pk}
    assert found(sw, "Samuel Smithers", born_on=date(2010, 3, 7)) == {keep.pk}
    # So does a change of its family name (the aliases' keys are rebuilt with the new one).
    keep.refresh_from_db()
    child_update(
        actor=fresh(sw.users["practitioner"]), child=keep, data=minimum_data_of(keep), name=("Sam", "Brackenbury")
    )
    assert found(sw, "Samuel Smithers", born_on=date(2010, 3, 7)) == {keep.pk}
    assert found(sw, "Samuel Brackenbury", born_on=date(2010, 3, 7)) == {keep.pk}


@pytest.mark.django_db
def test_the_merge_check_page_warns_and_asks_for_the_confirmation(sw: World) -> None:
    keep, merge = two_entries(sw)
    client = client_as(sw, "partnership_admin")
    sent = client.post(f"/children/{keep.pk}/merge/", {"other": str(merge.pk), "reason": "Same child"})
    check = client.get(sent["Location"]).content.decode()
    assert "The dates of birth differ" in check and 'name="confirm"' in check
    refused = client.post(sent["Location"])
    assert refused.status_code == 200 and "The dates of birth differ" in refused.content.decode()
    assert not Child.objects.filter(merged_into=keep).exists()
    done = client.post(sent["Location"], {"confirm": "yes"})
    assert done.status_code == 302
    assert Child.objects.filter(merged_into=keep).exists()
    api = client_as(sw, "partnership_admin")
    other_keep = make_child(sw, "Ada", "Lane", born_on=date(2016, 1, 1))
    other_merge = make_child(
        sw, "Ada", "Lane", born_on=date(2016, 2, 1), by="other_agency", agency=sw.other, considered=[other_keep.pk]
    )
    url = f"/api/v1/children/{other_keep.pk}/merge/"
    body = {"merge": other_merge.pk, "reason": "Same child"}
    refused_api = api.post(url, data=body, content_type="application/json", HTTP_X_PURPOSE=PURPOSE)
    assert refused_api.status_code == 400 and "confirm" in refused_api.json()["error"]["fields"]
    merged = api.post(url, data={**body, "confirm": True}, content_type="application/json", HTTP_X_PURPOSE=PURPOSE)
    assert merged.status_code in (200, 201), merged.content
