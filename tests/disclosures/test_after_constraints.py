"""What PostgreSQL refuses about onward disclosure, corrections and disputes, whatever the code above tries (issue 13;
migrations disclosures/0004-0009, the models' constraints; docs/after-disclosure-design.md 2).

The world is built through the services (tests/disclosures/after_fixtures.py: the council's case note disclosed to
Hill School). The issue-13 rows are then written minimally with the ORM or raw SQL, the way WP2-4's services will
write them, because the point here is the database: each test tries what no code path may do and expects the named
constraint or trigger to refuse it, and tries the allowed shape and expects it to pass.
"""

from __future__ import annotations

import importlib
import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from agencies.models import User
from audit.services import disclosure_log_canonical
from disclosures import rules
from disclosures.models import (
    Correction,
    CorrectionNotice,
    Disclosure,
    DisclosureEntry,
    Dispute,
    DisputeAdvice,
    DisputeAssignee,
    DisputeEvent,
    DisputePosition,
    DisputeRecord,
    InaccuracyReport,
    InformationRequest,
    OnwardRequest,
    OnwardRequestEntry,
    RequestAnswer,
)
from disclosures.receivers import correction_on_revise
from disclosures.services import disclosure_revoke, request_answer_decline
from sharing.models import EntryRevision, RecordEntry
from sharing.services import entry_record, entry_revise
from sharing.signals import entry_revised
from tests.audit.test_disclosure_log import draft as log_draft
from tests.disclosures.after_fixtures import AfterWorld, after_world, disclose
from tests.disclosures.fixtures import submit
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db

SHA = "b" * 64


Params = list[Any] | tuple[Any, ...] | dict[str, Any]


def _params(params: Params) -> list[Any] | dict[str, Any]:
    return params if isinstance(params, dict) else list(params)


def refused(match: str, statement: str, params: Params = ()) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, _params(params))


def refused_orm(match: str, write: Any) -> None:
    with pytest.raises((DatabaseError, IntegrityError), match=match), transaction.atomic():
        write()


