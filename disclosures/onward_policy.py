"""Who may see and act on onward requests (issue 13; Southampton 10-11; docs/after-disclosure-design.md 5).

View: the requester, the people (practitioners and designated managers in the index) of the passing agency and of
the originating agency, the decider; auditors see the metadata of their agencies' (a partnership auditor: all).
Decide: a person who is a designated manager of the originating agency (design Q1: Southampton 10 "the agreement
of the information source provider") and not the person who asked, while the request waits. Withdraw and disclose:
the requester (a person).
API tokens act on none of it (design Q15: agreements are human decisions). Another agency's onward request is out
of scope (404); in scope but not allowed is 403 with the rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from agencies.policy import audited_agencies, is_auditor, is_designated_manager
from disclosures import rules
from disclosures.models import OnwardRequest
from isp_portal.policy import RefusalPolicy, SystemActor, register
from sharing.policy import index_agencies

ONWARD_ACTIONS = frozenset({"view", "decide", "withdraw", "disclose"})

NOT_A_PERSON = "Only a person can act on an onward request: an API token cannot."
ONLY_ORIGINATOR_DM = (
    "Only a designated manager of the agency the information came from can agree to it being passed on."
)
NOT_THE_ASKER = (
    "You asked to pass this information on, so someone else at the agency it came from must agree to it: the "
    "agreement is the information source provider's, not the asker's."
)
ONLY_REQUESTER = "Only the person who asked to pass the information on can {action} it."
AGREEMENT_ENDED = "The agreement to pass this information on ended on {day}: ask the agency it came from again."


def _person(user: Any) -> bool:
    return not getattr(user, "is_system", False)


def agreement_refusal(onward: OnwardRequest, at: datetime | None = None) -> str | None:
    """Why an agreed onward request can no longer be used (its agreement ran out), or None. The one rule the
    policy's `disclose` and the disclosure service ask (the database holds it too: disclosure_onward_agreed)."""
    until = onward.agreement_until
    if until is not None and until <= (at or timezone.now()):
        return AGREEMENT_ENDED.format(day=f"{until.day} {until:%B %Y}")
    return None


@register
class OnwardRequestPolicy(RefusalPolicy[OnwardRequest]):
    model = OnwardRequest

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in ONWARD_ACTIONS or not _person(user):
            return None
        mine = index_agencies(user)
        condition = Q(requester_id=user.pk) | Q(decided_by_id=user.pk)
        if mine:
            condition |= Q(from_agency_id__in=mine) | Q(originator_agency_id__in=mine)
        if action == "view" and is_auditor(user):
            audited = audited_agencies(user)
            if audited is None:
                return Q()
            condition |= (
                Q(from_agency_id__in=audited) | Q(originator_agency_id__in=audited) | Q(to_agency_id__in=audited)
            )
        return condition

    def in_scope(self, user: Any, obj: OnwardRequest) -> bool:
        if isinstance(user, SystemActor):
            return True
        if not _person(user):
            return False
        if user.pk in {obj.requester_id, obj.decided_by_id}:
            return True
        mine = index_agencies(user)
        if obj.from_agency_id in mine or obj.originator_agency_id in mine:
            return True
        if is_auditor(user):
            audited = audited_agencies(user)
            return audited is None or bool(
                {obj.from_agency_id, obj.originator_agency_id, obj.to_agency_id} & set(audited)
            )
        return False

    def child_of(self, obj: OnwardRequest) -> int | None:
        return obj.child_id

    def refusal(self, user: Any, action: str, obj: OnwardRequest) -> str | None:
        if not _person(user):
            return NOT_A_PERSON
        state = rules.OnwardState(obj.state)
        if action == "decide":
            originator = obj.originator_agency_id
            if originator not in index_agencies(user) or not is_designated_manager(user, originator):
                return ONLY_ORIGINATOR_DM
            # Southampton 10: "the agreement of the information source provider" is someone other than the asker,
            # who may also manage at the originating agency (the database holds it too: onward_decider_not_asker).
            if obj.requester_id == user.pk:
                return NOT_THE_ASKER
            return rules.onward_transition_refusal(state, rules.OnwardState.AGREED)
        if action == "withdraw":
            if obj.requester_id != user.pk:
                return ONLY_REQUESTER.format(action="withdraw")
            return rules.onward_transition_refusal(state, rules.OnwardState.WITHDRAWN)
        if action == "disclose":
            if obj.requester_id != user.pk:
                return ONLY_REQUESTER.format(action="pass")
            return rules.onward_transition_refusal(state, rules.OnwardState.DISCLOSED) or agreement_refusal(obj)
        return "You do not have permission to do this."
