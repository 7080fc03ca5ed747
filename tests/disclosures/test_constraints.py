"""What PostgreSQL refuses about requests and disclosures, whatever the code above tries (issue 12; migration
disclosures/0002_triggers and the models' constraints).

The services that write these rows come in a later chunk of issue 12, so the rows here are built minimally with the
ORM, the way a service will write them (a request answered, approved and shared, then its disclosure); each test
then tries what no code path may do, in raw SQL or through the ORM, and expects the database to refuse it. Once
the services exist, the happy paths are tested through them (tests/disclosures/test_services.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from agencies.models import Role, User
from disclosures import rules
from disclosures.models import (
    AnswerEntry,
    AnswerRecipient,
    Disclosure,
    DisclosureEntry,
    DisclosureEvent,
    DisclosureRecipient,
    DisclosureSnapshot,
    InformationRequest,
    RequestAnswer,
)
from protocols.models import ProtocolVersion
from sharing.models import Child, RecordEntry
from sharing.services import entry_record
from tests.factories import World, make_user
from tests.protocol_fixtures import protocol_in_force
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

SHA = "a" * 64


@dataclass
class Made:
    world: World
    child: Child
    entry: RecordEntry
    version: ProtocolVersion
    requester: User
    discloser: User
    approver: User
    request: InformationRequest
    answer: RequestAnswer
    disclosure: Disclosure | None = None


def version_of(world: World) -> ProtocolVersion:
    version = protocol_in_force(world).current_version
    assert version is not None
    return version


def requested(world: World, answer_values: dict[str, Any] | None = None, **values: Any) -> Made:
    """A request from the other agency's practitioner for the home agency's case note, consent refused and
    overridden on significant harm, answered with a share by the home practitioner (awaiting approval)."""
    sharing_world(world)
    child = make_child(world)
    entry = entry_record(
        actor=fresh(world.users["practitioner"]), child=child, agency=world.home, category="case_note", fields={},
        text="Confidential note", basis="opinion",
    )  # fmt: skip
    version = version_of(world)
    requester, discloser, approver = (
        world.users[role] for role in ("other_agency", "practitioner", "designated_manager")
    )
    now = timezone.now()
    request = InformationRequest.objects.create(
        **{
            "kind": "requested",
            "child": child,
            "requester": requester,
            "requester_agency": world.other,
            "holding_agency": world.home,
            "protocol_version": version,
            "purpose": PURPOSE,
            "tiers": ["minimum", "sensitive"],
            "categories": ["case_note"],
            "need_to_know": "The child disclosed harm at school.",
            "consent_basis": "refused",
            "override_ground": "significant_harm",
            "due_on": now.date() + timedelta(days=7),
            **values,
        }
    )
    answer = RequestAnswer.objects.create(
        **{
            "request": request, "outcome": "share", "is_confidential": True, "consent_checked": "refused",
            "legal_basis": "significant_harm",
            "why_without_consent": "Risk of significant harm outweighs the refusal.",
            "proportionality": "Only the case note: the minimum the school needs to keep the child safe.",
            "public_interest": "Protecting the child from significant harm outweighs the duty of confidence.",
            "subject_told": "not_safe", "subject_not_told_reason": "Telling the parent would put the child at risk.",
            "retain_until": now + timedelta(days=365), "answered_by": discloser, "answered_at": now,
            **(answer_values or {}),
        }
    )  # fmt: skip
    revision = entry.revisions.get()
    AnswerEntry.objects.create(answer=answer, entry=entry, revision=revision)
    AnswerRecipient.objects.create(answer=answer, user=requester, agency=world.other)
    InformationRequest.objects.filter(pk=request.pk).update(
        state="awaiting_approval", answered_by=discloser, answered_at=now, needs_approval=True
    )
    request.refresh_from_db()
    return Made(world, child, entry, version, requester, discloser, approver, request, answer)


def approve(made: Made) -> None:
    now = timezone.now()
    InformationRequest.objects.filter(pk=made.request.pk).update(
        state="approved", approver=made.approver, approved_at=now
    )
    InformationRequest.objects.filter(pk=made.request.pk).update(state="shared")
    made.request.refresh_from_db()


def disclosure_values(made: Made, **values: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "request": made.request,
        "answer": made.answer,
        "kind": "requested",
        "child": made.child,
        "from_agency": made.world.home,
        "to_agency": made.world.other,
        "discloser": made.discloser,
        "approver": made.approver,
        "requester": made.requester,
        "tiers": ["minimum", "sensitive"],
        "categories": ["case_note"],
        "purpose": PURPOSE,
        "legal_basis": "significant_harm",
        "consent_basis": "refused",
        "override_ground": "significant_harm",
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "retain_until": now + timedelta(days=365),
        "protocol_version": made.version,
        "made_at": now,
        "snapshot_sha256": SHA,
        **values,
    }


def make_disclosure(made: Made, **values: Any) -> Disclosure:
    disclosure = Disclosure.objects.create(**disclosure_values(made, **values))
    DisclosureEntry.objects.create(disclosure=disclosure, entry=made.entry, revision=made.entry.revisions.get())
    DisclosureRecipient.objects.create(disclosure=disclosure, user=made.requester, agency=made.world.other)
    DisclosureSnapshot.objects.create(disclosure=disclosure, document={"schema": 1})
    DisclosureEvent.objects.create(
        disclosure=disclosure, kind="revoked", actor=made.approver, discloser=made.discloser, note="Shared in error."
    )
    made.disclosure = disclosure
    return disclosure


@pytest.fixture
def made(world: World) -> Made:
    made = requested(world)
    approve(made)
    make_disclosure(made)
    return made


def refused(statement: str, params: list[Any], match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


# --- Made disclosures and answers never change ------------------------------------------------------------------

IMMUTABLE = [
    ("disclosures_disclosure", "purpose = 'changed'", "id"),
    ("disclosures_disclosure", "approver_id = NULL", "id"),
    ("disclosures_disclosureentry", "revision_id = revision_id", "disclosure_id"),
    ("disclosures_disclosurerecipient", "via_team = 'x'", "disclosure_id"),
    ("disclosures_disclosureevent", "note = 'rewritten'", "disclosure_id"),
    ("disclosures_requestanswer", "legal_basis = 'court_order'", "request_id"),
    ("disclosures_answerentry", "revision_id = revision_id", "answer_id"),
    ("disclosures_answerrecipient", "via_team = 'x'", "answer_id"),
]


def key_of(made: Made, column: str) -> int:
    assert made.disclosure is not None
    return {"id": made.disclosure.pk, "disclosure_id": made.disclosure.pk, "request_id": made.request.pk}.get(
        column, made.answer.pk
    )


@pytest.mark.parametrize(("table", "change", "column"), IMMUTABLE, ids=[f"{t}:{c}" for t, c, _ in IMMUTABLE])
def test_an_update_of_a_made_disclosure_or_answer_is_refused(made: Made, table: str, change: str, column: str) -> None:
    refused(f"UPDATE {table} SET {change} WHERE {column} = %s", [key_of(made, column)], "immutable")  # noqa: S608


@pytest.mark.parametrize(("table", "column"), sorted({(t, c) for t, _, c in IMMUTABLE}))
def test_a_delete_of_a_made_disclosure_or_answer_is_refused(made: Made, table: str, column: str) -> None:
    refused(f"DELETE FROM {table} WHERE {column} = %s", [key_of(made, column)], "immutable")  # noqa: S608


def test_the_orm_is_refused_too(made: Made) -> None:
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Disclosure.objects.filter(pk=key_of(made, "id")).update(onward_terms="Pass it on")
    assert Disclosure.objects.get(pk=key_of(made, "id")).onward_terms == ""


# --- The snapshot: never updated; deleted only after the retention ------------------------------------------------


def test_a_snapshot_is_never_updated(made: Made) -> None:
    assert made.disclosure is not None
    refused(
        "UPDATE disclosures_disclosuresnapshot SET document = '{}'::jsonb WHERE disclosure_id = %s",
        [made.disclosure.pk],
        "immutable",
    )


def test_a_snapshot_is_kept_until_the_retention_ends(made: Made) -> None:
    assert made.disclosure is not None
    refused(
        "DELETE FROM disclosures_disclosuresnapshot WHERE disclosure_id = %s",
        [made.disclosure.pk],
        "kept until its retention ends",
    )
    assert DisclosureSnapshot.objects.filter(pk=made.disclosure.pk).exists()


def test_a_snapshot_is_deleted_once_the_retention_has_ended(world: World) -> None:
    made = requested(world)
    approve(made)
    past = timezone.now() - timedelta(days=400)
    disclosure = make_disclosure(made, made_at=past, retain_until=past + timedelta(days=365))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM disclosures_disclosuresnapshot WHERE disclosure_id = %s", [disclosure.pk])
    assert not DisclosureSnapshot.objects.filter(pk=disclosure.pk).exists()
    assert Disclosure.objects.filter(pk=disclosure.pk, snapshot_sha256=SHA).exists()  # the hash stays


# --- The approver is neither the requester nor the discloser ------------------------------------------------------


@pytest.fixture
def shared(world: World) -> Made:
    made = requested(world)
    approve(made)
    return made


def test_a_disclosure_approved_by_its_requester_is_refused(shared: Made) -> None:
    with pytest.raises(IntegrityError, match="disclosure_approver_separate"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(shared, approver=shared.requester))
    assert not Disclosure.objects.exists()


def test_a_disclosure_approved_by_its_discloser_is_refused(shared: Made) -> None:
    with pytest.raises(IntegrityError, match="disclosure_approver_separate"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(shared, approver=shared.discloser))


def test_a_forged_requester_cannot_get_past_the_check(shared: Made) -> None:
    """The requester approves, and the disclosure names someone else as requester so the CHECK passes: the
    composite foreign key holds the requester column to the request's."""
    decoy = make_user(name="Decoy Person", agency=shared.world.other, roles=[Role.PRACTITIONER])
    forged = disclosure_values(shared, requester=decoy)
    with pytest.raises(IntegrityError, match="disclosure_requester_is_requests"), transaction.atomic():
        Disclosure.objects.create(**forged)
    assert not Disclosure.objects.exists()


