"""Tester break10c's findings on issue 10 (the child index, shielding, record entries by tier). Each test fails
against the code as found: it says what a user sees and why it matters. Data is built through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings

from sharing.models import RecordEntry
from sharing.search_pace import search_pace_reset
from sharing.services import child_address_change, entry_record
from tests.factories import World
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=body, content_type="application/json", **H)


def test_an_entry_date_years_before_the_childs_birth_is_refused(sw: World) -> None:
    """A practitioner records a contact (or an SEN statement, a child-protection registration...) dated years
    before the child was born, and the API answers 201. The portal's own rule is that nothing about a child
    begins before its birth (rules.before_birth_error, applied to addresses and involvements), but the
    structured dates of record entries are only checked against 1900 and today: a mistyped year (2001 for
    2021) goes into the record as a fact about the child and is shared as such. (A pre-birth child-protection
    conference may precede a birth by months; a contact or an SEN plan 14 years before it cannot.)"""
    child = make_child(sw, born_on=date(2015, 4, 2))
    client = client_as(sw, "practitioner")
    for category, fields, name in (
        (
            "contact",
            {"contact_type": "home_visit", "contact_date": "2001-01-01", "duration_minutes": 30, "people_present": []},
            "contact_date",
        ),
        ("sen_statement", {"provision": "ehc_plan", "issued_on": "2001-01-01"}, "issued_on"),
    ):
        body = {"agency": sw.home.pk, "category": category, "fields": fields, "text": "x", "basis": "fact"}
        answer = post(client, f"/api/v1/children/{child.pk}/entries/", body)
        assert answer.status_code == 400, (category, answer.status_code, answer.content[:200])
        assert f"fields.{name}" in answer.json()["error"]["fields"]
    assert not RecordEntry.objects.filter(child=child).exists()


def test_a_shielded_childs_postcodes_cannot_be_confirmed_by_search(sw: World) -> None:
    """A police officer who knows a shielded child's exact name and date of birth (or NHS number) searches
    again with a postcode added: the child is found with the refuge's postcode (current or past) and not found
    with any other. The shield withholds the address from them, but the search answers yes/no for every
    postcode guessed, current or historic, and the shielding agency is told only once a day, so repeated
    guesses are never reported. The ContactPoint shield exists precisely to stop someone confirming where a
    child lives."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    child_address_change(actor=fresh(sw.users["practitioner"]), child=child, address="Refuge", postcode="SW1A 1AA")
    police = client_as(sw, "other_agency")

    def found(**criteria: str) -> list[int]:
        answer = post(police, "/api/v1/children/search/", criteria)
        return [result["id"] for result in answer.json()["results"]] if answer.status_code == 200 else []

    for exact in ({"name": "Zara Quinn", "born_on": "2012-09-09"}, {"nhs_number": "4000000020"}):
        right_now, earlier, wrong = (found(**exact, postcode=code) for code in ("SW1A 1AA", "N1 9GU", "EC1V 0BW"))
        assert right_now == earlier == wrong, (exact, right_now, earlier, wrong)


