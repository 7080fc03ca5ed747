"""The child index's pages (issue 10): the search posted with its purpose, the record behind a stated purpose, bad
input answered on the form with nothing written, one entry per child before creation, what another agency and a
shielded child's searcher see, and statement counts that do not grow with the results or the record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from sharing.models import Basis, Child, EntryRevision, Involvement, RecordEntry
from sharing.services import entry_record
from tests.factories import World, area_code, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

# Exact statement counts (docs/fast-pages.md), as the matrix's budgets are: a change shows as a changed number.
# The search: the signatures, the search, its audit event, the session's one UPDATE (isp_portal/sessions.py).
SEARCH_STATEMENTS = 4
# The record with a purpose held: one statement for the whole read (the signatures, the child, its names,
# addresses and involvements, grants, entries with their latest revision: sharing.selectors.record_page), and the
# audit event. Its PREPARE, once per connection, is not counted (isp_portal.rows.Statement).
RECORD_PAGE_STATEMENTS = 2


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def client_for(world: World, role: str) -> Client:
    return sign_in(Client(), world.users[role])


def html(response: Any) -> str:
    return response.content.decode()


def new_child_data(**overrides: str) -> dict[str, str]:
    data = {
        "given": "Casey",
        "family": "Quill",
        "born_on_day": "3",
        "born_on_month": "5",
        "born_on_year": "2016",
        "gender": "not_known",
        "ethnicity": "not_stated",
        "setting": "none",
        "service": "Health visiting",
        "address": "2 Page Road, Northbridge",
        "postcode": "N1 9GU",
    }
    data.update(overrides)
    return data


def health(world: World, child: Child, *, restricted: bool = False, role: str = "practitioner") -> RecordEntry:
    return entry_record(
        actor=fresh(world.users[role]),
        child=child,
        agency=world.home,
        category="health",
        fields={"topic": "Asthma"},
        text="Uses a blue inhaler twice a day.",
        basis=Basis.FACT,
        restricted=restricted,
    )


# --- The search ---------------------------------------------------------------------------------------------


def test_a_search_without_a_purpose_is_refused_on_the_form_and_not_run(sw: World) -> None:
    make_child(sw)
    response = client_for(sw, "practitioner").post("/children/", {"name": "O'Brien"})
    assert response.status_code == 200
    assert "Enter the purpose of your search" in html(response)
    assert not AuditEvent.objects.filter(kind="child.search").exists()


def test_a_search_is_posted_finds_spelling_variants_and_shows_which_agencies_are_involved(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "other_agency")
    assert '<form method="post"' in html(client.get("/children/"))
    response = client.post("/children/", {"purpose": PURPOSE, "name": "obrien aoife"})
    page = html(response)
    assert response.status_code == 200
    assert f"/children/{child.pk}/" in page and "Aoife O’Brien" in page
    assert sw.home.name.replace("'", "&#x27;") in page
    event = AuditEvent.objects.get(kind="child.search")
    assert event.purpose == PURPOSE and "Aoife" not in str(event.detail)
    # The search's purpose holds for the children found: the record opens at once, audited with it.
    record = client.get(f"/children/{child.pk}/")
    assert "Information held" in html(record)
    assert AuditEvent.objects.get(kind="child.view").purpose == PURPOSE


def test_bad_criteria_are_field_messages(sw: World) -> None:
    client = client_for(sw, "practitioner")
    page = html(client.post("/children/", {"purpose": PURPOSE, "nhs_number": "943 476 5918"}))
    assert "the check digit should be 9, not 8" in page
    page = html(client.post("/children/", {"purpose": PURPOSE, "postcode": "EC1V OBW"}))
    assert "did you mean EC1V 0BW?" in page
    page = html(client.post("/children/", {"purpose": PURPOSE}))
    assert "Search by name, date of birth, NHS number or postcode." in page


def test_more_results_than_shown_is_said_plainly(sw: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sharing.selectors import children as selectors

    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 2)
    for day in range(1, 4):
        make_child(
            sw,
            "Robin",
            "Smith",
            born_on=date(2015, 1, day),
            considered=list(Child.objects.values_list("pk", flat=True)),
        )
    page = html(client_for(sw, "practitioner").post("/children/", {"purpose": PURPOSE, "name": "Robin Smith"}))
    assert "There are more results than shown here" in page


def test_the_search_costs_the_same_statements_whatever_the_number_of_results(sw: World) -> None:
    client = client_for(sw, "practitioner")
    make_child(sw, "Robin", "Smith", born_on=date(2015, 1, 1))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/children/", {"purpose": PURPOSE, "name": "Robin Smith"})
        assert response.status_code == 200
        return len(queries)

    count()  # the first request warms the caches (identity, signatures)
    one = count()
    for day in range(2, 8):
        make_child(
            sw,
            "Robin",
            "Smith",
            born_on=date(2015, 1, day),
            considered=list(Child.objects.values_list("pk", flat=True)),
        )
    count()
    assert count() == one == SEARCH_STATEMENTS


def test_a_shielded_child_is_found_only_exactly_and_its_address_is_withheld(sw: World) -> None:
    child = make_child(sw, "Skye", "Hidden", born_on=date(2014, 6, 1), shielded=True, postcode="M1 1AE")
    client = client_for(sw, "other_agency")
    partial = html(client.post("/children/", {"purpose": PURPOSE, "name": "Skye"}))
    assert f"/children/{child.pk}/" not in partial and "0 children found" in partial
    exact = html(
        client.post(
            "/children/",
            {
                "purpose": PURPOSE,
                "name": "Skye Hidden",
                "born_on_day": "1",
                "born_on_month": "6",
                "born_on_year": "2014",
            },
        )
    )
    assert f"/children/{child.pk}/" in exact and "Withheld" in exact and "M1 1AE" not in exact
    record = html(client.get(f"/children/{child.pk}/"))
    assert "Withheld: this child is shielded." in record and "M1 1AE" not in record


# --- The record and its purpose ------------------------------------------------------------------------------


def test_the_record_asks_the_purpose_first_then_shows_it_audited(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "practitioner")
    asked = client.get(f"/children/{child.pk}/")
    assert "Why are you looking at this record?" in html(asked)
    assert not AuditEvent.objects.filter(kind="child.view").exists()
    refused = client.post(f"/children/{child.pk}/purpose/", {"purpose": "", "next": f"/children/{child.pk}/"})
    assert "Enter why you are looking at this child" in html(refused)
    # An address elsewhere is never followed.
    sent = client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": "https://example.org/"})
    assert sent["Location"] == f"/children/{child.pk}/"
    page = html(client.get(f"/children/{child.pk}/"))
    assert "Aoife O’Brien" in page and "1 Test Street" in page
    assert AuditEvent.objects.get(kind="child.view").purpose == PURPOSE


@pytest.mark.parametrize(
    "escape",
    [
        "{pk}/../../admin/",
        "{pk}/entries/../../../agencies/",
        "{pk}/%2e%2e/%2e%2e/admin/",
        "{pk}//example.org/",
        "{other}/",
    ],
)
def test_the_purpose_returns_only_to_that_childs_own_pages(sw: World, escape: str) -> None:
    child = make_child(sw)
    client = client_for(sw, "practitioner")
    sent = client.post(
        f"/children/{child.pk}/purpose/",
        {"purpose": PURPOSE, "next": "/children/" + escape.format(pk=child.pk, other=child.pk + 1)},
    )
    assert sent["Location"] == f"/children/{child.pk}/"
    own = f"/children/{child.pk}/entries/new/?category=case_note"
    kept = client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": own})
    assert kept["Location"] == own


def test_another_agency_sees_what_is_held_and_by_whom_but_no_content(sw: World) -> None:
    child = make_child(sw)
    entry = health(sw, child)
    client = client_for(sw, "other_agency")
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = html(client.get(f"/children/{child.pk}/"))
    assert "Health information" in page and "blue inhaler" not in page
    assert client.get(f"/children/{child.pk}/entries/{entry.pk}/").status_code == 403
    own = client_for(sw, "practitioner")
    own.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    assert "blue inhaler" in html(own.get(f"/children/{child.pk}/entries/{entry.pk}/"))


def test_the_record_costs_the_same_statements_whatever_its_size(sw: World) -> None:
    child = make_child(sw)
    health(sw, child)
    client = client_for(sw, "practitioner")
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/children/{child.pk}/")
        assert response.status_code == 200
        return len(queries)

    first = count()
    for _ in range(5):
        health(sw, child)
        health(sw, child, restricted=True)
    assert count() == first == RECORD_PAGE_STATEMENTS


# --- Adding a child --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "the check digit should be 9, not 8"),
        ({"nhs_number": "100000002"}, "this has 9. If it began with a zero, enter the zero too."),
        ({"postcode": "EC1V OBW"}, "did you mean EC1V 0BW?"),
        ({"postcode": "SW1A 1AA x"}, "Enter a real postcode, like SW1A 1AA."),
        ({"born_on_year": str(timezone.localdate().year + 1)}, "date of birth"),
        ({"born_on_year": "1990"}, "(Rule: age max"),
        ({"service": ""}, "Enter your service"),
    ],
)
def test_bad_input_on_a_new_child_is_a_clear_message_and_nothing_is_written(
    sw: World, overrides: dict[str, str], message: str
) -> None:
    response = client_for(sw, "practitioner").post("/children/new/", new_child_data(**overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert "There is a problem" in html(response)
    assert not Child.objects.exists()


def test_a_future_date_of_birth_says_so(sw: World) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = html(
        client_for(sw, "practitioner").post(
            "/children/new/",
            new_child_data(
                born_on_day=str(tomorrow.day), born_on_month=str(tomorrow.month), born_on_year=str(tomorrow.year)
            ),
        )
    )
    assert "future" in page or "today or in the past" in page


def test_a_new_child_is_checked_then_created_and_likely_matches_are_offered_first(sw: World) -> None:
    client = client_for(sw, "practitioner")
    sent = client.post("/children/new/", new_child_data(nhs_number="9434765919"))
    assert sent["Location"] == "/children/new/check/"
    assert "9434765919" not in sent["Location"]
    # "Change" goes back to the form, filled in from the session.
    again = html(client.get("/children/new/"))
    assert 'value="Casey"' in again and 'value="2016"' in again
    check = html(client.get("/children/new/check/"))
    assert "Check your answers" in check and "943 476 5919" in check and "may already be in the index" not in check
    created = client.post("/children/new/check/")
    child = Child.objects.get()
    assert created["Location"] == f"/children/{child.pk}/"
    assert "Casey Quill" in html(client.get(created["Location"]))

    # Another agency's practitioner types the same child with a spelling variant: it is offered first.
    other = client_for(sw, "other_agency")
    other.post("/children/new/", new_child_data(given="Kasey", service="Youth offending"))
    offered = html(other.get("/children/new/check/"))
    assert "may already be in the index" in offered and "Add my involvement to this child instead" in offered
    refused = html(other.post("/children/new/check/"))
    assert "Say that none of these is the child" in refused
    assert Child.objects.count() == 1
    joined = other.post("/children/new/check/", {"use": str(child.pk)})
    assert joined["Location"] == f"/children/{child.pk}/"
    assert Involvement.objects.filter(child=child, agency=sw.other, ended_on__isnull=True).exists()


# --- Entries ---------------------------------------------------------------------------------------------------


def test_an_entry_is_recorded_by_category_and_a_missing_field_is_named(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "practitioner")
    # The pages name the child: the purpose is asked first (as on the child's page), then the kind.
    assert "Why are you looking at this record?" in html(client.get(f"/children/{child.pk}/entries/new/"))
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    chooser = html(client.get(f"/children/{child.pk}/entries/new/"))
    assert "What kind of information is it?" in chooser
    url = f"/children/{child.pk}/entries/new/?category=contact"
    refused = html(client.post(url, {"basis": "fact", "text": "Visited."}))
    assert "Enter type of contact." in refused and "Enter date of contact." in refused
    assert not RecordEntry.objects.exists()
    today = timezone.localdate()
    sent = client.post(
        url,
        {
            "f_contact_type": "home_visit",
            "f_contact_date_day": str(today.day),
            "f_contact_date_month": str(today.month),
            "f_contact_date_year": str(today.year),
            "f_people_present": "Mother, Child",
            "basis": "fact",
            "text": "Visited at home.",
            "restricted": "on",
        },
    )
    assert sent.status_code == 302
    entry = RecordEntry.objects.get()
    assert entry.is_restricted and entry.revisions.get().fields["people_present"] == ["Mother", "Child"]


def test_a_correction_is_a_new_revision_and_both_stay_readable(sw: World) -> None:
    child = make_child(sw)
    entry = health(sw, child)
    client = client_for(sw, "practitioner")
    # The correction form shows the entry's content: the purpose is asked first, and the view recorded with it.
    asked = html(client.get(f"/children/{child.pk}/entries/{entry.pk}/revise/"))
    assert "Why are you looking at this record?" in asked and "Asthma" not in asked
    assert not AuditEvent.objects.filter(kind="entry.view").exists()
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    form = html(client.get(f"/children/{child.pk}/entries/{entry.pk}/revise/"))
    assert "Asthma" in form
    assert AuditEvent.objects.get(kind="entry.view", object_id=str(entry.pk)).purpose == PURPOSE
    sent = client.post(
        f"/children/{child.pk}/entries/{entry.pk}/revise/",
        {"f_topic": "Eczema", "basis": "opinion", "text": "Dry skin.", "reason": "Wrong condition recorded."},
    )
    assert sent.status_code == 302
    assert EntryRevision.objects.filter(entry=entry).count() == 2
    page = html(client.get(f"/children/{child.pk}/entries/{entry.pk}/"))
    assert "Eczema" in page and "Asthma" in page and "Wrong condition recorded." in page


# --- Involvements, names, addresses, merges ----------------------------------------------------------------------


def test_an_involved_agency_adds_a_name_moves_the_address_and_ends_its_involvement(sw: World) -> None:
    child = make_child(sw)
    # The child has lived at its address for a year (a move must come after the current address began).
    child.addresses.update(from_on=timezone.localdate() - timedelta(days=365))
    client = client_for(sw, "practitioner")
    assert client.post(f"/children/{child.pk}/names/new/", {"kind": "known_as", "family": ""}).status_code == 200
    sent = client.post(f"/children/{child.pk}/names/new/", {"kind": "known_as", "given": "Effie", "family": ""})
    assert sent.status_code == 302 and child.names.filter(given="Effie", kind="known_as").exists()
    refused = html(client.post(f"/children/{child.pk}/address/", {"address": "9 New Road", "postcode": "EC1V OBW"}))
    assert "did you mean EC1V 0BW?" in refused and child.addresses.count() == 1
    assert (
        client.post(f"/children/{child.pk}/address/", {"address": "9 New Road", "postcode": "ec1v0bw"}).status_code
        == 302
    )
    assert child.addresses.count() == 2 and child.addresses.get(to_on__isnull=True).postcode == "EC1V 0BW"
    involvement = Involvement.objects.get(child=child, agency=sw.home)
    url = f"/children/{child.pk}/involvements/{involvement.pk}/end/"
    assert "Enter the reason" in html(client.post(url, {"reason": ""}))
    assert client.post(url, {"reason": "Case closed."}).status_code == 302
    involvement.refresh_from_db()
    assert involvement.ended_on is not None


def test_another_agency_adds_its_involvement(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "other_agency")
    sent = client.post(f"/children/{child.pk}/involvements/new/", {"service": "Youth offending", "lead": "on"})
    assert sent.status_code == 302
    added = Involvement.objects.get(child=child, agency=sw.other)
    assert added.lead_professional is not None and added.lead_professional.user == sw.users["other_agency"]


def test_a_partnership_admin_merges_two_entries_after_checking(sw: World) -> None:
    keep = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5))
    other = make_child(
        sw, "Samuel", "Smith", born_on=date(2014, 1, 5), by="other_agency", agency=sw.other, considered=[keep.pk]
    )
    client = client_for(sw, "partnership_admin")
    assert "another entry" in html(
        client.post(f"/children/{keep.pk}/merge/", {"other": str(keep.pk), "reason": "Same"})
    )
    sent = client.post(f"/children/{keep.pk}/merge/", {"other": str(other.pk), "reason": "Same NHS records."})
    assert sent["Location"] == f"/children/{keep.pk}/merge/check/"
    check = html(client.get(sent["Location"]))
    assert "Check the merge" in check and "Samuel Smith" in check
    assert not Child.objects.filter(merged_into=keep).exists()
    done = client.post(sent["Location"])
    assert done["Location"] == f"/children/{keep.pk}/"
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk
    assert AuditEvent.objects.filter(kind="child.merge").count() == 2


def test_a_child_is_recorded_only_for_an_agency_the_user_practises_in(sw: World) -> None:
    client = client_for(sw, "practitioner")
    session = client.session
    data = {**new_child_data(), "born_on": "2016-05-03", "languages": [], "known_as": "", "nhs_number": ""}
    session["sharing_new_child"] = {"data": data, "agency": sw.other.pk, "considered": []}
    session.save()
    assert client.post("/children/new/check/").status_code == 403
    assert not Child.objects.exists()
    assert AuditEvent.objects.filter(kind="access.denied").count() == 1


# --- Changing the minimum data, and the shield ------------------------------------------------------------------


def record_page(client: Client, child: Child) -> str:
    """The child's page, with the purpose stated first."""
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    return html(client.get(f"/children/{child.pk}/"))


