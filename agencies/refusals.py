"""Who a refused user can ask for help: the 403 page names the right person for each role and each refusal
(issue 8, items 11 and 6).

A practitioner asks their agency's admin; an agency's admin (or an agency's own auditor) asks a partnership
admin, who keeps the partnership's records and grants what an agency cannot grant itself; a partnership
admin is told that another partnership admin could do no more, and to see whom the reason names. A refusal
by an agency's standing (agencies.rules.StandingRefusal) is lifted by a change of that standing, so the help
names who makes it, and tells a person who can make it themselves (a partnership admin reinstating a
suspended agency, an agency's admin recording its ICO registration) that they can. Registered with
isp_portal.policy, which imports no domain app.
"""

from __future__ import annotations

from typing import Any

from agencies.models import Role
from agencies.policy import principal
from agencies.rules import AgencyStanding, StandingRefusal
from isp_portal.wording import possessive


def who_can_help(user: Any) -> str:
    """The person to ask, as the end of a sentence: "ask ..."."""
    facts = principal(user)
    if not facts.memberships:
        return "the admin of your agency: you have no role in the portal yet"
    if facts.has(Role.AGENCY_ADMIN) or all(m.is_partnership for m in facts.memberships):
        return "a partnership admin"
    names = sorted({m.agency_name for m in facts.memberships if m.agency_id is not None})
    return f"an admin of {' or '.join(names)}"


def refusal_help(user: Any, reason: str) -> str:
    """The 403 page's last word for `user` refused for `reason`: who can help, as a sentence."""
    if isinstance(reason, StandingRefusal):
        return standing_help(user, reason)
    if principal(user).has(Role.PARTNERSHIP_ADMIN):
        # Another partnership admin holds no right he lacks: what is refused to him is an agency's own business
        # (the reason names whose) or cannot be done now.
        return (
            "Another partnership admin has no more rights than you: if this needs doing, the reason above says "
            "who can do it."
        )
    return f"If you think you should be able to do this, ask {who_can_help(user)}."


def standing_help(user: Any, refusal: StandingRefusal) -> str:
    """Who lifts an agency's standing, for the person refused by it: a partnership admin changes an agency's
    status (and may record its ICO registration); its own admins record its ICO registration."""
    facts = principal(user)
    name = refusal.agency_name
    partnership_admin = facts.has(Role.PARTNERSHIP_ADMIN)
    if refusal.standing in {AgencyStanding.ICO_MISSING, AgencyStanding.ICO_LAPSED}:
        own_admin = any(m.agency_name == name and Role.AGENCY_ADMIN in m.roles for m in facts.memberships)
        if partnership_admin or own_admin:
            return f"You can record {possessive(name)} ICO registration on its page; then it can do this again."
        return f"Ask an admin of {name} to record its ICO registration."
    if partnership_admin:
        return (
            f"As a partnership admin, you can change {possessive(name)} status on its page when it should act again: "
            "no one can do this for it until then."
        )
    return f"Only a partnership admin can change {possessive(name)} status: ask one if you think it should act again."
