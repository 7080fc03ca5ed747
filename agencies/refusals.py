"""Who a refused user can ask for help: the 403 page names the right person for each role (issue 8, item 11).

A practitioner asks their agency's admin; an agency's admin (or an agency's own auditor) asks a partnership
admin, who keeps the partnership's records and grants what an agency cannot grant itself; a partnership
admin asks another partnership admin. Registered with isp_portal.policy, which imports no domain app.
"""

from __future__ import annotations

from typing import Any

from agencies.models import Role
from agencies.policy import principal


def who_can_help(user: Any) -> str:
    """The person to ask, as the end of a sentence: "ask ..."."""
    facts = principal(user)
    if not facts.memberships:
        return "the admin of your agency: you have no role in the portal yet"
    if facts.has(Role.PARTNERSHIP_ADMIN):
        return "another partnership admin"
    if facts.has(Role.AGENCY_ADMIN) or all(m.is_partnership for m in facts.memberships):
        return "a partnership admin"
    names = sorted({m.agency_name for m in facts.memberships if m.agency_id is not None})
    return f"an admin of {' or '.join(names)}"