def test_an_involved_agency_changes_one_detail_from_its_change_link(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "practitioner")
    page = record_page(client, child)
    link = f'href="/children/{child.pk}/change/gender/">Change<span class="govuk-visually-hidden"> gender</span>'
    assert link in page and 'Change<span class="govuk-visually-hidden"> NHS number</span>' in page
    form = html(client.get(f"/children/{child.pk}/change/gender/"))
    assert "Change the gender" in form and 'value="not_known" checked' in form
    sent = client.post(f"/children/{child.pk}/change/gender/", {"gender": "female"})
    assert sent.status_code == 302 and sent["Location"] == f"/children/{child.pk}/"
    after = html(client.get(sent["Location"]))
    assert "The gender has been changed." in after and "Female" in after
    event = AuditEvent.objects.get(kind="child.update", child_id=child.pk)
    assert event.detail["before"] == {"gender": "not_known"} and event.detail["after"] == {"gender": "female"}
    # The other fields were left as they were (a change of one part sends only that part).
    child.refresh_from_db()
    assert (child.area_id, child.born_on) == (area_code("Northbridge"), date(2015, 4, 2))


def test_the_change_form_asks_the_purpose_first_and_an_unknown_part_is_404(sw: World) -> None:
    child = make_child(sw)
    client = client_for(sw, "practitioner")
    child = Child.objects.get(pk=child.pk)
    Child.objects.filter(pk=child.pk).update(nhs_number="9434765919")
    asked = html(client.get(f"/children/{child.pk}/change/nhs-number/"))
    assert 'name="purpose"' in asked and "943" not in asked
    client.post(
        f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/change/nhs-number/"}
    )
    assert 'value="9434765919"' in html(client.get(f"/children/{child.pk}/change/nhs-number/"))
    assert AuditEvent.objects.filter(child_id=child.pk, purpose=PURPOSE).exists()  # the form's read is recorded
    assert client.get(f"/children/{child.pk}/change/merged_into/").status_code == 404


