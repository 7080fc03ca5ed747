"""Tester break10e's findings on issue 10 (the child index), against the fixes of h/fix10e and earlier: the
likely-match offer's closed records, the API's record status, "Zara Q" found by a prefix of the name keys. Each
test failed against the code as found and says what a user does, what happens, why it is wrong and what would be
right. Data is built through the services (finding 4 adds name keys in bulk to stand for a large index)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from sharing import rules
from sharing.models import Child, ChildName, ChildNameKey, Involvement
from sharing.selectors import children as child_selectors
from sharing.selectors import likely_matches
from sharing.services import child_shield, entry_record
from sharing.services.retention import child_close
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}
BORN = date(2013, 6, 14)
# A partnership admin's closing reason: free text, which (as sharing.api.child_shapes says of it) tells where the
# child went and with whom.
WHERE = "Moved to 14 Elm Road, Leeds LS6 2AB with her mother"


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def _nhs(first_nine: str) -> str:
    digit = rules.nhs_check_digit(first_nine)
    assert digit is not None, first_nine
    return f"{first_nine}{digit}"


def _closed_shielded(sw: World) -> tuple[Child, str]:
    """Zara Quinn, shielded by the home agency (a protected address), then closed by a partnership admin."""
    number = _nhs("401023213")
    child = make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number, postcode="E1 6AN")
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Protected address")
    child_close(actor=fresh(sw.users["partnership_admin"]), child=Child.objects.get(pk=child.pk), reason=WHERE)
    return Child.objects.get(pk=child.pk), number


def _record_page(client: Client, child: Child) -> str:
    """The record page, its purpose stated on the purpose step as a user does."""
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    page = client.get(f"/children/{child.pk}/")
    assert page.status_code == 200
    return page.content.decode()


# --- high -----------------------------------------------------------------------------------------------------


def test_a_shielded_childs_closing_reason_is_withheld_like_its_address_on_the_page_and_the_api(sw: World) -> None:
    """The home agency shields Zara Quinn (a protected address); later a partnership admin closes her record with
    the reason "Moved to 14 Elm Road, Leeds LS6 2AB with her mother". A police officer (another agency, not
    involved) types her NHS number on the new-child form: the likely-match offer (fix10e) shows the closed record,
    address withheld, which lets the officer into the record today (the shield's exact terms). The record page
    and GET /api/v1/children/<id>/ (`close_reason`, and the page's closure sentence) then show the closing reason
    in full, i.e. the child's new address and who she lives with, while the same answers withhold her address,
    postcode, phone and setting (sharing.policy.shield_withholds). DESIGN 2.3 / the issue: a shielded child is
    shown "with the address and setting withheld"; the ContactPoint shield exists for children whose whereabouts
    must not be known. Right: a closing reason is withheld wherever the shield withholds the address (the
    officer is told the record is closed, when and under which rule, not why), on the page and in the API."""
    child, number = _closed_shielded(sw)
    officer = sw.users["other_agency"]
    found = likely_matches(
        principal=fresh(officer), purpose=PURPOSE, given="Zara", family="Quinn", born_on=BORN, nhs_number=number
    )
    assert [(result.child_id, result.is_closed, result.postcode) for result in found.results] == [
        (child.pk, True, None)
    ]
    client = sign_in(Client(), officer)
    answer = client.get(f"/api/v1/children/{child.pk}/", **H)
    assert answer.status_code == 200
    body = answer.json()
    assert "address" not in body and "setting" not in body and "phone" not in body  # the shield withholds these
    assert body["status"] == "closed"
    page = _record_page(client, child)
    assert "closed" in page
    assert "Elm Road" not in str(body.get("close_reason")), "the API gives the closing reason"
    assert "Elm Road" not in page, "the page gives the closing reason"


def test_an_erased_childs_merged_away_entry_keeps_no_contact_details_and_says_erased(sw: World) -> None:
    """Two entries for Zara Quinn: the second ("Zarah Quinn", with a phone number, a language, and the school
    she attends) is merged by a partnership admin into the first. Later the record is closed, and at the end of
    the retention period the sweep erases it (child_erase: names, addresses, phone, languages, setting name and
    the day and month of the date of birth). A police officer then reads GET /api/v1/children/<merged id>/ (ids
    are sequential; a merged-away entry is readable by any index user) and its page: the phone number, the
    language, "Oak Primary School" and the full date of birth are all still there, and `status` says "open"
    (merged_into names the erased child). child_merge moves the names, addresses, involvements and entries to the
    kept child but leaves the duplicate's own minimum data on its row, and child_erase erases only the kept row.
    Southampton 6 and 8: deleted beyond recovery at the end of the retention period; the issue (fix10e): the
    API's child detail says whether the record is open, closed or erased. Right: the erasure reaches every entry
    merged into the child (or the merge moves or clears those fields), and a merged-away entry's status is its
    survivor's (closed, erased)."""
    from isp_portal.policy import SystemActor
    from sharing.services import child_merge
    from sharing.services.retention import child_erase

    keep = make_child(sw, "Zara", "Quinn", born_on=BORN)
    duplicate = make_child(
        sw,
        "Zarah",
        "Quinn",
        born_on=BORN,
        considered=range(10_000),
        phone="020 7946 0958",
        languages=["pol"],
        setting="school",
        setting_name="Oak Primary School",
    )
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=duplicate, reason="The same child")
    child_close(actor=fresh(sw.users["partnership_admin"]), child=Child.objects.get(pk=keep.pk), reason="Moved")
    closed = Child.objects.get(pk=keep.pk)
    assert closed.erase_due_on is not None
    child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on)
    client = sign_in(Client(), sw.users["other_agency"])
    assert client.get(f"/api/v1/children/{keep.pk}/", **H).json()["status"] == "erased"
    answer = client.get(f"/api/v1/children/{duplicate.pk}/", **H)
    assert answer.status_code == 200
    body = answer.json()
    page = _record_page(client, duplicate)
    kept = {
        name: body.get(name)
        for name in ("phone", "languages", "setting_name", "born_on", "status")
        if body.get(name) not in (None, "", [], "erased") and not (name == "born_on" and body[name].endswith("-01-01"))
    }
    assert kept == {}, f"after the erasure the merged-away entry still gives {kept}"
    assert "Oak Primary School" not in page and "7946" not in page


