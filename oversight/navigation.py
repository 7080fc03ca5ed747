"""The auditors' workspace in the service navigation (issue 15): "Audit trail", the search of the access events
(with the disclosure log and the exports a link away), for auditors only (the audit trail resource:
isp_portal.audit_panel.AUDIT_TRAIL). Decided from the principal alone, so no page pays a statement for it."""

from __future__ import annotations

from agencies.policy import is_auditor
from isp_portal.navigation import NavItem, register_nav

register_nav(NavItem(label="Audit trail", url_name="audit-events", visible=is_auditor, order=95))