def refused_check(match: str, write: Any) -> None:
    """A CHECK constraint alone: triggers (and the foreign keys' internal triggers) off for this savepoint, so the
    CHECK is what refuses, whatever a trigger would have said first."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        _without_triggers(write)


def _without_triggers(write: Any) -> None:
    # Undone with the savepoint when the write is refused.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    write()


def passes(statement: str, params: Params = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, _params(params))


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def parent_revision(after: AfterWorld) -> EntryRevision:
    return DisclosureEntry.objects.get(disclosure=after.disclosure, entry=after.made.entry).revision


# --- Onward requests ---------------------------------------------------------------------------------------------


def onward_values(after: AfterWorld, **values: Any) -> dict[str, Any]:
    return {
        "parent_disclosure": after.disclosure,
        "child": after.made.child,
        "from_agency": after.school,
        "originator_agency": after.world.home,
        "to_agency": after.health,
        "requester": after.user("school"),
        "purpose": PURPOSE,
        "need_to_know": "The health visitor sees the child at home each week.",
        "tiers": ["sensitive"],
        "categories": ["case_note"],
        "consent_basis": "refused",
        "override_ground": "significant_harm",
        "legal_basis": "significant_harm",
        "due_on": timezone.localdate() + timedelta(days=7),
        **values,
    }


def make_onward(after: AfterWorld, **values: Any) -> OnwardRequest:
    onward = OnwardRequest.objects.create(**onward_values(after, **values))
    OnwardRequestEntry.objects.create(
        onward_request=onward,
        parent_disclosure=after.disclosure,
        entry=after.made.entry,
        revision=parent_revision(after),
    )
    return onward


def decider(after: AfterWorld) -> User:
    return after.user("designated_manager")


# What moving to each state sets, besides the state (the shape CHECKs of each).
MOVES: dict[str, str] = {
    "requested": "",
    "agreed": ", decided_by_id = %(decider)s, decided_at = now(), agreement_until = now() + interval '5 days'",
    "declined": ", decided_by_id = %(decider)s, decided_at = now(), decline_reason = 'not_proportionate'",
    "withdrawn": ", withdrawn_at = now(), withdraw_reason = 'No longer needed.'",
    "expired": ", expired_at = now()",
    "lapsed": ", lapsed_at = now(), lapse_reason = 'parent_ended'",
    "disclosed": ", disclosed_at = now()",
}
PATHS: dict[str, list[str]] = {
    "requested": [],
    "agreed": ["agreed"],
    "declined": ["declined"],
    "withdrawn": ["withdrawn"],
    "expired": ["expired"],
    "lapsed": ["lapsed"],
    "disclosed": ["agreed", "disclosed"],
}


def move_sql(target: str) -> str:
    return f"UPDATE disclosures_onwardrequest SET state = '{target}'{MOVES[target]} WHERE id = %(id)s"  # noqa: S608


def move(after: AfterWorld, onward: OnwardRequest, target: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(move_sql(target), {"id": onward.pk, "decider": decider(after).pk})


def onward_in(after: AfterWorld, state: str) -> OnwardRequest:
    onward = make_onward(after)
    for step in PATHS[state]:
        move(after, onward, step)
    onward.refresh_from_db()
    return onward


def pairs_of(module: str, name: str) -> set[tuple[str, str]]:
    text = getattr(importlib.import_module(f"disclosures.migrations.{module}"), name)
    return set(re.findall(r"\('(\w+)','(\w+)'\)", text))


def test_the_database_tables_are_the_rules_tables() -> None:
    onward = {(a.value, b.value) for a, targets in rules.ONWARD_TRANSITIONS.items() for b in targets}
    dispute = {(a.value, b.value) for a, targets in rules.DISPUTE_TRANSITIONS.items() for b in targets}
    assert pairs_of("0004_onward_triggers", "ONWARD_PAIRS") == onward
    assert pairs_of("0008_dispute_triggers", "DISPUTE_PAIRS") == dispute


ONWARD_PAIRS = [(a, b) for a, b in itertools.product(rules.OnwardState, rules.OnwardState) if a != b]


@pytest.mark.parametrize(("current", "target"), ONWARD_PAIRS, ids=[f"{a}->{b}" for a, b in ONWARD_PAIRS])
def test_an_onward_request_moves_only_as_the_rules_allow(after: AfterWorld, current: str, target: str) -> None:
    onward = onward_in(after, current)
    params = {"id": onward.pk, "decider": decider(after).pk}
    if rules.onward_transition_refusal(rules.OnwardState(current), rules.OnwardState(target)) is None:
        passes(move_sql(target), params)  # type: ignore[arg-type]
        onward.refresh_from_db()
        assert onward.state == target
    else:
        refused("onward_transition_allowed", move_sql(target), params)  # type: ignore[arg-type]


def test_an_onward_request_starts_as_requested(after: AfterWorld) -> None:
    refused_orm(
        "onward_transition_allowed",
        lambda: OnwardRequest.objects.create(
            **onward_values(
                after,
                state="lapsed",
                lapsed_at=timezone.now(),
                lapse_reason="unused",
                decided_by=decider(after),
                decided_at=timezone.now(),
                agreement_until=timezone.now(),
            )
        ),
    )


@pytest.mark.parametrize("state", sorted(rules.ONWARD_TERMINAL_STATES))
def test_a_closed_onward_request_is_final(after: AfterWorld, state: str) -> None:
    onward = onward_in(after, state)
    refused(
        "a closed onward request is final",
        "UPDATE disclosures_onwardrequest SET due_on = due_on + 1 WHERE id = %s",
        [onward.pk],
    )


def test_the_terms_and_the_decision_never_change(after: AfterWorld) -> None:
    onward = onward_in(after, "requested")
    refused("never change", "UPDATE disclosures_onwardrequest SET purpose = 'Other' WHERE id = %s", [onward.pk])
    refused(
        "never change",
        "UPDATE disclosures_onwardrequest SET to_agency_id = %s WHERE id = %s",
        [after.world.other.pk, onward.pk],
    )
    move(after, onward, "agreed")
    refused(
        "the decision never changes",
        "UPDATE disclosures_onwardrequest SET agreement_until = agreement_until + interval '1 day' WHERE id = %s",
        [onward.pk],
    )


@pytest.mark.parametrize("who", ["practitioner", "school_manager", "health_manager"])
def test_only_a_designated_manager_of_the_originator_decides(after: AfterWorld, who: str) -> None:
    onward = onward_in(after, "requested")
    refused(
        "onward_decided_by_originator",
        "UPDATE disclosures_onwardrequest SET state = 'agreed', decided_by_id = %s, decided_at = now(), "
        "agreement_until = now() + interval '1 day' WHERE id = %s",
        [after.user(who).pk, onward.pk],
    )


@pytest.mark.parametrize(
    ("target", "change", "constraint"),
    [
        ("declined", "decided_by_id = %(decider)s, decided_at = now()", "onward_declined_shape"),
        (
            "declined",
            "decided_by_id = %(decider)s, decided_at = now(), decline_reason = 'other'",
            "onward_other_decline_explained",
        ),
        (
            "declined",
            "decided_by_id = %(decider)s, decided_at = now(), decline_reason = 'nothing_held'",
            "onward_decline_reason_known",
        ),
        ("agreed", "decided_by_id = %(decider)s, decided_at = now()", "onward_agreement_shape"),
        ("declined", "decided_by_id = %(decider)s, decline_reason = 'not_proportionate'", "onward_decision_whole"),
        ("withdrawn", "withdrawn_at = now()", "onward_withdrawn_shape"),
        ("expired", "due_on = due_on", "onward_expired_shape"),
        ("lapsed", "lapsed_at = now()", "onward_lapsed_shape"),
        ("lapsed", "lapsed_at = now(), lapse_reason = 'unused'", "onward_agreement_shape"),
        ("requested", "conditions = 'Only the health visitor.'", "onward_requested_undecided"),
    ],
)
def test_each_state_has_its_shape(after: AfterWorld, target: str, change: str, constraint: str) -> None:
    onward = onward_in(after, "requested")
    refused(
        constraint,
        f"UPDATE disclosures_onwardrequest SET state = '{target}', {change} WHERE id = %(id)s",  # noqa: S608
        {"id": onward.pk, "decider": decider(after).pk},
    )  # type: ignore[arg-type]


def test_disclosed_needs_its_time(after: AfterWorld) -> None:
    onward = onward_in(after, "agreed")
    refused(
        "onward_disclosed_shape", "UPDATE disclosures_onwardrequest SET state = 'disclosed' WHERE id = %s", [onward.pk]
    )


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"to_agency": "school"}, "onward_to_a_third_agency"),
        ({"to_agency": "home"}, "onward_to_a_third_agency"),
        ({"from_agency": "home", "to_agency": "health"}, "onward_not_from_originator"),
        ({"purpose": ""}, "onward_has_purpose"),
        ({"need_to_know": ""}, "onward_has_need_to_know"),
        ({"tiers": [], "categories": []}, "onward_tiers_known"),
        ({"tiers": ["minimum"]}, "onward_categories_with_sensitive"),
        ({"consent_basis": "consent"}, "onward_consent_basis_shape"),
        ({"legal_basis": "explicit_consent"}, "onward_consent_basis_matches"),
        ({"legal_basis": "a_whim"}, "onward_legal_basis_known"),
        ({"need_to_know": "x" * 2001}, "onward_need_to_know_length"),
        ({"due_on": date(1800, 1, 1)}, "onward_due_on_plausible"),
    ],
)
def test_a_malformed_onward_request_is_refused(after: AfterWorld, values: dict[str, Any], constraint: str) -> None:
    agencies = {"school": after.school, "home": after.world.home, "health": after.health}
    resolved = {key: agencies.get(value, value) if key.endswith("agency") else value for key, value in values.items()}
    refused_orm(constraint, lambda: OnwardRequest.objects.create(**onward_values(after, **resolved)))


def test_the_parent_was_received_by_the_passer_about_the_same_child(after: AfterWorld, world: World) -> None:
    from tests.sharing.fixtures import make_child

    other_child = make_child(world, "Bea", "Other", born_on=date(2018, 6, 1), postcode="N2 8AA")
    refused_orm(
        "onward_parent_is_about_child", lambda: OnwardRequest.objects.create(**onward_values(after, child=other_child))
    )
    refused_orm(
        "onward_parent_received_by_from",
        lambda: OnwardRequest.objects.create(**onward_values(after, from_agency=after.world.other)),
    )


def test_only_the_entries_received_at_the_revision_received(after: AfterWorld) -> None:
    onward = OnwardRequest.objects.create(**onward_values(after))
    received = parent_revision(after)
    kid, home = after.made.child, after.world.home
    other_entry = entry_record(
        actor=after.user("practitioner"),
        child=kid,
        agency=home,
        category="case_note",
        fields={},
        text="Never disclosed.",
        basis="fact",
    )
    refused_orm(
        "onward_entry_was_received",
        lambda: OnwardRequestEntry.objects.create(
            onward_request=onward,
            parent_disclosure=after.disclosure,
            entry=other_entry,
            revision=other_entry.revisions.get(),
        ),
    )
    later = entry_revise(
        actor=after.user("practitioner"),
        entry=after.made.entry,
        fields={},
        text="Corrected.",
        basis="fact",
        reason="The date was wrong.",
    )
    refused_orm(
        "onward_entry_was_received",
        lambda: OnwardRequestEntry.objects.create(
            onward_request=onward, parent_disclosure=after.disclosure, entry=after.made.entry, revision=later
        ),
    )
    row = OnwardRequestEntry.objects.create(
        onward_request=onward, parent_disclosure=after.disclosure, entry=after.made.entry, revision=received
    )
    refused(
        "append-only", "UPDATE disclosures_onwardrequestentry SET revision_id = revision_id WHERE id = %s", [row.pk]
    )
    refused("append-only", "DELETE FROM disclosures_onwardrequestentry WHERE id = %s", [row.pk])


def test_an_entry_passed_on_is_the_originators(after: AfterWorld) -> None:
    # An onward request naming the wrong originator cannot carry the council's entry.
    onward = OnwardRequest.objects.create(**onward_values(after, originator_agency=after.world.other))
    refused_orm(
        "onward_entry_from_originator",
        lambda: OnwardRequestEntry.objects.create(
            onward_request=onward,
            parent_disclosure=after.disclosure,
            entry=after.made.entry,
            revision=parent_revision(after),
        ),
    )


def test_an_entry_row_names_its_onward_requests_parent(after: AfterWorld) -> None:
    onward = OnwardRequest.objects.create(**onward_values(after))
    another = disclose(after.made)
    refused_orm(
        "onward_entry_parent_is_requests",
        lambda: OnwardRequestEntry.objects.create(
            onward_request=onward, parent_disclosure=another, entry=after.made.entry, revision=parent_revision(after)
        ),
    )


# --- Onward disclosures --------------------------------------------------------------------------------------------


@dataclass
class Onward:
    onward: OnwardRequest
    request: InformationRequest
    answer: RequestAnswer


def onward_ready(
    after: AfterWorld, *, agreement: str = "now() + interval '5 days'", approver: str = "designated_manager"
) -> Onward:
    """An onward request agreed and marked disclosed, with the InformationRequest(kind='onward') and answer the
    disclosure is made from (the shape WP2's onward_request_disclose writes)."""
    onward = onward_in(after, "requested")
    passes(
        "UPDATE disclosures_onwardrequest SET state = 'agreed', decided_by_id = %s, decided_at = now(), "  # noqa: S608
        f"agreement_until = {agreement} WHERE id = %s",
        [decider(after).pk, onward.pk],
    )
    move(after, onward, "disclosed")
    school, now = after.user("school"), timezone.now()
    request = InformationRequest.objects.create(
        kind="onward",
        child=after.made.child,
        requester=school,
        requester_agency=after.health,
        holding_agency=after.school,
        protocol_version=after.disclosure.protocol_version,
        purpose=PURPOSE,
        tiers=["sensitive"],
        categories=["case_note"],
        need_to_know=onward.need_to_know,
        consent_basis="refused",
        override_ground="significant_harm",
        answered_by=school,
        answered_at=now,
        needs_approval=True,
    )
    reply = RequestAnswer.objects.create(
        request=request,
        outcome="share",
        is_confidential=True,
        consent_checked="refused",
        legal_basis="significant_harm",
        why_without_consent="Risk of significant harm outweighs the refusal.",
        proportionality="Only the case note: the minimum the school needs to keep the child safe.",
        public_interest="Protecting the child from significant harm outweighs the duty of confidence.",
        subject_told="not_safe",
        subject_not_told_reason="Telling the parent would put the child at risk.",
        retain_until=after.disclosure.retain_until,
        answered_by=school,
        answered_at=now,
    )
    InformationRequest.objects.filter(pk=request.pk).update(
        state="approved", approver=after.user(approver), approved_at=now
    )
    InformationRequest.objects.filter(pk=request.pk).update(state="shared")
    onward.refresh_from_db()
    return Onward(onward, request, reply)


def onward_disclosure_values(after: AfterWorld, ready: Onward, **values: Any) -> dict[str, Any]:
    parent = after.disclosure
    return {
        "request": ready.request,
        "answer": ready.answer,
        "kind": "onward",
        "child": after.made.child,
        "from_agency": after.school,
        "to_agency": after.health,
        "discloser": after.user("school"),
        "approver": decider(after),
        "requester": after.user("school"),
        "tiers": ["sensitive"],
        "categories": ["case_note"],
        "purpose": PURPOSE,
        "legal_basis": "significant_harm",
        "consent_basis": "refused",
        "override_ground": "significant_harm",
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "retain_until": parent.retain_until,
        "protocol_version": parent.protocol_version,
        "made_at": timezone.now(),
        "snapshot_sha256": SHA,
        "parent": parent,
        "onward_request": ready.onward,
        "hop": 1,
        **values,
    }


def test_an_agreed_onward_disclosure_is_made_with_exactly_the_agreed_entries(after: AfterWorld) -> None:
    ready = onward_ready(after)
    made = Disclosure.objects.create(**onward_disclosure_values(after, ready))
    kid, home = after.made.child, after.world.home
    other_entry = entry_record(
        actor=after.user("practitioner"),
        child=kid,
        agency=home,
        category="case_note",
        fields={},
        text="Not agreed.",
        basis="fact",
    )
    refused_orm(
        "disclosure_entry_onward_agreed",
        lambda: DisclosureEntry.objects.create(
            disclosure=made, entry=other_entry, revision=other_entry.revisions.get()
        ),
    )
    DisclosureEntry.objects.create(disclosure=made, entry=after.made.entry, revision=parent_revision(after))
    assert made.hop == 1 and made.parent_id == after.disclosure.pk


def test_nothing_is_passed_on_before_agreement(after: AfterWorld) -> None:
    ready = onward_ready(after)
    agreed = onward_in(after, "agreed")
    refused_orm(
        "disclosure_onward_agreed",
        lambda: Disclosure.objects.create(**onward_disclosure_values(after, ready, onward_request=agreed)),
    )


def test_an_agreement_that_ran_out_is_not_used(after: AfterWorld) -> None:
    ready = onward_ready(after, agreement="now() - interval '1 minute'")
    refused_orm("is not live", lambda: Disclosure.objects.create(**onward_disclosure_values(after, ready)))


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"hop": 2}, "disclosure_onward_agreed"),
        ({"retain_until_plus": timedelta(seconds=1)}, "disclosure_onward_agreed"),
        ({"to_agency": "other"}, "disclosure_onward_is_requests"),
        ({"kind": "requested"}, "disclosure_onward_shape"),
        ({"approver": None}, "disclosure_onward_approved|disclosure_sensitive_without_consent_approved"),
    ],
)
def test_a_forged_onward_disclosure_is_refused(after: AfterWorld, values: dict[str, Any], match: str) -> None:
    ready = onward_ready(after)
    if "retain_until_plus" in values:
        values = {"retain_until": after.disclosure.retain_until + values.pop("retain_until_plus")}
    if values.get("to_agency") == "other":
        values["to_agency"] = after.world.other
    refused_orm(match, lambda: Disclosure.objects.create(**onward_disclosure_values(after, ready, **values)))


