"""Who may see and act on breaches of protocol and their obligations (issue 14; Haringey 6; DESIGN 2.5, 3.2).

* **A breach** is seen by partnership admins (the register's keepers, Southampton 13), partnership auditors (every
  breach) and an agency's auditors (their agency's, alleged or reporting); by the person who reported it; by the
  designated managers, agency admins, Caldicott guardians and DPOs of the agency alleged in breach, of the reporting
  agency and of the partner agencies (a live signature on the protocol's current version: the partners Haringey 6.1
  tells and 6.3 convenes). Anyone else: 404.
* **The children affected** are shown only to those the sharing policy lets see each child (selectors).
* **Reporting one** (`create`): any active member with a role other than auditor only (issue 14: "any practitioner
  or admin").
* **Obligations** are completed by the people responsible (breach_obligation_refusal): the reporting agency (or a
  partnership admin) notifies the partners; the agency in breach reports and decides on the ICO; the partnership
  admins hold the meeting and circulate the minutes. Partnership admins may complete any of them for the
  partnership.
API tokens do none of these: a breach and its procedure are human decisions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.models import Role
from agencies.policy import (
    audited_agencies,
    is_auditor,
    is_partnership_admin,
    is_partnership_auditor,
    principal,
)
from breaches.models import Breach, Obligation, ObligationKind
from isp_portal.policy import RefusalPolicy, SystemActor, register

# The roles that speak for an agency in the breach procedure (with the Caldicott guardian and DPO flags).
_SPEAKING_ROLES = (Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN)
_REPORTING_ROLES = (Role.PRACTITIONER, Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN, Role.PARTNERSHIP_ADMIN)


def speaking_agencies(user: Any) -> frozenset[int]:
    """The agencies `user` speaks for in the breach procedure: where they are a designated manager or agency admin,
    or the Caldicott guardian or DPO."""
    p = principal(user)
    return p.agencies_with(*_SPEAKING_ROLES) | frozenset(
        m.agency_id
        for m in p.memberships
        if m.agency_id is not None and (m.is_caldicott_guardian or m.is_data_protection_officer)
    )


def speaks_for(user: Any, agency_id: int | None) -> bool:
    return agency_id is not None and agency_id in speaking_agencies(user)


def may_report(user: Any) -> bool:
    if isinstance(user, SystemActor):
        return True
    p = principal(user)
    if p.is_token:
        return False
    return any(set(_REPORTING_ROLES) & m.roles for m in p.memberships)


def _partner_agencies_q(agencies: frozenset[int]) -> Q:
    """Breaches of a protocol whose current version any of `agencies` has signed (live)."""
    return Q(
        protocol__current_version__signatures__agency__in=agencies,
        protocol__current_version__signatures__withdrawn_at__isnull=True,
    )


def breach_scope(user: Any) -> Q | None:
    """The breaches `user` may see (None: none). A subquery of ids, so the partner join never repeats a row."""
    if isinstance(user, SystemActor) or is_partnership_admin(user) or is_partnership_auditor(user):
        return Q()
    p = principal(user)
    if not p.memberships or p.is_token:
        return None
    scope = Q(reported_by_id=p.user_id)
    speaking = speaking_agencies(user)
    if speaking:
        scope |= Q(alleged_agency_id__in=speaking) | Q(reporting_agency_id__in=speaking)
        scope |= Q(pk__in=Breach.objects.filter(_partner_agencies_q(speaking)).values("pk"))
    if is_auditor(user):
        audited = audited_agencies(user) or frozenset()
        scope |= Q(alleged_agency_id__in=audited) | Q(reporting_agency_id__in=audited)
    return scope


def obligation_refusal(user: Any, obligation: Obligation, breach: Breach | None) -> str | None:
    """The rule refusing `user` completing `obligation` (None: allowed): issue 14's "the person or agency
    responsible". Partnership admins may complete any step for the partnership."""
    if isinstance(user, SystemActor) or is_partnership_admin(user):
        return None
    if principal(user).is_token:
        return "An API token cannot complete a step of the breach procedure: a person must."
    kind = obligation.kind
    if kind in (ObligationKind.PARTNERS_MEETING, ObligationKind.MINUTES_CIRCULATED):
        return (
            "Only a partnership admin records the partners' meeting and circulates its minutes (the protocol, "
            "sections 6.3 and 6.6)."
        )
    if kind == ObligationKind.NOTIFY_PARTNERS:
        if breach is not None and (user.pk == breach.reported_by_id or speaks_for(user, breach.reporting_agency_id)):
            return None
        return (
            "Only the reporting agency's designated managers, admins, Caldicott guardian or DPO, or the person who "
            "reported the breach, notify the partners (the protocol, section 6.1)."
        )
    if speaks_for(user, obligation.responsible_agency_id):
        return None
    return (
        "Only the designated managers, admins, Caldicott guardian or DPO of the agency responsible can complete "
        "this step."
    )


@register
class BreachPolicy(RefusalPolicy[Breach]):
    model = Breach

    def scope(self, user: Any, action: str) -> Q | None:
        return breach_scope(user)

    def permits(self, user: Any, action: str, obj: Breach | None) -> bool:
        if obj is None and action == "create":
            return may_report(user)
        return super().permits(user, action, obj)

    def reason(self, user: Any, action: str, obj: Breach | None) -> str:
        if obj is None and action == "create":
            return "Only a practitioner, designated manager or admin of a partner agency can report a breach."
        return super().reason(user, action, obj)

    def refusal(self, user: Any, action: str, obj: Breach) -> str | None:
        if action == "schedule_hearing":
            # Putting the breach on a meeting's agenda is running that meeting (breaches.hearing_policy).
            from breaches.hearing_policy import run_refusal

            return run_refusal(user, obj)
        return "You do not have permission to do this."


@register
class ObligationPolicy(RefusalPolicy[Obligation]):
    model = Obligation

    def scope(self, user: Any, action: str) -> Q | None:
        breaches = breach_scope(user)
        if breaches is None:
            return None
        if isinstance(user, SystemActor) or is_partnership_admin(user) or is_partnership_auditor(user):
            return Q()
        scope = Q(breach__in=Breach.objects.filter(breaches).values("pk"))
        # An indemnity notice's answer (Haringey 11.1(b)) is seen by whoever sees the notice.
        from breaches.indemnity_policy import indemnity_scope
        from breaches.models import IndemnityNotice

        notices = indemnity_scope(user)
        if notices is not None:
            scope |= Q(indemnity_notice__in=IndemnityNotice.objects.filter(notices).values("pk"))
        return scope

    def refusal(self, user: Any, action: str, obj: Obligation) -> str | None:
        if action == "complete":
            return obligation_refusal(user, obj, obj.breach)
        return "You do not have permission to do this."
