"""Reads of a breach's hearing as one user may see it (issue 14; Haringey 6.4-6.5). Every read starts from the
policy: the hearing through HearingPolicy's scope, the sanctions and votes through their own scopes (which leave
them out for the agency in breach while it is withdrawn), and the deliberation notes only for a deliberator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from breaches.hearing_policy import deliberation_refusal, run_refusal, vote_refusal
from breaches.models import Breach, Hearing, HearingVote, SanctionDecision
from isp_portal.policy import OutOfScope, get_or_deny, restrict

# The steps a partnership admin records, by the stage they are recorded at.
STEPS_AT = {
    "scheduled": ["present"],
    "presented": ["withdraw"],
    "deliberating": ["notes", "sanction", "vote", "decide"],
    "decided": ["tell", "minutes"],
    "told": ["minutes"],
}


@dataclass
class HearingPage:
    breach: Breach
    hearing: Hearing | None
    # Whether the reader is a member of the agency in breach while it is withdrawn.
    withdrawn: bool = False
    # None when the reader may see the deliberation (notes, drafts, votes), else the rule refusing it.
    deliberation_refused: str | None = None
    sanctions: list[SanctionDecision] = field(default_factory=list)
    votes: list[HearingVote] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    can_schedule: bool = False
    can_vote: bool = False
    # A partnership admin running the meeting, in deliberation: each draft sanction has a way to remove it.
    can_remove_drafts: bool = False


def breach_for_hearing(user: Any, pk: Any) -> Breach:
    """The breach, through the user's view scope (404 otherwise), with what the hearing pages show of it."""
    return get_or_deny(user, Breach.objects.select_related("alleged_agency", "protocol"), pk=pk)


def hearing_page(user: Any, pk: Any) -> HearingPage:
    """The hearing of breach `pk` as `user` may see it. A breach with no hearing yet is a page with no hearing."""
    breach = breach_for_hearing(user, pk)
    hearing = (
        restrict(user, "view", Hearing)
        .select_related("meeting", "decided_by", "told_by")
        .filter(breach_id=breach.pk)
        .first()
    )
    if hearing is None:
        return HearingPage(breach=breach, hearing=None, can_schedule=run_refusal(user, breach) is None)
    hearing.breach = breach
    page = HearingPage(breach=breach, hearing=hearing)
    page.deliberation_refused = deliberation_refusal(user, hearing, breach)
    page.withdrawn = (
        hearing.recused and page.deliberation_refused is not None and (breach.alleged_agency_id in _agencies(user))
    )
    page.sanctions = list(
        restrict(user, "view", SanctionDecision)
        .filter(hearing=hearing)
        .select_related("agency_sanction")
        .prefetch_related("users")
        .order_by("pk")
    )
    page.votes = list(
        restrict(user, "view", HearingVote).filter(hearing=hearing).select_related("agency").order_by("agency__name")
    )
    if run_refusal(user, breach) is None:
        page.steps = STEPS_AT[hearing.stage]
        page.can_remove_drafts = hearing.stage == "deliberating"
    page.can_vote = hearing.stage == "deliberating" and vote_refusal(user, hearing, breach) is None
    return page


def deliberation_page(user: Any, pk: Any) -> HearingPage:
    """The deliberation of breach `pk`'s hearing: refused (403, audited, naming the rule) to the agency in breach
    and to anyone else who is not a deliberator (breaches.hearing_policy)."""
    from isp_portal.policy import require

    page = hearing_page(user, pk)
    if page.hearing is None:
        raise OutOfScope(action="deliberation", target_type="breaches.hearing", target_id=str(pk))
    require(user, "deliberation", page.hearing)
    return page


def _agencies(user: Any) -> frozenset[int]:
    from agencies.policy import agencies_of

    return agencies_of(user)


def draft_sanction(user: Any, pk: Any, sanction_pk: Any) -> tuple[Breach, Hearing, SanctionDecision]:
    """The breach `pk`, its hearing and one of its sanctions, for removing a draft: the breach through the view
    scope (404), running the meeting through the policy (403 naming the rule), then the sanction among those the
    user may see of this hearing (404 otherwise). Whether it is still a draft is the service's question."""
    from isp_portal.policy import require

    breach = breach_for_hearing(user, pk)
    hearing = restrict(user, "view", Hearing).filter(breach_id=breach.pk).first()
    if hearing is None:
        raise OutOfScope(action="run", target_type="breaches.hearing", target_id=str(pk))
    hearing.breach = breach
    require(user, "run", hearing)
    sanction = restrict(user, "view", SanctionDecision).filter(hearing=hearing, pk=sanction_pk).first()
    if sanction is None:
        raise OutOfScope(action="run", target_type="breaches.sanctiondecision", target_id=str(sanction_pk)[:64])
    return breach, hearing, sanction