# --- medium ---------------------------------------------------------------------------------------------------


def test_the_likely_match_offer_does_not_list_the_children_born_a_day_by_their_initials(sw: World) -> None:
    """A police officer posts to /api/v1/children/match/ a date of birth with one-letter names: {"given": "A",
    "family": "Q", "born_on": ...} answers Zara Quinn and Adam Brown, {"given": "C", "family": "B"} Adam Brown and
    Carl Davis: every (unshielded) child born that day with a name beginning with either letter, their names, sex
    and the agencies involved, so thirteen requests list the day. The search refuses exactly this since break10d (a
    date of birth with one letter; rules.INITIAL_WITH_BIRTH_DATE: "an initial with a date of birth would list many
    children"; BIRTH_DATE_ALONE), and the issue's match is "the same date of birth with a SIMILAR NAME": a
    one-letter "name" is similar to every name with that initial (the name key `i:a` is read as a whole name). The
    pace (sharing.search_pace) slows the listing; it does not stop it. Right: the match reads a one-letter given or
    family name only with the other name whole, refusing (400, field message) a match with no whole name of
    NAME_ALONE_MIN letters unless an NHS number is given, as the search does."""
    make_child(sw, "Zara", "Quinn", born_on=BORN)
    make_child(sw, "Adam", "Brown", born_on=BORN, considered=range(10_000))
    make_child(sw, "Carl", "Davis", born_on=BORN, considered=range(10_000))
    client = sign_in(Client(), sw.users["other_agency"])
    listed: set[str] = set()
    for given, family in (("A", "Q"), ("C", "B")):
        answer = client.post(
            "/api/v1/children/match/",
            data={"given": given, "family": family, "born_on": BORN.isoformat()},
            content_type="application/json",
            **H,
        )
        if answer.status_code == 200:
            listed |= {f"{result['given']} {result['family']}" for result in answer.json()["results"]}
    assert listed == set(), f"two requests of initials listed {sorted(listed)}"


