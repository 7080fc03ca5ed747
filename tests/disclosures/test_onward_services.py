"""Onward disclosure through the services (issue 13; Southampton 10-11, 18 item 13; docs/after-disclosure-design.md
3.1, 6.1, 10 "bad input"): the council's case note, disclosed to Hill School, passed on to the health visiting
service only with the council's designated manager's agreement, for exactly the entries and revisions agreed.
Every refusal names its rule and leaves every row as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent, DisclosureLogEntry
from disclosures import rules
from disclosures.models import (
    Disclosure,
    DisclosureEntry,
    DisclosureEvent,
    InformationRequest,
    OnwardRequest,
    OnwardRequestEntry,
)
from disclosures.policy import DisclosurePolicy
from disclosures.services import disclosure_revoke
from disclosures.services.onward import (
    onward_request_agree,
    onward_request_decline,
    onward_request_withdraw,
    onward_requests_sweep,
)
from isp_portal.notifications import Notification
from isp_portal.policy import AccessDenied, NotPermitted, OutOfScope, can
from sharing.models import EntryGrant
from sharing.policy import live_grant_revisions
from sharing.services import entry_record, entry_revise
from tests.disclosures.after_fixtures import (
    AfterWorld,
    after_world,
    onward_disclose,
    onward_submit,
    passed_on,
    staffed_agency,
)
from tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def snapshot() -> tuple[int, ...]:
    """Every row count an onward refusal could leave half-written."""
    return (
        OnwardRequest.objects.count(),
        OnwardRequestEntry.objects.count(),
        InformationRequest.objects.count(),
        Disclosure.objects.count(),
        DisclosureEntry.objects.count(),
        EntryGrant.objects.count(),
        DisclosureLogEntry.objects.count(),
        DisclosureEvent.objects.count(),
        *OnwardRequest.objects.filter(state="disclosed").values_list("pk", flat=True),
    )


def refused(call: Callable[[], Any], error: type[Exception], match: str) -> Exception:
    """The call is refused with `error` naming `match`, and nothing is written."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call()
    assert match in str(caught.value.message_dict if isinstance(caught.value, ValidationError) else caught.value)
    assert snapshot() == before
    return caught.value


def agreed(after: AfterWorld, **values: Any) -> OnwardRequest:
    return onward_request_agree(actor=after.user("designated_manager"), onward=onward_submit(after, **values))


def test_passed_on_with_the_originators_agreement(after: AfterWorld) -> None:
    made = passed_on(after)
    parent_entry = DisclosureEntry.objects.get(disclosure=after.disclosure)
    onward = OnwardRequest.objects.get(pk=made.onward_request_id)
    assert (made.kind, made.hop, made.parent_id) == ("onward", 1, after.disclosure.pk)
    assert (made.from_agency_id, made.to_agency_id) == (after.school.pk, after.health.pk)
    # Design Q3: the originator's agreement stands as the approval.
    assert made.approver_id == onward.decided_by_id == after.user("designated_manager").pk
    assert onward.state == "disclosed" and onward.disclosed_at is not None
    # Exactly what the school received, at the revision it received.
    assert list(made.entries.values_list("entry_id", "revision_id")) == [
        (parent_entry.entry_id, parent_entry.revision_id)
    ]
    visitor = after.user("health_visitor")
    assert live_grant_revisions(visitor, [after.made.entry.pk], disclosure_id=made.pk) == {
        after.made.entry.pk: frozenset({parent_entry.revision_id})
    }
    assert made.retain_until <= after.disclosure.retain_until
    log = DisclosureLogEntry.objects.get(disclosure_id=made.pk, kind="made")
    assert (log.parent_disclosure_id, log.onward_request_id) == (after.disclosure.pk, onward.pk)
    kinds = set(AuditEvent.objects.filter(object_id=str(onward.pk)).values_list("kind", flat=True))
    assert {"onward.submit", "onward.agree", "onward.disclose"} <= kinds
    make = AuditEvent.objects.get(kind="disclosure.make", object_id=str(made.pk))
    assert make.detail["parent_id"] == after.disclosure.pk and make.detail["onward_request_id"] == onward.pk


def test_the_originator_is_told_where_its_information_went(after: AfterWorld) -> None:
    passed_on(after)
    manager = after.user("designated_manager")
    assert Notification.objects.filter(recipient=manager, key__startswith="onward-disclosed-").exists()


