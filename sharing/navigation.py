"""The sharing app's navigation entry: "Children" for practitioners (the page says why when the index is not open
to them yet: training, their agency's registration or signature) and partnership admins (who merge duplicates).
Decided from the principal alone, so no page pays a statement for it."""

from __future__ import annotations

from typing import Any

from agencies.policy import is_auditor, is_partnership_admin, is_practitioner, principal
from isp_portal.navigation import NavItem, register_nav


def _sees_children(user: Any) -> bool:
    return is_practitioner(user) or is_partnership_admin(user)


register_nav(NavItem(label="Children", url_name="child-search", visible=_sees_children, order=60))


def _sees_counts(user: Any) -> bool:
    # The aggregate tier (DESIGN 3.2): members of agencies and auditors; the page says why when the member's
    # agency may not read the counts yet (not active, or not a signatory).
    return is_auditor(user) or any(m.agency_id is not None for m in principal(user).memberships)


register_nav(NavItem(label="Counts of children", url_name="child-aggregate", visible=_sees_counts, order=61))

# Southampton 8, 11: the records past the age scope, closed and erased, kept by the partnership admins (the page
# says why to one whose training has lapsed, as the child index does).
register_nav(
    NavItem(label="Records past the age scope", url_name="child-retention", visible=is_partnership_admin, order=62)
)
