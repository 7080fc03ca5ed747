"""The child record page (issue 10, "Speed" and "categories held"): its one-statement read gives what the ORM
selector gives for every kind of reader (sharing.selectors.record_page against child_record); the page shows
every part of the record at each reader's level; the protocol version decides whether other agencies are told
which categories each agency holds (page and API); and what people typed is escaped in the rows built in
Python (sharing/presenters.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from agencies.models import Membership
from audit.models import AuditEvent
from isp_portal.policy import OutOfScope
from protocols.models import Protocol
from protocols.services import protocol_adopt, protocol_version_create
from sharing.models import Basis, Child, RecordEntry, ShieldedAccess
from sharing.policy import index_agencies, index_candidates
from sharing.selectors import ChildRecord, child_record, child_search
from sharing.selectors.record_page import record_page
from sharing.services import (
    MinimumData,
    child_address_change,
    child_create,
    child_shield,
    entry_grants_give,
    entry_record,
    entry_revise,
    involvement_add,
    involvement_end,
)
from tests.factories import SYSTEM, World, area_code, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world
from tests.test_page_rows_escaped import _shows_escaped, _typed

pytestmark = pytest.mark.django_db

READERS = ("practitioner", "designated_manager", "restricted", "other_agency", "partnership_admin", "auditor")


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def entry(world: World, child: Child, category: str = "health", **values: Any) -> RecordEntry:
    by = values.pop("by", "practitioner")
    agency = values.pop("agency", world.home)
    fields = values.pop("fields", {"topic": "Asthma"} if category == "health" else {})
    return entry_record(
        actor=fresh(world.users[by]),
        child=child,
        agency=agency,
        category=category,
        fields=fields,
        text=values.pop("text", "Uses a blue inhaler twice a day."),
        basis=values.pop("basis", Basis.FACT),
        restricted=values.pop("restricted", False),
    )


def full_child(world: World, **values: Any) -> tuple[Child, dict[str, RecordEntry]]:
    """A child with every part of a record: an alias, an address history, an open involvement of each agency
    (the home one with a key contact), an ended one, entries of both agencies (one restricted, one revised) and
    a live grant of one home entry to the other agency's practitioner. `shielded=True`: shielded by the home
    agency once both agencies are involved (on a shielded child only the shielding agency adds an involvement:
    sharing.policy.shield_admits_involvement)."""
    shielded = values.pop("shielded", False)
    child = child_create(
        actor=fresh(world.users["practitioner"]),
        agency=world.home,
        given="Robin",
        family="Example",
        data=MinimumData(
            born_on=date(2015, 4, 2),
            phone="020 7946 0958",
            setting="school",
            setting_name="Northbridge Primary",
            area=area_code("Northbridge"),
        ),
        service="Children's social care",
        address="1 Test Street, Northbridge",
        postcode="N1 9GU",
        address_from=timezone.localdate() - timedelta(days=400),
        aliases=[("known_as", "Bobbie", "Example")],
        **values,
    )
    child_address_change(
        actor=fresh(world.users["practitioner"]),
        child=child,
        address="2 New Road, Northbridge",
        postcode="N1 9GX",
        moved_on=timezone.localdate() - timedelta(days=3),
    )
    lead = Membership.objects.get(user=world.users["designated_manager"], agency=world.home)
    involvement_add(
        actor=fresh(world.users["practitioner"]),
        child=child,
        agency=world.home,
        service="Early help",
        lead_professional=lead,
        is_key_contact=True,
    )
    ended = involvement_add(
        actor=fresh(world.users["practitioner"]), child=child, agency=world.home, service="Short breaks"
    )
    involvement_end(actor=fresh(world.users["practitioner"]), involvement=ended, reason="Service finished")
    involvement_add(
        actor=fresh(world.users["other_agency"]), child=child, agency=world.other, service="Public protection"
    )
    if shielded:
        child = child_shield(
            actor=fresh(world.users["practitioner"]), child=child, agency=world.home, reason="Risk from a parent"
        )
    made = {
        "health": entry(world, child),
        "granted": entry(world, child, "case_note", text="Granted note Qzgrantq", basis=Basis.OPINION),
        "restricted": entry(
            world, child, "case_note", text="Victim details Qzvictimq", restricted=True, by="restricted"
        ),
        "police": entry(world, child, "case_note", text="Police note Qzpoliceq", by="other_agency", agency=world.other),
    }
    entry_revise(
        actor=fresh(world.users["practitioner"]),
        entry=made["health"],
        fields={"topic": "Asthma"},
        text="Uses a blue inhaler three times a day.",
        basis=Basis.FACT,
        reason="Dose changed",
    )
    entry_grants_give(
        actor=fresh(world.users["practitioner"]),
        entries=[made["granted"]],
        user=world.users["other_agency"],
        agency=world.other,
        purpose=PURPOSE,
        expires_at=timezone.now() + timedelta(days=30),
    )
    return child, made


def shape(record: ChildRecord) -> dict[str, Any]:
    """Everything the page shows of a record, as plain values."""
    child = record.child
    return {
        "child": {
            name: getattr(child, name)
            for name in (
                "pk",
                "born_on",
                "gender",
                "ethnicity",
                "languages",
                "phone",
                "setting",
                "setting_name",
                "nhs_number",
                "area",
                "has_additional_needs",
                "is_care_leaver",
                "is_shielded",
                "shielding_agency_id",
                "merged_into_id",
            )
        },
        "legal": str(record.legal_name) if record.legal_name else None,
        "other_names": [(name.pk, name.kind, name.given, name.family) for name in record.other_names],
        "current": None
        if record.current_address is None
        else (record.current_address.pk, record.current_address.address, record.current_address.postcode),
        "history": None
        if record.address_history is None
        else [(a.pk, a.address, a.postcode, a.from_on, a.to_on) for a in record.address_history],
        "withheld": record.setting_withheld,
        "involvements": [
            (
                i.pk,
                i.agency_id,
                i.agency.name,
                i.service,
                i.lead_professional.user.full_name if i.lead_professional else None,
                i.is_key_contact,
                i.started_on,
                i.ended_on,
            )
            for i in record.involvements
        ],
        "held": record.held,
        "entries": [
            (
                view.entry.pk,
                view.entry.category_label,
                view.entry.agency.name,
                view.entry.is_restricted,
                view.entry.revision_count,
                view.access,
                None
                if view.revision is None
                else (
                    view.revision.number,
                    view.revision.recorded_at,
                    view.revision.get_basis_display(),
                    view.revision.text,
                ),
            )
            for view in record.entries
        ],
    }


def both(world: World, role: str, child: Child) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record read both ways by `role`, each in its own statements; both audited alike."""
    before = AuditEvent.objects.filter(kind="child.view").count()
    orm = shape(child_record(principal=fresh(world.users[role]), child_id=child.pk, purpose=PURPOSE))
    reader = fresh(world.users[role])
    # Who the reader is: cached for a request before any view runs (agencies.identity).
    index_candidates(reader)
    reader.audit_identity()
    with CaptureQueriesContext(connection) as queries:
        page = shape(record_page(principal=reader, child_id=child.pk, purpose=PURPOSE))
    # The read and the audit event; and for a shielded child read by another agency than the one shielding it,
    # the notice (sharing.services.shielding: already given today by the first read, so one statement).
    told = child.is_shielded and child.shielding_agency_id not in index_agencies(reader)
    assert len(queries) == 2 + told, [query["sql"] for query in queries]
    events = AuditEvent.objects.filter(kind="child.view").order_by("-id")[:2]
    assert AuditEvent.objects.filter(kind="child.view").count() == before + 2
    assert events[0].detail == events[1].detail and events[0].purpose == events[1].purpose == PURPOSE
    return orm, page