def test_nothing_is_passed_on_before_the_originator_agrees(after: AfterWorld) -> None:
    onward = onward_submit(after)
    denial = refused(lambda: onward_disclose(after, onward), NotPermitted, "has not agreed yet")
    assert isinstance(denial, AccessDenied)


def test_a_declined_onward_request_is_never_passed_on(after: AfterWorld) -> None:
    onward = onward_request_decline(
        actor=after.user("designated_manager"), onward=onward_submit(after), reason="not_proportionate"
    )
    assert onward.state == "declined"
    refused(lambda: onward_disclose(after, onward), NotPermitted, "did not agree")


def test_an_agreement_that_ran_out_is_not_used(after: AfterWorld) -> None:
    onward = agreed(after)
    assert onward.agreement_until is not None
    later = onward.agreement_until + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        refused(lambda: onward_disclose(after, onward), NotPermitted, "agreement to pass this information on ended")


@pytest.mark.parametrize("who", ["school_manager", "practitioner", "health_manager"])
def test_only_a_designated_manager_of_the_originator_agrees(after: AfterWorld, who: str) -> None:
    onward = onward_submit(after)
    # The school's and the health service's managers do not see the council's decision as theirs to make; a
    # council practitioner sees it but may not decide (Southampton 10: the information source provider agrees).
    with pytest.raises(AccessDenied):
        onward_request_agree(actor=after.user(who), onward=onward)
    onward.refresh_from_db()
    assert onward.state == "requested" and onward.decided_by_id is None


def test_another_agency_reaches_none_of_it(after: AfterWorld) -> None:
    onward = onward_submit(after)
    police = after.world.users["other_agency"]
    refused(lambda: onward_request_agree(actor=police, onward=onward), OutOfScope, "")
    refused(lambda: onward_submit(after, by="other_agency"), OutOfScope, "")


def test_a_colleague_who_was_not_named_cannot_pass_it_on(after: AfterWorld) -> None:
    # The school's unnamed colleague never received it: the disclosure is not theirs to see (404), let alone pass on.
    refused(lambda: onward_submit(after, by="school_colleague"), OutOfScope, "")


def test_only_what_was_received_can_be_passed_on(after: AfterWorld) -> None:
    other = entry_record(
        actor=after.user("practitioner"), child=after.made.child, agency=after.world.home, category="case_note",
        fields={}, text="Never disclosed to the school.", basis="fact",
    )  # fmt: skip
    refused(lambda: onward_submit(after, entries=[other]), ValidationError, "only the entries your agency received")


@pytest.mark.parametrize(("to", "match"), [("school", "already held by yours"), ("home", "came from that agency")])
def test_never_back_to_the_originator_nor_to_the_own_agency(after: AfterWorld, to: str, match: str) -> None:
    agency = after.school if to == "school" else after.world.home
    refused(lambda: onward_submit(after, to_agency=agency), ValidationError, match)


def test_no_more_than_was_received(after: AfterWorld) -> None:
    refused(lambda: onward_submit(after, categories=["health"]), ValidationError, "kinds of information")


def test_an_onward_copy_never_outlives_its_source(after: AfterWorld) -> None:
    onward = agreed(after)
    later = after.disclosure.retain_until + timedelta(days=1)
    refused(lambda: onward_disclose(after, onward, retain_until=later), ValidationError, "no later than")


def test_a_recipient_outside_the_third_agency_is_refused(after: AfterWorld) -> None:
    onward = agreed(after)
    refused(
        lambda: onward_disclose(after, onward, recipients=[after.user("school_colleague")]),
        ValidationError,
        "not one of the people",
    )


def test_only_the_requester_passes_it_on(after: AfterWorld) -> None:
    onward = agreed(after)
    refused(lambda: onward_disclose(after, onward, by="school_colleague"), NotPermitted, "Only the person who asked")


def test_a_correction_since_does_not_slip_into_what_is_passed_on(after: AfterWorld) -> None:
    """The entry corrected after the school received it: what is passed on is still the revision agreed (the
    correction reaches the third agency as a correction, never as silently newer text: rules.onward_scope_refusals)."""
    onward = agreed(after)
    received = DisclosureEntry.objects.get(disclosure=after.disclosure).revision_id
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected: the uncle threatened.",
        basis="fact", reason="The wrong relative was named.",
    )  # fmt: skip
    made = onward_disclose(after, onward)
    assert list(made.entries.values_list("revision_id", flat=True)) == [received]