def test_a_create_that_meets_a_shielded_childs_nhs_number_tells_the_shielding_agency(sw: World) -> None:
    """The home agency shields Zara Quinn, NHS number N. A police officer POSTs /api/v1/children/ for a new child
    with NHS number N and `considered` set to twenty ids around the newest child's (ids are sequential; the API
    takes up to 20). The likely-match check finds the shielded child, its id is among those "considered", so no
    409 is answered (which would run likely_matches: child.match naming it, and the shielding agency's notice);
    instead the answer is 400 "A child with this NHS number is already in the index: record against it." The
    officer has confirmed that a child with that number is in the index; the only audit row is a
    request.refused naming no child, and the shielding agency is not told (no ShieldedAccess). child_update
    handles this very case (NhsNumberOfShielded: child.nhs_number_match naming the child, and the notice), and
    the issue: every access to a shielded child "notifies the shielding agency". Right: a create refused for a
    shielded child's NHS number is recorded and told as child_update's is (or `considered` ids the user was
    never offered are not taken as considered)."""
    from sharing.models import ShieldedAccess

    number = _nhs("401023213")
    child = make_child(sw, "Zara", "Quinn", born_on=BORN, nhs_number=number)
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Protected address")
    client = sign_in(Client(), sw.users["other_agency"])
    answer = client.post(
        "/api/v1/children/",
        data={
            "agency": sw.other.pk,
            "given": "Ann",
            "family": "Other",
            "born_on": "2014-01-01",
            "nhs_number": number,
            "postcode": "N1 9GU",
            "address": "1 Test Road, Northbridge",
            "service": "Public protection",
            "considered": list(range(max(1, child.pk - 10), child.pk + 10)),
        },
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 400
    assert "already in the index" in str(answer.json()["error"]["fields"]["nhs_number"])
    assert not Child.objects.filter(nhs_number=number).exclude(pk=child.pk).exists()
    assert AuditEvent.objects.filter(child_id=child.pk, actor_id=sw.users["other_agency"].pk).exists(), (
        "no audit row names the shielded child"
    )
    assert ShieldedAccess.objects.filter(child=child, user=sw.users["other_agency"]).exists(), (
        "the shielding agency is not told"
    )


def test_a_grant_opens_the_entry_as_disclosed_not_its_later_revisions(sw: World) -> None:
    """The home agency records a case note on Zara Quinn ("Seen at home, all well") and grants it to a police
    officer for a section 47 enquiry for a week (entry_grants_give, the grant check the sharing issue's
    disclosures will call). Next day the home practitioner corrects the note to an opinion about the mother's new
    partner. The officer's GET /api/v1/entries/<id>/ and .../revisions/ now show the new revision's text (and
    no longer the one disclosed): content the agency never decided to disclose, reaching another agency because
    it once disclosed something else under that entry, with no disclosure or audit row saying so. DESIGN 3.2:
    the sensitive tier is open to "the named recipients of a disclosure for the entries disclosed until it
    expires"; the issue: "any other practitioner sees ... no content until a disclosure grants it". Right: a grant
    opens the revision(s) current when it was given (the grant records the revision number), and a later
    revision is shown to the recipient only through a new disclosure."""
    from datetime import timedelta

    from django.utils import timezone

    from sharing.services.entries import entry_revise
    from sharing.services.grants import entry_grants_give

    child = make_child(sw, "Zara", "Quinn", born_on=BORN)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="case_note",
        fields={},
        text="Seen at home, all well",
        basis="fact",
    )
    officer = sw.users["other_agency"]
    entry_grants_give(
        actor=fresh(sw.users["practitioner"]),
        entries=[entry],
        user=officer,
        agency=sw.other,
        purpose="Section 47 enquiry",
        expires_at=timezone.now() + timedelta(days=7),
    )
    client = sign_in(Client(), officer)
    assert client.get(f"/api/v1/entries/{entry.pk}/", **H).json()["current"]["text"] == "Seen at home, all well"
    entry_revise(
        actor=fresh(sw.users["practitioner"]),
        entry=entry,
        fields={},
        text="Mother's new partner is known to us; I am worried about him",
        basis="opinion",
        reason="Added what the visit showed",
    )
    shown = str(client.get(f"/api/v1/entries/{entry.pk}/", **H).json()) + str(
        client.get(f"/api/v1/entries/{entry.pk}/revisions/", **H).json()
    )
    assert "new partner" not in shown, "the grantee reads a revision made after the grant"


