"""The sharing app's navigation entry: "Children" for practitioners (the page says why when the index is not open
to them yet: training, their agency's registration or signature) and partnership admins (who merge duplicates).
Decided from the principal alone, so no page pays a statement for it."""

from __future__ import annotations

from typing import Any

from agencies.policy import is_partnership_admin, is_practitioner
from isp_portal.navigation import NavItem, register_nav


def _sees_children(user: Any) -> bool:
    return is_practitioner(user) or is_partnership_admin(user)


register_nav(NavItem(label="Children", url_name="child-search", visible=_sees_children, order=60))
