"""Who may read the aggregate reports and the annual needs-assessment dataset (DESIGN 3.2, the aggregate tier):
any member of an active signatory agency, whatever their role, and auditors, as for the counts of children
(sharing.policy.aggregate_refusal: one rule for the whole tier). Counts only, suppressed: Haringey 3.7a
"aggregate and management information, which shall be used mainly for planning and monitoring purposes"; WYCPS
"only anonymised data will be used for planning". Anyone else is refused (403), and the refusal is recorded
(isp_portal.policy)."""

from __future__ import annotations

from typing import Any

from isp_portal.policy import Resource, register_resource
from sharing.policy import aggregate_refusal

REPORTS_NAME = "aggregate_reports"
REPORTS = Resource(REPORTS_NAME, "the aggregate reports")


def reports_refusal(user: Any) -> str | None:
    """Why `user` may not read the aggregate reports (None: they may). The aggregate tier's rule, in its words."""
    refused = aggregate_refusal(user)
    if refused is None:
        return None
    return refused.replace("Counts of children are", "The aggregate reports are")


register_resource(
    REPORTS,
    lambda user, action: action == "view" and reports_refusal(user) is None,
    lambda user, action: reports_refusal(user) or "You do not have permission to do this.",
)
