"""The reports app's navigation entries (issue 15), decided from the principal alone so no page pays a statement
for them (isp_portal.navigation; tests/test_query_counts.py):

- "Reports": the aggregate reports, for auditors and members of an agency that may share now (active, its ICO
  registration in force): the first half of reports.policy.reports_refusal, the half the principal answers. The
  second half (the agency has signed a protocol in force) costs a statement, so the page says why to a member of an
  agency that has not signed yet.
- "Registers": the partnership registers for the Children's Services Executive, for partnership admins and auditors
  (reports.registers_policy.may_read_registers)."""

from __future__ import annotations

from typing import Any

from agencies.policy import is_auditor
from isp_portal.navigation import NavItem, register_nav
from reports.registers_policy import may_read_registers
from sharing.policy import sharing_now_agencies


def _sees_reports(user: Any) -> bool:
    return is_auditor(user) or bool(sharing_now_agencies(user))


register_nav(NavItem(label="Reports", url_name="reports-aggregates", visible=_sees_reports, order=90))
register_nav(NavItem(label="Registers", url_name="partnership-registers", visible=may_read_registers, order=91))
