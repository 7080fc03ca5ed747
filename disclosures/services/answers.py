"""Answering a request (share or decline) and the designated manager's approval (issue 12: "Answering",
"Designated-manager approval"; Haringey 4.4-4.7; Barnet; Buckinghamshire 5; design12 5.2).

Every answer and approval locks the request row first (SELECT ... FOR UPDATE), then asks the state machine: of two
answers or approvals of the same request at the same moment, the second waits, sees the first's state and is
refused naming it; the one-answer-per-request unique constraint is the backstop."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from agencies.identity import facts_annotations, remember_facts
from agencies.models import Membership, User
from audit.services import EventDraft, audit_record, audit_record_many
from disclosures import rules
from disclosures.models import (
    AnswerEntry,
    AnswerRecipient,
    Disclosure,
    InformationRequest,
    RequestAnswer,
    State,
)
from disclosures.policy import restricted_answered
from disclosures.services import checks
from disclosures.services.making import disclosure_make
from disclosures.services.requests import SHIELDED_HOLDER
from isp_portal import bounds, rows
from isp_portal.policy import NotPermitted, require
from sharing.models import ChildName, EntryRevision, NameKind, RecordEntry
from sharing.policy import CLOSED_RECORD_SHARE, require_open_record, shield_admits_agency

T = TypeVar("T")


@dataclass(frozen=True)
class DecisionInput:
    """The decision record Barnet asks for (and Haringey 4.7): is it confidential, the public interest and the
    proportionality weighed, the minimum needed and why, why shared (and why without consent), what was agreed,
    third parties."""

    is_confidential: bool = True
    public_interest: str = ""
    proportionality: str = ""
    why_shared: str = ""
    why_without_consent: str = ""
    what_agreed: str = ""
    third_parties: str = ""


_DECISION_FIELDS = (
    "public_interest", "proportionality", "why_shared", "why_without_consent", "what_agreed", "third_parties",
)  # fmt: skip


def _text(value: str, field: str, errors: dict[str, str]) -> str:
    value = (value or "").strip()
    if len(value) > bounds.REASON or "\x00" in value:
        errors[field] = f"Keep it to {bounds.REASON} characters, without NUL characters."
    return value


def _locked_rows(pk: int, today: date | None, *, making: bool, requester_facts: bool) -> QuerySet[InformationRequest]:
    """The locking read of `locked`, built once per process (_LOCKED) and run with the request's id and today."""
    query = InformationRequest.objects.select_for_update(of=("self",)).select_related(
        "child", "requester", "requester_agency", "holding_agency", "protocol_version__protocol", "consent",
        "answered_by", "answer",
    )  # fmt: skip
    if requester_facts:
        query = query.annotate(**facts_annotations("requester_id", today=today))
    if making:
        legal = ChildName.objects.filter(child_id=OuterRef("child_id"), kind=NameKind.LEGAL)
        query = query.annotate(
            # Whether the answer shares a restricted entry, as the approval's policy asks (answers_restricted),
            # read with the lock rather than in a statement of its own.
            answers_restricted=restricted_answered(),
            legal_given=Subquery(legal.values("given")[:1]),
            legal_family=Subquery(legal.values("family")[:1]),
            discloser_roles=Subquery(
                # As the discloser's principal has it (agencies.policy.principal): an active person's active
                # membership of the agency, the first made.
                Membership.objects.filter(
                    user_id=OuterRef("answered_by_id"), user__is_active=True, agency_id=OuterRef("holding_agency_id"),
                    is_active=True,
                ).order_by("created_at").values("roles")[:1]
            ),
        )  # fmt: skip
    return query.filter(pk=pk)


# The statement of each kind of locking read, compiled once per process (isp_portal.rows.Compiled: the ORM's
# building and compiling of this nine-table read was a fifth of an approval's CPU).
_LOCKED = {
    (making, facts): rows.Compiled(
        f"request_locked_{int(making)}{int(facts)}",
        lambda pk, today=None, making=making, facts=facts: _locked_rows(
            pk, today, making=making, requester_facts=facts
        ),
        **({"pk": rows.SLOT_ID, "today": rows.SLOT_DAY} if facts else {"pk": rows.SLOT_ID}),
    )
    for making in (False, True)
    for facts in (False, True)
}