def test_a_new_name_is_searched_and_the_old_one_becomes_a_previous_name(sw: World) -> None:
    child = make_child(sw, "Casey", "Quill")
    client = client_for(sw, "practitioner")
    assert client.post(f"/children/{child.pk}/change/name/", {"given": "", "family": ""}).status_code == 200
    sent = client.post(
        f"/children/{child.pk}/change/name/", {"given": "Casey", "family": "Quill-Harrow", "name_change": "change"}
    )
    assert sent.status_code == 302
    page = record_page(client, child)
    assert "Casey Quill-Harrow (legal name)" in page and "Casey Quill (previous name)" in page
    for name in ("Quill Harrow", "Casey Quill"):
        found = html(client.post("/children/", {"purpose": PURPOSE, "name": name}))
        assert f"/children/{child.pk}/" in found, name


@pytest.mark.parametrize(
    ("part", "data", "field", "message"),
    [
        ("nhs-number", {"nhs_number": "9434765918"}, "nhs_number", "check digit"),
        ("nhs-number", {"nhs_number": "943 476 5919"}, "nhs_number", "ask a partnership admin to merge them"),
        ("born-on", {"born_on_day": "1", "born_on_month": "1", "born_on_year": "2090"}, "born_on", "in the past"),
        ("born-on", {"born_on_day": "1", "born_on_month": "1", "born_on_year": "1990"}, "born_on", "Rule:"),
        ("phone", {"phone": "not a phone"}, "phone", "real phone number"),
        ("setting", {"setting": "none", "setting_name": "Riverside"}, "setting_name", "kind of setting first"),
        ("gender", {"gender": "wizard"}, "gender", "Select"),
    ],
)
def test_a_bad_change_is_a_field_message_and_nothing_is_written(
    sw: World, part: str, data: dict[str, str], field: str, message: str
) -> None:
    make_child(sw, "Other", "Child", born_on=date(2013, 1, 1), nhs_number="9434765919")
    child = make_child(sw)
    before = Child.objects.filter(pk=child.pk).values().get()
    response = client_for(sw, "practitioner").post(f"/children/{child.pk}/change/{part}/", data)
    page = html(response)
    assert response.status_code == 200 and "There is a problem" in page
    assert f'id="id_{field}-error"' in page or f'id="id_{field}_day-error"' in page or field == "born_on"
    assert message.lower() in page.lower(), page[page.find("govuk-error-summary") :][:600]
    assert Child.objects.filter(pk=child.pk).values().get() == before
    assert not AuditEvent.objects.filter(kind="child.update").exists()


