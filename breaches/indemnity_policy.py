"""Who may see, send and answer indemnity notices (Haringey 11.1(a)-(b); issue 14).

* **Seeing a notice**: the people who speak for the suffering partner, the alleged contributor or the Council told
  (designated managers, agency admins, Caldicott guardians and DPOs: breaches.policy.speaking_agencies) and the
  person who sent it; partnership admins (the Children's Services Executive) and partnership auditors, every
  notice; an agency's auditor, their agency's. Anyone else: 404.
* **Sending one** (`create`): a person who speaks for a partner agency (11.1(a): "the Suffering Partner ... shall
  immediately notify in writing"). Not a partnership admin without an agency, not an auditor, never an API token:
  a notice is a partner's written act.
* **Answering** (`respond`): the people who speak for the alleged contributor, once (11.1(b)).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.policy import audited_agencies, is_auditor, is_partnership_admin, is_partnership_auditor, principal
from breaches.models import IndemnityNotice
from breaches.policy import speaking_agencies, speaks_for
from isp_portal.policy import RefusalPolicy, SystemActor, register

SEND_RULE = (
    "Only a designated manager, agency admin, Caldicott guardian or data protection officer of a partner agency "
    "can send an indemnity notice (the protocol, section 11.1(a))."
)
LIST_RULE = "Indemnity notices are for the people of partner agencies: ask your agency's admin to add you to one."
RESPOND_RULE = (
    "Only the designated managers, agency admins, Caldicott guardian or data protection officer of the agency the "
    "notice was sent to can answer it (the protocol, section 11.1(b))."
)


def _parties_q(agencies: frozenset[int]) -> Q:
    return (
        Q(suffering_agency_id__in=agencies) | Q(contributor_agency_id__in=agencies) | Q(council_agency_id__in=agencies)
    )


def indemnity_scope(user: Any) -> Q | None:
    """The notices `user` may see (None: none)."""
    if isinstance(user, SystemActor) or is_partnership_admin(user) or is_partnership_auditor(user):
        return Q()
    p = principal(user)
    if not p.memberships or p.is_token:
        return None
    scope = Q(sent_by_id=p.user_id)
    speaking = speaking_agencies(user)
    if speaking:
        scope |= _parties_q(speaking)
    if is_auditor(user):
        scope |= _parties_q(audited_agencies(user) or frozenset())
    return scope


def may_send(user: Any) -> bool:
    if isinstance(user, SystemActor):
        return True
    p = principal(user)
    return not p.is_token and bool(speaking_agencies(user))


def respond_refusal(user: Any, notice: IndemnityNotice) -> str | None:
    """The rule refusing `user` answering `notice` (None: allowed)."""
    if isinstance(user, SystemActor):
        return None
    if principal(user).is_token:
        return "An API token cannot answer an indemnity notice: a person must, in writing."
    if not speaks_for(user, notice.contributor_agency_id):
        return RESPOND_RULE
    return None


@register
class IndemnityNoticePolicy(RefusalPolicy[IndemnityNotice]):
    model = IndemnityNotice

    def scope(self, user: Any, action: str) -> Q | None:
        return indemnity_scope(user)

    def permits(self, user: Any, action: str, obj: IndemnityNotice | None) -> bool:
        if obj is None and action == "create":
            return may_send(user)
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: IndemnityNotice | None) -> str:
        if obj is None and action == "create":
            if principal(user).is_token:
                return "An API token cannot send an indemnity notice: a person must, in writing."
            return SEND_RULE
        return super().reason(user, action, obj)

    def refusal(self, user: Any, action: str, obj: IndemnityNotice) -> str | None:
        if action == "respond":
            return respond_refusal(user, obj)
        return "You do not have permission to do this."
