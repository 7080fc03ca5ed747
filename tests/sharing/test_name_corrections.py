"""Why a name was corrected (b11k; break11h F8): the reason lives on its own row (ChildNameCorrection), never in
the audit trail, is shown with the child's names to the record's readers, and is erased with the record."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from audit.models import AuditEvent
from isp_portal.policy import SystemActor
from sharing.models import Child, ChildNameCorrection
from sharing.selectors import child_record
from sharing.services import NameChange, child_update, minimum_data_of, retention
from sharing.services.retention import child_close
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db
REASON = "Misspelt at referral: the school's letter gives Elderwick"


def _page(client: Client, child: Child) -> str:
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    page = client.get(f"/children/{child.pk}/")
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def test_a_correction_keeps_its_reason_on_its_own_row_shows_it_and_erases_it(world: World) -> None:
    sw = sharing_world(world)
    child = make_child(sw, "Seraphina", "Elderwik")
    practitioner = sw.users["practitioner"]
    child_update(
        actor=fresh(practitioner),
        child=child,
        data=minimum_data_of(child),
        name=("Seraphina", "Elderwick"),
        name_change=NameChange.CORRECTION,
        reason=REASON,
    )
    correction = ChildNameCorrection.objects.get(child=child)
    assert correction.reason == REASON and correction.corrected_by_id == practitioner.pk
    event = AuditEvent.objects.filter(kind="child.update", child_id=child.pk).latest("pk")
    assert event.detail["name_correction_id"] == correction.pk and event.detail["reason_length"] == len(REASON)
    assert REASON not in str(event.detail)
    # A change of name (not a correction) keeps no row.
    child_update(
        actor=fresh(practitioner), child=child, data=minimum_data_of(child), name=("Seraphina", "Moss"), reason=""
    )
    assert ChildNameCorrection.objects.filter(child=child).count() == 1

    # Shown with the names on the record page (one statement: the page's) and in the record the API reads.
    page = _page(sign_in(Client(), practitioner), child)
    assert "Name corrected" in page and REASON in page and practitioner.full_name in page
    record = child_record(principal=fresh(practitioner), child_id=child.pk, purpose=PURPOSE)
    assert [c.reason for c in record.name_corrections] == [REASON]

    # Erased with the record's content (Southampton 6, 8): the row stays, its reason does not.
    admin = sw.users["partnership_admin"]
    closed = child_close(actor=fresh(admin), child=Child.objects.get(pk=child.pk), reason="No longer needed")
    assert closed.erase_due_on is not None
    erased = retention.child_erase(actor=SystemActor("test"), child=closed, today=closed.erase_due_on)
    assert ChildNameCorrection.objects.get(pk=correction.pk).reason == retention.ERASED_REASON
    detail = AuditEvent.objects.get(kind="child.erase", child_id=erased.pk).detail
    assert detail["erased"]["name_correction_reasons"] == 1
    assert not AuditEvent.objects.filter(detail__icontains="Elderwick").exists()


def test_a_correction_reason_is_withheld_with_the_other_names_and_gone_once_erased() -> None:
    """name_corrections_seen: the reason names the name put right, so it is withheld where the shield withholds
    the other names (DESIGN 2.3), and once erased says when, never the text."""
    from datetime import UTC, date, datetime

    from sharing.selectors.children import name_corrections_seen

    rows = [(datetime(2026, 3, 1, 12, tzinfo=UTC), REASON, "Pat Practitioner")]
    assert [(c.reason, c.withheld) for c in name_corrections_seen(rows, erased_on=None, withheld=False)] == [
        (REASON, False)
    ]
    assert [(c.reason, c.withheld) for c in name_corrections_seen(rows, erased_on=None, withheld=True)] == [
        (None, True)
    ]
    erased = name_corrections_seen(rows, erased_on=date(2026, 4, 1), withheld=True)
    assert [(c.reason, c.withheld, c.erased_on) for c in erased] == [(None, False, date(2026, 4, 1))]


def test_a_change_taken_for_a_correction_asks_why_on_the_page_and_in_the_api_and_keeps_it(world: World) -> None:
    """breakt11l F5: a new name that differs only in capitals ("Mcdonagh" to "McDonagh") is recorded as a
    correction whatever was answered, so the reason a correction keeps is asked for, on the field, saying why."""
    sw = sharing_world(world)
    child = make_child(sw, "Niamh", "Mcdonagh")
    client = sign_in(Client(), sw.users["practitioner"])
    body = {"given": "Niamh", "family": "McDonagh", "name_change": "change", "reason": ""}
    page = client.post(f"/children/{child.pk}/change/name/", body)
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "recorded as a correction of a mistake" in text and 'id="id_reason-error"' in text, text[:3000]
    answer = client.patch(
        f"/api/v1/children/{child.pk}/",
        data={"given": "Niamh", "family": "McDonagh", "name_change": "change"},
        content_type="application/json",
        HTTP_X_PURPOSE=PURPOSE,
    )
    assert answer.status_code == 400, answer.content[:300]
    assert "correction of a mistake" in answer.json()["error"]["fields"]["reason"][0]
    assert not ChildNameCorrection.objects.filter(child=child).exists()
    assert not AuditEvent.objects.filter(kind="child.update", child_id=child.pk).exists()

    answer = client.post(f"/children/{child.pk}/change/name/", {**body, "reason": "The capital D was missed"})
    assert answer.status_code == 302, answer.content.decode()[:1500]
    correction = ChildNameCorrection.objects.get(child=child)
    assert correction.reason == "The capital D was missed"
    event = AuditEvent.objects.get(kind="child.update", child_id=child.pk)
    assert event.detail["name_change"] == NameChange.CORRECTION and event.detail["name_correction_id"] == correction.pk
