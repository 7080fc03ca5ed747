"""A child's access history and a record's change history (issue 15): who reads which part, merged children,
paging, content never shown; change diffs after a service edit, free text and secrets hidden."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from agencies.models import Role
from agencies.services import agency_update
from audit.models import AuditEvent, DisclosureLogEntry
from isp_portal.policy import NotPermitted, OutOfScope
from oversight import history_rules as rules
from oversight import history_selectors as selectors
from sharing.selectors import child_search
from sharing.services import child_merge
from tests.disclosures.after_fixtures import disclose
from tests.disclosures.fixtures import case
from tests.factories import SYSTEM, World, make_user, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child

pytestmark = pytest.mark.django_db


def _history(world: World, who: str, child_id: int, **filters: Any) -> selectors.HistoryPage:
    return selectors.access_history(
        reader=fresh(world.users[who]), child_id=child_id, history_filter=selectors.HistoryFilter(**filters)
    )


@pytest.fixture
def shared(world: World) -> Any:
    """A child of home's with a search hit, a view and a disclosure to the school (the disclosures' fixtures)."""
    made = case(world)
    child_search(principal=fresh(world.users["practitioner"]), purpose=PURPOSE, name="Aoife O'Brien")
    disclose(made)
    return made


def test_the_whole_history_for_the_auditor_and_the_holding_designated_manager(world: World, shared: Any) -> None:
    for who in ("auditor", "designated_manager"):
        page = _history(world, who, shared.child.pk)
        groups = {row.group for row in page.rows}
        assert {rules.KindGroup.SEARCHES, rules.KindGroup.DISCLOSURES} <= groups, who
        assert page.reader.scope is None
        disclosure = next(row for row in page.rows if row.source == "disclosure")
        assert disclosure.legal_basis == "significant_harm" and disclosure.to_agency
        # The disclosure's own event is left out: its log row says more.
        logged = set(DisclosureLogEntry.objects.filter(child_id=shared.child.pk).values_list("event_id", flat=True))
        assert logged and not [row for row in page.rows if row.source == "event" and row.id in logged]
    seen = AuditEvent.objects.filter(kind="child.access_history", child_id=shared.child.pk)
    assert seen.count() == 2


def test_an_agency_auditor_sees_only_their_agency_s_part(world: World, shared: Any) -> None:
    other_auditor = make_user(name="Otto Auditor", agency=world.other, roles=[Role.AUDITOR])
    world.users["other_auditor"] = other_auditor
    page = _history(world, "other_auditor", shared.child.pk)
    assert page.reader.scope == frozenset({world.other.pk})
    assert page.rows == []
    home_auditor = make_user(name="Hal Auditor", agency=world.home, roles=[Role.AUDITOR])
    world.users["home_auditor"] = home_auditor
    rows = _history(world, "home_auditor", shared.child.pk).rows
    assert rows and all(row.agency_label == world.home.name for row in rows if row.source == "event")


@pytest.mark.parametrize(("who", "denial"), [("practitioner", NotPermitted), ("other_agency", NotPermitted),
                                               ("agency_admin", OutOfScope), ("no_role", OutOfScope)])  # fmt: skip
def test_everyone_else_is_refused(world: World, shared: Any, who: str, denial: type[Exception]) -> None:
    with pytest.raises(denial):
        _history(world, who, shared.child.pk)


def test_a_missing_child_is_404(world: World) -> None:
    with pytest.raises(OutOfScope):
        _history(world, "auditor", 10**9)


def test_a_merged_duplicate_s_history_follows_the_kept_child(world: World, shared: Any) -> None:
    duplicate = make_child(world, "Aoife", "OBrien", considered=[shared.child.pk])
    child_search(principal=fresh(world.users["practitioner"]), purpose=PURPOSE, name="Aoife OBrien")
    child_merge(
        actor=fresh(world.users["partnership_admin"]), keep=shared.child, merge=duplicate, reason="The same child"
    )
    page = _history(world, "auditor", shared.child.pk)
    assert page.merged_ids == (duplicate.pk,)
    assert {row.child_id for row in page.rows if row.source == "event" and not row.hit} >= {duplicate.pk}
    client = sign_in(Client(), world.users["auditor"])
    response = client.get(reverse("child-access-history", args=[duplicate.pk]))
    assert response.status_code == 302 and response["Location"].endswith(f"/children/{shared.child.pk}/access-history/")


def test_pages_follow_the_signed_cursor_and_a_changed_one_is_refused(world: World, shared: Any, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    first = _history(world, "auditor", shared.child.pk)
    assert len(first.rows) == 2 and first.next_cursor
    second = _history(world, "auditor", shared.child.pk, cursor=first.next_cursor)
    assert not {(r.source, r.id) for r in first.rows} & {(r.source, r.id) for r in second.rows}
    assert second.rows[0].occurred_at <= first.rows[-1].occurred_at
    with pytest.raises(selectors.HistoryError):
        _history(world, "auditor", shared.child.pk, cursor=first.next_cursor[:-2] + "xx")


def test_filters_by_group_and_a_reversed_range_is_a_form_error(world: World, shared: Any) -> None:
    page = _history(world, "auditor", shared.child.pk, group=rules.KindGroup.SEARCHES)
    assert page.rows and all(row.hit for row in page.rows)
    client = sign_in(Client(), world.users["auditor"])
    url = reverse("child-access-history", args=[shared.child.pk])
    bad = client.get(url, {"occurred_from_day": "2", "occurred_from_month": "1", "occurred_from_year": "2026",
                           "occurred_to_day": "1", "occurred_to_month": "1", "occurred_to_year": "2026"})  # fmt: skip
    assert bad.status_code == 200 and "same as or after the first day" in bad.content.decode()
    assert client.get(url, {"colour": "red"}).status_code == 400


def test_the_page_never_shows_content_and_the_child_page_links_for_those_allowed(world: World, shared: Any) -> None:
    client = sign_in(Client(), world.users["auditor"])
    body = client.get(reverse("child-access-history", args=[shared.child.pk])).content.decode()
    assert "Access history" in body and "threatened" not in body and "frightened" not in body
    api = client.get(reverse("api-child-access-history", args=[shared.child.pk])).json()
    assert api["whole_history"] and "threatened" not in str(api)


def test_change_history_shows_a_service_edit_and_hides_free_text(world: World) -> None:
    expires = timezone.localdate() + timedelta(days=300)
    agency_update(
        actor=SYSTEM, agency=world.home, ico_registration_number="ZA999999", ico_registration_expires_on=expires
    )
    history = selectors.change_history(reader=fresh(world.users["agency_admin"]), obj=world.home)
    changes = [c for entry in history.entries for c in entry.changes if c.field == "ico_registration_number"]
    assert changes and changes[0].after == "ZA999999" and not changes[0].hidden
    with pytest.raises(NotPermitted):
        selectors.change_history(reader=fresh(world.users["agency_admin"]), obj=world.other)
    client = sign_in(Client(), world.users["auditor"])
    response = client.get(reverse("api-change-history"), {"model": "agencies.agency", "id": world.home.pk})
    assert response.status_code == 200 and "ZA999999" in response.content.decode()
    assert client.get(reverse("api-change-history"), {"model": "sharing.child", "id": 1}).status_code == 400


def test_field_changes_hide_free_text_secrets_and_malformed_pairs() -> None:
    rows = rules.field_changes(
        {"notes": ["a", "b"], "digest": ["x", "y"], "name": ["Old", "New"], "odd": "x"},
        labels={"name": "Name"},
        hidden=[n for n in ("notes", "digest", "name", "odd") if rules.value_hidden(n, free_text=n == "notes")],
    )
    by = {row.field: row for row in rows}
    assert by["name"].before == "Old" and by["name"].after == "New" and not by["name"].hidden
    assert by["notes"].hidden and by["digest"].hidden and by["odd"].hidden and by["notes"].before == ""


@given(st.sampled_from(["child.view", "entry.view", "disclosure.view", "child.search", "child.match",
                        "correction.issue", "inaccuracy.submit", "request.answer", "onward.agree", "entry.grant",
                        "auth.sign_in", "child.update"]))  # fmt: skip
def test_each_kind_is_in_exactly_one_group(kind: str) -> None:
    import re

    group = rules.event_group(kind)
    matching = [g for g, pattern in rules.EVENT_GROUPS if re.search(pattern, kind)]
    assert group == (matching[0] if matching else rules.KindGroup.OTHER)


@pytest.mark.parametrize("kind", ["child.view", "consent.evidence_view", "child.search", "correction.issue",
                                  "request.answer", "entry.grant_revoke", "auth.sign_in"])  # fmt: skip
def test_the_sql_filter_and_the_label_agree(kind: str) -> None:
    with connection.cursor() as cursor:
        for group in rules.KindGroup:
            condition = rules.event_group_sql(group, "%s")
            cursor.execute(f"SELECT {condition}", [kind] * condition.count("%s"))
            assert cursor.fetchone()[0] == (rules.event_group(kind) is group), (kind, group)
