"""Who sees what of a child's record (DESIGN 3.2; WYCPS; Barnet): the minimum tier for index practitioners, content
for the originating agency, restricted entries only for authorised staff, held-only for everyone else until a
grant opens an entry, and auditors seeing revisions without content. 404 outside scope, 403 inside."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from isp_portal.policy import NotPermitted, OutOfScope, can, require, restrict
from sharing.models import Child, RecordEntry
from sharing.policy import EntryAccess, index_agencies, index_refusal, may_read_entry
from sharing.selectors import child_record
from sharing.services import entry_grant_revoke, entry_grants_give, entry_record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def note(world: World, child: Child, *, restricted: bool = False, category: str = "case_note") -> RecordEntry:
    fields = {"indicated": True} if category == "schedule_one" else {}
    return entry_record(
        actor=fresh(world.users["practitioner"]),
        child=child,
        agency=world.home,
        category=category,
        fields=fields,
        text="Confidential note",
        basis="opinion",
        restricted=restricted,
    )


def grant_to_other_agency(world: World, entry: RecordEntry) -> None:
    """The home practitioner opens `entry` to the other agency's practitioner for 30 days."""
    entry_grants_give(
        actor=fresh(world.users["practitioner"]),
        entries=[entry],
        user=world.users["other_agency"],
        agency=world.other,
        purpose=PURPOSE,
        expires_at=timezone.now() + timedelta(days=30),
    )


@pytest.mark.parametrize(
    ("role", "indexed", "why"),
    [
        ("practitioner", True, None),
        ("designated_manager", True, None),
        ("other_agency", True, None),
        ("restricted", True, None),
        ("untrained", False, "training"),
        ("unsigned", False, "has not signed a protocol in force"),
        ("agency_admin", False, "Only practitioners"),
        ("partnership_admin", False, "Only practitioners"),
        ("auditor", False, "Only practitioners"),
        ("no_role", False, "Only practitioners"),
    ],
)
def test_the_minimum_tier_is_for_trained_practitioners_of_signatory_agencies(
    sw: World, role: str, indexed: bool, why: str | None
) -> None:
    user = fresh(sw.users[role])
    assert bool(index_agencies(user)) == indexed
    refusal = index_refusal(user)
    assert (refusal is None) if why is None else (refusal is not None and why in refusal)


def test_an_agency_that_may_not_share_loses_the_index(sw: World) -> None:
    from agencies.services import agency_status_change

    agency_status_change(
        actor=fresh(sw.users["partnership_admin"]), agency=sw.other, to_status="suspended", reason="Breach"
    )
    user = fresh(sw.users["other_agency"])
    assert not index_agencies(user)
    assert "cannot share information now" in (index_refusal(user) or "")


@pytest.mark.parametrize(
    ("role", "plain", "restricted"),
    [
        ("practitioner", EntryAccess.HISTORY, EntryAccess.NONE),
        ("restricted", EntryAccess.HISTORY, EntryAccess.HISTORY),
        ("other_agency", EntryAccess.HELD, EntryAccess.NONE),
        ("auditor", EntryAccess.NONE, EntryAccess.NONE),
        ("partnership_admin", EntryAccess.NONE, EntryAccess.NONE),
    ],
)
def test_entry_levels_by_role(sw: World, role: str, plain: EntryAccess, restricted: EntryAccess) -> None:
    child = make_child(sw)
    plain_entry = note(sw, child)
    restricted_entry = note(sw, child, category="schedule_one")
    record = child_record(principal=fresh(sw.users["restricted"]), child_id=child.pk, purpose=PURPOSE)
    assert {view.entry.pk for view in record.entries} == {plain_entry.pk, restricted_entry.pk}
    if role in {"auditor", "partnership_admin"}:
        if role == "auditor":
            with pytest.raises(OutOfScope):
                child_record(principal=fresh(sw.users[role]), child_id=child.pk, purpose=PURPOSE)
            return
        record = child_record(principal=fresh(sw.users[role]), child_id=child.pk, purpose=PURPOSE)
        assert record.entries == [] and record.held == []
        return
    record = child_record(principal=fresh(sw.users[role]), child_id=child.pk, purpose=PURPOSE)
    levels = {view.entry.pk: view.access for view in record.entries}
    assert levels.get(plain_entry.pk, EntryAccess.NONE) == plain
    assert levels.get(restricted_entry.pk, EntryAccess.NONE) == restricted
    for view in record.entries:
        assert (view.revision is not None) == (view.access >= EntryAccess.CONTENT)
    if plain == EntryAccess.HELD:
        # ContactPoint: the category and the agency, never the content.
        assert [(held.category, held.agency_name) for held in record.held] == [("case_note", sw.home.name)]


