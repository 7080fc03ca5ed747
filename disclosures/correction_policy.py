"""Who may see and act on corrections, correction notices and inaccuracy reports (issue 13; Southampton 9;
docs/after-disclosure-design.md 5).

* **A correction** is seen by the originator's practitioners and designated managers (their index agencies) and by
  the practitioners and designated managers of every agency it was told to (a notice of it); auditors see its
  metadata (an agency auditor: corrections by or told to their agencies).
* **A notice** is seen by its agency's practitioners and designated managers and by the originator's; auditors
  likewise. It is **acknowledged** by a practitioner or designated manager of its own agency - a person, while it
  is pending (Southampton 9: each recipient confirms the corrective action it took). Another agency's notice is
  out of scope for acknowledging (404); an auditor's is in scope but refused (403).
* **An inaccuracy report** is seen by the reporting agency and the originator (practitioners and designated
  managers) and by auditors (metadata). **Agree** (correct the entry) is for a practitioner or designated manager
  of the originator who may correct the entry (sharing.policy RecordEntryPolicy `revise`); **reject** for a
  designated manager of the originator; **withdraw** for the person who reported it. Each while it is open.

API tokens reach none of these (design Q15: acknowledgements and decisions are people's). Out of scope answers
404, in scope but not allowed 403 with the rule that refused it (isp_portal.policy).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.policy import audited_agencies, is_auditor, is_designated_manager
from disclosures import rules
from disclosures.models import Correction, CorrectionNotice, InaccuracyReport
from isp_portal.policy import RefusalPolicy, SystemActor, can, register
from isp_portal.wording import long_date
from sharing.policy import index_agencies

CORRECTION_ACTIONS = frozenset({"view"})
NOTICE_ACTIONS = frozenset({"view", "acknowledge"})
REPORT_ACTIONS = frozenset({"view", "agree", "reject", "withdraw"})
NOT_A_PERSON = "Only a person can do this: an API token cannot."


def _person(user: Any) -> bool:
    return not getattr(user, "is_system", False)


def _audited(user: Any, *fields: str) -> Q | None:
    """What an auditor reads the metadata of: everything for a partnership auditor (Q()), else the rows where one of
    `fields` is an agency they audit; None for anyone else."""
    if not is_auditor(user):
        return None
    agencies = audited_agencies(user)
    if agencies is None:
        return Q()
    condition = Q(pk__in=[])
    for field in fields:
        condition |= Q(**{f"{field}__in": agencies})
    return condition


def _or(*conditions: Q | None) -> Q | None:
    present = [condition for condition in conditions if condition is not None]
    if not present:
        return None
    if any(not condition for condition in present):  # Q() reaches everything: `Q() | x` would narrow it to x
        return Q()
    combined = present[0]
    for condition in present[1:]:
        combined |= condition
    return combined


def acknowledged_refusal(notice: CorrectionNotice) -> str | None:
    """Why a notice cannot be acknowledged again (None when pending): it is acknowledged once (the database holds
    this too: trigger correction_notice_ack_once). The API answers it as a 409."""
    if notice.acknowledged_at is None:
        return None
    return (
        f"This correction was already acknowledged by {notice.acknowledged_by} on {long_date(notice.acknowledged_at)}."
    )


REPORTER_ONLY = (
    "Only the people of the agency a disclosure was made to can report that what they received is inaccurate."
)


def reporter_refusal(user: Any, to_agency_id: int) -> str | None:
    """Why `user` may not report an inaccuracy in what a disclosure to `to_agency_id` carried (None when they may,
    having been allowed to read its content): a person of the receiving agency (Southampton 9: the recipient
    advises the originator), never the originator itself. The one rule of the report page and the service."""
    if not _person(user) or to_agency_id not in index_agencies(user):
        return REPORTER_ONLY
    return None


def reads_report_content(user: Any, report: InaccuracyReport) -> bool:
    """Whether `user` reads what an inaccuracy report says (what is wrong, what it should say, why it was not
    corrected) as well as its metadata: the system and the people of the reporting agency and the originator (their
    index agencies). An auditor reads its who, when, which agencies and state only (DESIGN 2.6; break13e F13)."""
    if isinstance(user, SystemActor):
        return True
    mine = index_agencies(user)
    return report.reporter_agency_id in mine or report.originator_agency_id in mine


def reads_notice_content(user: Any, notice: CorrectionNotice) -> bool:
    """Whether `user` reads what the agency told said it did about a correction (its action taken): the system and
    the people of that agency and of the originator. An auditor reads who acknowledged it and when only (DESIGN
    2.6; break13e F13)."""
    if isinstance(user, SystemActor):
        return True
    mine = index_agencies(user)
    return notice.agency_id in mine or notice.correction.originator_agency_id in mine


@register
class CorrectionPolicy(RefusalPolicy[Correction]):
    model = Correction

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in CORRECTION_ACTIONS or not _person(user):
            return None
        mine = index_agencies(user)
        own = (
            Q(originator_agency_id__in=mine)
            | Q(pk__in=CorrectionNotice.objects.filter(agency_id__in=mine).values("correction_id"))
            if mine
            else None
        )
        audited = _audited(user, "originator_agency_id", "notices__agency_id")
        return _or(own, audited)

    def in_scope(self, user: Any, obj: Correction) -> bool:
        if isinstance(user, SystemActor):
            return True
        condition = self.scope(user, "view")
        return condition is not None and Correction.objects.filter(condition, pk=obj.pk).exists()

    def refusal(self, user: Any, action: str, obj: Correction) -> str | None:
        return None if action == "view" else "You do not have permission to do this."


@register
class CorrectionNoticePolicy(RefusalPolicy[CorrectionNotice]):
    model = CorrectionNotice

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in NOTICE_ACTIONS or not _person(user):
            return None
        mine = index_agencies(user)
        own: Q | None = None
        if mine:
            own = Q(agency_id__in=mine)
            if action == "view":
                # The originator follows who acknowledged its correction; only the notice's agency acknowledges it.
                own |= Q(correction__originator_agency_id__in=mine)
        return _or(own, _audited(user, "agency_id", "correction__originator_agency_id"))

    def in_scope(self, user: Any, obj: CorrectionNotice) -> bool:
        if isinstance(user, SystemActor):
            return True
        condition = self.scope(user, "view")
        return condition is not None and CorrectionNotice.objects.filter(condition, pk=obj.pk).exists()

    def refusal(self, user: Any, action: str, obj: CorrectionNotice) -> str | None:
        if action == "view":
            return None
        if action == "acknowledge":
            if obj.agency_id not in index_agencies(user):
                return "Only a practitioner or designated manager of the agency told of a correction acknowledges it."
            return acknowledged_refusal(obj)
        return "You do not have permission to do this."


@register
class InaccuracyReportPolicy(RefusalPolicy[InaccuracyReport]):
    model = InaccuracyReport

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in REPORT_ACTIONS or not _person(user):
            return None
        mine = index_agencies(user)
        own = Q(reporter_agency_id__in=mine) | Q(originator_agency_id__in=mine) if mine else None
        return _or(own, _audited(user, "reporter_agency_id", "originator_agency_id"))

    def in_scope(self, user: Any, obj: InaccuracyReport) -> bool:
        if isinstance(user, SystemActor):
            return True
        condition = self.scope(user, "view")
        return condition is not None and InaccuracyReport.objects.filter(condition, pk=obj.pk).exists()

    def refusal(self, user: Any, action: str, obj: InaccuracyReport) -> str | None:
        if action == "view":
            return None
        state = rules.InaccuracyState(obj.state)
        originator = obj.originator_agency_id in index_agencies(user)
        if action == "agree":
            if not originator or not can(user, "revise", obj.entry):
                return "Only a practitioner or designated manager of the agency that recorded the entry can correct it."
            return rules.inaccuracy_transition_refusal(state, rules.InaccuracyState.CORRECTED)
        if action == "reject":
            if not originator or not is_designated_manager(user, obj.originator_agency_id):
                return "Only a designated manager of the agency that recorded the entry can decide not to correct it."
            return rules.inaccuracy_transition_refusal(state, rules.InaccuracyState.REJECTED)
        if action == "withdraw":
            if obj.reporter_id != user.pk:
                return "Only the person who reported it can withdraw a report."
            return rules.inaccuracy_transition_refusal(state, rules.InaccuracyState.WITHDRAWN)
        return "You do not have permission to do this."
