"""Issue 12 (WP1 b): a grant given by a disclosure opens exactly the revision disclosed. A correction recorded
after the disclosure is not shown to its recipient on the record page (both paths), the entry page or the API;
a grant naming no revision (given before disclosures named one) keeps opening the latest. The revision must be
of the grant's entry (service and database), and revoking a disclosure ends exactly its grants in one UPDATE
with one audit statement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.policy import principal
from audit.models import AuditEvent
from sharing.models import Basis, Child, EntryGrant, EntryRevision, RecordEntry
from sharing.policy import LATEST, live_grant_revisions, live_grants, may_read_entry
from sharing.selectors import child_record
from sharing.selectors.children import entry_detail
from sharing.selectors.record_page import record_page
from sharing.services import entry_record, entry_revise
from sharing.services.grants import entry_grants_give, entry_grants_revoke_for_disclosure
from tests.factories import World
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

DISCLOSED = "Disclosed text Qzdisclosedq"
CORRECTED = "Corrected later Qzcorrectedq"


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def note(world: World, child: Child, text: str = DISCLOSED, *, restricted: bool = False) -> RecordEntry:
    return entry_record(
        actor=fresh(world.users["restricted" if restricted else "practitioner"]),
        child=child,
        agency=world.home,
        category="case_note",
        fields={},
        text=text,
        basis=Basis.FACT,
        restricted=restricted,
    )


def revise(world: World, entry: RecordEntry, text: str = CORRECTED, **values: Any) -> EntryRevision:
    return entry_revise(
        actor=fresh(world.users[values.pop("by", "practitioner")]),
        entry=RecordEntry.objects.get(pk=entry.pk),
        fields={},
        text=text,
        basis=Basis.FACT,
        reason="Corrected after the disclosure",
        **values,
    )


def first(entry: RecordEntry) -> EntryRevision:
    return EntryRevision.objects.get(entry=entry, number=1)


def give(world: World, entries: list[RecordEntry], by: str = "practitioner", **values: Any) -> list[EntryGrant]:
    return entry_grants_give(
        actor=fresh(world.users[by]),
        entries=entries,
        user=world.users["other_agency"],
        agency=world.other,
        purpose=PURPOSE,
        expires_at=timezone.now() + timedelta(days=30),
        **values,
    )


def seen_texts(world: World, child: Child, entry: RecordEntry) -> dict[str, str | None]:
    """The entry's content as the recipient sees it on each path: the record (ORM and one-statement page), the
    entry page's selector and the entry API."""

    def text_of(record: Any) -> str | None:
        view = next(v for v in record.entries if v.entry.pk == entry.pk)
        return view.revision.text if view.revision is not None else None

    reader = fresh(world.users["other_agency"])
    detail = entry_detail(principal=fresh(world.users["other_agency"]), entry_id=entry.pk, purpose=PURPOSE)
    api = client_as(world, "other_agency").get(f"/api/v1/entries/{entry.pk}/", HTTP_X_PURPOSE=PURPOSE)
    assert api.status_code == 200
    api_current = api.json().get("current")
    listed = client_as(world, "other_agency").get(f"/api/v1/entries/{entry.pk}/revisions/", HTTP_X_PURPOSE=PURPOSE)
    revisions = listed.json().get("revisions") or []
    child_api = client_as(world, "other_agency").get(f"/api/v1/children/{child.pk}/", HTTP_X_PURPOSE=PURPOSE)
    current = next(e for e in child_api.json()["entries"] if e["id"] == entry.pk).get("current")
    return {
        "record": text_of(child_record(principal=reader, child_id=child.pk, purpose=PURPOSE)),
        "page": text_of(record_page(principal=fresh(world.users["other_agency"]), child_id=child.pk, purpose=PURPOSE)),
        "detail": detail.revision.text if detail.revision is not None else None,
        "api": api_current["text"] if api_current else None,
        "api_revisions": revisions[0]["text"] if len(revisions) == 1 else repr(revisions),
        "child_api": current["text"] if current else None,
    }