# --- low ------------------------------------------------------------------------------------------------------


def _key_rows_read(text: str, born_on: date | None = None) -> int:
    """The rows of sharing_childnamekey the search statement for `text` (and `born_on`) reads, by EXPLAIN
    ANALYZE."""
    shape, params = child_selectors._search_shape_and_params(rules.name_query(text), born_on, None, None)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + child_selectors._search_sql(shape), params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    total = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal total
        if node.get("Relation Name") == "sharing_childnamekey":
            total += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return total


def test_a_given_name_and_an_initial_reads_a_bounded_number_of_keys_whatever_the_index(sw: World) -> None:
    """A practitioner searches "Zork Q" (a given name nobody in the index has, and a family initial). The
    family-initial reading (fix10e, selectors.children._BY_INITIAL) scans the btree range of `ti:z|q…` keys and
    checks each one's name for the given name's keys; the capped search's LIMIT counts matches, so when none
    match it reads every key in the range: every child whose given name begins with Z and family name with Q
    (here 5,000 keys added in bulk stand for them; at 1,000,000 children a common pair such as "J S" is tens of
    thousands), for an empty answer; with a date of birth too (even one no child in the range has), since the
    date is the index's second column. "Zork Quinn" reads none. The issue: "one search is a few index lookups
    whatever the size of the index", child search p95 <= 60 ms at 1,000,000. Right: the range read bounded
    (HITS_CAP rows read, not matched, then "more: narrow the search"), or the given name's keys looked up first
    and their `ti` keys checked against the prefix."""
    child = make_child(sw, "Zoe", "Quayle", born_on=BORN)
    name = ChildName.objects.get(child=child, kind="legal")
    ChildNameKey.objects.bulk_create(
        ChildNameKey(name=name, child=child, born_on=BORN, key=f"ti:z|q{index:05d}x") for index in range(5_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sharing_childnamekey")
    assert _key_rows_read("Zork Quinn") <= child_selectors.HITS_CAP
    read = {
        "Zork Q": _key_rows_read("Zork Q"),
        # With a date of birth nobody in the range has: the date is the index's second column, read as a filter.
        "Zork Q, born 1 January 2010": _key_rows_read("Zork Q", date(2010, 1, 1)),
    }
    assert all(rows <= 3 * child_selectors.HITS_CAP for rows in read.values()), read


def test_the_merge_form_refuses_a_closed_entry_on_its_field(sw: World) -> None:
    """A partnership admin merges duplicates: on Zara Quinn's "Merge another entry into this one" form they type
    the number of the other entry, which was closed last week. The form accepts it (302 to the check page), and
    the check page is a 403 error page ("This record is closed: nothing can be added to it or changed. This
    attempt has been recorded."), a dead end with no way back to the form. The form already refuses a merged
    entry's number on its field; the issue's bad input: "each answered with a clear message on the form". Right:
    "Entry N is closed: ..." on the number field, as for a merged entry (and the same for an erased one)."""
    keep = make_child(sw, "Zara", "Quinn", born_on=BORN)
    other = make_child(sw, "Zarah", "Quinn", born_on=BORN, considered=range(10_000))
    child_close(actor=fresh(sw.users["partnership_admin"]), child=other, reason="Moved out of the partnership")
    client = sign_in(Client(), sw.users["partnership_admin"])
    sent = client.post(f"/children/{keep.pk}/merge/", {"other": str(other.pk), "reason": "The same child"})
    if sent.status_code == 302:
        sent = client.get(sent["Location"])
    assert sent.status_code == 200, f"a {sent.status_code} page rather than a message on the form"
    assert "closed" in sent.content.decode()


def test_a_closed_records_pages_offer_no_end_or_correct_action(sw: World) -> None:
    """A partnership admin closes Zara Quinn's record. The home practitioner opens it: the involvements table
    still has an "End" link on their involvement, and their case note's page a link to correct it (.../revise/);
    both forms open (GET 200), and sending either is refused (403, "This child's record is closed: its
    involvements can no longer be changed." / "... its entries can no longer be corrected."). fix10e took "Add my
    involvement" away from a closed match on this ground, and the record page already hides adding an entry or
    a name; the issue (and the tester brief: "pages offering actions the service refuses") wants no action the
    service refuses. Right: no End or Correct link on a closed record, and those forms' GET answers as their
    POST does (the record is closed)."""
    child = make_child(sw, "Zara", "Quinn", born_on=BORN)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="case_note",
        fields={},
        text="Seen at home",
        basis="fact",
    )
    child_close(actor=fresh(sw.users["partnership_admin"]), child=child, reason="Moved out of the partnership")
    involvement = Involvement.objects.get(child=child)
    end = f"/children/{child.pk}/involvements/{involvement.pk}/end/"
    revise = f"/children/{child.pk}/entries/{entry.pk}/revise/"
    client = sign_in(Client(), sw.users["practitioner"])
    page = _record_page(client, child)
    entry_page = client.get(f"/children/{child.pk}/entries/{entry.pk}/").content.decode()
    # The service refuses both, and the refusals are audited.
    assert (
        client.post(
            end, {"ended_on_day": "1", "ended_on_month": "1", "ended_on_year": "2026", "reason": "Case closed"}
        ).status_code
        == 403
    )
    assert client.post(revise, {"text": "Seen at school", "basis": "fact", "reason": "Typo"}).status_code == 403
    assert AuditEvent.objects.filter(kind="access.denied", detail__path=end).exists()
    assert AuditEvent.objects.filter(kind="access.denied", detail__path=revise).exists()
    offered = [
        what
        for what, shown in (
            ("End link on the record page", end in page),
            ("Correct link on the entry page", revise in entry_page),
            ("End form", client.get(end).status_code == 200),
            ("Correct form", client.get(revise).status_code == 200),
        )
        if shown
    ]
    assert offered == []


def test_a_shielded_likely_match_offers_no_add_involvement_action_to_another_agency(sw: World) -> None:
    """The home agency shields Zara Quinn. A police officer starts "Add a child" with her exact name and date of
    birth: the check-your-answers page offers her as a likely match (the shield's exact terms) with the button
    "Add my involvement to this child instead". Pressing it is refused (403: on a shielded child only the
    shielding agency adds an involvement, sharing.policy.shield_admits_involvement). fix10e removed that button
    from a closed match, saying why and whom to contact; the shielded match is the same case. The issue: the
    portal "lets the practitioner add their involvement to one of them instead"; a page must not offer what the
    service refuses. Right: for a shielded match another agency may not join, no button but the refusal's own
    words (contact the agency that shielded the child), on the page, and in the API match a flag saying the
    caller cannot add an involvement to it."""
    child = make_child(sw, "Zara", "Quinn", born_on=BORN)
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Protected address")
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
        },
    )
    assert sent["Location"] == "/children/new/check/"
    page = client.get("/children/new/check/").content.decode()
    assert "may already be in the index" in page
    assert client.post("/children/new/check/", {"use": str(child.pk)}).status_code == 403
    assert not Involvement.objects.filter(child=child, agency=sw.other).exists()
    assert f'name="use" value="{child.pk}"' not in page, "the page offers Add my involvement"
