"""Reopening a closed record (break11d finding 11; Southampton 8): a partnership admin reopens a record closed in
error, with a reason; the closing is undone, the marks of leaving the scope cleared, the people responsible told,
and the next sweep judges it afresh (never closed the same day)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent as Event
from isp_portal.models import Notification
from isp_portal.policy import AccessDenied, NotPermitted, SystemActor
from sharing.models import Child, ChildReopening
from sharing.selectors.aggregate import child_counts_differences
from sharing.services import child_merge
from sharing.services.retention import (
    REOPEN_KEY,
    child_close,
    child_erase,
    child_reopen,
    grace_end,
    retention_scope_sweep,
    retention_sweep,
)
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world
from tests.sharing.test_retention import _near_the_end

pytestmark = pytest.mark.django_db

REASON = "Closed on a wrong date of birth: the young person is 17."


def _closed_by_the_sweep(world: World) -> Child:
    """A child past the scope that nothing keeps, closed by the sweep on its closing date."""
    child, leaves_on = _near_the_end(world)
    retention_scope_sweep(today=leaves_on)
    child.refresh_from_db()
    assert child.closes_on is not None
    assert retention_scope_sweep(today=child.closes_on).closed == 1
    child.refresh_from_db()
    assert child.closed_on is not None and child.erase_due_on is not None
    return child


def test_a_reopened_record_is_judged_afresh_by_the_next_sweep_never_closed_the_same_day(world: World) -> None:
    child = _closed_by_the_sweep(world)
    closed_on, erase_due_on = child.closed_on, child.erase_due_on
    assert closed_on is not None and erase_due_on is not None
    reopened = child_reopen(
        actor=fresh(world.users["partnership_admin"]), child=child, reason=f"  {REASON} ", today=closed_on
    )
    assert (reopened.closed_on, reopened.closed_under, reopened.closed_version_id, reopened.erase_due_on) == (
        None,
        "",
        None,
        None,
    )
    assert (reopened.scope_flagged_on, reopened.scope_warned_on, reopened.closes_on, reopened.kept_under) == (
        None,
        None,
        None,
        "",
    )
    event = Event.objects.get(kind="child.reopen", child_id=child.pk)
    # The reason lives in the reopening's row (erased with the record), the audit records its id and length only
    # (break11e finding 1).
    reopening = ChildReopening.objects.get(child_id=child.pk)
    assert reopening.reason == REASON and "reason" not in event.detail
    assert event.detail["reopening_id"] == reopening.pk and event.detail["reason_length"] == len(REASON)
    assert event.detail["closed_on"] == closed_on.isoformat()
    assert event.detail["erase_due_on"] == erase_due_on.isoformat() and event.detail["closed_under"] == "age_scope"
    assert Event.objects.filter(kind="child.scope_reset", child_id=child.pk).exists()
    # The other agency's lead professional, and home's designated manager standing in (no lead named there).
    told = dict(Notification.objects.filter(key=f"{REOPEN_KEY}{reopening.pk}").values_list("recipient_id", "body"))
    assert set(told) == {world.users["other_agency"].pk, world.users["designated_manager"].pk}
    assert not any(REASON in body for body in told.values())  # never quoted (break11e finding 2)
    # Counted again: the kept counts follow (sharing migration 0008's triggers).
    assert child_counts_differences() == []
    # The next sweep, the same day: still past the scope with nothing to keep it, so flagged again and given a
    # fresh closing date a grace period later, not closed.
    result = retention_scope_sweep(today=closed_on)
    assert (result.flagged, result.closed, result.pending) == (1, 0, 1)
    child.refresh_from_db()
    assert child.closed_on is None and child.closes_on == grace_end(closed_on) > closed_on
    # Not erased on the old due date either.
    assert retention_sweep(today=erase_due_on).erased == 0
    child.refresh_from_db()
    assert child.erased_at is None


def test_only_a_partnership_admin_reopens_and_only_a_closed_record_with_its_content(world: World) -> None:
    sharing_world(world)
    child = make_child(world, "Opal", "Reopen")
    admin = world.users["partnership_admin"]
    with pytest.raises(NotPermitted, match="This record is open"):
        child_reopen(actor=fresh(admin), child=child, reason=REASON)
    closed = child_close(actor=fresh(admin), child=child, reason="Recorded in error")
    for who in ("practitioner", "designated_manager", "other_agency", "agency_admin", "auditor"):
        with pytest.raises(AccessDenied):  # refused (403), or not even in their scope (404)
            child_reopen(actor=fresh(world.users[who]), child=closed, reason=REASON)
    with pytest.raises(ValidationError) as missing:
        child_reopen(actor=fresh(admin), child=closed, reason="   ")
    assert "reason" in missing.value.message_dict
    with pytest.raises(ValidationError) as long:
        child_reopen(actor=fresh(admin), child=closed, reason="x" * 5000)
    assert "reason" in long.value.message_dict
    assert Child.objects.get(pk=child.pk).closed_on is not None  # nothing half-written
    assert not Event.objects.filter(kind="child.reopen").exists()
    erased = child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on)
    with pytest.raises(NotPermitted, match="erased"):
        child_reopen(actor=fresh(admin), child=erased, reason=REASON)


def test_a_merged_entry_is_not_reopened(world: World) -> None:
    sharing_world(world)
    keep = make_child(world, "Merle", "Kept", nhs_number="9434765919")
    duplicate = make_child(world, "Merle", "Kept", considered=[keep.pk])
    admin = world.users["partnership_admin"]
    child_merge(actor=fresh(admin), keep=keep, merge=duplicate, reason="The same child", differences_confirmed=True)
    merged = Child.objects.get(pk=duplicate.pk)
    assert merged.merged_into_id == keep.pk
    with pytest.raises(NotPermitted):
        child_reopen(actor=fresh(admin), child=merged, reason=REASON)


def test_the_page_offers_reopening_where_the_closure_is_shown_and_asks_why(world: World) -> None:
    sharing_world(world)
    child = make_child(world, "Pearl", "Reopenpage")
    child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="Recorded in error")
    admin = sign_in(Client(), world.users["partnership_admin"])
    url = reverse("child-detail", args=[child.pk])
    admin.post(reverse("child-purpose", args=[child.pk]), {"purpose": PURPOSE, "next": url})
    reopen_url = reverse("child-reopen", args=[child.pk])
    assert f'href="{reopen_url}"' in admin.get(url).content.decode()
    assert f'href="{reopen_url}"' in admin.get(reverse("child-retention")).content.decode()
    practitioner = sign_in(Client(), world.users["practitioner"])
    practitioner.post(reverse("child-purpose", args=[child.pk]), {"purpose": PURPOSE, "next": url})
    assert f'href="{reopen_url}"' not in practitioner.get(url).content.decode()
    assert practitioner.post(reopen_url, {"reason": REASON}).status_code == 403
    page = admin.post(reopen_url, {"reason": ""})
    body = page.content.decode()
    assert page.status_code == 200 and "govuk-error-summary" in body and "Enter why this record is reopened" in body
    assert Child.objects.get(pk=child.pk).closed_on is not None
    done = admin.post(reopen_url, {"reason": REASON})
    assert done.status_code == 302 and done["Location"] == url
    assert Child.objects.get(pk=child.pk).closed_on is None
    # Open now: the page offers closing again, and reopening is refused.
    assert admin.get(reopen_url).status_code == 403


def test_the_api_reopens_and_answers_a_missing_reason_by_field(world: World) -> None:
    sharing_world(world)
    child = make_child(world, "Ruby", "Reopenapi")
    child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="Recorded in error")
    url = f"/api/v1/children/{child.pk}/reopen/"
    admin = sign_in(Client(), world.users["partnership_admin"])
    missing = admin.post(url, {}, content_type="application/json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"], missing.json()
    blank = admin.post(url, {"reason": "  "}, content_type="application/json")
    assert blank.status_code == 400 and "reason" in blank.json()["error"]["fields"], blank.json()
    practitioner = sign_in(Client(), world.users["practitioner"])
    assert practitioner.post(url, {"reason": REASON}, content_type="application/json").status_code == 403
    done = admin.post(url, {"reason": REASON}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {"id": child.pk, "status": "open", "scope_flagged_on": None}
    assert Child.objects.get(pk=child.pk).closed_on is None
    assert admin.post(url, {"reason": REASON}, content_type="application/json").status_code == 403