@pytest.mark.parametrize(
    "role", ["practitioner", "designated_manager", "restricted", "other_agency", "partnership_admin"]
)
def test_the_page_read_gives_what_the_orm_selector_gives(sw: World, role: str) -> None:
    child, _ = full_child(sw)
    orm, page = both(sw, role, child)
    assert page == orm
    assert (page["involvements"] and page["entries"]) or role == "partnership_admin"


def test_the_page_read_and_the_orm_read_agree_on_a_shielded_child(sw: World) -> None:
    child, _ = full_child(sw, shielded=True)
    for role in ("practitioner", "other_agency", "partnership_admin"):
        orm, page = both(sw, role, child)
        assert page == orm
    unsigned = fresh(sw.users["unsigned"])
    with pytest.raises(OutOfScope):
        record_page(principal=unsigned, child_id=child.pk, purpose=PURPOSE)
    with pytest.raises(OutOfScope):
        child_record(principal=fresh(sw.users["unsigned"]), child_id=child.pk, purpose=PURPOSE)


def test_the_shield_holds_on_the_page_read_until_the_child_is_reached_exactly(sw: World) -> None:
    child = make_child(sw, "Skye", "Hidden", born_on=date(2014, 6, 1), shielded=True, postcode="M1 1AE")
    cold = fresh(sw.users["designated_manager"])
    # Another agency, not involved: reaching it by its number alone is a 404 both ways.
    police = sw.users["other_agency"]
    for read in (record_page, child_record):
        with pytest.raises(OutOfScope):
            read(principal=fresh(police), child_id=child.pk, purpose=PURPOSE)
    child_search(principal=fresh(police), purpose=PURPOSE, name="Skye Hidden", born_on=date(2014, 6, 1))
    assert ShieldedAccess.objects.filter(child=child, user=police).exists()
    orm, page = both(sw, "other_agency", child)
    assert page == orm and page["withheld"] and page["current"] is None and page["history"] is None
    # The shielding agency's own people are let in, with the address.
    assert record_page(principal=cold, child_id=child.pk, purpose=PURPOSE).current_address is not None


