"""Erasure of what the after-disclosure records copy of a child's record (Southampton 6, 8: "deleted beyond recovery"
at the end of the retention period; break13 F4). sharing.services.retention.child_erase erases every revision's text
and change reason; a correction keeps the change reason as its summary, an inaccuracy report says what was wrong and
what it should say, a dispute states its grounds and impact: each is free text about the child, so each is erased
with it. Kept: who, when, which agencies, states and dates (the register and the audit trail stay whole)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from disclosures.models import Correction, Dispute, InaccuracyReport
from sharing.models import Child

ERASED = "Erased."  # disclosures/migrations/0016: the triggers let through exactly this text


def after_disclosure_erase(*, child: Child) -> dict[str, int]:
    """Erase the free text the after-disclosure records hold about `child` (closed, its erasure due, locked by the
    caller, inside child_erase's transaction) and about the entries merged into it: corrections' summaries,
    inaccuracy reports' texts, disputes' grounds and impact. Returns {kind: count erased}, which child_erase lists
    in its child.erase event (counts only). The triggers' sanctioned exception, for this transaction only."""
    children = [child.pk, *Child.objects.filter(merged_into_id=child.pk).values_list("pk", flat=True)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', 'on', true)")
    corrections = Correction.objects.filter(entry__child_id__in=children).exclude(summary=ERASED).update(summary=ERASED)
    reports = InaccuracyReport.objects.filter(entry__child_id__in=children)
    erased_reports = reports.exclude(what_is_wrong=ERASED).update(what_is_wrong=ERASED)
    reports.exclude(suggested_correction="").exclude(suggested_correction=ERASED).update(suggested_correction=ERASED)
    reports.exclude(reject_reason="").exclude(reject_reason=ERASED).update(reject_reason=ERASED)
    disputes = Dispute.objects.filter(child_id__in=children)
    erased_disputes = disputes.exclude(grounds=ERASED).update(grounds=ERASED)
    disputes.exclude(Q(impact_so_far="") | Q(impact_so_far=ERASED)).update(impact_so_far=ERASED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', '', true)")
    return {"corrections": corrections, "inaccuracy_reports": erased_reports, "disputes": erased_disputes}