def test_the_approver_of_an_onward_disclosure_is_the_originators_decider(after: AfterWorld) -> None:
    # The request names the council's other designated manager as its approver; the onward request was decided by
    # the first: the disclosure cannot name the second.
    ready = onward_ready(after, approver="second_manager")
    refused_orm(
        "disclosure_onward_approver_decided",
        lambda: Disclosure.objects.create(
            **onward_disclosure_values(after, ready, approver=after.user("second_manager"))
        ),
    )


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"hop": 5}, "disclosure_hop_bounded"),
        ({"hop": -1}, "disclosure_hop_bounded|hop_check"),
        ({"parent": None}, "disclosure_onward_shape"),
        ({"onward_request": None}, "disclosure_onward_shape"),
        ({"hop": 0}, "disclosure_onward_shape"),
    ],
)
def test_the_onward_shape_checks_hold_on_their_own(after: AfterWorld, values: dict[str, Any], match: str) -> None:
    ready = onward_ready(after)
    refused_check(match, lambda: Disclosure.objects.create(**onward_disclosure_values(after, ready, **values)))


def test_nothing_is_passed_on_from_a_revoked_parent(after: AfterWorld) -> None:
    ready = onward_ready(after)
    disclosure_revoke(actor=decider(after), disclosure=after.disclosure, reason="Shared in error.")
    refused_orm(
        "revoked or past its retention", lambda: Disclosure.objects.create(**onward_disclosure_values(after, ready))
    )


