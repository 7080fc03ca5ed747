"""Gaps in the ContactPoint shield (DESIGN 2.3) and the search that a tester left on issue 10: an involvement added
while the child is being shielded; a merge that brings agencies onto a shielded child; an involvement added
without the agencies already involved knowing; a date of birth searched alone."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import Membership, Role
from agencies.services import membership_update
from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.policy import AccessDenied, NotPermitted
from sharing import rules
from sharing.models import Child, Involvement, ShieldedAccess
from sharing.selectors import child_search
from sharing.services import child_merge, child_shield, involvement_add
from tests.factories import SYSTEM, World, make_api_token, make_user, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


# --- 1. involvement_add decides the shield on the locked row ----------------------------------------------------


def test_an_involvement_added_with_a_stale_child_is_refused_once_the_child_is_shielded(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    stale = Child.objects.get(pk=child.pk)  # read before the shield, as a page or a second request would
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled abuse")
    assert not stale.is_shielded
    police = fresh(sw.users["other_agency"])
    # Not reached exactly: the shield hides the child (404, AccessDenied's other half).
    with pytest.raises(AccessDenied):
        involvement_add(actor=police, child=stale, agency=sw.other, service="Public protection")
    # Reached exactly today: in scope, and still refused by the shield, saying whom to contact.
    police = fresh(sw.users["other_agency"])
    found = child_search(principal=police, purpose=PURPOSE, name="Zara Quinn", born_on=child.born_on)
    assert [result.child_id for result in found.results] == [child.pk]
    with pytest.raises(NotPermitted) as refused:
        involvement_add(actor=police, child=stale, agency=sw.other, service="Public protection")
    assert "shielded" in refused.value.reason
    assert not Involvement.objects.filter(child=child, agency=sw.other).exists()


def test_involvement_add_locks_the_child_before_it_checks_the_shield(sw: World) -> None:
    child = make_child(sw)
    with CaptureQueriesContext(connection) as queries:
        involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Protection")
    locks = [
        index
        for index, query in enumerate(queries.captured_queries)
        if 'FROM "sharing_child"' in query["sql"] and "FOR UPDATE" in query["sql"]
    ]
    inserts = [
        index
        for index, query in enumerate(queries.captured_queries)
        if query["sql"].startswith('INSERT INTO "sharing_involvement"')
    ]
    assert locks and inserts and locks[0] < inserts[0], [q["sql"][:80] for q in queries.captured_queries]


# --- 2. a merge that brings agencies onto a shielded child ------------------------------------------------------


def notices(subject: str) -> dict[int, list[Notification]]:
    found: dict[int, list[Notification]] = {}
    for notice in Notification.objects.filter(subject=subject).order_by("pk"):
        found.setdefault(notice.recipient_id, []).append(notice)
    return found


MERGE_NOTICE = "A merge brought other agencies onto a shielded child"


def test_merging_an_entry_into_a_shielded_child_tells_the_shielding_agency_once(sw: World) -> None:
    keep = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True)
    merge = make_child(
        sw,
        "Zara",
        "Quin",
        born_on=date(2012, 9, 9),
        by="other_agency",
        agency=sw.other,
        postcode="E1 6AN",
        service="Public protection",
        considered=[keep.pk],
    )
    involvement_add(actor=fresh(sw.users["other_agency"]), child=merge, agency=sw.other, service="Missing persons")
    record = child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    told = notices(MERGE_NOTICE)
    # The shielding agency's designated managers and admins, one notice each for the whole merge; nobody else.
    assert set(told) == {sw.users["designated_manager"].pk, sw.users["agency_admin"].pk}
    for (notice,) in told.values():
        assert "Other Police Force: Missing persons; Other Police Force: Public protection" in notice.body
        assert notice.link == f"/children/{keep.pk}/"
    for event in AuditEvent.objects.filter(kind="child.merge", object_id=str(record.pk)):
        assert event.detail["shield_notices"] == [
            {"shielding_agency_id": sw.home.pk, "agencies_brought_in": [sw.other.pk], "told": 2}
        ]
    keep.refresh_from_db()
    assert keep.is_shielded and keep.shielding_agency_id == sw.home.pk


def test_a_merge_bringing_no_other_agency_onto_a_shielded_child_tells_nobody(sw: World) -> None:
    keep = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True)
    merge = make_child(sw, "Zara", "Quin", born_on=date(2012, 9, 9), postcode="E1 6AN", considered=[keep.pk])
    record = child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    assert not Notification.objects.filter(subject=MERGE_NOTICE).exists()
    assert "shield_notices" not in AuditEvent.objects.filter(kind="child.merge", object_id=str(record.pk))[0].detail


def test_when_the_merged_away_entry_was_shielded_the_survivor_is_shielded_by_the_same_agency(sw: World) -> None:
    police_manager = make_user(name="Olga Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    keep = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5), by="other_agency", agency=sw.other)
    merge = make_child(
        sw, "Samuel", "Smith", born_on=date(2014, 1, 5), shielded=True, postcode="E1 6AN", considered=[keep.pk]
    )
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    keep.refresh_from_db()
    assert keep.is_shielded and keep.shielding_agency_id == sw.home.pk
    # The shielding agency hears that the police's involvement is now on its shielded child...
    told = notices(MERGE_NOTICE)
    assert set(told) == {sw.users["designated_manager"].pk, sw.users["agency_admin"].pk}
    assert "Other Police Force" in told[sw.users["designated_manager"].pk][0].body
    # ...and the police, involved with the kept entry only, are told to withhold its address from now on.
    now_shielded = Notification.objects.filter(subject=f"Child {keep.pk} is now shielded")
    assert set(now_shielded.values_list("recipient_id", flat=True)) == {police_manager.pk}


def test_two_entries_shielded_by_different_agencies_keep_the_kept_entrys_shield_and_tell_both(sw: World) -> None:
    police_manager = make_user(name="Olga Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    keep = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5), by="other_agency", agency=sw.other, shielded=True)
    merge = make_child(sw, "Samuel", "Smith", born_on=date(2014, 1, 5), shielded=True, postcode="E1 6AN")
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    keep.refresh_from_db()
    assert keep.is_shielded and keep.shielding_agency_id == sw.other.pk
    told = notices(MERGE_NOTICE)
    assert set(told) == {police_manager.pk, sw.users["designated_manager"].pk, sw.users["agency_admin"].pk}
    assert "Home Council" in told[police_manager.pk][0].body
    home_notice = told[sw.users["designated_manager"].pk][0].body
    assert "Other Police Force" in home_notice and "stays shielded by Other Police Force" in home_notice


# --- 3. an involvement added is seen by the agencies already involved ------------------------------------------

JOINED = "Another agency is now involved with child"


def joined(child: Child) -> list[Notification]:
    return list(Notification.objects.filter(subject=f"{JOINED} {child.pk}").order_by("pk"))


def test_the_agencies_already_involved_are_told_of_an_involvement_added(sw: World) -> None:
    token, _ = make_api_token(sw.home, ["register:read"])
    membership_update(
        actor=SYSTEM, membership=Membership.objects.get(user=token.user), roles=[Role.DESIGNATED_MANAGER.value]
    )
    police_manager = make_user(name="Olga Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    child = make_child(sw)
    lead = Membership.objects.get(user=sw.users["restricted"])
    # The home agency's own second service: nobody else is involved, so nobody is told.
    involvement_add(
        actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, service="Early help", lead_professional=lead
    )
    assert joined(child) == []
    added = involvement_add(
        actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Sexual health"
    )
    notices = joined(child)
    # Home's designated managers and the lead professional it recorded; never its practitioner nor admin who
    # lead nothing, its machine account, nor the police themselves.
    assert {notice.recipient_id for notice in notices} == {sw.users["designated_manager"].pk, sw.users["restricted"].pk}
    # A notice is an email, read outside the policy, and a designated manager may not open the record: it names
    # no service, no agency and nobody of it (b11k; the rule of the consent and retention notices, fix11h); the
    # record behind the link shows who, where the reader may see it.
    for notice in notices:
        words = f"{notice.subject}\n{notice.body}".lower()
        assert notice.link == f"/children/{child.pk}/" and f"child {child.pk}" in words
        for forbidden in ("Sexual health", sw.other.name, sw.users["other_agency"].full_name):
            assert forbidden.lower() not in words, (forbidden, words)
    event = AuditEvent.objects.get(kind="involvement.add", object_id=str(added.pk))
    assert event.detail["told"] == 2
    # Once per involvement: another service of the police is another notice; home adding one tells the police.
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Missing persons")
    assert len(joined(child)) == 4
    involvement_add(actor=fresh(sw.users["designated_manager"]), child=child, agency=sw.home, service="Family support")
    assert [n.recipient_id for n in joined(child)[4:]] == [police_manager.pk]


def test_an_involvement_added_through_the_page_and_the_api_tells_the_involved_agencies(sw: World) -> None:
    child = make_child(sw)
    client = sign_in(Client(), sw.users["other_agency"])
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = client.post(f"/children/{child.pk}/involvements/new/", {"service": "Public protection"})
    assert page.status_code == 302, page.content.decode()[:2000]
    api = client.post(
        f"/api/v1/children/{child.pk}/involvements/",
        data={"agency": sw.other.pk, "service": "Missing persons"},
        content_type="application/json",
        HTTP_X_PURPOSE=PURPOSE,
    )
    assert api.status_code == 201, api.content
    assert [n.recipient_id for n in joined(child)] == [sw.users["designated_manager"].pk] * 2


# --- 4. a date of birth alone is not a search; a postcode alone is, and never finds a shielded child -------------


@pytest.mark.parametrize(
    ("name", "born_on", "nhs_number", "postcode", "refused_on"),
    [
        (None, True, False, False, "born_on"),  # a date of birth alone: about 150 children in 1,000,000
        (None, False, False, False, "name"),  # nothing at all
        ("a", False, False, False, "name"),  # an initial alone
        ("Smith", True, False, False, None),
        ("a", True, False, False, "name"),  # an initial with the date of birth (break10d finding 4)
        ("J S", True, False, False, "name"),  # initials only
        ("J.S.", True, False, False, "name"),
        ("Jo", True, False, False, None),  # the shortest real names: two letters
        ("Wu", True, False, False, None),
        ("J Smith", True, False, False, None),
        ("a", True, True, False, None),  # the NHS number is specific whatever the name
        ("a", True, False, True, None),  # so is the postcode with the date
        (None, True, True, False, None),
        (None, True, False, True, None),
        (None, False, False, True, None),  # a postcode alone: a household check
        (None, False, True, False, None),
        ("Smith", False, False, False, None),
    ],
)
def test_search_criteria_refusal(
    name: str | None, born_on: bool, nhs_number: bool, postcode: bool, refused_on: str | None
) -> None:
    query = rules.name_query(name) if name else None
    refusal = rules.search_criteria_refusal(query, born_on=born_on, nhs_number=nhs_number, postcode=postcode)
    assert (refusal[0] if refusal else None) == refused_on
    if refused_on == "born_on":
        assert refusal is not None and refusal[1] == rules.BIRTH_DATE_ALONE
    if refused_on == "name" and born_on:
        assert refusal is not None and refusal[1] == rules.INITIAL_WITH_BIRTH_DATE


def test_a_date_of_birth_alone_is_refused_on_the_field_by_the_page_and_the_api(sw: World) -> None:
    make_child(sw, born_on=date(2015, 4, 2))
    reader = fresh(sw.users["other_agency"])
    with pytest.raises(ValidationError) as refused:
        child_search(principal=reader, purpose=PURPOSE, born_on=date(2015, 4, 2))
    assert refused.value.message_dict == {"born_on": [rules.BIRTH_DATE_ALONE]}
    client = sign_in(Client(), sw.users["other_agency"])
    page = client.post(
        "/children/",
        {"purpose": PURPOSE, "born_on_day": "2", "born_on_month": "4", "born_on_year": "2015"},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "date of birth alone would list many children" in html
    assert 'href="#id_born_on_day"' in html  # the error summary points at the field
    api = client.post(
        "/api/v1/children/search/",
        data={"born_on": "2015-04-02"},
        content_type="application/json",
        HTTP_X_PURPOSE=PURPOSE,
    )
    assert api.status_code == 400 and api.json()["error"]["fields"] == {"born_on": [rules.BIRTH_DATE_ALONE]}
    assert not AuditEvent.objects.filter(kind="child.search").exists()
    # With a name, an NHS number or a postcode, the date narrows a search as before.
    for more in ({"name": "Aoife"}, {"postcode": "N1 9GU"}):
        assert child_search(principal=reader, purpose=PURPOSE, born_on=date(2015, 4, 2), **more).results


def test_a_postcode_alone_finds_the_household_but_never_a_shielded_child(sw: World) -> None:
    shielded = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, postcode="M1 1AE")
    sibling = make_child(sw, "Ben", "Quinn", born_on=date(2014, 3, 3), postcode="M1 1AE")
    for who in ("other_agency", "practitioner"):  # not even for the shielding agency: only the exact terms
        for criteria in ({"postcode": "m11ae"}, {"postcode": "M1 1AE", "born_on": shielded.born_on}):
            found = child_search(principal=fresh(sw.users[who]), purpose=PURPOSE, **criteria)  # type: ignore[arg-type]
            ids = [result.child_id for result in found.results]
            assert shielded.pk not in ids, (who, criteria)
            if "born_on" not in criteria:
                assert ids == [sibling.pk]
    assert not ShieldedAccess.objects.filter(child=shielded).exists()