def locked(request: InformationRequest, *, making: bool = False, requester_facts: bool = False) -> InformationRequest:
    """The request, locked for this transaction (a concurrent answer or approval waits here), with what answering
    and approving read of it: its parties and its answer, in the one statement. `making` (an approval, which makes
    the disclosure): with what the disclosure's snapshot and log read besides (disclosures.services.making: the
    child's legal name, the discloser's roles at the holding agency), in the same statement. `requester_facts`
    (an answer shared with the requester): with the requester's memberships and training, which the recipient
    check asks about (agencies.identity.remember_facts)."""
    if _still_locked(request, making=making, requester_facts=requester_facts):
        return request  # read and locked by request_locked, in this transaction, with at least what is asked
    found = _locked_read(int(request.pk), making=making, requester_facts=requester_facts)
    if found is None:
        raise InformationRequest.DoesNotExist("InformationRequest matching query does not exist.")
    return found


def _locked_read(pk: int, *, making: bool, requester_facts: bool) -> InformationRequest | None:
    values: dict[str, Any] = {"pk": pk}
    if requester_facts:
        values["today"] = timezone.localdate()
    rows_found = _LOCKED[(making, requester_facts)].rows(**values)
    if not rows_found:
        return None
    found = rows_found[0]
    if requester_facts:
        remember_facts(found.requester, found)
    return found


def _still_locked(request: InformationRequest, *, making: bool, requester_facts: bool) -> bool:
    """Whether `request` is request_locked's row, read with at least what is asked, and its transaction still
    holds the lock (its own atomic block, made for that one read, is still open)."""
    mark = getattr(request, "_isp_locked", None)
    if mark is None:
        return False
    block, with_making, with_facts = mark
    return (
        (with_making or not making)
        and (with_facts or not requester_facts)
        and any(open_block is block for open_block in connections[DEFAULT_DB_ALIAS].atomic_blocks)
    )


@contextmanager
def request_locked(
    pk: Any, *, making: bool = False, requester_facts: bool = False
) -> Iterator[InformationRequest | None]:
    """For the API's answer and approval: a transaction, and in it the request with id `pk` read and locked as
    `locked` reads it (None when there is none, or `pk` is no id), before the policy is asked about it
    (policy.found_or_deny: the same 404 and denial as get_or_deny, the scope being the policy's in_scope). The
    service called inside with this row does not read it again (`locked` knows it): one locking read in place of
    the view's lookup and the service's lock (issue 12: the write path's cost). Anything raised inside rolls the
    transaction back."""
    number = int(pk) if isinstance(pk, int) or (isinstance(pk, str) and pk.isdigit()) else 0
    block = transaction.atomic()  # its own block, so the mark below names this transaction and no other
    with block:
        found = (
            _locked_read(number, making=making, requester_facts=requester_facts)
            if 1 <= number <= bounds.ID_MAX
            else None
        )
        if found is not None:
            found._isp_locked = (block, making, requester_facts)  # type: ignore[attr-defined]
        yield found


def _already(request: InformationRequest, target: rules.State) -> NotPermitted:
    refusal = rules.transition_refusal(rules.State(request.state), target) or "This request was already answered."
    return NotPermitted(
        action="answer", target_type="disclosures.informationrequest", target_id=str(request.pk), reason=refusal,
        child_id=request.child_id,
    )  # fmt: skip


def revisions_refusal(stated: Mapping[int, int], latest: Mapping[int, int], *, entry_ids: Sequence[int]) -> str | None:
    """Why the revisions the answerer stated (entry id -> revision number: what they were shown, or what an API caller
    read) cannot be what is disclosed, or None: each entry shared is shared at the revision stated for it, which must be
    one of that entry's revisions and still its latest (a correction made since is refused, never shared unseen:
    Barnet, an informed decision; DESIGN 2.3, a disclosure carries the revision disclosed). `latest` is each entry's
    latest revision number now. The one rule the answer pages and the API both go through (request_answer_share's
    `revisions`)."""
    for entry_id in entry_ids:
        if entry_id not in stated:
            return f"Say which revision of entry {entry_id} you checked: it is shared at that revision."
        number, newest = stated[entry_id], latest[entry_id]
        if not 1 <= number <= newest:
            return f"Entry {entry_id} has no revision {number}: its revisions are 1 to {newest}."
        if number != newest:
            return (
                f"Entry {entry_id} was corrected since you checked it (you checked revision {number}; it now reads as "
                f"revision {newest}): check again."
            )
    unknown = sorted(set(stated) - set(entry_ids))
    if unknown:
        return f"Entry {unknown[0]} is not one of the entries shared: state revisions only for those."
    return None


