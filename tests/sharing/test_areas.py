"""Local-authority areas as one controlled value (issue 10; WYCPS: "Authorised social services staff will
access personal details for service users within their own Local Authority area").

The child's and the agency's area are foreign keys to agencies.Area, keyed by the GSS code; the policy compares
codes, so two spellings of one area can no longer give two answers. The migration's mapping of the old free text
(agencies.rules.area_mapping) is pure and tested here too."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from agencies import rules
from agencies.models import Agency, Area
from agencies.services import agency_update, area_create, area_recode
from audit.models import AuditEvent
from isp_portal.policy import restrict
from sharing.forms import ChildForm
from sharing.models import Child, RecordEntry
from sharing.policy import EntryAccess, EntryFacts, entry_access
from sharing.services import MinimumData, entry_record, involvement_add
from tests.factories import SYSTEM, World, area_named
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

# --- The pure rules (no database) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Haringey", "haringey"),
        ("  haringey  ", "haringey"),
        ("HARINGEY", "haringey"),
        ("London Borough of Haringey", "haringey"),
        ("London  Borough of   Haringey ", "haringey"),
        ("Haringey Council", "haringey"),
        ("Haringey London Borough Council", "haringey"),
        ("Leeds City Council", "leeds"),
        ("Kent County Council", "kent"),
        ("Royal Borough of Kensington and Chelsea", "kensington and chelsea"),
        ("Council", ""),
        ("London Borough of", ""),
        ("", ""),
        ("Councillor Street", "councillor street"),  # only whole words of the wrapping are taken off
    ],
)
def test_area_name_key(typed: str, key: str) -> None:
    assert rules.area_name_key(typed) == key


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_area_name_key_is_idempotent_and_ignores_case_and_spacing(text: str) -> None:
    key = rules.area_name_key(text)
    assert rules.area_name_key(key) == key
    assert rules.area_name_key(f"  {text.upper()} ") == rules.area_name_key(text.upper())
    assert rules.area_name_key(f"London Borough of {key}") == key or not key


def test_area_mapping_joins_spellings_and_refuses_what_names_no_area_or_two() -> None:
    mapping = rules.area_mapping(
        {
            "Haringey": 40,
            "London Borough of Haringey": 2,
            " haringey council": 1,
            "Leeds City Council": 3,
            "": 9,  # no area: stays none, not refused
            "Council": 4,
            "Northbridge / Eastvale": 1,
            "Eastvale or Westmoor": 2,
        }
    )
    assert mapping.names == {"haringey": "Haringey", "leeds": "Leeds"}
    assert mapping.keys == {
        "Haringey": "haringey",
        "London Borough of Haringey": "haringey",
        " haringey council": "haringey",
        "Leeds City Council": "leeds",
    }
    assert mapping.refused == {"Council": 4, "Northbridge / Eastvale": 1, "Eastvale or Westmoor": 2}
    message = rules.area_refusal_message(mapping.refused)
    assert "'Council' (4 rows)" in message and "'Northbridge / Eastvale' (1 rows)" in message
    assert "docs/areas.md" in message


def test_area_mapping_keeps_the_most_used_spelling() -> None:
    mapping = rules.area_mapping({"london borough of haringey": 1, "Haringey": 5, "HARINGEY": 5})
    # Most rows first, then the shortest, then alphabetical: "HARINGEY" < "Haringey".
    assert mapping.names == {"haringey": "HARINGEY"}


@given(
    st.dictionaries(
        st.sampled_from(["Northbridge", "northbridge ", "Northbridge Council", "Eastvale"]), st.integers(1, 50)
    )
)
def test_area_mapping_maps_every_value_once(counts: dict[str, int]) -> None:
    mapping = rules.area_mapping(counts)
    assert set(mapping.keys) | set(mapping.refused) == set(counts)
    assert set(mapping.keys.values()) == set(mapping.names)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("E09000014", "E09000014"),
        (" e09000014 ", "E09000014"),
        ("W06000015", "W06000015"),
        ("X09000014", None),
        ("E0900001", None),
        ("E090000145", None),
        ("Haringey", None),
        ("", None),
    ],
)
def test_gss_code_normalised(typed: str, code: str | None) -> None:
    assert rules.gss_code_normalised(typed) == code


# --- The database and the policy ---------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_the_database_refuses_a_malformed_code_and_a_second_spelling_of_a_name() -> None:
    Area.objects.create(code="E99000101", name="Southmere")
    for code, name in (("E9900010", "Short"), ("X99000102", "Wrong nation"), ("E99000103", "SOUTHMERE")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Area.objects.create(code=code, name=name)


@pytestmark_db
def test_area_create_and_recode_check_and_move_everything_in_the_area(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        area_create(actor=SYSTEM, code="Northbridge", name="northbridge")
    assert set(refused.value.message_dict) == {"code", "name"}
    area = area_create(actor=SYSTEM, code="e99000200", name="  Upper   Dale ")
    assert (area.code, area.name) == ("E99000200", "Upper Dale")
    agency_update(actor=SYSTEM, agency=world.other, area=area)
    moved = area_recode(actor=SYSTEM, area=area, code="E06000001")
    assert Agency.objects.get(pk=world.other.pk).area_id == moved.code == "E06000001"
    assert not Area.objects.filter(code="E99000200").exists()
    assert AuditEvent.objects.filter(kind="area.recode", detail__to="E06000001").exists()
    with pytest.raises(ValidationError):
        area_recode(actor=SYSTEM, area=moved, code=world.home.area_id)


@pytestmark_db
def test_the_areas_command_lists_adds_and_recodes(world: World, capsys: Any) -> None:
    call_command("areas", "add", "E99000300", "Far", "Hollow")
    call_command("areas", "recode", "E99000300", "E99000301")
    call_command("areas")
    assert "E99000301  Far Hollow" in capsys.readouterr().out


def _police_note(world: World, child: Child) -> RecordEntry:
    """A restricted entry the police (the other agency) record about `child`."""
    involvement_add(actor=fresh(world.users["other_agency"]), child=child, agency=world.other, service="Protection")
    return entry_record(
        actor=fresh(world.users["other_agency"]),
        child=child,
        agency=world.other,
        category="case_note",
        fields={},
        text="Restricted note",
        basis="opinion",
        restricted=True,
    )


def level(user: Any, entry: RecordEntry) -> EntryAccess:
    """What `user` has of `entry` without a grant (NONE: they may not know it exists)."""
    return entry_access(user, EntryFacts(entry.agency_id, entry.is_restricted, entry.child.area_id), granted=False)


@pytestmark_db
def test_restricted_entries_are_for_authorised_staff_of_the_childs_area_only(world: World) -> None:
    """WYCPS area-based access: an authorised social-care practitioner of the council is among the readers of
    the police's restricted entry about a child of the council's area (compared by GSS code: they know it exists
    and a grant would open it), and not of one about a child of another area; when the council's area changes,
    so does what they reach. Their colleague who is not authorised reaches neither."""
    sw = sharing_world(world)
    northbridge_child = make_child(sw)
    eastvale_child = make_child(sw, "Bea", "Byrne", born_on=date(2014, 1, 1), area="Eastvale", nhs_number="")
    ours, theirs = _police_note(sw, northbridge_child), _police_note(sw, eastvale_child)
    assert sw.home.area_id == northbridge_child.area_id == "E99000001"
    assert eastvale_child.area_id == "E99000002"
    reader = fresh(sw.users["restricted"])
    assert [level(reader, ours), level(reader, theirs)] == [EntryAccess.HELD, EntryAccess.NONE]
    assert set(restrict(reader, "view", RecordEntry).filter(is_restricted=True)) == {ours}
    colleague = fresh(sw.users["practitioner"])
    assert [level(colleague, ours), level(colleague, theirs)] == [EntryAccess.NONE, EntryAccess.NONE]
    assert not restrict(colleague, "view", RecordEntry).filter(is_restricted=True).exists()

    agency_update(actor=SYSTEM, agency=sw.home, area=area_named("Eastvale"))
    reader = fresh(sw.users["restricted"])
    assert [level(reader, ours), level(reader, theirs)] == [EntryAccess.NONE, EntryAccess.HELD]
    assert set(restrict(reader, "view", RecordEntry).filter(is_restricted=True)) == {theirs}


@pytestmark_db
def test_a_childs_area_must_be_one_of_the_partnerships(world: World) -> None:
    """The same area spelled differently can no longer happen: text is refused, a code must be kept."""
    for typed in ("Northbridge", "London Borough of Northbridge", "E09999999", "x" * 500, "E99000001\x00"):
        data = MinimumData(born_on=date(2015, 1, 1), area=typed)
        data.cleaned()
        assert "GET /api/v1/areas/" in data.errors["area"], typed
    area_named("Northbridge")
    data = MinimumData(born_on=date(2015, 1, 1), area=" e99000001 ")
    assert data.cleaned()["area_id"] == "E99000001" and not data.errors


@pytestmark_db
def test_the_add_child_form_offers_the_areas_as_a_select(world: World) -> None:
    area_named("Northbridge")
    area_named("Eastvale")
    form = ChildForm(agencies=[(world.home.pk, world.home.name)])
    field: Any = form.fields["area"]
    assert list(field.choices) == [("", "Your agency's area"), ("E99000002", "Eastvale"), ("E99000001", "Northbridge")]
    assert field.help_text
    bound = ChildForm({"area": "Northbridge"}, agencies=[(world.home.pk, world.home.name)])
    assert "area" in bound.errors


# --- The API -----------------------------------------------------------------------------------------------------


@pytestmark_db
def test_the_api_lists_areas_and_takes_and_gives_codes(world: World) -> None:
    area_named("Eastvale")
    client = client_as(world, "partnership_admin")
    listed = client.get("/api/v1/areas/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {"code": "E99000002", "name": "Eastvale"} in rows
    body = client.get(f"/api/v1/agencies/{world.home.pk}/").json()
    assert (body["area"], body["area_name"]) == ("E99000001", "Northbridge")
    for code, wanted in (("E09999999", "No local-authority area has the code"), ("Eastvale", "GSS code")):
        refused = client.patch(
            f"/api/v1/agencies/{world.other.pk}/", data={"area": code}, content_type="application/json"
        )
        assert refused.status_code == 400, refused.content
        message = " ".join(refused.json()["error"]["fields"]["area"])
        assert wanted in message and "GET /api/v1/areas/" in message
    url = f"/api/v1/agencies/{world.other.pk}/"
    moved = client.patch(url, data={"area": "e99000002"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["area"] == "E99000002"
    cleared = client.patch(url, data={"area": None}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["area"] is None


@pytestmark_db
def test_the_children_api_refuses_an_area_that_is_not_a_code(world: World) -> None:
    sw = sharing_world(world)
    client = client_as(sw, "practitioner")
    body = {
        "agency": sw.home.pk,
        "given": "Nora",
        "family": "Area",
        "born_on": "2016-05-04",
        "service": "Early help",
        "area": "Haringey",
    }
    refused = client.post("/api/v1/children/", data=body, content_type="application/json", HTTP_X_PURPOSE=PURPOSE)
    assert refused.status_code == 400, refused.content
    assert "GET /api/v1/areas/" in " ".join(refused.json()["error"]["fields"]["area"])
    assert not Child.objects.filter(names__family="Area").exists()