def test_a_forged_discloser_cannot_get_past_the_check(shared: Made) -> None:
    decoy = make_user(name="Decoy Person", agency=shared.world.home, roles=[Role.PRACTITIONER])
    with pytest.raises(IntegrityError, match="disclosure_discloser_answered"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(shared, discloser=decoy))


def test_a_forged_approver_cannot_be_named(shared: Made) -> None:
    other_manager = make_user(name="Second Manager", agency=shared.world.home, roles=[Role.DESIGNATED_MANAGER])
    with pytest.raises(IntegrityError, match="disclosure_approver_is_requests"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(shared, approver=other_manager))


@pytest.mark.parametrize("who", ["requester", "answered_by"])
def test_a_request_approved_by_its_requester_or_answerer_is_refused(world: World, who: str) -> None:
    made = requested(world)
    person = made.requester if who == "requester" else made.discloser
    with pytest.raises(IntegrityError, match="request_approver_separate"), transaction.atomic():
        InformationRequest.objects.filter(pk=made.request.pk).update(
            state="approved", approver=person, approved_at=timezone.now()
        )
    made.request.refresh_from_db()
    assert made.request.state == "awaiting_approval" and made.request.approver_id is None


def test_sensitive_information_without_consent_is_not_disclosed_unapproved(world: World) -> None:
    made = requested(world)
    # Even with the request's needs_approval cleared, the disclosure itself must name an approver.
    InformationRequest.objects.filter(pk=made.request.pk).update(state="shared", needs_approval=False)
    made.request.refresh_from_db()
    with pytest.raises(IntegrityError, match="disclosure_sensitive_without_consent_approved"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(made, approver=None))