# The entries shared, locked, with their child: compiled once per process (isp_portal.rows.Compiled), the ids bound
# as one array whatever their number.
_ENTRIES_LOCKED = rows.Compiled(
    "entries_locked",
    lambda ids: (
        RecordEntry.objects.select_for_update().select_related("child").filter(rows.any_of("pk", ids)).order_by("pk")
    ),
    ids=rows.SLOT_IDS,
)


def chosen_entries(
    actor: Any,
    request: InformationRequest,
    entries: Iterable[RecordEntry],
    errors: dict[str, str],
    stated: Mapping[int, int] | None = None,
) -> list[tuple[RecordEntry, EntryRevision]]:
    """The entries to share, each at its latest revision now (locked, so a concurrent correction cannot slip between
    the snapshot and the grant): the holding agency's own entries about this child, of a category asked for (the
    minimum needed: Barnet). Sharing an entry you may not see is refused as the entry's policy says (404/403).
    `stated` (entry id -> revision number), when given, is what the answerer checked: revisions_refusal decides."""
    ids = sorted({entry.pk for entry in entries})
    found = _ENTRIES_LOCKED.rows(ids=ids) if ids else []
    if len(found) != len(ids):
        errors["entries"] = "Choose entries from this child's record."
        return []
    latest = checks.latest_revisions(ids)
    chosen: list[tuple[RecordEntry, EntryRevision]] = []
    for entry in found:
        require(actor, "history", entry)
        if entry.child_id != request.child_id or entry.agency_id != request.holding_agency_id:
            errors["entries"] = "Choose entries your agency recorded about this child."
            return []
        if entry.category not in request.categories:
            errors["entries"] = "Share only the kinds of information asked for: the minimum needed."
            return []
        chosen.append((entry, latest[entry.pk]))
    if stated is not None:
        refusal = revisions_refusal(stated, {entry.pk: rev.number for entry, rev in chosen}, entry_ids=ids)
        if refusal:
            errors["revisions"] = refusal
            return []
    if request.categories and not chosen:
        errors["entries"] = "Choose the entries to share, or decline."
    return chosen


