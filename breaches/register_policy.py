"""Who reads the central register of breaches and disputes (Southampton 13: "a central register of disputes ...
for the Children's Services Executive"; issue 14; DESIGN 2.5).

The register is kept for the Children's Services Executive: the partnership admins read all of it and download it.
Auditors read it too: a partnership auditor every row, an agency's auditor the rows their agency is party to (the
agency alleged in breach or that reported it; either side of a dispute). Nobody else, and never an API token: 403
naming the rule."""

from __future__ import annotations

from typing import Any

from agencies.policy import audited_agencies, is_auditor, is_partnership_admin, is_partnership_auditor, principal
from isp_portal.policy import Resource, register_resource

CENTRAL_REGISTER = Resource("central_register", "the central register of breaches and disputes")
RULE = "Only partnership admins and auditors read the central register of breaches and disputes."


def central_register_agencies(user: Any) -> frozenset[int] | None:
    """Whose rows the user reads: None for all of them (partnership admins and auditors), else their audited
    agencies'."""
    if is_partnership_admin(user) or is_partnership_auditor(user):
        return None
    return frozenset(audited_agencies(user) or ())


def _rule(user: Any, action: str) -> bool:
    p = principal(user)
    if p.is_token or p.user_id is None:
        return False
    return action == "view" and (is_partnership_admin(user) or is_auditor(user))


register_resource(CENTRAL_REGISTER, _rule, lambda user, action: RULE, central_register_agencies)
