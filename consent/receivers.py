"""The consent app's answers to the children index's signals (sharing.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from consent.models import ConsentRecord
from consent.services import consents_erase
from sharing.signals import child_erased, child_merged


@receiver(child_merged, dispatch_uid="consent.move_consents_on_merge")
def move_consents_on_merge(*, keep: Any, merge: Any, **_: Any) -> dict[str, list[int]]:
    """A merge moves the duplicate's consent decisions (with their withdrawals, reviews and evidence, which hang
    off them) to the kept entry, as it moves its record entries: a competent child's refusal recorded on either
    entry prevails over a parent's consent on the other (Barnet, "Whose consent should be sought?")."""
    ids = list(ConsentRecord.objects.filter(child=merge).values_list("pk", flat=True))
    if ids:
        ConsentRecord.objects.filter(pk__in=ids).update(child=keep)
    return {"consents": ids}


@receiver(child_erased, dispatch_uid="consent.erase_consents_on_erasure")
def erase_consents_on_erasure(*, child: Any, **_: Any) -> dict[str, int]:
    """An erasure erases the personal content of the child's consent records too (consent.services
    .consents_erase): a record erased "beyond recovery" (Southampton 6, 8) is not re-identified by its consents."""
    return consents_erase(child_id=child.pk)
