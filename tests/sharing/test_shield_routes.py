"""The ContactPoint shield on every route that takes a child, or an involvement or entry of a child (issue 10,
tester's finding 3): to a practitioner of an agency that may not open a shielded child, each answers exactly as
it does for an id that does not exist (404), with its denial audited once, so no answer tells that the child
exists. Pages and API alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from sharing.models import Involvement, RecordEntry
from sharing.services import entry_record
from tests.factories import World
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

MISSING = 999_999

# (method, address) with {child}, {involvement} and {entry} filled in; POST bodies are valid where a body is read
# after the object, so a 404 comes from the object and not from the input.
PAGES = [
    ("get", "/children/{child}/"),
    ("post", "/children/{child}/purpose/"),
    ("get", "/children/{child}/names/new/"),
    ("post", "/children/{child}/names/new/"),
    ("get", "/children/{child}/address/"),
    ("post", "/children/{child}/address/"),
    ("get", "/children/{child}/involvements/new/"),
    ("post", "/children/{child}/involvements/new/"),
    ("get", "/children/{child}/involvements/{involvement}/end/"),
    ("post", "/children/{child}/involvements/{involvement}/end/"),
    ("get", "/children/{child}/entries/new/"),
    ("get", "/children/{child}/entries/{entry}/"),
    ("get", "/children/{child}/entries/{entry}/revise/"),
    ("post", "/children/{child}/entries/{entry}/revise/"),
    ("get", "/children/{child}/merge/"),
    ("get", "/children/{child}/merge/check/"),
]
API = [
    ("get", "/api/v1/children/{child}/"),
    ("post", "/api/v1/children/{child}/names/"),
    ("post", "/api/v1/children/{child}/addresses/"),
    ("post", "/api/v1/children/{child}/involvements/"),
    ("post", "/api/v1/children/{child}/entries/"),
    ("post", "/api/v1/children/{child}/merge/"),
    ("post", "/api/v1/involvements/{involvement}/end/"),
    ("get", "/api/v1/entries/{entry}/"),
    ("get", "/api/v1/entries/{entry}/revisions/"),
    ("post", "/api/v1/entries/{entry}/revisions/"),
]
BODY = {
    "purpose": PURPOSE,
    "reason": "Moved away",
    "given": "Zed",
    "family": "Quinn",
    "kind": "known_as",
    "address": "2 Other Road",
    "postcode": "N1 9GU",
    "moved_on_day": "1",
    "moved_on_month": "1",
    "moved_on_year": "2026",
    "service": "CID",
    "text": "x",
    "basis": "fact",
}


@pytest.fixture
def shielded(world: World) -> dict[str, int]:
    sw = sharing_world(world)
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, nhs_number="4000000020")
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="case_note",
        fields={},
        text="Qzcontentq",
        basis="fact",
        restricted=False,
    )
    involvement = Involvement.objects.get(child=child)
    return {"child": child.pk, "involvement": involvement.pk, "entry": entry.pk}


def _call(client: Client, method: str, url: str, api: bool) -> Any:
    if not api:
        return getattr(client, method)(url, data=BODY if method == "post" else None)
    headers = {"HTTP_X_PURPOSE": PURPOSE}
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, data={**BODY, "agency": 0, "merge": 1}, content_type="application/json", **headers)


@pytest.mark.parametrize(("method", "address", "api"), [(*row, False) for row in PAGES] + [(*row, True) for row in API])
def test_a_shielded_child_answers_every_route_as_a_missing_one(
    world: World, shielded: dict[str, int], method: str, address: str, api: bool
) -> None:
    police = client_as(world, "other_agency")
    missing = dict.fromkeys(shielded, MISSING)
    for ids in (missing, shielded):
        before = AuditEvent.objects.filter(kind="access.denied").count()
        answer = _call(police, method, address.format(**ids), api)
        assert answer.status_code == 404, (address, ids, answer.status_code)
        assert "Zara" not in answer.content.decode() and "Qzcontentq" not in answer.content.decode()
        assert AuditEvent.objects.filter(kind="access.denied").count() == before + 1, address
    # Nothing changed on the shielded child.
    assert Involvement.objects.get(pk=shielded["involvement"]).ended_on is None
    assert RecordEntry.objects.get(pk=shielded["entry"]).revision_count == 1


def test_a_shielded_childs_phone_is_withheld_with_its_address_and_setting_by_one_rule(world: World) -> None:
    # Tester's finding 5: the phone, like the address and the setting, is a way to reach a shielded child. One
    # rule (sharing.policy.shield_withholds) decides; the selector leaves the withheld details out of the record,
    # so the page and the API cannot show them separately.
    from sharing.policy import shield_withholds
    from sharing.selectors import child_record, child_search

    sw = sharing_world(world)
    child = make_child(
        sw, "Zara", "Quinn", shielded=True, phone="020 7946 0958", setting="school", setting_name="Hidden Primary"
    )
    police = fresh(sw.users["other_agency"])
    child_search(principal=police, purpose=PURPOSE, name="Zara Quinn", born_on=child.born_on)
    involvements = list(child.involvements.all())
    assert shield_withholds(fresh(sw.users["other_agency"]), child, involvements)
    assert not shield_withholds(fresh(sw.users["practitioner"]), child, involvements)
    theirs = child_record(principal=fresh(sw.users["other_agency"]), child_id=child.pk, purpose=PURPOSE)
    assert (theirs.phone, theirs.setting, theirs.setting_name, theirs.address_history) == (None, None, None, None)
    ours = child_record(principal=fresh(sw.users["practitioner"]), child_id=child.pk, purpose=PURPOSE)
    assert ours.phone == "+442079460958" and ours.setting == "school" and ours.setting_name == "Hidden Primary"
    client = client_as(world, "other_agency")
    body = client.get(f"/api/v1/children/{child.pk}/", HTTP_X_PURPOSE=PURPOSE).json()
    assert not {"phone", "setting", "setting_name", "address"} & set(body)
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert "7946" not in page and "Hidden Primary" not in page and "address, phone and setting are withheld" in page