@pytest.mark.parametrize("bad", ["0", "-1", "x", "99999999999999999999", str(2**31)])
def test_a_missing_or_malformed_child_is_404_on_the_page_read(sw: World, bad: str) -> None:
    with pytest.raises(OutOfScope):
        record_page(principal=fresh(sw.users["practitioner"]), child_id=bad, purpose=PURPOSE)


# --- The page ------------------------------------------------------------------------------------------------------


def page_for(world: World, role: str, child: Child) -> str:
    client = sign_in(Client(), world.users[role])
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    response = client.get(f"/children/{child.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_every_part_of_the_record_at_the_readers_level(sw: World) -> None:
    child, made = full_child(sw)
    ours = page_for(sw, "practitioner", child)
    assert "Robin Example" in ours and "Bobbie Example (known as)" in ours
    assert "Northbridge Primary" in ours and "+442079460958" in ours
    assert "2 New Road, Northbridge<br>N1 9GX" in ours  # the current address
    assert "1 Test Street, Northbridge, N1 9GU: from" in ours  # the history, with its dates
    home = escape(sw.home.name)
    assert "Early help" in ours and f"{sw.users['designated_manager'].full_name} (key contact)" in ours
    assert "Not named" in ours  # the involvements without a lead professional
    assert "Short breaks" in ours and " to " in ours  # the ended involvement with its end date
    early = sw.home.involvements.get(child=child, service="Early help")
    assert f'href="/children/{child.pk}/involvements/{early.pk}/end/"' in ours
    assert "Public protection" in ours
    # Content of the home agency's entries, the latest revision numbered; not the police's, not the restricted.
    assert "three times a day" in ours and ", revision 2" in ours
    assert f'href="/children/{child.pk}/entries/{made["health"].pk}/"' in ours
    assert "Qzgrantq" in ours and "Qzpoliceq" not in ours and "Qzvictimq" not in ours
    assert "Restricted</strong>" not in ours
    held = ours.split('id="held"')[1].split("Entries you can read")[0]
    assert "Health information" in held and home in held and escape(sw.other.name) in held

    # Authorised for restricted information: the restricted entry and its tag.
    rita = page_for(sw, "restricted", child)
    assert "Qzvictimq" in rita and 'govuk-tag--red">Restricted</strong>' in rita

    # The other agency: its own entry's content, the granted one's, the rest held only; no End link of ours.
    police = page_for(sw, "other_agency", child)
    assert "Qzpoliceq" in police and "Qzgrantq" in police and "inhaler" not in police and "Qzvictimq" not in police
    held = police.split('id="held"')[1].split("Entries you can read")[0]
    assert "Health information" in held and home in held
    assert f"/involvements/{early.pk}/end/" not in police


def test_a_shielded_childs_address_setting_and_phone_are_withheld_on_the_page(sw: World) -> None:
    child = make_child(
        sw,
        "Skye",
        "Hidden",
        born_on=date(2014, 6, 1),
        shielded=True,
        postcode="M1 1AE",
        phone="020 7946 0958",
        setting="school",
        setting_name="Northbridge Primary",
    )
    ours = page_for(sw, "practitioner", child)  # the shielding agency, involved: everything
    assert "M1 1AE" in ours and "+442079460958" in ours and "Northbridge Primary" in ours
    police = sign_in(Client(), sw.users["other_agency"])
    # By its number alone the shield holds: not even the purpose is asked.
    assert police.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE}).status_code == 404
    child_search(
        principal=fresh(sw.users["other_agency"]), purpose=PURPOSE, name="Skye Hidden", born_on=date(2014, 6, 1)
    )
    police.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = police.get(f"/children/{child.pk}/").content.decode()
    assert "Withheld: this child is shielded." in page and "M1 1AE" not in page
    assert "+442079460958" not in page and "Northbridge Primary" not in page
    assert page.count(">Withheld<") == 2  # the phone and the setting
    assert AuditEvent.objects.filter(kind="child.view", actor_id=sw.users["other_agency"].pk).count() == 1


