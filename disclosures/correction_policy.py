"""Who may see and act on corrections, correction notices and inaccuracy reports (issue 13; Southampton 9;
docs/after-disclosure-design.md 5).

WP1 stub, owned by WP3: registered so each model has a policy from the start, and denying everything to everyone but
the portal itself until WP3 writes the rules (a notice is acknowledged only by its own agency's practitioners and
designated managers; the originator sees its corrections; auditors metadata).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from disclosures.models import Correction, CorrectionNotice, InaccuracyReport
from isp_portal.policy import RefusalPolicy, SystemActor, register


@register
class CorrectionPolicy(RefusalPolicy[Correction]):
    model = Correction

    def scope(self, user: Any, action: str) -> Q | None:
        # Deny by default until WP3 writes the rules.
        return Q() if isinstance(user, SystemActor) else None

    def in_scope(self, user: Any, obj: Correction) -> bool:
        return isinstance(user, SystemActor)


@register
class CorrectionNoticePolicy(RefusalPolicy[CorrectionNotice]):
    model = CorrectionNotice

    def scope(self, user: Any, action: str) -> Q | None:
        # Deny by default until WP3 writes the rules.
        return Q() if isinstance(user, SystemActor) else None

    def in_scope(self, user: Any, obj: CorrectionNotice) -> bool:
        return isinstance(user, SystemActor)


@register
class InaccuracyReportPolicy(RefusalPolicy[InaccuracyReport]):
    model = InaccuracyReport

    def scope(self, user: Any, action: str) -> Q | None:
        # Deny by default until WP3 writes the rules.
        return Q() if isinstance(user, SystemActor) else None

    def in_scope(self, user: Any, obj: InaccuracyReport) -> bool:
        return isinstance(user, SystemActor)