def answer_share_checks(
    actor: Any,
    request: InformationRequest,
    *,
    entries: Iterable[RecordEntry],
    legal_basis: str,
    s29_form_reference: str,
    decision: DecisionInput,
    subject_told: str,
    subject_not_told_reason: str,
    onward_terms: str,
    retain_until: datetime | None,
    recipients: Sequence[User] | None,
    revisions: Mapping[int, int] | None = None,
) -> tuple[dict[str, Any], list[tuple[RecordEntry, EntryRevision]], list[User], str]:
    """Check a share's terms; return the answer's values, the entries, the recipients and the consent seen."""
    errors: dict[str, str] = {}
    # A closed record is kept for reference only (Southampton 8, 11; break11j finding 8).
    require_open_record(request.child, action="share", target=request, what=CLOSED_RECORD_SHARE)
    if not shield_admits_agency(request.child, request.holding_agency_id):
        errors["holding_agency"] = SHIELDED_HOLDER  # break12b F9: refused before anything is written
        checks.errors_or_none(errors)
    version = request.protocol_version
    texts = {field: _text(getattr(decision, field), field, errors) for field in _DECISION_FIELDS}
    onward_terms = _text(onward_terms, "onward_terms", errors)
    subject_not_told_reason = _text(subject_not_told_reason, "subject_not_told_reason", errors)
    s29_form_reference = (s29_form_reference or "").strip()
    chosen = chosen_entries(actor, request, entries, errors, revisions)
    answers = checks.consent_answers(
        child=request.child, tiers=request.tiers, agency=request.requester_agency, purpose=request.purpose
    )
    consent_seen = answers[0][1].reason.value if answers else ""
    if legal_basis not in set(rules.LegalBasis):
        errors["legal_basis"] = "Choose the legal basis for sharing."
    else:
        basis = rules.LegalBasis(legal_basis)
        refusal = rules.legal_basis_refusal(
            basis=rules.ConsentBasis(request.consent_basis),
            consent_form=request.consent.form if request.consent is not None else None,
            not_sought_reason=request.not_sought_reason or None,
            protocol_grounds=version.grounds_without_consent,
            tiers=request.tiers,
            chosen=basis,
            citation=version.cite("consent"),
            requester_kind=request.requester_agency.kind,
        )
        if refusal:
            errors["legal_basis"] = refusal
        elif basis in rules.CONSENT_BASES:
            covered = checks.consent_refusal(answers)
            if covered:
                errors["legal_basis"] = covered
        else:
            unsaid = rules.without_consent_errors(
                basis, why=texts["why_without_consent"], proportionality=texts["proportionality"],
                public_interest=texts["public_interest"],
            )  # fmt: skip
            errors.update({field: words for field, words in unsaid.items() if field not in errors})
        s29 = rules.s29_reference_error(basis, s29_form_reference)
        if s29:
            errors["s29_form_reference"] = s29
    if subject_told not in set(rules.SubjectTold):
        errors["subject_told"] = "Say whether the child or family was told."
    else:
        told = rules.subject_told_error(rules.SubjectTold(subject_told), subject_not_told_reason)
        if told:
            errors["subject_not_told_reason"] = told
    now = timezone.now()
    if retain_until is None:
        retain_until = checks.end_of_day(rules.retain_until_default(timezone.localdate(), version.retention_months))
    elif retain_until <= now:
        errors["retain_until"] = "Access must last until a day in the future."
    else:
        too_long = rules.retain_until_refusal(
            timezone.localdate(retain_until), made_on=timezone.localdate(now), retention_months=version.retention_months
        )
        if too_long:
            errors["retain_until"] = too_long
    # Each person once, however often named (break12b F12: the API refuses a repeat; this is the backstop for any
    # other caller, which would otherwise fail on answer_recipient_once).
    people = (
        list({person.pk: person for person in recipients}.values()) if recipients is not None else [request.requester]
    )
    # The requester named in the body is the request's requester row, read with the lock and with the facts the
    # recipient check asks about (`locked`'s requester_facts): no statement of its own for their principal.
    people = [request.requester if person.pk == request.requester_id else person for person in people]
    if not people:
        errors["recipients"] = "Choose who receives the information."
    restricted_agencies = [entry.agency_id for entry, rev in chosen if rev.is_restricted or entry.is_restricted]
    for person in people:
        refusal = checks.recipient_refusal(
            person, agency=request.requester_agency, child=request.child, restricted_entry_agencies=restricted_agencies
        )
        if refusal:
            errors["recipients"] = refusal
            break
    checks.errors_or_none(errors)
    values = {
        "outcome": rules.Outcome.SHARE.value,
        "is_confidential": decision.is_confidential,
        "consent_checked": consent_seen,
        **texts,
        "legal_basis": legal_basis,
        "s29_form_reference": s29_form_reference,
        "subject_told": subject_told,
        "subject_not_told_reason": "" if subject_told == rules.SubjectTold.TOLD else subject_not_told_reason,
        "onward_terms": onward_terms,
        "retain_until": retain_until,
    }
    return values, chosen, people, consent_seen


def write_answer(
    actor: User,
    request: InformationRequest,
    values: dict[str, Any],
    chosen: Sequence[tuple[RecordEntry, EntryRevision]],
    people: Sequence[User],
) -> RequestAnswer:
    """The decision record, its entries and recipients; a second answer of the same request fails on the unique
    constraint (the backstop behind the row lock), refused as already answered."""
    try:
        with transaction.atomic():
            answer = RequestAnswer.objects.create(request=request, answered_by=actor, **values)
    except IntegrityError:
        request.refresh_from_db()
        raise _already(request, rules.State.SHARED) from None
    # Its entries and recipients: one statement (isp_portal.rows.insert_together).
    rows.insert_together(
        [AnswerEntry(answer=answer, entry=entry, revision=revision) for entry, revision in chosen],
        [AnswerRecipient(answer=answer, user=person, agency=request.requester_agency) for person in people],
    )
    return answer


def _atomic(service: Callable[..., T]) -> Callable[..., T]:
    """transaction.atomic for a service of a request (keyword `request`), joining without a savepoint the
    transaction of request_locked when the service is called straight inside it (the API's answer and approval):
    a refusal rolls that transaction back whole, as it would have rolled back the service's own, and the
    savepoint would cost two statements for nothing. Called any other way, a transaction or savepoint of its own,
    as before."""

    @functools.wraps(service)
    def run(*args: Any, **kwargs: Any) -> T:
        mark = getattr(kwargs.get("request"), "_isp_locked", None)
        blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
        joined = mark is not None and bool(blocks) and blocks[-1] is mark[0]
        with transaction.atomic(savepoint=not joined):
            return service(*args, **kwargs)

    return run