def test_the_page_costs_two_statements_for_any_reader(sw: World) -> None:
    child, _ = full_child(sw)
    for role in ("practitioner", "restricted", "other_agency", "partnership_admin"):
        client = sign_in(Client(), sw.users[role])
        client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/children/{child.pk}/").status_code == 200
        assert len(queries) == 2, (role, [query["sql"][:80] for query in queries])


def test_the_record_rows_escape_what_people_typed(sw: World) -> None:
    service, text, alias = _typed("Service", 100), _typed("Text"), _typed("Alias", 100)
    child = make_child(sw, aliases=[("known_as", alias, "Example")], address=_typed("Address", 150))
    involvement_add(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, service=service)
    entry(sw, child, "case_note", text=text)
    page = page_for(sw, "practitioner", child)
    _shows_escaped(page, service)
    _shows_escaped(page, f"{alias} Example (known as)")
    _shows_escaped(page, text)  # the entry's card: 40 words at most, and these are fewer
    assert escape(_typed("Address", 150)) in page


# --- The protocol version decides whether other agencies see what is held --------------------------------------


def hide_held_categories(world: World) -> Protocol:
    """A new version of the World protocol that tells no other agency what is held, put in force."""
    protocol: Protocol = world.objects["protocol"]
    version = protocol_version_create(
        actor=SYSTEM,
        protocol=protocol,
        text=protocol.versions.order_by("-number").first().text,  # type: ignore[union-attr]
        change_note="Other agencies are no longer told what is held",
        shows_held_categories=False,
    )
    return protocol_adopt(actor=SYSTEM, protocol=protocol, version=version)


def api_record(world: World, role: str, child: Child) -> dict[str, Any]:
    client = sign_in(Client(), world.users[role])
    response = client.get(f"/api/v1/children/{child.pk}/", HTTP_X_PURPOSE=PURPOSE)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def test_what_is_held_is_shown_to_other_agencies_only_where_the_protocol_version_says_so(sw: World) -> None:
    child, made = full_child(sw)
    shown = api_record(sw, "other_agency", child)
    assert made["health"].pk in [item["id"] for item in shown["entries"]]
    assert ("health", sw.home.pk) in [(item["category"], item["agency"]) for item in shown["held"]]
    assert "Health information" in page_for(sw, "other_agency", child)

    hide_held_categories(sw)
    current = Protocol.objects.get(pk=sw.objects["protocol"].pk).current_version
    assert current is not None and current.shows_held_categories is False
    hidden = api_record(sw, "other_agency", child)
    ids = [item["id"] for item in hidden["entries"]]
    # What they may read stays: their own entry and the one granted to them; the home agency's health entry goes.
    assert made["health"].pk not in ids and made["police"].pk in ids and made["granted"].pk in ids
    assert [(item["category"], item["agency"]) for item in hidden["held"]] == [
        ("case_note", sw.home.pk),
        ("case_note", sw.other.pk),
    ]
    page = page_for(sw, "other_agency", child)
    assert "Health information" not in page and "Qzpoliceq" in page and "Qzgrantq" in page
    # The agency that holds them sees its own entries whatever the version says.
    ours = api_record(sw, "practitioner", child)
    assert made["health"].pk in [item["id"] for item in ours["entries"]]
    assert "Health information" in page_for(sw, "practitioner", child)
    # Both paths agree with the setting off.
    orm, fast = both(sw, "other_agency", child)
    assert fast == orm


def test_the_setting_is_on_the_version_form_page_and_api(sw: World) -> None:
    protocol: Protocol = sw.objects["protocol"]
    admin = sign_in(Client(), sw.users["partnership_admin"])
    form = admin.get(f"/protocols/{protocol.pk}/versions/new/").content.decode()
    assert 'name="shows_held_categories"' in form and "checked" in form.split('name="shows_held_categories"')[1][:80]
    assert "Other agencies see what is held" in admin.get(f"/protocols/{protocol.pk}/").content.decode()
    detail = admin.get(f"/api/v1/protocols/{protocol.pk}/").json()
    assert detail["current"]["shows_held_categories"] is True
