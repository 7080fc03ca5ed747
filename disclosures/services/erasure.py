"""Erasure of what the after-disclosure records copy of a child's record (Southampton 6, 8: "deleted beyond recovery"
at the end of the retention period; break13 F4, b13e). sharing.services.retention.child_erase erases every revision's
text and change reason; every free-text column of this app about the child is erased with it (ERASABLE_TEXTS, each
becoming ERASED; an empty one stays empty): a correction keeps the change reason as its summary, a notice says what
the agency did, an inaccuracy report what was wrong, an onward request why it was needed and why it was refused, a
dispute its grounds, impact, positions, advice, case-file records and why it ended, a disclosure and its answer the
decision record. Kept: who, when, which agencies, codes, states and dates (the register, the disclosure log and the
audit trail stay whole). tests/disclosures/test_erasure_texts.py fails when a free-text column of these models is
neither here nor in NOT_ABOUT_THE_CHILD."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, Model, Q, Value, When

from disclosures import models as m
from sharing.models import Child
from sharing.retention_rules import record_erasure_due

ERASED = "Erased."  # disclosures/migrations/0016, 0018: the triggers let through exactly this text

# (model, the path from it to the child, its free-text columns about the child), in the order they are erased.
ERASABLE_TEXTS: tuple[tuple[type[Model], str, tuple[str, ...]], ...] = (
    (m.InformationRequest, "child_id", ("need_to_know", "decline_detail", "withdraw_reason")),
    (
        m.RequestAnswer,
        "request__child_id",
        (
            "public_interest",
            "proportionality",
            "why_shared",
            "why_without_consent",
            "what_agreed",
            "third_parties",
            "subject_not_told_reason",
            "onward_terms",
        ),
    ),
    (m.Disclosure, "child_id", ("subject_not_told_reason", "onward_terms")),
    (m.DisclosureEvent, "disclosure__child_id", ("note",)),
    (m.OnwardRequest, "child_id", ("need_to_know", "conditions", "decline_detail", "withdraw_reason")),
    (m.Correction, "entry__child_id", ("summary",)),
    (m.CorrectionNotice, "entry__child_id", ("action_taken",)),
    (m.InaccuracyReport, "entry__child_id", ("what_is_wrong", "suggested_correction", "reject_reason")),
    (m.Dispute, "child_id", ("grounds", "impact_so_far", "outcome_reason", "withdraw_reason")),
    (m.DisputePosition, "dispute__child_id", ("note",)),
    (m.DisputeAdvice, "dispute__child_id", ("advice",)),
    (m.DisputeRecord, "dispute__child_id", ("process_followed", "reason", "impact")),
    (m.DisputeEvent, "dispute__child_id", ("note",)),
)
# Free-text columns of this app's models that say nothing about the child, and why (kept by the erasure).
NOT_ABOUT_THE_CHILD: Mapping[tuple[str, str], str] = {
    ("InformationRequest", "purpose"): "one of the protocol version's permitted purposes",
    ("Disclosure", "purpose"): "one of the protocol version's permitted purposes",
    ("OnwardRequest", "purpose"): "one of the protocol version's permitted purposes",
    ("RequestAnswer", "consent_checked"): "the code of the consent check seen",
    ("RequestAnswer", "s29_form_reference"): "a police form's reference number",
    ("Disclosure", "s29_form_reference"): "a police form's reference number",
    ("Disclosure", "snapshot_sha256"): "the hash of the disclosed content, which the log keeps",
    ("AnswerRecipient", "via_team"): "the name of the recipient's team",
    ("DisclosureRecipient", "via_team"): "the name of the recipient's team",
}
# The kinds child_erase lists in its child.erase event (counts only), as before b13e for the first three.
KINDS = {
    "InformationRequest": "request_texts",
    "Correction": "corrections",
    "InaccuracyReport": "inaccuracy_reports",
    "Dispute": "disputes",
}


def _refuse_unless_due(child: Child, today: date) -> None:
    """Only a closed record whose erasure is due is erased (the caller, child_erase, judged it so; this refuses any
    other path): sharing.retention_rules.record_erasure_due."""
    from sharing.services.retention import NOT_DUE

    if not record_erasure_due(closed_on=child.closed_on, erase_due_on=child.erase_due_on, today=today):
        raise ValidationError({"child": NOT_DUE})


def _erase(model: type[Model], path: str, columns: tuple[str, ...], children: list[int]) -> int:
    """One UPDATE: each column of the rows about `children` becomes ERASED (an empty one stays empty)."""
    pending = Q()
    for column in columns:
        pending |= ~Q(**{f"{column}__in": ["", ERASED]})
    rows = model._default_manager.filter(**{f"{path}__in": children}).filter(pending)
    return rows.update(
        **{column: Case(When(**{column: ""}, then=Value("")), default=Value(ERASED)) for column in columns}
    )


def _children(child_id: int) -> list[int]:
    return [child_id, *Child.objects.filter(merged_into_id=child_id).values_list("pk", flat=True)]


def _erased(child: Child, today: date, texts: tuple[tuple[type[Model], str, tuple[str, ...]], ...]) -> dict[str, int]:
    _refuse_unless_due(child, today)
    children = _children(child.pk)
    with connection.cursor() as cursor:
        # The triggers' sanctioned exception (migrations 0016-0018), for this transaction only.
        cursor.execute("SELECT set_config('isp_portal.erasing', 'on', true)")
    counts = {
        KINDS.get(model.__name__, f"{model._meta.model_name}_texts"): _erase(model, path, columns, children)
        for model, path, columns in texts
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', '', true)")
    return counts


def after_disclosure_erase(*, child: Child, today: date) -> dict[str, int]:
    """Erase the free text the after-disclosure and disclosure records hold about `child` (closed, its erasure due
    on `today`, locked by the caller, inside child_erase's transaction) and about the entries merged into it: every
    column of ERASABLE_TEXTS but the requests' (requests_erase). Returns {kind: rows erased}, which child_erase
    lists in its child.erase event (counts only). Raises ValidationError {"child": ...} when the record is not
    closed or its erasure is not due (the only caller is child_erase, through sharing.signals.child_erased)."""
    return _erased(child, today, ERASABLE_TEXTS[1:])


def request_texts_erase(*, child: Child, today: date) -> dict[str, int]:
    """The requests' free text about `child` (why the requester needs to know, why it was declined or withdrawn),
    under the same conditions as after_disclosure_erase. Returns {"request_texts": rows erased}."""
    return _erased(child, today, ERASABLE_TEXTS[:1])