def test_a_correction_through_the_api_does_not_lift_the_restricted_mark_by_omission(sw: World) -> None:
    """A social worker authorised for restricted information corrects a typo in a restricted entry (victim
    information) through POST /api/v1/entries/{id}/revisions/, sending the fields, text, basis and reason but not
    `restricted` (it is not a field they meant to change). The mark silently defaults to false: the new revision,
    which repeats the victim's details, is readable by every practitioner of the agency and its category shown
    to other agencies. Lifting the restricted mark should be an explicit act, never the effect of leaving a
    field out."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    fields = {"person_name": "Vicky Victim", "relationship": "parent", "concern_indicator": True}
    entry = entry_record(
        actor=fresh(sw.users["restricted"]),
        child=child,
        agency=sw.home,
        category="family_relationship",
        fields=fields,
        text="Victim lives at 3 Secret Road",
        basis="fact",
        restricted=True,
    )
    practitioner = client_as(sw, "practitioner")
    assert practitioner.get(f"/api/v1/entries/{entry.pk}/", **H).status_code == 404
    body = {"fields": fields, "text": "Victim lives at 3 Secret Road (typo fixed)", "basis": "fact", "reason": "Typo"}
    answer = post(client_as(sw, "restricted"), f"/api/v1/entries/{entry.pk}/revisions/", body)
    assert answer.status_code in (201, 400)
    seen = practitioner.get(f"/api/v1/entries/{entry.pk}/", **H)
    assert seen.status_code == 404, seen.content[:300]
    assert "Secret Road" not in seen.content.decode()


@pytest.mark.parametrize("page", ["involvements/new/", "entries/new/"])
def test_a_childs_name_and_date_of_birth_are_not_shown_by_id_without_a_purpose_or_an_audit(
    sw: World, page: str
) -> None:
    """A police officer opens /children/{id}/involvements/new/ (or /entries/new/) for any id, without having
    searched and without stating a purpose: the page's caption names the child and its date of birth ("Zara
    Quinn, born 9 September 2012"), and nothing is written to the audit trail. Ids are sequential, so walking
    them lists the whole index (every unshielded child's name and date of birth) with no purpose, no
    child.search or child.view event and no search pace: the "history of enquiries to the register" (WYCPS) and
    the rule that every view of a child states its purpose (DPA 2018 s62) are both bypassed."""
    from audit.models import AuditEvent

    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    police = client_as(sw, "other_agency")
    answer = police.get(f"/children/{child.pk}/{page}")
    shown = "Zara" in answer.content.decode() or "9 September 2012" in answer.content.decode()
    audited = AuditEvent.objects.filter(child_id=child.pk, actor_id=sw.users["other_agency"].pk).exclude(purpose="")
    assert not shown or audited.exists(), (answer.status_code, "name shown with no audited purpose")


def test_a_duplicate_merged_into_a_shielded_child_does_not_show_its_phone_and_school(sw: World) -> None:
    """A partnership admin merges a duplicate entry (recorded with the child's phone and school) into the
    shielded entry for the same child. The duplicate stays, pointing at the shielded one, and keeps its own
    phone, setting and setting name: a police officer who is not involved gets 404 for the shielded child, but
    GET /api/v1/children/{duplicate}/ (or its page) answers 200 with the phone number and "Hidden Primary". The
    shield is meant to withhold every way to reach the child (sharing.policy.shield_withholds); the merge moved
    the names and addresses but left these contact details readable on an unshielded row."""
    kept = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    duplicate = make_child(
        sw,
        "Zarah",
        "Quin",
        born_on=date(2012, 9, 9),
        nhs_number="",
        phone="020 7946 0958",
        setting="school",
        setting_name="Hidden Primary",
        considered=[kept.pk],
    )
    from sharing.services import child_merge

    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=kept, merge=duplicate, reason="The same child")
    police = client_as(sw, "other_agency")
    assert police.get(f"/api/v1/children/{kept.pk}/", **H).status_code == 404
    answer = police.get(f"/api/v1/children/{duplicate.pk}/", **H)
    shown = answer.content.decode()
    assert "7946" not in shown and "Hidden Primary" not in shown, (answer.status_code, shown[:400])


@override_settings(CHILD_SEARCHES_PER_MINUTE=3)
def test_the_duplicate_check_is_paced_like_the_search(sw: World) -> None:
    """The search is slowed after CHILD_SEARCHES_PER_MINUTE a minute (429) so that a script cannot list the
    index (issue 10 finding: 120 searches in a row all answered). POST /api/v1/children/match/ is the same read
    of the register (date of birth with a name, an initial or a postcode; "audited as a search of the register")
    and answers every call: a police officer's script asks it date by date with the initial "A", or with a
    postcode, and lists the children born that day, as fast as it likes, while the search would have said 429
    after three."""
    ids: list[int] = []
    for given in ("Adam", "Alice", "Bea"):
        ids.append(make_child(sw, given, "Example", born_on=date(2013, 3, 3), nhs_number="", considered=ids).pk)
    reader = sw.users["other_agency"]
    search_pace_reset(reader)
    police = client_as(sw, "other_agency")
    # A whole name: the initial "A" alone is refused since break10e finding 2 (400), which is paced too.
    body = {"born_on": "2013-03-03", "given": "Adam", "family": ""}
    answers = [post(police, "/api/v1/children/match/", body).status_code for _ in range(5)]
    search_pace_reset(reader)
    assert answers == [200, 200, 200, 429, 429], answers


def test_a_shielded_childs_school_is_not_named_by_its_involvements(sw: World) -> None:
    """A shielded child's setting is withheld from agencies not involved ("Setting withheld"), but its school is
    itself a partner agency and is involved with it. A police officer who finds the child by its exact name and
    date of birth sees, in the search result's `agencies` and in the record's involvements, "Hidden Primary
    School" with its service: the very setting the shield withholds, and so where the child can be found every
    weekday. The ContactPoint shield withheld the services involved with a shielded child for this reason."""
    from django.utils import timezone

    from agencies.models import AgencyKind, Role
    from agencies.services import agency_update
    from sharing.services import involvement_add
    from tests.factories import SYSTEM, make_agency, make_user
    from tests.protocol_fixtures import complete_checklist, sign
    from tests.sharing.fixtures import train

    school = make_agency("Hidden Primary School", kind=AgencyKind.SCHOOL)
    agency_update(
        actor=SYSTEM,
        agency=school,
        ico_registration_number="ZA100077",
        ico_registration_expires_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    complete_checklist(school)
    sign(sw.objects["protocol"], school)
    teacher = make_user(name="Tess Teacher", agency=school, roles=[Role.PRACTITIONER])
    train(teacher)
    child = make_child(
        sw, "Zara", "Quinn", born_on=date(2012, 9, 9), setting="school", setting_name="Hidden Primary School"
    )
    involvement_add(actor=fresh(teacher), child=child, agency=school, service="Year 8 pastoral care")
    from sharing.services import child_shield

    child_shield(
        actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled domestic abuse; new school"
    )
    police = client_as(sw, "other_agency")
    found = post(police, "/api/v1/children/search/", {"name": "Zara Quinn", "born_on": "2012-09-09"}).json()
    assert [result["id"] for result in found["results"]] == [child.pk]
    assert "setting" not in found["results"][0]
    record = police.get(f"/api/v1/children/{child.pk}/", **H)
    assert record.status_code == 200 and "setting_name" not in record.json()
    assert "Hidden Primary" not in str(found), found["results"][0]["agencies"]
    assert "Hidden Primary" not in record.content.decode()


def test_an_involved_practitioner_cannot_widen_their_own_restricted_access_by_moving_the_childs_area(
    sw: World,
) -> None:
    """Eve, a social worker of Eastvale council authorised for restricted information, adds her agency's
    involvement to a Northbridge child and sends PATCH /api/v1/children/{id}/ {"area": <Eastvale>}. The area is
    minimum data any involved agency may change, with no check and nobody told; but it is also what WYCPS
    area-based access keys on. Before the PATCH the police's Schedule One offender indicator on the child is a
    404 to her (it does not exist for her); after it, a 403 naming the police and a `schedule_one` row in the
    record's `held`: she granted herself knowledge that the family includes a Schedule One offender. An area
    change that opens restricted information must not be in the hands of the person it opens it to."""
    from datetime import timedelta

    from django.utils import timezone

    from agencies.models import Membership, Role
    from agencies.services import agency_update, membership_update
    from sharing.services import involvement_add
    from tests.factories import SYSTEM, make_agency, make_user, sign_in
    from tests.protocol_fixtures import complete_checklist, sign
    from tests.sharing.fixtures import train

    east = make_agency("Eastvale Council", area="Eastvale")
    agency_update(
        actor=SYSTEM,
        agency=east,
        ico_registration_number="ZA100055",
        ico_registration_expires_on=timezone.localdate() + timedelta(days=200),
    )
    complete_checklist(east)
    sign(sw.objects["protocol"], east)
    eve = make_user(name="Eve East", agency=east, roles=[Role.PRACTITIONER])
    membership_update(actor=SYSTEM, membership=Membership.objects.get(user=eve), authorised_for_restricted=True)
    train(eve)
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    indicator = entry_record(
        actor=fresh(sw.users["other_agency"]),
        child=child,
        agency=sw.other,
        category="schedule_one",
        fields={"indicated": True},
        text="A household member is a Schedule One offender",
        basis="fact",
        restricted=True,
    )
    involvement_add(actor=fresh(eve), child=child, agency=east, service="Early help")
    client = sign_in(Client(), eve)
    assert client.get(f"/api/v1/entries/{indicator.pk}/", **H).status_code == 404
    moved = client.patch(
        f"/api/v1/children/{child.pk}/", data={"area": east.area_id}, content_type="application/json", **H
    )
    assert moved.status_code in (200, 400, 403)
    assert client.get(f"/api/v1/entries/{indicator.pk}/", **H).status_code == 404
    held = client.get(f"/api/v1/children/{child.pk}/", **H).json()["held"]
    assert "schedule_one" not in [row["category"] for row in held]


def test_one_open_involvement_per_service_whatever_its_capitals_or_spacing(sw: World) -> None:
    """The police add their involvement "Public protection" to a child, then a colleague adds "public
    protection" (or "Public  protection"): both are 201, and the child's page lists the same service of the
    same agency two or three times. "One open involvement per service" is checked on the exact text only
    (involvement_one_open_per_service), so the rule meant to keep one line per service, and the merge that ends
    a duplicate open involvement, are defeated by a capital letter or a double space."""
    child = make_child(sw, nhs_number="")
    police = client_as(sw, "other_agency")
    answers = [
        post(police, f"/api/v1/children/{child.pk}/involvements/", {"agency": sw.other.pk, "service": service})
        for service in ("Public protection", "public protection", "Public  protection")
    ]
    assert [answer.status_code for answer in answers] == [201, 400, 400], [a.content[:120] for a in answers]
    assert "service" in answers[1].json()["error"]["fields"]


def test_the_same_alias_again_is_not_a_second_name(sw: World) -> None:
    """An involved practitioner adds the known-as name "Maisy" through POST /api/v1/children/{id}/names/, a
    colleague adds it again, a third adds "maisy", and someone adds the current legal name as a "previous"
    name: every call is 201 and the record lists "Maisy" three times and the legal name as a previous name of
    itself. The legal name already treats the same name again as no change; aliases repeat without limit,
    cluttering the record and the name keys every search reads."""
    child = make_child(sw, "Maisie", "Hart", nhs_number="")
    client = client_as(sw, "practitioner")
    url = f"/api/v1/children/{child.pk}/names/"
    for body in (
        {"kind": "known_as", "given": "Maisy", "family": ""},
        {"kind": "known_as", "given": "Maisy", "family": ""},
        {"kind": "known_as", "given": "maisy", "family": ""},
        {"kind": "previous", "given": "Maisie", "family": "Hart"},
    ):
        post(client, url, body)
    names = client.get(f"/api/v1/children/{child.pk}/", **H).json()["names"]
    written = [(name["kind"], name["given"].lower(), name["family"].lower()) for name in names]
    assert len(written) == len(set(written)), written
    assert ("previous", "maisie", "hart") not in written, written


def test_a_move_to_the_address_the_child_lives_at_is_not_a_new_address(sw: World) -> None:
    """POST /api/v1/children/{id}/addresses/ with the child's current address and postcode (a form sent twice,
    an integration replaying a message) is 201 each time: the address history gains a row per call, each ending
    the previous identical one, so the history no longer says when the child actually moved."""
    child = make_child(sw, nhs_number="", address="1 Test Street, Northbridge", postcode="N1 9GU")
    client = client_as(sw, "practitioner")
    for _ in range(2):
        post(
            client,
            f"/api/v1/children/{child.pk}/addresses/",
            {"address": "1 Test Street, Northbridge", "postcode": "n19gu"},
        )
    history = client.get(f"/api/v1/children/{child.pk}/", **H).json()["address_history"]
    assert len(history) == 1, history


def test_the_lead_professional_is_someone_who_works_with_children_in_the_index(sw: World) -> None:
    """A practitioner records their agency's involvement naming as lead professional and key contact the
    membership of the agency's IT administrator (an agency admin, no practitioner role, no access to the child
    index): 201, and every agency reading the child is told to contact "Ada Admin" about it. The lead
    professional / key contact (Haringey 3.8a) is the professional working with the child; someone who cannot
    even open the child's record should not be offered as one."""
    from agencies.models import Membership

    child = make_child(sw, nhs_number="")
    admin = Membership.objects.get(user=sw.users["agency_admin"])
    body = {"agency": sw.home.pk, "service": "Early help", "lead_professional": admin.pk, "is_key_contact": True}
    answer = post(client_as(sw, "practitioner"), f"/api/v1/children/{child.pk}/involvements/", body)
    assert answer.status_code == 400, answer.content[:200]
    assert "lead_professional" in answer.json()["error"]["fields"]