@_atomic
def request_answer_share(
    *,
    actor: Any,
    request: InformationRequest,
    entries: Iterable[RecordEntry] = (),
    legal_basis: str,
    decision: DecisionInput,
    subject_told: str,
    subject_not_told_reason: str = "",
    onward_terms: str = "",
    retain_until: datetime | None = None,
    recipients: Sequence[User] | None = None,
    s29_form_reference: str = "",
    revisions: Mapping[int, int] | None = None,
) -> Disclosure | InformationRequest:
    """Share the entries chosen, on a legal basis the request's consent basis and the protocol allow (Haringey
    4.4-4.5; Barnet). Detailed and sensitive information without consent waits for a designated manager (Haringey
    4.6: returns the request, awaiting approval; they are told); otherwise the disclosure is made now and returned.
    `revisions` (entry id -> revision number), when given, are the revisions the answerer checked, one for each
    entry: a revision not the entry's, or one corrected since, is refused (revisions_refusal). The answer pages pass
    the revisions they showed; an API caller may state those it read, and without them each is shared at its latest.
    Audit: request.answer (and disclosure.make)."""
    request = locked(request, requester_facts=recipients is None)
    require(actor, "answer", request)
    user = checks.user_of(actor)
    values, chosen, people, _seen = answer_share_checks(
        actor, request, entries=entries, legal_basis=legal_basis, s29_form_reference=s29_form_reference,
        decision=decision, subject_told=subject_told, subject_not_told_reason=subject_not_told_reason,
        onward_terms=onward_terms, retain_until=retain_until, recipients=recipients, revisions=revisions,
    )  # fmt: skip
    answer = write_answer(user, request, values, chosen, people)
    needs = rules.approval_needed(
        tiers=request.tiers, legal_basis=rules.LegalBasis(legal_basis), kind=rules.Kind(request.kind),
        by_system=user.is_system,
    )  # fmt: skip
    request.answered_by = user
    request.answered_at = answer.answered_at
    request.needs_approval = needs
    answered = EventDraft.of(
        request, child_id=request.child_id, purpose=request.purpose,
        detail={
            "outcome": "share", "legal_basis": legal_basis, "needs_approval": needs,
            "entry_ids": [entry.pk for entry, _ in chosen], "recipient_ids": [person.pk for person in people],
            "consent_checked": values["consent_checked"],
        },
    )  # fmt: skip
    if needs:
        audit_record_many(kind="request.answer", actor=actor, events=[answered])
        request.state = State.AWAITING_APPROVAL
        request.save(update_fields=["state", "answered_by", "answered_at", "needs_approval"])
        # Whether this answer shares a restricted entry, as the approval's policy asks of it (answers_restricted):
        # the entries just written, each restricted now (read with its lock) or in the revision answered.
        request.answers_restricted = any(  # type: ignore[attr-defined]
            entry.is_restricted or revision.is_restricted for entry, revision in chosen
        )
        checks.ask_approval(
            request, agency_id=request.holding_agency_id, subject="A disclosure waits for your approval"
        )
        return request
    request.save(update_fields=["answered_by", "answered_at", "needs_approval"])
    # request.answer is recorded with the disclosure's own events, in its one audit statement.
    return disclosure_make(
        actor=actor, request=request, answer=answer, approver=None, decided=[("request.answer", answered)]
    )