def test_the_originator_sees_the_onward_disclosure_but_not_its_content(after: AfterWorld) -> None:
    made = passed_on(after)
    manager, colleague = after.user("designated_manager"), after.user("school_colleague")
    assert can(manager, "view", made) and can(manager, "lineage", made)
    assert not can(manager, "read_content", made)
    # The passing school's other staff never held it (design 5).
    assert DisclosurePolicy().refusal(colleague, "read_content", made) is not None
    assert DisclosurePolicy().refusal(after.user("school"), "read_content", made) is None


def test_withdrawn_by_the_requester_only(after: AfterWorld) -> None:
    onward = onward_submit(after)
    refused(
        lambda: onward_request_withdraw(actor=after.user("school_colleague"), onward=onward, reason="No."),
        NotPermitted,
        "Only the person who asked",
    )
    refused(
        lambda: onward_request_withdraw(actor=after.user("school"), onward=onward, reason=""),
        ValidationError,
        "Say why",
    )
    done = onward_request_withdraw(actor=after.user("school"), onward=onward, reason="The family moved away.")
    assert done.state == "withdrawn"


def test_a_second_decision_is_refused_naming_the_first(after: AfterWorld) -> None:
    onward = agreed(after)
    refused(
        lambda: onward_request_decline(actor=after.user("second_manager"), onward=onward, reason="not_proportionate"),
        NotPermitted,
        "agreed by the agency",
    )


def test_revoking_the_source_revokes_what_was_passed_on(after: AfterWorld) -> None:
    """Design Q4: the onward disclosure rested on its parent; open onward requests on it lapse."""
    made = passed_on(after)
    second = onward_submit(after, purpose=made.purpose, need_to_know="Again, for the weekly visit.")
    disclosure_revoke(actor=after.user("designated_manager"), disclosure=after.disclosure, reason="Sent in error.")
    assert DisclosureEvent.objects.filter(disclosure=made, kind="revoked").exists()
    assert not EntryGrant.objects.filter(disclosure_id=made.pk, revoked_at__isnull=True).exists()
    second.refresh_from_db()
    assert (second.state, second.lapse_reason) == ("lapsed", "parent_ended")
    assert DisclosureLogEntry.objects.filter(disclosure_id=made.pk, kind="revoked").exists()


def test_the_sweep_expires_lapses_and_tells_once(after: AfterWorld) -> None:
    waiting = onward_submit(after)
    unused = agreed(after, need_to_know="A second need.")
    assert unused.agreement_until is not None
    now = unused.agreement_until + timedelta(minutes=1)
    today = waiting.due_on + timedelta(days=1)
    changed, told = onward_requests_sweep(now=now, today=today)
    assert changed == 1 and told >= 2  # the unused agreement lapsed; the overdue one told to managers + requester
    assert OnwardRequest.objects.get(pk=unused.pk).lapse_reason == "unused"
    assert onward_requests_sweep(now=now, today=today) == (0, 0)
    much_later = waiting.due_on + timedelta(days=60)
    assert onward_requests_sweep(now=timezone.now(), today=much_later)[0] == 1
    assert OnwardRequest.objects.get(pk=waiting.pk).state == "expired"
    assert onward_requests_sweep(now=timezone.now(), today=much_later) == (0, 0)


def test_the_second_hop_needs_the_originators_agreement_too(after: AfterWorld) -> None:
    """Design Q2: health -> police of the council's note is agreed by the council, not by the school."""
    made = passed_on(after)
    # The police force is party to no protocol here, and the school holds it already (b13e): a third agency.
    third = staffed_agency(after.world, "Riverside Youth Service", "youth")
    onward = onward_submit(after, by="health_visitor", parent=made, to_agency=third)
    assert onward.originator_agency_id == after.world.home.pk
    with pytest.raises(AccessDenied):
        onward_request_agree(actor=after.user("school_manager"), onward=onward)
    agreed_again = onward_request_agree(actor=after.user("designated_manager"), onward=onward)
    assert agreed_again.state == rules.OnwardState.AGREED