def test_a_recipient_sees_the_revision_disclosed_not_a_later_correction(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    give(sw, [entry], revisions={entry.pk: first(entry).pk}, disclosure_id=41)
    revise(sw, entry)
    assert set(seen_texts(sw, child, entry).values()) == {DISCLOSED}
    # The recording agency still sees the correction.
    own = child_record(principal=fresh(sw.users["practitioner"]), child_id=child.pk, purpose=PURPOSE)
    assert next(v for v in own.entries if v.entry.pk == entry.pk).revision.text == CORRECTED  # type: ignore[union-attr]


def test_a_grant_naming_no_revision_opens_the_one_current_when_given(sw: World) -> None:
    # break10e finding 7: a grant opens what the agency decided to open, never a later correction.
    child = make_child(sw)
    entry = note(sw, child)
    (grant,) = give(sw, [entry])
    assert grant.revision_id == first(entry).pk
    revise(sw, entry)
    assert CORRECTED not in set(seen_texts(sw, child, entry).values())


def test_a_grant_given_before_grants_named_revisions_still_opens_the_latest(sw: World) -> None:
    # Rows written before sharing/0011 name no revision; they keep the meaning they were given with.
    child = make_child(sw)
    entry = note(sw, child)
    (grant,) = give(sw, [entry])
    EntryGrant.objects.filter(pk=grant.pk).update(revision=None)
    revise(sw, entry)
    assert set(seen_texts(sw, child, entry).values()) == {CORRECTED}


def test_two_disclosures_of_one_entry_show_the_newer_revision_disclosed(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    give(sw, [entry], revisions={entry.pk: first(entry).pk}, disclosure_id=1)
    second = revise(sw, entry, "Second revision Qzsecondq")
    give(sw, [entry], revisions={entry.pk: second.pk}, disclosure_id=2)
    revise(sw, entry, "Third revision Qzthirdq")
    assert set(seen_texts(sw, child, entry).values()) == {"Second revision Qzsecondq"}
    assert live_grant_revisions(fresh(sw.users["other_agency"]), [entry.pk]) == {
        entry.pk: frozenset({first(entry).pk, second.pk})
    }


def test_live_grant_revisions_marks_a_grant_naming_no_revision_as_latest(sw: World) -> None:
    child = make_child(sw)
    named, unnamed, mine = note(sw, child), note(sw, child), note(sw, child)
    give(sw, [named], revisions={named.pk: first(named).pk})
    (legacy,) = give(sw, [unnamed])
    EntryGrant.objects.filter(pk=legacy.pk).update(revision=None)  # as written before sharing/0011
    reader = fresh(sw.users["other_agency"])
    ids = [named.pk, unnamed.pk, mine.pk]
    assert live_grant_revisions(reader, ids) == {
        named.pk: frozenset({first(named).pk}),
        unnamed.pk: frozenset({LATEST}),
    }
    assert live_grants(reader, ids) == frozenset({named.pk, unnamed.pk})
    assert may_read_entry(reader, named) and not may_read_entry(reader, mine)


def test_a_granted_revision_recorded_as_restricted_stays_with_restricted_readers(sw: World) -> None:
    """A revision recorded under the restricted mark stays restricted after a later revision lifts it (WYCPS;
    sharing.policy.revisions_shown): a grant naming it does not open it to someone not authorised."""
    child = make_child(sw)
    entry = note(sw, child, restricted=True)
    give(sw, [entry], by="restricted", revisions={entry.pk: first(entry).pk}, disclosure_id=5)
    revise(sw, entry, "Mark lifted Qzliftedq", restricted=False, by="restricted")
    seen = seen_texts(sw, child, entry)
    assert seen == {
        "record": None,
        "page": None,
        "detail": None,
        "api": None,
        "api_revisions": "[]",
        "child_api": None,
    }


def test_each_revision_must_be_of_its_own_entry(sw: World) -> None:
    child = make_child(sw)
    entry, other = note(sw, child), note(sw, child)
    with pytest.raises(ValidationError) as refused:
        give(sw, [entry], revisions={entry.pk: first(other).pk})
    assert "revision of its own entry" in str(refused.value.message_dict["revisions"])
    with pytest.raises(ValidationError) as refused:
        give(sw, [entry], revisions={other.pk: first(other).pk})
    assert "not being opened" in str(refused.value.message_dict["revisions"])
    with pytest.raises(ValidationError) as refused:
        give(sw, [entry, other], revisions={entry.pk: first(entry).pk}, disclosure_id=3)
    assert "every entry" in str(refused.value.message_dict["revisions"])
    with pytest.raises(ValidationError) as refused:
        give(sw, [entry], revisions={entry.pk: first(entry).pk}, disclosure_id=0)
    assert "disclosure_id" in refused.value.message_dict
    assert not EntryGrant.objects.exists()


def test_the_database_holds_that_a_grant_revision_is_of_its_entry(sw: World) -> None:
    child = make_child(sw)
    entry, other = note(sw, child), note(sw, child)
    (grant,) = give(sw, [entry], revisions={entry.pk: first(entry).pk})
    foreign = first(other).pk
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The key is checked at commit (DEFERRABLE, as Django's are); asked now, inside the test's transaction.
            cursor.execute("SET CONSTRAINTS entry_grant_revision_of_entry IMMEDIATE")
        with pytest.raises(IntegrityError, match="entry_grant_revision_of_entry"), transaction.atomic():
            EntryGrant.objects.filter(pk=grant.pk).update(revision_id=foreign)
    with pytest.raises(IntegrityError, match="entry_grant_disclosure_id_positive"), transaction.atomic():
        EntryGrant.objects.filter(pk=grant.pk).update(disclosure_id=-1)


def test_the_revision_id_and_entry_are_unique_together(sw: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'entry_revision_id_entry_unique'"
        )
        (definition,) = cursor.fetchone()
    assert definition == "UNIQUE (id, entry_id)"


def test_revoking_a_disclosure_ends_exactly_its_grants_in_one_update(sw: World) -> None:
    child = make_child(sw)
    a, b, kept = note(sw, child), note(sw, child), note(sw, child)
    give(sw, [a, b], revisions={a.pk: first(a).pk, b.pk: first(b).pk}, disclosure_id=77)
    give(sw, [kept], revisions={kept.pk: first(kept).pk}, disclosure_id=78)
    reader = fresh(sw.users["other_agency"])
    assert may_read_entry(reader, a)
    actor = fresh(sw.users["designated_manager"])
    principal(actor)  # the actor's roles, as a request has them loaded before any service runs
    with CaptureQueriesContext(connection) as queries:
        ended = entry_grants_revoke_for_disclosure(actor=actor, disclosure_id=77)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert ended == 2
    assert len(statements) == 2 and statements[0].lstrip().startswith("UPDATE")
    assert set(EntryGrant.objects.filter(revoked_at__isnull=False).values_list("entry_id", flat=True)) == {a.pk, b.pk}
    reader = fresh(sw.users["other_agency"])
    assert not may_read_entry(reader, a) and not may_read_entry(reader, b) and may_read_entry(reader, kept)
    events = AuditEvent.objects.filter(kind="entry.grant_revoke")
    assert events.count() == 2
    assert {e.detail["disclosure_id"] for e in events} == {77}
    assert {e.child_id for e in events} == {child.pk}
    assert {e.actor_id for e in events} == {actor.pk}
    # Once ended, again is nothing (no second revocation of the same grants).
    assert entry_grants_revoke_for_disclosure(actor=actor, disclosure_id=77) == 0
    assert AuditEvent.objects.filter(kind="entry.grant_revoke").count() == 2


def test_a_grant_records_its_revision_and_disclosure_in_the_audit(sw: World) -> None:
    child = make_child(sw)
    entry = note(sw, child)
    (grant,) = give(sw, [entry], revisions={entry.pk: first(entry).pk}, disclosure_id=9)
    assert (grant.revision_id, grant.disclosure_id) == (first(entry).pk, 9)
    event = AuditEvent.objects.get(kind="entry.grant")
    assert event.detail["revision_id"] == first(entry).pk and event.detail["disclosure_id"] == 9
