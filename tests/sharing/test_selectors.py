"""Searching the child index and reading a child's record: the name cases from the field against the database,
the other criteria, the ContactPoint shield with its once-a-day notice, the audit events with their purpose, and
a statement count that does not grow with the index."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope
from sharing.models import ShieldedAccess
from sharing.selectors import child_record, child_search, likely_matches
from sharing.services import involvement_add
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def search(world: World, role: str = "practitioner", **criteria: object) -> list[int]:
    found = child_search(principal=fresh(world.users[role]), purpose=PURPOSE, **criteria)  # type: ignore[arg-type]
    return [result.child_id for result in found.results]


@pytest.mark.parametrize(
    ("given", "family", "query"),
    [
        ("Aoife", "O’Brien", "O'Brien"),
        ("Aoife", "O’Brien", "OBrien"),
        ("Aoife", "O’Brien", "O Brien"),
        ("Aoife", "O’Brien", "obrien aoife"),
        ("Łukasz", "Nowak", "Lukasz"),
        ("Søren", "Berg", "Soren Berg"),
        ("Anna", "Strauß", "Strauss"),
        ("Sam", "Smith-Jones", "Smith Jones"),
        ("Sam", "Smith-Jones", "Jones Sam"),
        ("Sam", "Smith", "Smyth"),
    ],
)
def test_a_name_is_found_by_its_variants(sw: World, given: str, family: str, query: str) -> None:
    child = make_child(sw, given, family)
    make_child(sw, "Peter", "Kelly", born_on=date(2013, 3, 3), postcode="M1 1AE")
    assert search(sw, name=query) == [child.pk]


def test_aliases_are_searched_the_same_way(sw: World) -> None:
    child = make_child(sw, "Mary", "Kelly", aliases=[("previous", "Mary", "O’Brien"), ("known_as", "Molly", "")])
    assert search(sw, name="Mary OBrien") == [child.pk]
    assert search(sw, name="molly") == [child.pk]


def test_the_other_criteria_narrow_the_search(sw: World) -> None:
    first = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5), nhs_number="4000000020", postcode="M1 1AE")
    second = make_child(sw, "Sam", "Smith", born_on=date(2015, 6, 6), postcode="B33 8TH")
    assert sorted(search(sw, name="sam smith")) == sorted([first.pk, second.pk])
    assert search(sw, name="sam smith", born_on=date(2015, 6, 6)) == [second.pk]
    assert search(sw, nhs_number="400 000 0020") == [first.pk]
    assert search(sw, postcode="m11ae") == [first.pk]
    assert search(sw, born_on=date(2014, 1, 5), postcode="M1 1AE") == [first.pk]
    assert search(sw, name="Smyth", postcode="B33 8TH") == [second.pk]
    assert search(sw, name="Sam Smith", nhs_number="4000000020") == [first.pk]
    assert search(sw, name="Jo Bloggs", nhs_number="4000000020") == []


def test_results_say_which_agencies_are_involved_not_what_they_hold(sw: World) -> None:
    child = make_child(sw)
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    found = child_search(principal=fresh(sw.users["other_agency"]), purpose=PURPOSE, name="Aoife")
    assert found.results[0].agencies == (sw.home.name, sw.other.name)
    assert found.results[0].postcode == "N1 9GU"


def test_each_search_is_audited_with_its_purpose_criteria_and_count(sw: World) -> None:
    child = make_child(sw)
    search(sw, name="Aoife", born_on=date(2015, 4, 2))
    event = AuditEvent.objects.get(kind="child.search")
    assert event.purpose == PURPOSE and event.actor_id == sw.users["practitioner"].pk
    assert event.detail["criteria"] == ["name", "born_on"] and event.detail["result_count"] == 1
    assert event.detail["child_ids"] == [child.pk] and "Aoife" not in str(event.detail)


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"purpose": " ", "name": "Aoife"}, "purpose"),
        ({"purpose": PURPOSE}, "name"),
        ({"purpose": PURPOSE, "nhs_number": "123"}, "nhs_number"),
    ],
)
def test_a_search_needs_a_purpose_and_a_criterion(sw: World, criteria: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        child_search(principal=fresh(sw.users["practitioner"]), **criteria)  # type: ignore[arg-type]
    assert field in caught.value.message_dict
    assert not AuditEvent.objects.filter(kind="child.search").exists()


@pytest.mark.parametrize("role", ["untrained", "unsigned", "auditor", "agency_admin", "no_role"])
def test_only_index_practitioners_search(sw: World, role: str) -> None:
    with pytest.raises(NotPermitted):
        search(sw, role, name="Aoife")


def test_a_shielded_child_is_found_only_exactly_without_address_and_the_shield_is_told_once_a_day(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), nhs_number="9434765919", shielded=True)
    other = "other_agency"
    assert search(sw, other, name="Zara Quinn") == []  # no date of birth
    assert search(sw, other, name="Zara", born_on=date(2012, 9, 9)) == []  # partial name
    assert search(sw, other, name="Zarah Quinn", born_on=date(2012, 9, 9)) == []  # sounds the same, not exact
    assert search(sw, other, postcode="N1 9GU") == []
    found = child_search(principal=fresh(sw.users[other]), purpose=PURPOSE, name="quinn zara", born_on=date(2012, 9, 9))
    assert [result.child_id for result in found.results] == [child.pk]
    assert found.results[0].postcode is None and found.results[0].setting is None
    assert search(sw, other, nhs_number="943 476 5919") == [child.pk]
    # Two searches and a record view today: one row, one notice per person told at the shielding agency.
    child_record(principal=fresh(sw.users[other]), child_id=child.pk, purpose=PURPOSE)
    assert ShieldedAccess.objects.filter(child=child, user=sw.users[other]).count() == 1
    told = Notification.objects.filter(key__startswith=f"shielded:{child.pk}:")
    assert {notice.recipient_id for notice in told} == {sw.users["designated_manager"].pk, sw.users["agency_admin"].pk}
    assert told.count() == 2


def test_the_record_of_a_shielded_child_withholds_address_and_setting_from_others(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", shielded=True, setting="school", setting_name="Northbridge Primary")
    police = fresh(sw.users["other_agency"])
    with pytest.raises(OutOfScope):  # not by its number alone: the shield holds until it is found exactly
        child_record(principal=police, child_id=child.pk, purpose=PURPOSE)
    child_search(principal=police, purpose=PURPOSE, name="Zara Quinn", born_on=child.born_on)
    theirs = child_record(principal=fresh(sw.users["other_agency"]), child_id=child.pk, purpose=PURPOSE)
    assert theirs.current_address is None and theirs.address_history is None and theirs.setting_withheld
    ours = child_record(principal=fresh(sw.users["practitioner"]), child_id=child.pk, purpose=PURPOSE)
    assert ours.current_address is not None and not ours.setting_withheld
    # The shielding agency's own people are not reported to themselves.
    assert not ShieldedAccess.objects.filter(user=sw.users["practitioner"]).exists()


def test_likely_matches_are_shown_and_audited_as_a_search(sw: World) -> None:
    child = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5))
    found = likely_matches(
        principal=fresh(sw.users["other_agency"]),
        purpose=PURPOSE,
        given="Sam",
        family="Smyth",
        born_on=date(2014, 1, 5),
    )
    assert [result.child_id for result in found.results] == [child.pk]
    assert AuditEvent.objects.get(kind="child.match").detail["result_count"] == 1


def test_a_record_view_is_audited_with_its_purpose(sw: World) -> None:
    child = make_child(sw)
    record = child_record(
        principal=fresh(sw.users["other_agency"]), child_id=str(child.pk), purpose="Section 47 enquiry"
    )
    assert record.legal_name is not None and record.legal_name.family == "O’Brien"
    event = AuditEvent.objects.get(kind="child.view")
    assert event.child_id == child.pk and event.purpose == "Section 47 enquiry"


@pytest.mark.parametrize("child_id", ["nope", "999999999", None, "-1", str(2**70)])
def test_a_missing_child_is_404(sw: World, child_id: object) -> None:
    with pytest.raises(OutOfScope):
        child_record(principal=fresh(sw.users["practitioner"]), child_id=child_id, purpose=PURPOSE)


def test_a_record_out_of_scope_is_404(sw: World) -> None:
    child = make_child(sw)
    with pytest.raises(OutOfScope):
        child_record(principal=fresh(sw.users["auditor"]), child_id=child.pk, purpose=PURPOSE)


def grow(world: World, start: int, count: int) -> None:
    for number in range(start, start + count):
        make_child(
            world,
            "Sam",
            f"Smith{chr(97 + number % 26)}",
            born_on=date(2010, 1, 1 + number),
            aliases=[("known_as", "Sammy", "Smith")],
            postcode="N1 9GU",
            considered=range(0, 10_000),
        )


@pytest.mark.parametrize(
    "criteria",
    [
        {"name": "Sam Smith"},
        {"name": "Sam Smith", "born_on": date(2010, 1, 2)},
        {"postcode": "N1 9GU"},
        {"nhs_number": "4000000020"},
    ],
)
def test_a_search_costs_the_same_statements_whatever_the_size_of_the_index(
    sw: World, criteria: dict[str, object], django_assert_num_queries: object
) -> None:
    grow(sw, 0, 2)
    user = fresh(sw.users["practitioner"])
    child_search(principal=user, purpose=PURPOSE, **criteria)  # type: ignore[arg-type] # warm the principal's caches
    # One statement for the search, one for the audit event.
    with django_assert_num_queries(2):  # type: ignore[operator]
        child_search(principal=user, purpose=PURPOSE, **criteria)  # type: ignore[arg-type]
    grow(sw, 2, 8)
    with django_assert_num_queries(2):  # type: ignore[operator]
        child_search(principal=user, purpose=PURPOSE, **criteria)  # type: ignore[arg-type]


def test_a_record_costs_the_same_statements_whatever_its_size(sw: World, django_assert_num_queries: object) -> None:
    from sharing.services import entry_record

    child = make_child(sw)
    user = fresh(sw.users["other_agency"])
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")

    def add_entries(count: int) -> None:
        for agency, role in ((sw.home, "practitioner"), (sw.other, "other_agency")):
            for _ in range(count):
                entry_record(
                    actor=fresh(sw.users[role]),
                    child=child,
                    agency=agency,
                    category="case_note",
                    fields={},
                    text="Note",
                    basis="fact",
                )

    add_entries(1)
    child_record(principal=user, child_id=child.pk, purpose=PURPOSE)
    # The child with its names, addresses and involvements (4), the entries with their revisions (2), the grants
    # (1), the audit event (1).
    with django_assert_num_queries(8):  # type: ignore[operator]
        child_record(principal=user, child_id=child.pk, purpose=PURPOSE)
    add_entries(4)
    with django_assert_num_queries(8):  # type: ignore[operator]
        child_record(principal=user, child_id=child.pk, purpose=PURPOSE)


def test_an_entry_is_read_at_the_readers_level_and_each_view_audited(sw: World) -> None:
    from sharing.selectors import entry_detail
    from sharing.services import entry_record, entry_revise

    child = make_child(sw)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="health",
        fields={"topic": "Asthma"},
        text="Inhaler twice a day.",
        basis="fact",
    )
    entry_revise(
        actor=fresh(sw.users["practitioner"]),
        entry=entry,
        fields={"topic": "Asthma"},
        text="Inhaler daily.",
        basis="fact",
        reason="Dose corrected",
    )
    own = entry_detail(principal=fresh(sw.users["practitioner"]), entry_id=entry.pk, purpose=PURPOSE)
    assert own.revision is not None and own.revision.text == "Inhaler daily." and len(own.history) == 2
    audited = entry_detail(principal=fresh(sw.users["auditor"]), entry_id=str(entry.pk), purpose="Annual audit")
    assert audited.revision is None and audited.history == () and [s.number for s in audited.summaries] == [2, 1]
    with pytest.raises(NotPermitted) as refused:
        entry_detail(principal=fresh(sw.users["other_agency"]), entry_id=entry.pk, purpose=PURPOSE)
    assert sw.home.name in refused.value.reason
    with pytest.raises(OutOfScope):
        entry_detail(principal=fresh(sw.users["no_role"]), entry_id=entry.pk, purpose=PURPOSE)
    events = AuditEvent.objects.filter(kind="entry.view").order_by("id")
    assert [(e.actor_id, e.purpose, e.detail["content"]) for e in events] == [
        (sw.users["practitioner"].pk, PURPOSE, True),
        (sw.users["auditor"].pk, "Annual audit", False),
    ]


def test_a_partnership_admin_searches_to_find_duplicates_and_the_shield_holds(sw: World) -> None:
    child = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5))
    make_child(sw, "Zara", "Quinn", shielded=True)
    assert search(sw, "partnership_admin", name="Smith") == [child.pk]
    assert search(sw, "partnership_admin", name="Quinn") == []


def test_a_shield_is_set_and_lifted_only_by_the_shielding_agency(sw: World) -> None:
    from sharing.services import child_shield, child_unshield

    child = make_child(sw)
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled abuse")
    assert search(sw, "other_agency", name="Aoife") == []
    with pytest.raises(NotPermitted):
        child_unshield(actor=fresh(sw.users["other_agency"]), child=child, reason="No")
    with pytest.raises(NotPermitted):  # the shielding agency's practitioner: a designated manager lifts it
        child_unshield(actor=fresh(sw.users["practitioner"]), child=child, reason="Safe now")
    child_unshield(actor=fresh(sw.users["designated_manager"]), child=child, reason="Safe now")
    assert search(sw, "other_agency", name="Aoife") == [child.pk]
    assert AuditEvent.objects.filter(kind="child.shield", child_id=child.pk).count() == 2


def test_a_child_without_an_area_takes_the_recording_agencys(sw: World) -> None:
    child = make_child(sw, area="")
    assert child.area_id == sw.home.area_id == "E99000001"  # Northbridge


NAMES = [
    ("Aoife", "O’Brien"),
    ("Aoife", "O Brien"),
    ("Mary Jane", "Smith-Jones"),
    ("John", "Smith"),
    ("Jon", "Smyth"),
    ("Łukasz", "Nowak"),
    ("Søren", "Strauß"),
    ("Catherine", "Lee"),
    ("Kathryn", "Leigh"),
    ("Sam", "Smith"),
]
QUERIES = [
    "Smith",
    "Smith Jones",
    "Jones Mary",
    "O Brien",
    "OBrien Aoife",
    "J Smith",
    "Lukasz",
    "Soren Strauss",
    "Kathryn Lee",
    "Mary J Smith",
    "Sam",
    "Lee",
    "Smith John",
    # A given name with the family name's initial (sharing.rules.NameQuery.family_initials).
    "John S",
    "Kathryn L",
    "Aoife O",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_database_applies_the_name_rule_exactly(sw: World, query: str) -> None:
    from sharing.rules import name_index_keys, name_match, name_query

    children = {
        make_child(sw, given, family, born_on=date(2012, 1, 1 + index), postcode="", considered=range(10_000)).pk: (
            given,
            family,
        )
        for index, (given, family) in enumerate(NAMES)
    }
    expected = {pk for pk, name in children.items() if name_match(name_query(query), name_index_keys(*name))[0]}
    assert expected, query
    assert set(search(sw, name=query)) == expected


def test_a_duplicate_check_with_a_bad_nhs_number_or_postcode_is_a_field_error(sw: World) -> None:
    with pytest.raises(ValidationError) as caught:
        likely_matches(
            principal=fresh(sw.users["practitioner"]),
            purpose=PURPOSE,
            given="Sam",
            family="Smith",
            born_on=date(2014, 1, 5),
            nhs_number="943 476 5918",
            postcode="EC1V OBW",
        )
    assert "check digit should be 9" in caught.value.message_dict["nhs_number"][0]
    assert "EC1V 0BW" in caught.value.message_dict["postcode"][0]