# --- Corrections ---------------------------------------------------------------------------------------------------


def revised(after: AfterWorld) -> EntryRevision:
    """A later revision with no correction recorded for it: these tests write the correction rows by hand, so the
    receiver that records one on every revise of a disclosed entry (disclosures.receivers, WP3) is held off."""
    entry_revised.disconnect(dispatch_uid=CORRECTION_RECEIVER)
    try:
        return entry_revise(
            actor=after.user("practitioner"),
            entry=after.made.entry,
            fields={},
            text="Corrected note.",
            basis="fact",
            reason="The date of the incident was wrong.",
        )
    finally:
        entry_revised.connect(correction_on_revise, dispatch_uid=CORRECTION_RECEIVER)


CORRECTION_RECEIVER = "disclosures.correction_on_revise"


def make_correction(after: AfterWorld, revision: EntryRevision, **values: Any) -> Correction:
    return Correction.objects.create(
        **{
            "entry": after.made.entry,
            "revision": revision,
            "originator_agency": after.world.home,
            "issued_by": after.user("practitioner"),
            "summary": "The date of the incident was wrong.",
            "ack_due_on": timezone.localdate() + timedelta(days=7),
            **values,
        }
    )


def notice_values(after: AfterWorld, correction: Correction, **values: Any) -> dict[str, Any]:
    return {
        "correction": correction,
        "entry": after.made.entry,
        "agency": after.school,
        "via_disclosure": after.disclosure,
        "received_revision": parent_revision(after),
        "ack_due_on": correction.ack_due_on,
        **values,
    }


def test_a_correction_is_a_later_revision_of_the_originators_entry(after: AfterWorld) -> None:
    first = parent_revision(after)
    refused_orm("correction_is_later_revision", lambda: make_correction(after, first))
    later = revised(after)
    refused_orm("correction_is_later_revision", lambda: make_correction(after, later, originator_agency=after.school))
    refused_orm("correction_has_summary", lambda: make_correction(after, later, summary=""))
    correction = make_correction(after, later)
    refused_orm("correction_one_per_revision", lambda: make_correction(after, later))
    refused("append-only", "UPDATE disclosures_correction SET summary = 'x' WHERE id = %s", [correction.pk])
    refused("append-only", "DELETE FROM disclosures_correction WHERE id = %s", [correction.pk])


def test_a_correction_names_a_revision_of_its_own_entry(after: AfterWorld) -> None:
    kid, home = after.made.child, after.world.home
    other = entry_record(
        actor=after.user("practitioner"),
        child=kid,
        agency=home,
        category="case_note",
        fields={},
        text="Another note.",
        basis="fact",
    )
    other_later = entry_revise(
        actor=after.user("practitioner"),
        entry=other,
        fields={},
        text="Another, corrected.",
        basis="fact",
        reason="Spelling.",
    )
    refused_orm(
        "correction_is_later_revision|correction_revision_of_entry", lambda: make_correction(after, other_later)
    )


