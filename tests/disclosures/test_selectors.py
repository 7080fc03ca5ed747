"""What people read of requests and disclosures (disclosures/selectors.py; design12 section 6)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from disclosures.selectors import (
    approvals_pending,
    disclosure_page,
    disclosures_received,
    request_page,
    requests_inbox,
)
from disclosures.services import disclosure_revoke, request_approve
from isp_portal.policy import OutOfScope
from tests.disclosures.fixtures import answer, case, submit
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_the_inbox_lists_the_holding_agencys_open_requests_urgent_first_on_a_day(world: World) -> None:
    made = case(world)
    routine = submit(made)
    urgent = submit(made, urgency="urgent")
    rows = requests_inbox(made.user("practitioner"))
    assert [row.request.pk for row in rows] == [urgent.pk, routine.pk]
    assert not any(row.overdue or row.consent_lapsed for row in rows)
    assert requests_inbox(made.user("school")) == []  # the requester's agency is not the holder
    assert requests_inbox(made.user("other_agency")) == []


def test_approvals_are_oldest_first_and_greyed_for_who_answered(world: World) -> None:
    made = case(world)
    first, second = submit(made), submit(made)
    answer(made, first, by="designated_manager")
    answer(made, second)
    approvals, reviews = approvals_pending(made.user("designated_manager"))
    assert [(row.request.pk, row.may_approve) for row in approvals] == [(first.pk, False), (second.pk, True)]
    assert reviews == []
    assert approvals_pending(made.user("practitioner")) == ([], [])


def test_request_page_is_404_to_another_agency(world: World) -> None:
    made = case(world)
    request = submit(made)
    assert request_page(made.user("practitioner"), request.pk).actions == frozenset({"answer"})
    assert request_page(made.user("school"), request.pk).actions == frozenset({"withdraw"})
    with pytest.raises(OutOfScope):
        request_page(made.user("other_agency"), request.pk)


def test_the_disclosure_page_shows_content_to_the_recipient_until_revoked_and_audits_each_showing(
    world: World,
) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    disclosure = request_approve(actor=made.user("designated_manager"), request=request)
    page = disclosure_page(made.user("school"), disclosure.pk)
    assert page.hash_verified is True and page.content is not None
    assert [item["entry_id"] for item in page.content["entries"]] == [made.entry.pk]
    assert AuditEvent.objects.filter(kind="disclosure.view", object_id=str(disclosure.pk)).count() == 1
    assert disclosure_page(made.user("auditor"), disclosure.pk).content is None
    with pytest.raises(OutOfScope):
        disclosure_page(made.user("school_colleague"), disclosure.pk)
    [row] = disclosures_received(made.user("school"))
    assert row.active
    disclosure_revoke(actor=made.user("designated_manager"), disclosure=disclosure, reason="Sent in error.")
    page = disclosure_page(made.user("school"), disclosure.pk)
    assert page.revoked and page.content is None
    [row] = disclosures_received(made.user("school"))
    assert not row.active
