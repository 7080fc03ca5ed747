"""fix10h's fixes of break10g's findings, beyond the findings' own tests (tests/sharing/test_break10g_findings.py):
the initial's sounds-alike spellings checked against Metaphone itself; a given name of several words with the
family initial read bounded and never finding a shielded child; restricted authorisations cleared (audited) when
an agency stops being a local authority; a write about a child merged meanwhile refused by field; the likely-match
check's criteria. Data is built through the services (name keys added in bulk stand for a large index)."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import jellyfish
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from agencies.models import AgencyKind, Membership
from agencies.services import agency_update
from audit.models import AuditEvent
from sharing import rules
from sharing.models import Child, ChildName, ChildNameKey
from sharing.selectors import child_search, likely_matches
from sharing.selectors import children as child_selectors
from sharing.services import (
    child_address_change,
    child_merge,
    child_name_add,
    child_update,
    entry_record,
    involvement_add,
)
from sharing.services.children import minimum_data_of
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

BORN = date(2013, 6, 14)
H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}

# Metaphone's own readings of a word's first letters (it drops the first letter of "ae", "gn", "kn", "pn", "wr";
# reads "wh" as "w" and "x" as "s"), and the other two-letter spellings of one sound the initial reading knows.
_METAPHONE_STARTS = ("ae", "gn", "kn", "pn", "wr", "wh", "x")
_STARTS = _METAPHONE_STARTS + rules._INITIAL_DIGRAPHS + tuple(string.ascii_lowercase)


@given(rest=st.text(alphabet="aeiourlnmdtsyhk", min_size=2, max_size=8))
def test_the_initial_reading_agrees_with_metaphone_on_how_a_name_begins(rest: str) -> None:
    """Two spellings of a given name that Metaphone reads alike (as the full name is searched: "Eron Quinn" finds
    Aeron Quinn), one beginning with any of the starts and the other with any letter, then the same letters: for
    the family-initial reading, each one's sounds-alike initials hold the other's first letter ("Eron Q" finds
    Aeron Quinn too), whichever is typed."""
    for start in _STARTS:
        for letter in string.ascii_lowercase:
            stored, typed = start + rest, letter + rest
            code = jellyfish.metaphone(typed)
            if len(typed) < rules.NAME_SOUNDS_ALIKE_MIN or not code or jellyfish.metaphone(stored) != code:
                continue  # no sounds-alike reading of the full name either (rules._phonetic)
            assert stored[0] in rules.sounds_alike_initials(typed), (stored, typed)
            assert typed[0] in rules.sounds_alike_initials(stored), (stored, typed)


@pytest.mark.parametrize(
    ("stored", "query"),
    [(("Nora", "Quinn"), "Knora Q"), (("Rena", "Quinn"), "Wrena Q"), (("Xena", "Quinn"), "Sena Q")],
)
def test_metaphones_initial_rewrites_find_the_child_with_the_family_initial(
    stored: tuple[str, str], query: str
) -> None:
    assert rules.name_match(rules.name_query(query), rules.name_index_keys(*stored)) == (True, False)


def test_the_family_initial_reading_of_several_given_names_is_bounded() -> None:
    """Whatever the words, at most two given-name keys (the join's, as written and by sound) and 26 prefixes; a
    single letter among the given names, or initials only, is not read as a given name with the family initial."""
    query = rules.name_query("Mary Ann Jo Zara Bea Cleo Q")
    assert len(query.given_keys) <= 2 and 0 < len(query.family_initials) <= 26
    assert rules.name_query("Mary J Q").family_initials == ()
    assert rules.name_query("J S Q").family_initials == ()
    assert rules.name_query("Mary Ann Quinn").family_initials == ()


@pytest.mark.django_db
def test_a_given_name_of_two_words_with_the_family_initial_finds_the_child_by_name_alone(world: World) -> None:
    sharing_world(world)
    child = make_child(world, "Mary-Ann", "Quinn", born_on=BORN)
    make_child(world, "Mary", "Quinn", born_on=date(2012, 1, 1), considered=range(100_000))
    found = child_search(principal=fresh(world.users["practitioner"]), purpose=PURPOSE, name="Mary Ann Q")
    assert [result.child_id for result in found.results] == [child.pk]


@pytest.mark.django_db
def test_a_given_name_of_two_words_with_the_family_initial_never_finds_a_shielded_child(world: World) -> None:
    sharing_world(world)
    make_child(world, "Mary-Ann", "Quinn", born_on=BORN, shielded=True)
    principal = fresh(world.users["other_agency"])
    assert child_search(principal=principal, purpose=PURPOSE, name="Mary-Ann Q", born_on=BORN).results == []
    assert child_search(principal=fresh(world.users["other_agency"]), purpose=PURPOSE, name="Mary-Ann Q").results == []


@pytest.mark.django_db
def test_a_full_read_of_the_initials_range_says_more_for_a_given_name_of_two_words(world: World) -> None:
    """More than HITS_CAP keys in "M… Q…" and none of them a Mary-Ann: the three-word search reads HITS_CAP of
    them, finds nothing and says "more" (narrow the search), as the two-word one does (fix10f)."""
    sharing_world(world)
    child = make_child(world, "Zoe", "Quayle", born_on=BORN)
    name = ChildName.objects.get(child=child, kind="legal")
    ChildNameKey.objects.bulk_create(
        ChildNameKey(name=name, child=child, born_on=BORN, key=f"ti:m|q{index:05d}x")
        for index in range(child_selectors.HITS_CAP + 10)
    )
    found = child_search(principal=fresh(world.users["practitioner"]), purpose=PURPOSE, name="Mary Ann Q")
    assert (found.results, found.more) == ([], True)


@pytest.mark.django_db
def test_an_agency_no_longer_a_local_authority_has_its_restricted_authorisations_cleared(world: World) -> None:
    """The flag is cleared, with an audit event on the membership, and correcting the kind back does not bring
    it back: someone must authorise the person again."""
    sharing_world(world)
    membership = Membership.objects.get(user=world.users["restricted"])
    admin = fresh(world.users["partnership_admin"])
    agency_update(actor=admin, agency=world.home, kind=AgencyKind.VOLUNTARY)
    membership.refresh_from_db()
    assert not membership.authorised_for_restricted
    event = AuditEvent.objects.filter(kind="membership.update", object_id=str(membership.pk)).latest("pk")
    assert event.detail["changed"] == {"authorised_for_restricted": [True, False]}
    agency_update(actor=fresh(world.users["partnership_admin"]), agency=world.home, kind=AgencyKind.LOCAL_AUTHORITY)
    membership.refresh_from_db()
    assert not membership.authorised_for_restricted


@pytest.mark.django_db
def test_a_flag_left_on_outside_a_local_authority_reads_nothing(world: World) -> None:
    """The read rule asks the agency's kind itself (agencies.policy.may_be_authorised_for_restricted), not only the
    flag: a flag written outside the services (say, restored from a backup) gives nothing."""
    from agencies.models import Agency
    from sharing.policy import restricted_readers

    sharing_world(world)
    child = make_child(world, "Mary", "Quinn", born_on=BORN)
    assert restricted_readers(fresh(world.users["restricted"]), child.area_id, world.home.pk)
    Agency.objects.filter(pk=world.home.pk).update(kind=AgencyKind.VOLUNTARY)  # no service: the flag stays
    assert Membership.objects.get(user=world.users["restricted"]).authorised_for_restricted
    assert not restricted_readers(fresh(world.users["restricted"]), child.area_id, world.home.pk)


def _merged_away(world: World) -> tuple[Child, Child]:
    """Mary Quinn and her duplicate Marie as a form read it, then merged into Mary."""
    sharing_world(world)
    keep = make_child(world, "Mary", "Quinn", born_on=BORN)
    duplicate = make_child(world, "Marie", "Quinn", born_on=BORN, considered=range(100_000))
    stale = Child.objects.get(pk=duplicate.pk)
    child_merge(actor=fresh(world.users["partnership_admin"]), keep=keep, merge=duplicate, reason="The same child")
    return keep, stale


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["entry", "name", "address", "involvement", "update"])
def test_a_write_about_a_child_merged_meanwhile_is_refused_by_field(world: World, write: str) -> None:
    """The form was read before the merge; the save finds the child merged and is refused on `child` with the
    policy's words, writing nothing (the API's 400 by field, the page's form error)."""
    keep, stale = _merged_away(world)
    actor = fresh(world.users["other_agency"] if write == "involvement" else world.users["practitioner"])
    writes: dict[str, Any] = {
        "entry": lambda: entry_record(
            actor=actor, child=stale, agency=world.home, category="case_note", fields={}, text="Seen", basis="fact"
        ),
        "name": lambda: child_name_add(actor=actor, child=stale, kind="known_as", given="Effie", family="Quinn"),
        "address": lambda: child_address_change(actor=actor, child=stale, address="2 New Road", postcode="N1 9GU"),
        "involvement": lambda: involvement_add(actor=actor, child=stale, agency=world.other, service="School nurse"),
        "update": lambda: child_update(
            actor=actor, child=stale, data=minimum_data_of(stale, has_additional_needs=True)
        ),
    }
    with pytest.raises(ValidationError) as refused:
        writes[write]()
    assert refused.value.message_dict == {"child": [rules.merged_refusal(keep.pk)]}
    assert "merged into child" in rules.merged_refusal(keep.pk)


@pytest.mark.django_db
def test_the_likely_match_check_records_every_criterion_given_and_only_those(world: World) -> None:
    sharing_world(world)
    make_child(world, "Mary", "Quinn", born_on=BORN, nhs_number="9434765919")
    found = likely_matches(
        principal=fresh(world.users["other_agency"]),
        purpose=PURPOSE,
        given="Mary",
        family="Quinn",
        born_on=BORN,
        nhs_number="943 476 5919",
        postcode="n19gu",
    )
    assert found.criteria == ("name", "born_on", "nhs_number", "postcode")
    event = AuditEvent.objects.filter(kind="child.match").latest("pk")
    assert event.detail["criteria"] == ["name", "born_on", "nhs_number", "postcode"]
    assert "9434765919" not in str(event.detail) and "N1 9GU" not in str(event.detail)
    response = sign_in(Client(), world.users["other_agency"]).post(
        "/api/v1/children/match/",
        data={"given": "Mary", "family": "Quinn", "born_on": BORN.isoformat(), "postcode": "N1 9GU"},
        content_type="application/json",
        **H,
    )
    assert response.status_code == 200 and response.json()["criteria"] == ["name", "born_on", "postcode"]