def test_a_shared_request_that_needed_approval_has_an_approver(world: World) -> None:
    made = requested(world)
    with pytest.raises(IntegrityError, match="request_approved_when_needed"), transaction.atomic():
        InformationRequest.objects.filter(pk=made.request.pk).update(state="shared")


# --- One answer; a closed request is final; a disclosure only for a shared request --------------------------------


def test_a_second_answer_is_refused(world: World) -> None:
    made = requested(world)
    with pytest.raises(IntegrityError, match="request_id"), transaction.atomic():
        RequestAnswer.objects.create(
            request=made.request, outcome="decline", is_confidential=True, answered_by=made.approver
        )
    assert RequestAnswer.objects.filter(request=made.request).count() == 1


@pytest.mark.parametrize("unsaid", ["proportionality", "public_interest"])
def test_a_share_without_consent_records_the_public_interest_and_proportionality(world: World, unsaid: str) -> None:
    """Barnet (the record of a decision); Haringey 4.4: the database holds what rules.without_consent_errors asks."""
    with pytest.raises(IntegrityError, match="answer_without_consent_weighed"), transaction.atomic():
        requested(world, answer_values={unsaid: ""})
    assert not RequestAnswer.objects.exists()


def test_a_share_on_consent_needs_no_public_interest(world: World) -> None:
    made = requested(
        world, consent_basis="refused",
        answer_values={"legal_basis": "explicit_consent", "why_without_consent": "", "proportionality": "",
                       "public_interest": "", "consent_checked": "covered"},
    )  # fmt: skip
    assert made.answer.pk is not None


