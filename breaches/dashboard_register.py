"""The navigation entries of indemnity notices (Haringey 11.1) and of the central register of breaches and disputes
(Southampton 13). Who sees an entry is decided from the principal alone (no statement for the navigation)."""

from __future__ import annotations

from typing import Any

from breaches.indemnity_policy import indemnity_scope
from breaches.register_policy import CENTRAL_REGISTER
from isp_portal import policy
from isp_portal.navigation import NavItem, register_nav


def _sees_notices(user: Any) -> bool:
    return indemnity_scope(user) is not None


register_nav(NavItem(label="Indemnity notices", url_name="indemnity-list", visible=_sees_notices, order=72))
register_nav(
    NavItem(
        label="Central register",
        url_name="breach-register",
        visible=lambda user: policy.can(user, "view", CENTRAL_REGISTER),
        order=73,
    )
)
