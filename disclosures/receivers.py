"""The disclosures app's answers to the children index's signals (sharing.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from audit.services import EventDraft, audit_record_many
from disclosures.models import OPEN_STATES, Dispute, InformationRequest
from disclosures.services.corrections import correction_record_for_revision
from disclosures.services.erasure import after_disclosure_erase
from disclosures.services.requests import requests_erase
from isp_portal.policy import SystemActor
from sharing.signals import child_erased, child_merged, entry_revised

MERGE_ACTOR_LABEL = "child merge"


@receiver(child_merged, dispatch_uid="disclosures.move_open_requests_on_merge")
def move_open_requests_on_merge(*, keep: Any, merge: Any, **_: Any) -> dict[str, list[int]]:
    """A merge moves the duplicate's open requests (waiting for an answer or an approval) to the kept entry, so they
    are answered about the one child the record now holds (design12 5.2). What was disclosed stays as it was made -
    a disclosure, its answer and a closed request never change (DESIGN 2.3) - and the disclosure page follows the
    ChildMerge to the kept child. Every dispute about the duplicate, whatever its state and whether or not its
    request moved, moves to the kept child: its pages, the register and the child's record show it on the record
    that exists. Audit: request.child_merged per request, dispute.child_merged per dispute (the child.merge event
    names who merged)."""
    ids = list(
        InformationRequest.objects.filter(child=merge, state__in=OPEN_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # An open follow-up request moves with the rest: a dispute's follow-up is about its child or a child merged into
    # it (trigger dispute_follow_up_child, migration 0020; break13e F10), so it can still be answered.
    if ids:
        InformationRequest.objects.filter(pk__in=ids, state__in=OPEN_STATES).update(child=keep)
    # A dispute is about its request's child or the child that child was merged into (trigger
    # dispute_child_follows_subject, migration 0020): child_merge marked `merge` merged into `keep` before sending
    # the signal, so the move goes through (trigger dispute_transition_allowed lets exactly that change through, on
    # a closed dispute too). The disputes about an entry merged into `merge` earlier are on `merge` already. An open
    # dispute never blocks a merge (break13 F3).
    disputes = list(Dispute.objects.filter(child=merge).order_by("pk").values_list("pk", flat=True))
    if disputes:
        Dispute.objects.filter(pk__in=disputes).update(child=keep)
    moved = {"from_child": merge.pk, "to_child": keep.pk}
    if ids:
        audit_record_many(
            kind="request.child_merged",
            actor=SystemActor(MERGE_ACTOR_LABEL),
            events=[EventDraft("disclosures.informationrequest", pk, f"request {pk}", moved, keep.pk) for pk in ids],
        )
    if disputes:
        audit_record_many(
            kind="dispute.child_merged",
            actor=SystemActor(MERGE_ACTOR_LABEL),
            events=[EventDraft("disclosures.dispute", pk, f"dispute {pk}", moved, keep.pk) for pk in disputes],
        )
    return {"requests": ids, "disputes": disputes}


@receiver(entry_revised, dispatch_uid="disclosures.correction_on_revise")
def correction_on_revise(*, entry: Any, revision: Any, actor: Any, **_: Any) -> int | None:
    """Every correction of an entry disclosed at an older revision is recorded and told to every agency that
    received it, any hop (Southampton 9; disclosures.services.corrections): whichever path corrected it (the record
    page, the API, an inaccuracy report). Returns the correction's id, or None when nobody received an older one."""
    correction = correction_record_for_revision(actor=actor, entry=entry, revision=revision)
    return correction.pk if correction is not None else None


@receiver(child_erased, dispatch_uid="disclosures.erase_texts_on_erasure")
def erase_texts_on_erasure(*, child: Any, today: Any, **_: Any) -> dict[str, int]:
    """An erasure erases the free text typed about the child in this app too: the requests' texts
    (requests_erase) and every other free-text column about the child (after_disclosure_erase: answers,
    disclosures, onward requests, corrections and their notices, inaccuracy reports, disputes with their positions,
    advice, records and events). A record erased "beyond recovery" (Southampton 6, 8) is not re-identified or
    re-read through them. Both refuse a record that is not closed with its erasure due on `today`. Rows erased by
    kind."""
    return {**requests_erase(child=child, today=today), **after_disclosure_erase(child=child, today=today)}
