"""The reports part of the demo partnership (issue 15: "enough events and disclosures that the workspace, exports and
charts look real"): a published past year for the aggregate reports.

The demo is seeded today, so every request, disclosure, consent and breach it makes falls in the month under way,
which the reports never count (reports.aggregates.selectors: only whole past months are published). The twelve
whole months before it are therefore published here with made-up counts, as the monthly freeze would have taken them
(reports_monthpublished and reports_monthcount, the same rows and constraints): for each demo agency, area of its
children, age band and (disclosures) legal basis, a count with a seasonal trend and a dip in August, and record keys'
sums drawn as the cell-key method expects (each key 0 to 255). They are not the demo's own records (those are this
month's), and the summary says so; one audit event names the months published this way. Idempotent: a month already
published (by the demo or by a reader) is left as it is."""

from __future__ import annotations

import math
import random

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyStatus
from audit.services import audit_record
from disclosures.models import LegalBasis
from isp_portal.demo_context import DemoContext
from reports.aggregates.models import MonthCount, MonthPublished
from reports.aggregates.rules import DIMENSIONS_OF, Dimension, Measure, add_months, age_bands, month_start
from sharing.models import Child

MONTHS = 12
# Events a month across the partnership at the trend's middle, by measure.
VOLUME = {
    Measure.REQUESTS: 160,
    Measure.DISCLOSURES: 120,
    Measure.DECLINES: 22,
    Measure.CONSENTS: 140,
    Measure.BREACHES: 3,
}
# How the demo's disclosures divide between the legal bases (the rest: none).
BASES = {
    LegalBasis.EXPLICIT_CONSENT: 0.45,
    LegalBasis.SIGNIFICANT_HARM: 0.25,
    LegalBasis.STATUTORY_DUTY: 0.12,
    LegalBasis.POLICE_S29: 0.08,
    LegalBasis.URGENT_MEDICAL: 0.05,
    LegalBasis.COURT_ORDER: 0.05,
}
AGE_SHARE = {"0-4": 0.22, "5-10": 0.3, "11-15": 0.32, "16-18": 0.13, "19-25": 0.03, "26+": 0.0}


def _key_sum(rng: random.Random, n: int) -> int:
    return sum(rng.randrange(256) for _ in range(n))


def _groups(measure: Measure, areas: list[str]) -> list[tuple[str, str, str, float]]:
    """(area, age band, legal basis, share of the agency's month) for the dimensions `measure` has."""
    dimensions = DIMENSIONS_OF[measure]
    area_list = areas if Dimension.AREA in dimensions else [""]
    bands = [(code, AGE_SHARE.get(code, 0.0)) for _, _, code in age_bands()] if Dimension.AGE_BAND in dimensions else []
    bases = list(BASES.items()) if Dimension.LEGAL_BASIS in dimensions else [("", 1.0)]
    groups = []
    for area in area_list:
        for band, band_share in bands or [("", 1.0)]:
            for basis, basis_share in bases:
                share = band_share * basis_share / len(area_list)
                if share > 0:
                    groups.append((area, band, str(basis), share))
    return groups


@transaction.atomic
def seed(demo: DemoContext) -> None:
    this_month = month_start(timezone.localdate())
    months = [add_months(this_month, -offset) for offset in range(MONTHS, 0, -1)]
    if MonthPublished.objects.filter(month__in=months).exists():
        demo.summary["reports"] = "the published months are already there"
        return
    agencies = list(Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("pk"))
    if not agencies:
        demo.summary["reports"] = "no published months: the demo has no active agency"
        return
    rng = random.Random(1415)  # noqa: S311 - the same made-up past year on every machine, no secret
    weights = [rng.uniform(0.5, 2.0) for _ in agencies]
    total_weight = sum(weights)
    areas_of = {
        agency.pk: sorted(
            set(
                Child.objects.filter(involvements__agency=agency)
                .exclude(area__isnull=True)
                .values_list("area_id", flat=True)
                .distinct()[:3]
            )
        )
        or [""]
        for agency in agencies
    }
    rows: list[MonthCount] = []
    for index, month in enumerate(months):
        # A gentle rise over the year, a school-holiday dip in August, and month-to-month noise.
        trend = (0.8 + 0.4 * index / (MONTHS - 1)) * (0.6 if month.month == 8 else 1.0)
        trend *= 1 + 0.1 * math.sin(index)
        for agency, weight in zip(agencies, weights, strict=True):
            for measure, volume in VOLUME.items():
                expected = volume * trend * weight / total_weight
                for area, band, basis, share in _groups(measure, areas_of[agency.pk]):
                    n = max(0, round(rng.gauss(expected * share, math.sqrt(expected * share + 0.25))))
                    if n:
                        rows.append(
                            MonthCount(
                                month=month,
                                measure=measure.value,
                                agency_id=agency.pk,
                                n=n,
                                key_sum=_key_sum(rng, n),
                                area_id=area,
                                age_band=band,
                                legal_basis=basis,
                            )
                        )
    MonthPublished.objects.bulk_create([MonthPublished(month=month) for month in months])
    MonthCount.objects.bulk_create(rows, batch_size=2000)
    audit_record(
        kind="reports.demo_published",
        actor=demo.actor,
        object_type="reports.monthpublished",
        detail={"months": [month.isoformat() for month in months], "groups": len(rows)},
    )
    demo.summary["reports"] = (
        f"{MONTHS} past months published for the aggregate reports ({len(rows)} groups; made-up counts, not the demo's "
        "own records, which are this month's)"
    )