def test_a_notice_exists_only_for_an_agency_that_received_the_entry(after: AfterWorld) -> None:
    second = revised(after)
    correction = make_correction(after, revised(after))
    refused_orm(
        "correction_notice_agency_received",
        lambda: CorrectionNotice.objects.create(**notice_values(after, correction, agency=after.world.other)),
    )
    # Revision 2 is older than the correction (3) but was never disclosed to the school.
    refused_orm(
        "correction_notice_entry_received",
        lambda: CorrectionNotice.objects.create(**notice_values(after, correction, received_revision=second)),
    )
    notice = CorrectionNotice.objects.create(**notice_values(after, correction))
    refused_orm("correction_notice_once", lambda: CorrectionNotice.objects.create(**notice_values(after, correction)))
    assert notice.acknowledged_at is None


def test_a_notice_is_for_an_older_revision_than_the_correction(after: AfterWorld) -> None:
    later = revised(after)
    correction = make_correction(after, later)
    # A second disclosure to the school, made after the correction: it already holds the corrected revision.
    current = disclose(after.made)
    assert DisclosureEntry.objects.get(disclosure=current).revision_id == later.pk
    refused_orm(
        "correction_notice_older_revision",
        lambda: CorrectionNotice.objects.create(
            **notice_values(after, correction, via_disclosure=current, received_revision=later)
        ),
    )


def test_a_notice_is_acknowledged_once_by_its_own_agency(after: AfterWorld) -> None:
    correction = make_correction(after, revised(after))
    notice = CorrectionNotice.objects.create(**notice_values(after, correction))
    ack = "UPDATE disclosures_correctionnotice SET acknowledged_by_id = %s, acknowledged_at = now(), action_taken = %s "
    refused(
        "correction_notice_ack_whole",
        ack.replace(", acknowledged_at = now()", "") + "WHERE id = %s",
        [after.user("school").pk, "Updated our file.", notice.pk],
    )
    refused("correction_notice_ack_whole", ack + "WHERE id = %s", [after.user("school").pk, "", notice.pk])
    refused(
        "correction_notice_ack_once",
        ack + "WHERE id = %s",
        [after.user("practitioner").pk, "Updated our file.", notice.pk],
    )
    refused(
        "only the acknowledgement",
        "UPDATE disclosures_correctionnotice SET ack_due_on = ack_due_on + 1 WHERE id = %s",
        [notice.pk],
    )
    passes(ack + "WHERE id = %s", [after.user("school").pk, "Updated our file.", notice.pk])
    refused("already acknowledged", ack + "WHERE id = %s", [after.user("school").pk, "Again.", notice.pk])
    refused("never deleted", "DELETE FROM disclosures_correctionnotice WHERE id = %s", [notice.pk])


def report_values(after: AfterWorld, **values: Any) -> dict[str, Any]:
    return {
        "entry": after.made.entry,
        "via_disclosure": after.disclosure,
        "received_revision": parent_revision(after),
        "reporter": after.user("school"),
        "reporter_agency": after.school,
        "originator_agency": after.world.home,
        "what_is_wrong": "The incident was on a Tuesday, not a Monday.",
        "due_on": timezone.localdate() + timedelta(days=7),
        **values,
    }


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"reporter_agency": "other"}, "inaccuracy_reporter_received"),
        ({"originator_agency": "other"}, "inaccuracy_report_shape"),
        ({"what_is_wrong": ""}, "inaccuracy_says_what_is_wrong"),
        ({"state": "rejected", "reject_reason": "It was a Monday."}, "inaccuracy_report_shape"),
    ],
)
def test_a_malformed_inaccuracy_report_is_refused(after: AfterWorld, values: dict[str, Any], match: str) -> None:
    agencies = {"other": after.world.other, "school": after.school}
    resolved = {key: agencies.get(value, value) if key.endswith("agency") else value for key, value in values.items()}
    refused_orm(match, lambda: InaccuracyReport.objects.create(**report_values(after, **resolved)))


def test_a_report_is_never_by_the_originator_itself(after: AfterWorld) -> None:
    refused_check(
        "inaccuracy_agencies_differ",
        lambda: InaccuracyReport.objects.create(**report_values(after, originator_agency=after.school)),
    )


def test_an_inaccuracy_report_is_answered_once(after: AfterWorld) -> None:
    report = InaccuracyReport.objects.create(**report_values(after))
    table = "disclosures_inaccuracyreport"
    refused(
        "inaccuracy_corrected_shape",
        f"UPDATE {table} SET state = 'corrected', decided_by_id = %s, "  # noqa: S608
        "decided_at = now() WHERE id = %s",
        [decider(after).pk, report.pk],
    )
    refused(
        "inaccuracy_rejected_shape",
        f"UPDATE {table} SET state = 'rejected', decided_by_id = %s, "  # noqa: S608
        "decided_at = now() WHERE id = %s",
        [decider(after).pk, report.pk],
    )
    refused(
        "inaccuracy_decision_shape",
        f"UPDATE {table} SET state = 'rejected', reject_reason = 'It was.' "  # noqa: S608
        "WHERE id = %s",
        [report.pk],
    )
    refused("what report", f"UPDATE {table} SET what_is_wrong = 'Else.' WHERE id = %s", [report.pk])  # noqa: S608
    correction = make_correction(after, revised(after))
    refused(
        "inaccuracy_correction_of_entry",
        f"UPDATE {table} SET state = 'corrected', decided_by_id = %s, "  # noqa: S608
        "decided_at = now(), correction_id = %s, entry_id = entry_id WHERE id = %s",
        [decider(after).pk, correction.pk + 1000, report.pk],
    )
    passes(
        f"UPDATE {table} SET state = 'corrected', decided_by_id = %s, decided_at = now(), "  # noqa: S608
        "correction_id = %s WHERE id = %s",
        [decider(after).pk, correction.pk, report.pk],
    )
    refused(
        "an answered report is final",
        f"UPDATE {table} SET state = 'withdrawn', withdrawn_at = now(), "  # noqa: S608
        "correction_id = NULL, decided_by_id = NULL, decided_at = NULL WHERE id = %s",
        [report.pk],
    )
    refused("never deleted", f"DELETE FROM {table} WHERE id = %s", [report.pk])  # noqa: S608