def test_a_second_disclosure_of_a_request_is_refused(made: Made) -> None:
    with pytest.raises(IntegrityError, match="duplicate key"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(made))


def test_a_disclosure_for_a_request_not_shared_is_refused(world: World) -> None:
    made = requested(world)
    with pytest.raises(IntegrityError, match="not shared"), transaction.atomic():
        Disclosure.objects.create(**disclosure_values(made))


@pytest.mark.parametrize(
    ("change", "params"),
    [
        ("state = 'declined', declined_at = now(), declined_by_id = answered_by_id, decline_reason = 'other'", []),
        ("purpose = 'Something else'", []),
        ("child_id = child_id + 0, need_to_know = 'rewritten'", []),
    ],
)
def test_a_shared_request_never_changes(made: Made, change: str, params: list[Any]) -> None:
    refused(
        f"UPDATE disclosures_informationrequest SET {change} WHERE id = %s",  # noqa: S608
        [*params, made.request.pk],
        "final",
    )
    made.request.refresh_from_db()
    assert made.request.state == "shared" and made.request.purpose == PURPOSE


def test_a_declined_request_is_never_shared(world: World) -> None:
    made = requested(world)
    now = timezone.now()
    InformationRequest.objects.filter(pk=made.request.pk).update(
        state="declined", declined_at=now, declined_by=made.approver, decline_reason="manager_declined"
    )
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        InformationRequest.objects.filter(pk=made.request.pk).update(
            state="shared", approver=made.approver, approved_at=now, declined_at=None, declined_by=None,
            decline_reason="",
        )  # fmt: skip
    made.request.refresh_from_db()
    assert made.request.state == "declined"


def test_an_open_request_may_still_change(world: World) -> None:
    """The trigger bites only on closed requests: an open one is answered, approved and withdrawn by updates."""
    made = requested(world)
    InformationRequest.objects.filter(pk=made.request.pk).update(urgency="urgent")
    made.request.refresh_from_db()
    assert made.request.urgency == "urgent"


# --- A request's shape -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"consent_basis": "consent"}, "request_consent_basis_shape"),
        ({"consent_basis": "not_sought", "override_ground": "", "not_sought_reason": "because"}, "consent_basis"),
        ({"tiers": ["minimum"]}, "request_categories_with_sensitive"),
        ({"tiers": ["aggregate", "sensitive"]}, "request_tiers_known"),
        ({"categories": ["gossip"]}, "request_categories_known"),
        ({"kind": "proactive"}, "request_due_on_only_when_requested"),
        ({"kind": "proactive", "due_on": None}, "request_self_answered_unless_requested"),
        ({"need_to_know": ""}, "request_has_need_to_know"),
    ],
)
def test_a_malformed_request_is_refused(world: World, values: dict[str, Any], constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        requested(world, **values)
    assert not InformationRequest.objects.exists()


# --- Follow-up events ------------------------------------------------------------------------------------------------


def test_an_emergency_disclosure_is_not_reviewed_by_its_discloser(made: Made) -> None:
    assert made.disclosure is not None
    with pytest.raises(IntegrityError, match="disclosure_event_reviewed_by_another"), transaction.atomic():
        DisclosureEvent.objects.create(
            disclosure=made.disclosure, kind="reviewed", actor=made.discloser, discloser=made.discloser,
            outcome="endorsed",
        )  # fmt: skip


def test_a_review_cannot_forge_the_discloser(made: Made) -> None:
    assert made.disclosure is not None
    with pytest.raises(IntegrityError, match="disclosure_event_discloser_is_disclosures"), transaction.atomic():
        DisclosureEvent.objects.create(
            disclosure=made.disclosure, kind="reviewed", actor=made.discloser, discloser=made.approver,
            outcome="endorsed",
        )  # fmt: skip


def test_each_follow_up_happens_once(made: Made) -> None:
    assert made.disclosure is not None
    with pytest.raises(IntegrityError, match="disclosure_event_once"), transaction.atomic():
        DisclosureEvent.objects.create(
            disclosure=made.disclosure, kind="revoked", actor=made.approver, discloser=made.discloser, note="Again."
        )


def test_the_legal_bases_are_the_rules(made: Made) -> None:
    """The model's legal-basis values are the rules' (the models module asserts it at import; this can fail if the
    assertion is removed)."""
    assert {value for value, _ in Disclosure._meta.get_field("legal_basis").choices or []} == set(rules.LegalBasis)
