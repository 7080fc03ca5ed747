"""The merge check: the two entries a partnership admin is about to merge, shown side by side. Showing a child's
details is a view of the child like any other (DPA 2018 s62: logging of consultation, with its justification), so
it is audited here, once for the two, as the record page is (sharing.selectors.child_record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from audit.services import audit_record
from sharing.models import Child, ChildName, NameKind
from sharing.services.shielding import shielded_children_reached

# A partnership admin checks two entries because they were reported as the same child: that is the purpose.
MERGE_PURPOSE = "Checking that two entries in the child index are the same child before merging them"


@dataclass(frozen=True)
class MergeSide:
    """One of the two entries as the check shows it: its number, legal name and date of birth."""

    pk: int
    name: str
    born_on: date


def merge_check(*, principal: Any, keep: Child, merge: Child) -> tuple[MergeSide, MergeSide]:
    """The two entries to merge (the one kept first), for a principal the view has already let merge both
    (policy.found_or_deny with action "merge"). Audit: one child.view event naming both children, with
    MERGE_PURPOSE; a shielded child's agency is told, as for its record. Two statements (the legal names, the
    event), three with a shielded child's notice."""
    legal = {
        name.child_id: str(name)
        for name in ChildName.objects.filter(child_id__in=[keep.pk, merge.pk], kind=NameKind.LEGAL).order_by("id")
    }
    audit_record(
        kind="child.view",
        actor=principal,
        target=keep,
        child_id=keep.pk,
        purpose=MERGE_PURPOSE,
        detail={"children": [keep.pk, merge.pk], "page": "merge check"},
    )
    shielded = [(c.pk, c.shielding_agency_id) for c in (keep, merge) if c.is_shielded and c.shielding_agency_id]
    if shielded:
        shielded_children_reached(actor=principal, reached=shielded, how="a merge check")
    return (
        MergeSide(keep.pk, legal.get(keep.pk, ""), keep.born_on),
        MergeSide(merge.pk, legal.get(merge.pk, ""), merge.born_on),
    )