# --- Disputes --------------------------------------------------------------------------------------------------------


def declined_request(after: AfterWorld) -> InformationRequest:
    request = submit(after.made)
    return request_answer_decline(actor=after.user("practitioner"), request=request, reason="not_proportionate")


def dispute_values(after: AfterWorld, request: InformationRequest, **values: Any) -> dict[str, Any]:
    return {
        "subject_kind": "request",
        "request": request,
        "ground": "declined",
        "child": after.made.child,
        "raising_agency": after.school,
        "responding_agency": after.world.home,
        "raised_by": after.user("school"),
        "raising_practitioner": after.user("school"),
        "responding_practitioner": after.user("practitioner"),
        "grounds": "The school needs to know to keep the child safe.",
        "stage_one_due_on": timezone.localdate() + timedelta(days=7),
        **values,
    }


def make_dispute(after: AfterWorld, **values: Any) -> Dispute:
    request = values.pop("request") if "request" in values else declined_request(after)
    return Dispute.objects.create(**dispute_values(after, request, **values))


STAGE_ONE = [("raising", "school_manager", "line_manager"), ("responding", "designated_manager", "line_manager")]
STAGE_TWO = [("raising", "school_manager", "head_of_service"), ("responding", "designated_manager", "head_of_service")]


def assign(after: AfterWorld, dispute: Dispute, stage: int, cast: list[tuple[str, str, str]]) -> None:
    for side, role, basis in cast:
        DisputeAssignee.objects.create(dispute=dispute, stage=stage, side=side, user=after.user(role), basis=basis)


def position(after: AfterWorld, dispute: Dispute, stage: int, side: str, value: str) -> DisputePosition:
    role = "school_manager" if side == "raising" else "designated_manager"
    return DisputePosition.objects.create(
        dispute=dispute, stage=stage, side=side, author=after.user(role), position=value, note="Our position."
    )


def advise(after: AfterWorld, dispute: Dispute, side: str) -> DisputeAdvice:
    role, adviser_role = (
        ("school_guardian", "caldicott_guardian") if side == "raising" else ("home_guardian", "caldicott_guardian")
    )
    return DisputeAdvice.objects.create(
        dispute=dispute, side=side, adviser=after.user(role), adviser_role=adviser_role, advice="Share the minimum."
    )


ESCALATE = (
    "UPDATE disclosures_dispute SET state = 'stage_two', stage = 2, escalated_at = %s, "
    "escalation_reason = %s, stage_two_due_on = %s WHERE id = %s"
)
RESOLVE = (
    "UPDATE disclosures_dispute SET state = 'resolved', outcome = %s, outcome_reason = 'Agreed.', "
    "resolved_stage = stage, resolved_at = now(), records_due_on = %s, decided_by_id = %s WHERE id = %s"
)
WITHDRAW = (
    "UPDATE disclosures_dispute SET state = 'withdrawn', withdrawn_at = now(), withdraw_reason = 'Settled.' "
    "WHERE id = %s"
)


def escalated(after: AfterWorld, **values: Any) -> Dispute:
    """A dispute at stage 2, escalated because stage 1's time ran out, with both sides' heads of service assigned."""
    values.setdefault("stage_one_due_on", timezone.localdate() - timedelta(days=1))
    dispute = make_dispute(after, **values)
    assign(after, dispute, 1, STAGE_ONE)
    passes(ESCALATE, [timezone.now(), "deadline_passed", timezone.localdate() + timedelta(days=14), dispute.pk])
    assign(after, dispute, 2, STAGE_TWO)
    dispute.refresh_from_db()
    return dispute


def test_every_dispute_is_on_the_register_from_its_first_row(after: AfterWorld) -> None:
    first = make_dispute(after)
    passes(WITHDRAW, [first.pk])
    second = make_dispute(after, request=first.request)
    first.refresh_from_db()
    assert second.register_number > first.register_number > 0
    assert second.register_label == f"DR-{second.register_number:06d}"
    refused(
        "what dispute .* raised never changes",
        "UPDATE disclosures_dispute SET register_number = register_number + 1000 WHERE id = %s",
        [second.pk],
    )


def test_one_open_dispute_per_subject(after: AfterWorld) -> None:
    first = make_dispute(after)
    refused_orm("dispute_open_per_request", lambda: make_dispute(after, request=first.request))
    passes(WITHDRAW, [first.pk])
    make_dispute(after, request=first.request)


def test_a_dispute_is_between_its_subjects_agencies_about_its_child(after: AfterWorld, world: World) -> None:
    from tests.sharing.fixtures import make_child

    request = declined_request(after)
    refused_orm(
        "dispute_request_sides",
        lambda: make_dispute(after, request=request, raising_agency=after.world.home, responding_agency=after.school),
    )
    refused_orm("dispute_request_sides", lambda: make_dispute(after, request=request, raising_agency=after.health))
    refused_orm(
        "dispute_child_follows_subject",
        lambda: make_dispute(
            after, request=request, child=make_child(world, "Cy", "Else", born_on=date(2017, 1, 9), postcode="N3 3AA")
        ),
    )
    onward = onward_in(after, "declined")
    refused_orm(
        "dispute_onward_sides",
        lambda: make_dispute(
            after,
            request=None,
            subject_kind="onward",
            onward_request=onward,
            raising_agency=after.school,
            responding_agency=after.health,
        ),
    )
    Dispute.objects.create(**dispute_values(after, None, subject_kind="onward", onward_request=onward))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"subject_kind": "onward"}, "dispute_subject_shape"),
        ({"grounds": ""}, "dispute_has_grounds"),
        ({"ground": "annoyed"}, "dispute_ground_known"),
        ({"state": "stage_two", "stage": 2}, "dispute_transition_allowed"),
        ({"escalation_reason": "deadline_passed"}, "dispute_stage_shape"),
        ({"outcome": "share"}, "dispute_resolved_shape"),
        ({"records_due_on": date(2027, 1, 1)}, "dispute_records_due_when_closed"),
        ({"referred_at": timezone.now()}, "dispute_referred_at_stage_two"),
        ({"withdraw_reason": "x"}, "dispute_withdrawn_shape"),
        ({"grounds": "x" * 2001}, "dispute_grounds_length"),
    ],
)
def test_a_malformed_dispute_is_refused(after: AfterWorld, values: dict[str, Any], constraint: str) -> None:
    request = declined_request(after)
    refused_orm(constraint, lambda: make_dispute(after, request=request, **values))