@_atomic
def request_answer_decline(
    *, actor: Any, request: InformationRequest, reason: str, detail: str = "", decision: DecisionInput | None = None
) -> InformationRequest:
    """Decline a request with a reason (Buckinghamshire 5: declines are recorded and reportable). Audit:
    request.decline; the requester is told."""
    request = locked(request)
    require(actor, "answer", request)
    user = checks.user_of(actor)
    errors: dict[str, str] = {}
    detail = _text(detail, "detail", errors)
    if reason not in set(rules.DeclineReason) or reason == rules.DeclineReason.MANAGER_DECLINED:
        errors["reason"] = "Choose why the request is declined: declines are recorded and reported."
    elif reason == rules.DeclineReason.OTHER and not detail:
        errors["detail"] = "Say why the request is declined."
    decision = decision or DecisionInput()
    texts = {field: _text(getattr(decision, field), field, errors) for field in _DECISION_FIELDS}
    checks.errors_or_none(errors)
    # A decline only closes the request: about an erased record it is still made, its texts stored as erased
    # (checks.text_about: no new free text about an erased record; breakt1311 F4).
    detail = checks.text_about(request.child, detail, field="detail", closes=True)
    texts = {field: checks.text_about(request.child, text, field=field, closes=True) for field, text in texts.items()}
    answers = checks.consent_answers(
        child=request.child, tiers=request.tiers, agency=request.requester_agency, purpose=request.purpose
    )
    write_answer(
        user, request,
        {"outcome": rules.Outcome.DECLINE.value, "is_confidential": decision.is_confidential,
         "consent_checked": answers[0][1].reason.value if answers else "", **texts},
        (), (),
    )  # fmt: skip
    now = timezone.now()
    request.state = State.DECLINED
    request.answered_by, request.answered_at = user, now
    request.declined_by, request.declined_at = user, now
    request.decline_reason, request.decline_detail = reason, detail
    request.save(
        update_fields=[
            "state", "answered_by", "answered_at", "declined_by", "declined_at", "decline_reason", "decline_detail",
        ]
    )  # fmt: skip
    audit_record(
        kind="request.decline", actor=actor, target=request, child_id=request.child_id, purpose=request.purpose,
        detail={"reason": reason},
    )  # fmt: skip
    checks.tell(
        [request.requester_id], key=f"request-declined-{request.pk}", subject="Your request was declined",
        body=f"{request.holding_agency} declined your request: {rules.DeclineReason(reason).value.replace('_', ' ')}.",
        link=checks.request_link(request),
    )  # fmt: skip
    return request


@_atomic
def request_approve(*, actor: Any, request: InformationRequest, note: str = "") -> Disclosure:
    """A designated manager of the holding agency, neither the requester nor the discloser, approves (Haringey 4.6;
    the database holds the separation too). The disclosure is made in the same transaction (design12 F4), after
    checking everything again at this moment; if that fails nothing is written and the request still waits. Audit:
    request.approve and disclosure.make."""
    request = locked(request, making=True)
    require(actor, "approve", request)
    user = checks.user_of(actor)
    errors: dict[str, str] = {}
    note = _text(note, "note", errors)
    checks.errors_or_none(errors)
    answer = request.answer  # loaded, with the lock, by `locked`
    if user.pk in {request.requester_id, request.answered_by_id}:  # the policy said so; the CHECK says so too
        raise ValidationError("The approver must be neither the requester nor the person who answered.")
    # request.approve is recorded with the disclosure's own events, in its one audit statement (the disclosure is
    # made in this transaction, or nothing is written).
    approved = EventDraft.of(request, child_id=request.child_id, detail={"note": note} if note else None)
    return disclosure_make(
        actor=actor, request=request, answer=answer, approver=user, decided=[("request.approve", approved)]
    )


@_atomic
def request_approval_decline(*, actor: Any, request: InformationRequest, reason: str) -> InformationRequest:
    """The designated manager declines to approve, with reasons (Haringey 4.6-4.7): the request is declined
    (manager_declined), recorded and reportable (Buckinghamshire 5). Audit: request.approval_decline."""
    request = locked(request)
    require(actor, "decline_approval", request)
    user = checks.user_of(actor)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = "Say why you do not approve sharing this."
    checks.errors_or_none(errors)
    reason = checks.text_about(request.child, reason, field="reason", closes=True)  # it closes the request
    request.state = State.DECLINED
    request.declined_by, request.declined_at = user, timezone.now()
    request.decline_reason, request.decline_detail = rules.DeclineReason.MANAGER_DECLINED, reason
    request.save(update_fields=["state", "declined_by", "declined_at", "decline_reason", "decline_detail"])
    audit_record(
        kind="request.approval_decline", actor=actor, target=request, child_id=request.child_id,
        purpose=request.purpose,
    )  # fmt: skip
    assert request.answered_by_id is not None
    checks.tell(
        [request.requester_id, request.answered_by_id], key=f"approval-declined-{request.pk}",
        subject="A disclosure was not approved",
        body="A designated manager declined to approve sharing the information asked for.",
        link=checks.request_link(request),
    )  # fmt: skip
    return request
