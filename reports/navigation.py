"""The reports app's navigation entries (issue 15), decided from the principal alone so no page pays a statement
for them (isp_portal.navigation; tests/test_query_counts.py):

- "Reports": the aggregate reports, for auditors and members of an agency that may share now (active, its ICO
  registration in force): the first half of reports.policy.reports_refusal, the half the principal answers. The
  second half (the agency has signed a protocol in force) costs a statement, so the page says why to a member of an
  agency that has not signed yet.
- "Registers": the partnership registers for the Children's Services Executive, for partnership admins and auditors
  (reports.registers_policy.RULE)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from agencies.policy import is_auditor, is_partnership_admin, principal
from agencies.rules import agency_may_share
from isp_portal.navigation import NavItem, register_nav


def _sees_reports(user: Any) -> bool:
    if is_auditor(user):
        return True
    today = timezone.localdate()
    return any(
        m.agency_id is not None and agency_may_share(m.agency_status, m.agency_ico_expires_on, today)
        for m in principal(user).memberships
    )


def _sees_registers(user: Any) -> bool:
    return is_partnership_admin(user) or is_auditor(user)


register_nav(NavItem(label="Reports", url_name="reports-aggregates", visible=_sees_reports, order=90))
register_nav(NavItem(label="Registers", url_name="partnership-registers", visible=_sees_registers, order=91))