def test_a_dispute_at_stage_one_is_not_escalated_early(after: AfterWorld) -> None:
    dispute = make_dispute(after, stage_one_due_on=timezone.localdate())
    assign(after, dispute, 1, STAGE_ONE)
    later = timezone.localdate() + timedelta(days=14)
    refused("dispute_escalation_not_early", ESCALATE, [timezone.now(), "deadline_passed", later, dispute.pk])
    refused("dispute_escalation_not_early", ESCALATE, [timezone.now(), "positions_differ", later, dispute.pk])
    position(after, dispute, 1, "raising", "share")
    position(after, dispute, 1, "responding", "share")
    refused("dispute_escalation_not_early", ESCALATE, [timezone.now(), "positions_differ", later, dispute.pk])
    refused(
        "dispute_stage_shape",
        "UPDATE disclosures_dispute SET state = 'stage_two', stage = 2 WHERE id = %s",
        [dispute.pk],
    )


def test_escalation_on_differing_positions_and_resolution_on_agreement(after: AfterWorld) -> None:
    differ = make_dispute(after)
    assign(after, differ, 1, STAGE_ONE)
    position(after, differ, 1, "raising", "share")
    position(after, differ, 1, "responding", "not_share")
    refused("dispute_escalation_not_early", RESOLVE, ["share", timezone.localdate(), None, differ.pk])
    passes(ESCALATE, [timezone.now(), "positions_differ", timezone.localdate() + timedelta(days=14), differ.pk])
    refused(
        "cannot move from stage_two to stage_one",
        "UPDATE disclosures_dispute SET state = 'stage_one', stage = 1, escalated_at = NULL, "
        "escalation_reason = '', stage_two_due_on = NULL WHERE id = %s",
        [differ.pk],
    )
    refused(
        "go back",
        "UPDATE disclosures_dispute SET stage = 1, escalated_at = NULL, escalation_reason = '', "
        "stage_two_due_on = NULL WHERE id = %s",
        [differ.pk],
    )
    refused(
        "never change",
        "UPDATE disclosures_dispute SET escalation_reason = 'deadline_passed' WHERE id = %s",
        [differ.pk],
    )
    agree = make_dispute(after)
    assign(after, agree, 1, STAGE_ONE)
    position(after, agree, 1, "raising", "not_share")
    position(after, agree, 1, "responding", "not_share")
    refused("dispute_escalation_not_early", RESOLVE, ["share", timezone.localdate(), None, agree.pk])
    passes(RESOLVE, ["not_share", timezone.localdate(), None, agree.pk])


DISPUTE_PAIRS = list(itertools.product(rules.DisputeState, rules.DisputeState))


@pytest.mark.parametrize(("current", "target"), DISPUTE_PAIRS, ids=[f"{a}->{b}" for a, b in DISPUTE_PAIRS])
def test_a_dispute_moves_only_as_the_rules_allow(after: AfterWorld, current: str, target: str) -> None:
    dispute = escalated(after) if current != "stage_one" else make_dispute(after)
    if current in ("resolved", "withdrawn"):
        if current == "resolved":
            advise(after, dispute, "raising")
            advise(after, dispute, "responding")
            passes(RESOLVE, ["share", timezone.localdate(), decider(after).pk, dispute.pk])
        else:
            passes(WITHDRAW, [dispute.pk])
    statements = {
        "stage_one": ("UPDATE disclosures_dispute SET state = 'stage_one' WHERE id = %s", [dispute.pk]),
        "stage_two": ("UPDATE disclosures_dispute SET state = 'stage_two' WHERE id = %s", [dispute.pk]),
        "withdrawn": (WITHDRAW, [dispute.pk]),
        "resolved": ("UPDATE disclosures_dispute SET referred_at = referred_at WHERE id = %s", [dispute.pk]),
    }
    if target == "stage_two" and current == "stage_one":
        dispute_ = dispute
        assign(after, dispute_, 1, STAGE_ONE)
        position(after, dispute_, 1, "raising", "share")
        position(after, dispute_, 1, "responding", "not_share")
        statements["stage_two"] = (
            ESCALATE,
            [timezone.now(), "positions_differ", timezone.localdate() + timedelta(days=14), dispute.pk],
        )
    if target == "resolved":
        if current == "stage_one":
            assign(after, dispute, 1, STAGE_ONE)
            position(after, dispute, 1, "raising", "share")
            position(after, dispute, 1, "responding", "share")
        elif current == "stage_two":
            advise(after, dispute, "raising")
            advise(after, dispute, "responding")
        statements["resolved"] = (
            RESOLVE,
            ["share", timezone.localdate(), None if current == "stage_one" else decider(after).pk, dispute.pk],
        )
    statement, params = statements[target]
    if rules.dispute_transition_refusal(rules.DisputeState(current), rules.DisputeState(target)) is None:
        passes(statement, params)
        dispute.refresh_from_db()
        assert dispute.state == target
    else:
        refused("dispute_transition_allowed", statement, params)


def test_stage_two_is_decided_after_both_advices_by_a_responding_head_of_service(after: AfterWorld) -> None:
    dispute = escalated(after)
    decide = [timezone.localdate(), decider(after).pk, dispute.pk]
    refused("after both sides", RESOLVE, ["share", *decide])
    advise(after, dispute, "raising")
    refused("after both sides", RESOLVE, ["share", *decide])
    advise(after, dispute, "responding")
    refused(
        "not a stage 2 assignee", RESOLVE, ["share", timezone.localdate(), after.user("school_manager").pk, dispute.pk]
    )
    passes(RESOLVE, ["share", *decide])
    refused(
        "a closed dispute is final",
        "UPDATE disclosures_dispute SET outcome_reason = 'Changed.' WHERE id = %s",
        [dispute.pk],
    )
    refused("never deleted", "DELETE FROM disclosures_dispute WHERE id = %s", [dispute.pk])