def test_a_restricted_entry_is_404_and_a_held_one_403_for_another_agency(sw: World) -> None:
    child = make_child(sw)
    plain_entry = note(sw, child)
    victim = note(sw, child, restricted=True)
    other = fresh(sw.users["other_agency"])
    with pytest.raises(NotPermitted) as refused:
        require(other, "read", plain_entry)
    assert sw.home.name in refused.value.reason
    with pytest.raises(OutOfScope):
        require(fresh(sw.users["other_agency"]), "read", victim)
    assert set(restrict(fresh(sw.users["other_agency"]), "view", RecordEntry)) == {plain_entry}
    assert can(fresh(sw.users["practitioner"]), "revise", plain_entry)
    assert not can(fresh(sw.users["practitioner"]), "read", victim)


def test_a_shielded_childs_entry_is_reached_by_its_id_only_through_the_shield(sw: World) -> None:
    # The ContactPoint shield: not by its id alone; the agency involved, an exact search today, or a grant.
    child = make_child(sw, "Zara", "Quinn", shielded=True)
    entry = note(sw, child)
    other = sw.users["other_agency"]
    with pytest.raises(OutOfScope):
        require(fresh(other), "view", child)
    with pytest.raises(OutOfScope):
        require(fresh(other), "view", entry)
    assert not restrict(fresh(other), "view", Child).filter(pk=child.pk).exists()
    grant_to_other_agency(sw, entry)
    assert may_read_entry(fresh(other), entry)
    require(fresh(other), "read", entry)
    assert restrict(fresh(other), "view", Child).filter(pk=child.pk).exists()
    require(fresh(sw.users["practitioner"]), "view", child)  # the shielding agency
    require(fresh(sw.users["partnership_admin"]), "merge", child)  # to merge duplicates


def test_a_grant_opens_an_entry_until_it_expires_or_is_revoked(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    other = sw.users["other_agency"]
    assert not may_read_entry(fresh(other), entry)
    now = timezone.now()
    with pytest.raises(NotPermitted):
        entry_grants_give(
            actor=fresh(other), entries=[entry], user=other, agency=sw.other, purpose=PURPOSE, expires_at=now
        )
    (grant,) = entry_grants_give(
        actor=fresh(sw.users["practitioner"]),
        entries=[entry],
        user=other,
        agency=sw.other,
        purpose=PURPOSE,
        expires_at=now + timedelta(days=30),
    )
    assert may_read_entry(fresh(other), entry)
    assert not may_read_entry(fresh(other), entry, at=now + timedelta(days=31))
    record = child_record(principal=fresh(other), child_id=child.pk, purpose=PURPOSE)
    (view,) = record.entries
    assert view.access == EntryAccess.CONTENT and view.revision is not None and view.history == ()
    assert not can(fresh(other), "revise", entry)
    entry_grant_revoke(actor=fresh(sw.users["practitioner"]), grant=grant)
    assert not may_read_entry(fresh(other), entry)


def test_a_grant_to_someone_who_left_the_agency_opens_nothing(sw: World) -> None:
    from agencies.models import Membership
    from agencies.services import membership_deactivate

    child = make_child(sw)
    entry = note(sw, child)
    other = sw.users["other_agency"]
    grant_to_other_agency(sw, entry)
    membership_deactivate(
        actor=fresh(sw.users["partnership_admin"]), membership=Membership.objects.get(user=other), reason="Left"
    )
    assert not may_read_entry(fresh(other), entry)


def test_auditors_see_that_revisions_exist_never_their_content(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    auditor = fresh(sw.users["auditor"])
    assert can(auditor, "audit_history", entry)
    assert not can(fresh(sw.users["auditor"]), "read", entry)
    assert not can(fresh(sw.users["other_agency"]), "audit_history", entry)
