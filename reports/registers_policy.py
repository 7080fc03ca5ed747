"""Who reads the partnership registers (issue 15: "signatories, reviews, breaches and disputes in one place for the
Children's Services Executive, exportable"; Southampton 13; DESIGN 1, 2.2, 2.5).

The registers are kept for the Children's Services Executive, which monitors "the effectiveness of this Protocol"
and "emerging trends" (Southampton 13): the partnership admins read all of them and download them. Auditors read them
too: a partnership auditor everything, an agency's auditor the signatory rows of their agency and the breaches and
disputes it is party to (as the central register scopes them: breaches.register_policy). The reviews are of the
protocols every signatory is party to, readable by any member on the protocol's page, so an agency's auditor reads
them all.

An agency admin does not read the registers. What they keep for their own agency (its signature, its signatory
checklist, its ICO registration: DESIGN 2.1, Southampton 18, Haringey 4.1-4.2) is on their agency's page already; the
registers are the Executive's view across agencies, and their breaches and disputes half is the central register,
which Southampton 13 keeps for the Executive and not for each partner. Never an API token: 403 naming the rule."""

from __future__ import annotations

from typing import Any

from agencies.policy import is_auditor, is_partnership_admin, principal
from breaches.register_policy import central_register_agencies
from isp_portal.policy import Resource, register_resource

PARTNERSHIP_REGISTERS = Resource("partnership_registers", "the partnership registers")
RULE = "Only partnership admins and auditors read the partnership registers."


def may_read_registers(user: Any) -> bool:
    """RULE, from the principal alone (no statement): a signed-in partnership admin or auditor, never a token."""
    p = principal(user)
    if p.is_token or p.user_id is None:
        return False
    return is_partnership_admin(user) or is_auditor(user)


def _rule(user: Any, action: str) -> bool:
    return action == "view" and may_read_registers(user)


# Whose rows a reader sees: None for every agency's (partnership admins and auditors), else their audited agencies'
# (the central register's scope, so the two never disagree about a breach or a dispute).
register_resource(PARTNERSHIP_REGISTERS, _rule, lambda user, action: RULE, central_register_agencies)