def test_positions_are_by_assignees_in_turn(after: AfterWorld) -> None:
    dispute = make_dispute(after)
    assign(after, dispute, 1, STAGE_ONE)
    refused_orm(
        "dispute_position_by_assignee",
        lambda: DisputePosition.objects.create(
            dispute=dispute, stage=1, side="raising", author=after.user("school"), position="share", note="Mine."
        ),
    )
    refused_orm(
        "dispute_position_in_turn|dispute_position_by_assignee", lambda: position(after, dispute, 2, "raising", "share")
    )
    refused_orm(
        "dispute_position_has_note",
        lambda: DisputePosition.objects.create(
            dispute=dispute, stage=1, side="raising", author=after.user("school_manager"), position="share", note=""
        ),
    )
    first = position(after, dispute, 1, "raising", "share")
    refused_orm("dispute_position_once", lambda: position(after, dispute, 1, "raising", "not_share"))
    refused("append-only", "UPDATE disclosures_disputeposition SET note = 'x' WHERE id = %s", [first.pk])
    stage_two = escalated(after)
    refused_orm("has no advice yet", lambda: position(after, stage_two, 2, "raising", "share"))
    advise(after, stage_two, "raising")
    position(after, stage_two, 2, "raising", "share")


def test_advice_is_by_that_sides_guardian_or_dpo_at_stage_two(after: AfterWorld) -> None:
    at_one = make_dispute(after)
    refused_orm("dispute_advice_by_adviser", lambda: advise(after, at_one, "raising"))
    dispute = escalated(after)
    refused_orm(
        "dispute_advice_by_adviser",
        lambda: DisputeAdvice.objects.create(
            dispute=dispute,
            side="raising",
            adviser=after.user("home_guardian"),
            adviser_role="caldicott_guardian",
            advice="Share.",
        ),
    )
    refused_orm(
        "dispute_advice_by_adviser",
        lambda: DisputeAdvice.objects.create(
            dispute=dispute, side="raising", adviser=after.user("school_guardian"), adviser_role="dpo", advice="Share."
        ),
    )
    advice = advise(after, dispute, "raising")
    refused_orm("dispute_advice_once", lambda: advise(after, dispute, "raising"))
    refused("append-only", "DELETE FROM disclosures_disputeadvice WHERE id = %s", [advice.pk])


def test_records_are_made_by_each_side_once_the_dispute_ends(after: AfterWorld) -> None:
    dispute = make_dispute(after)

    def record(side: str, agency: Any) -> DisputeRecord:
        return DisputeRecord.objects.create(
            dispute=dispute,
            side=side,
            agency=agency,
            recorded_by=after.user("school_manager"),
            process_followed="Stage 1 with the line managers.",
            reason="Not proportionate.",
            impact="None so far.",
        )

    refused_orm("dispute_record_after_end", lambda: record("raising", after.school))
    passes(WITHDRAW, [dispute.pk])
    refused_orm("dispute_record_after_end", lambda: record("raising", after.world.home))
    made = record("raising", after.school)
    refused_orm("dispute_record_once", lambda: record("raising", after.school))
    refused("append-only", "UPDATE disclosures_disputerecord SET impact = 'x' WHERE id = %s", [made.pk])


def test_sweep_events_happen_once_per_stage_and_side(after: AfterWorld) -> None:
    dispute = make_dispute(after)

    def event(kind: str, side: str = "") -> DisputeEvent:
        return DisputeEvent.objects.create(dispute=dispute, kind=kind, stage=1, side=side)

    event("position", "raising")
    event("position", "raising")
    event("chased", "raising")
    event("chased", "responding")
    refused_orm("dispute_event_sweep_once", lambda: event("chased", "raising"))
    escalation = event("escalated")
    refused_orm("dispute_event_sweep_once", lambda: event("escalated"))
    refused("append-only", "DELETE FROM disclosures_disputeevent WHERE id = %s", [escalation.pk])
    assignee = DisputeAssignee.objects.create(
        dispute=dispute, stage=1, side="raising", user=after.user("school"), basis="line_manager"
    )
    refused(
        "append-only", "UPDATE disclosures_disputeassignee SET basis = 'head_of_service' WHERE id = %s", [assignee.pk]
    )


# --- The disclosure log and the head-of-service flag -----------------------------------------------------------------


def test_the_log_names_an_onward_disclosures_lineage_and_no_other_row_does(after: AfterWorld) -> None:
    from audit.services import audit_record, disclosure_log_record

    event_id = audit_record(kind="disclosure.make", actor=None, detail={})
    with pytest.raises(IntegrityError, match="audit_disclosure_log_lineage_shape"), transaction.atomic():
        disclosure_log_record(draft=log_draft(event_id, disclosure_kind="onward"))
    with pytest.raises(IntegrityError, match="audit_disclosure_log_lineage_shape"), transaction.atomic():
        disclosure_log_record(draft=log_draft(event_id, parent_disclosure_id=1, onward_request_id=2))
    disclosure_log_record(
        draft=log_draft(event_id, disclosure_kind="onward", parent_disclosure_id=1, onward_request_id=2)
    )
    # A row without lineage hashes as it did before the columns existed.
    assert b"parent_disclosure_id" not in disclosure_log_canonical(log_draft(event_id))
    assert b'"parent_disclosure_id":1' in disclosure_log_canonical(
        log_draft(event_id, disclosure_kind="onward", parent_disclosure_id=1, onward_request_id=2)
    )


def test_a_head_of_service_is_known_to_the_policy(after: AfterWorld) -> None:
    from agencies.policy import is_head_of_service, principal

    head = fresh(after.world.users["school_manager"])
    assert is_head_of_service(head, after.school.pk)
    assert not is_head_of_service(head, after.world.home.pk)
    assert not is_head_of_service(after.user("school"), after.school.pk)
    assert principal(head).membership_in(after.school.pk).is_head_of_service  # type: ignore[union-attr]
    assert RecordEntry.objects.filter(pk=after.made.entry.pk).exists()
