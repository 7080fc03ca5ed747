"""The disclosures app's answers to the children index's signals (sharing.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from audit.services import EventDraft, audit_record_many
from disclosures.models import OPEN_STATES, InformationRequest
from disclosures.services.corrections import correction_record_for_revision
from disclosures.services.requests import requests_erase
from isp_portal.policy import SystemActor
from sharing.signals import child_erased, child_merged, entry_revised

MERGE_ACTOR_LABEL = "child merge"


@receiver(child_merged, dispatch_uid="disclosures.move_open_requests_on_merge")
def move_open_requests_on_merge(*, keep: Any, merge: Any, **_: Any) -> dict[str, list[int]]:
    """A merge moves the duplicate's open requests (waiting for an answer or an approval) to the kept entry, so they
    are answered about the one child the record now holds (design12 5.2). What was disclosed stays as it was made -
    a disclosure, its answer and a closed request never change (DESIGN 2.3) - and the disclosure page follows the
    ChildMerge to the kept child. Audit: request.child_merged, per request (the child.merge event names who merged)."""
    ids = list(
        InformationRequest.objects.filter(child=merge, state__in=OPEN_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return {"requests": []}
    InformationRequest.objects.filter(pk__in=ids, state__in=OPEN_STATES).update(child=keep)
    audit_record_many(
        kind="request.child_merged",
        actor=SystemActor(MERGE_ACTOR_LABEL),
        events=[
            EventDraft(
                "disclosures.informationrequest",
                pk,
                f"request {pk}",
                {"from_child": merge.pk, "to_child": keep.pk},
                keep.pk,
            )
            for pk in ids
        ],
    )
    return {"requests": ids}


@receiver(entry_revised, dispatch_uid="disclosures.correction_on_revise")
def correction_on_revise(*, entry: Any, revision: Any, actor: Any, **_: Any) -> int | None:
    """Every correction of an entry disclosed at an older revision is recorded and told to every agency that
    received it, any hop (Southampton 9; disclosures.services.corrections): whichever path corrected it (the record
    page, the API, an inaccuracy report). Returns the correction's id, or None when nobody received an older one."""
    correction = correction_record_for_revision(actor=actor, entry=entry, revision=revision)
    return correction.pk if correction is not None else None


@receiver(child_erased, dispatch_uid="disclosures.erase_request_texts_on_erasure")
def erase_request_texts_on_erasure(*, child: Any, **_: Any) -> dict[str, int]:
    """An erasure erases the free text typed into the requests about the child too (requests_erase): a record
    erased "beyond recovery" (Southampton 6, 8) is not re-identified by what was asked about it."""
    return requests_erase(child_id=child.pk)