def test_another_agency_sees_no_change_links_and_may_not_change(sw: World) -> None:
    child = make_child(sw)
    police = client_for(sw, "other_agency")
    page = record_page(police, child)
    assert "/change/" not in page and "Shield this child" not in page
    assert police.post(f"/children/{child.pk}/change/gender/", {"gender": "female"}).status_code == 403
    assert police.get(f"/children/{child.pk}/shield/").status_code == 403


def test_a_child_is_shielded_with_a_reason_and_a_designated_manager_lifts_the_shield(sw: World) -> None:
    child = make_child(sw, "Skye", "Hidden")
    client = client_for(sw, "practitioner")
    assert "Shield this child" in record_page(client, child)
    refused = html(client.post(f"/children/{child.pk}/shield/", {"reason": ""}))
    assert "Enter the reason" in refused and "Confirm that you mean to do this" in refused
    sent = client.post(f"/children/{child.pk}/shield/", {"reason": "Fled abuse", "confirm": "on"})
    assert sent.status_code == 302
    page = html(client.get(sent["Location"]))
    assert "The child is shielded." in page and "This child is shielded." in page
    assert "Lift the shield" not in page  # a practitioner: a designated manager lifts it
    assert client.get(f"/children/{child.pk}/shield/").status_code == 403  # already shielded
    found = html(client_for(sw, "other_agency").post("/children/", {"purpose": PURPOSE, "name": "Skye"}))
    assert f"/children/{child.pk}/" not in found  # the shield: not by a partial name
    manager = client_for(sw, "designated_manager")
    assert "Lift the shield" in record_page(manager, child)
    assert manager.post(f"/children/{child.pk}/unshield/", {"reason": "Safe now", "confirm": "on"}).status_code == 302
    child.refresh_from_db()
    assert not child.is_shielded
    kinds = list(AuditEvent.objects.filter(kind="child.shield", child_id=child.pk).values_list("purpose", flat=True))
    assert sorted(kinds) == ["Fled abuse", "Safe now"]


@pytest.mark.parametrize(
    "part",
    ["name", "born-on", "gender", "ethnicity", "languages", "phone", "setting", "nhs-number", "area", "age-scope"],
)
def test_every_change_form_shows_the_current_value(sw: World, part: str) -> None:
    child = make_child(sw, "Casey", "Quill", nhs_number="9434765919", languages=["Irish"], phone="020 7946 0958")
    client = client_for(sw, "practitioner")
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    page = html(client.get(f"/children/{child.pk}/change/{part}/"))
    shown = {
        "name": 'value="Quill"',
        "born-on": 'value="2015"',
        "gender": 'value="not_known" checked',
        "ethnicity": 'value="not_stated" selected',
        "languages": 'value="Irish"',
        "phone": 'value="+442079460958"',
        "setting": 'value="none" checked',
        "nhs-number": 'value="9434765919"',
        "area": '<option value="E99000001" selected>',
        "age-scope": 'name="is_care_leaver"',
    }[part]
    assert shown in page, part
