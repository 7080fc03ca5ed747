"""Who may see and run the partners' meeting about a breach: recusal (Haringey 6.4-6.5; issue 14; DESIGN 2.5, 3.2).

* **A hearing** (the breach as an agenda item) is seen by whoever may see its breach (breaches.policy.breach_scope):
  its stage, its meeting, and whether the agency in breach is withdrawn. Anyone else: 404.
* **The deliberation** (the notes, the draft sanctions and the votes) is the other partners' own. From the
  agency in breach's withdrawal until the decision is recorded (`Hearing.recused`), no user of the agency in breach
  sees any of it: the policy refuses the deliberation page and the API (403, naming the rule, audited) and leaves
  the sanctions and votes out of every read (SanctionDecisionPolicy, HearingVotePolicy scopes). Once the decision
  is recorded the agency in breach sees the decision, the sanctions imposed and the votes (Haringey 6.5: it is
  "recalled and told"); the deliberation notes never (they are the partners' discussion without it: docs/rules.md).
* **Deliberating** is for partnership admins, partnership auditors and the people who speak for the other partner
  agencies (designated managers, agency admins, Caldicott guardians, DPOs) and their auditors; someone who saw the
  breach only as its reporter sees the outcome once decided.
* **Running the meeting** (putting the breach on the agenda, recording each stage, the notes, the draft sanctions,
  the decision, telling the agency, circulating the minutes): partnership admins who are not themselves members of
  the agency in breach. **A vote** is an agency's: cast by a partnership admin for it, or by one who speaks for it;
  never the agency in breach's.
API tokens do none of this: a meeting and its decision are people's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.policy import agencies_of, is_auditor, is_partnership_admin, is_partnership_auditor, principal
from breaches.models import Breach, Hearing, HearingVote, SanctionDecision
from breaches.policy import breach_scope, speaking_agencies, speaks_for
from isp_portal.policy import RefusalPolicy, SystemActor, register

WITHDRAWN = (
    "Your agency is withdrawn from the meeting while the other partners deliberate (the protocol, section 6.5): "
    "the deliberation, the draft sanctions and the votes are not shown to it. It is recalled and told the decision "
    "once it is recorded."
)
NOTES_NOT_YOURS = (
    "The deliberation notes are the other partners' own (the protocol, section 6.5): your agency sees the decision, "
    "the sanctions and the votes on the hearing page."
)
NOT_A_DELIBERATOR = (
    "Only partnership admins and the people who speak for the other partner agencies see the deliberation; you will "
    "see the decision on the hearing page once it is recorded."
)
RUN_ONLY_ADMINS = "Only a partnership admin runs the partners' meeting about a breach (the protocol, sections 6.3-6.6)."
RUN_NOT_IN_BREACH = (
    "You are a member of the agency in breach, so you cannot run the partners' meeting about it (the protocol, "
    "section 6.5): ask another partnership admin."
)
TOKENS = "An API token cannot take part in the partners' meeting about a breach: a person must."


def _sees_all(user: Any) -> bool:
    return isinstance(user, SystemActor) or is_partnership_admin(user) or is_partnership_auditor(user)


def in_breach(user: Any, breach: Breach) -> bool:
    """Whether `user` is a member of the agency in breach (any role): the people recusal withdraws."""
    return breach.alleged_agency_id in agencies_of(user)


def deliberation_refusal(user: Any, hearing: Hearing, breach: Breach) -> str | None:
    """Why `user` (who may see the breach) may not see the deliberation notes, draft sanctions and votes."""
    if isinstance(user, SystemActor):
        return None
    if principal(user).is_token:
        return TOKENS
    if in_breach(user, breach):
        return WITHDRAWN if hearing.recused else NOTES_NOT_YOURS
    if _sees_all(user) or speaking_agencies(user) or is_auditor(user):
        return None
    return NOT_A_DELIBERATOR


def run_refusal(user: Any, breach: Breach) -> str | None:
    """Why `user` may not run the meeting about `breach` (None: they may)."""
    if isinstance(user, SystemActor):
        return None
    if principal(user).is_token:
        return TOKENS
    if not is_partnership_admin(user):
        return RUN_ONLY_ADMINS
    if in_breach(user, breach):
        return RUN_NOT_IN_BREACH
    return None


def vote_refusal(user: Any, hearing: Hearing, breach: Breach) -> str | None:
    """Why `user` may not cast a vote in `hearing` for any agency (which agency is the service's question)."""
    if isinstance(user, SystemActor):
        return None
    if principal(user).is_token:
        return TOKENS
    if in_breach(user, breach):
        return WITHDRAWN
    if is_partnership_admin(user) or speaking_agencies(user):
        return None
    return "Only a partnership admin, or one who speaks for a partner agency, records its vote."


def vote_for_refusal(user: Any, agency_id: int) -> str | None:
    """Why `user` may not cast the vote of the agency `agency_id`."""
    if isinstance(user, SystemActor) or is_partnership_admin(user) or speaks_for(user, agency_id):
        return None
    return "You can cast only the vote of an agency you speak for."


def hearing_scope(user: Any) -> Q | None:
    """The hearings `user` may see: those of the breaches they may see."""
    breaches = breach_scope(user)
    if breaches is None:
        return None
    if _sees_all(user):
        return Q()
    return Q(breach__in=Breach.objects.filter(breaches).values("pk"))


def deliberation_item_scope(user: Any) -> Q | None:
    """Sanctions and votes `user` may read (Q on a model with a `hearing`): those of the hearings they see, once
    decided; before then only a deliberator's, and never of a hearing about the user's own agency."""
    hearings = hearing_scope(user)
    if hearings is None:
        return None
    decided = Q(hearing__decided_at__isnull=False)
    mine = agencies_of(user)
    # Recusal binds every member of the agency in breach, whatever else they also are: a partnership admin or
    # auditor who is one of its practitioners too sees its draft sanctions and votes only once decided (Haringey
    # 6.4-6.5; break t14 F1).
    not_own = ~Q(hearing__breach__alleged_agency_id__in=mine) if mine else Q()
    if _sees_all(user):
        return (decided | not_own) if mine else Q()
    visible = Q(hearing__in=Hearing.objects.filter(hearings).values("pk"))
    if speaking_agencies(user) or is_auditor(user):
        decided |= not_own
    return visible & decided


@register
class HearingPolicy(RefusalPolicy[Hearing]):
    """Actions: `view` (the hearing page), `deliberation` (notes, draft sanctions, votes), `run` (every stage a
    partnership admin records), `vote`."""

    model = Hearing

    def scope(self, user: Any, action: str) -> Q | None:
        return hearing_scope(user)

    def refusal(self, user: Any, action: str, obj: Hearing) -> str | None:
        if action == "deliberation":
            return deliberation_refusal(user, obj, obj.breach)
        if action == "run":
            return run_refusal(user, obj.breach)
        if action == "vote":
            return vote_refusal(user, obj, obj.breach)
        return "You do not have permission to do this."


@register
class SanctionDecisionPolicy(RefusalPolicy[SanctionDecision]):
    model = SanctionDecision

    def scope(self, user: Any, action: str) -> Q | None:
        return deliberation_item_scope(user)


@register
class HearingVotePolicy(RefusalPolicy[HearingVote]):
    model = HearingVote

    def scope(self, user: Any, action: str) -> Q | None:
        return deliberation_item_scope(user)
