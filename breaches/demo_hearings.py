"""The partners' meeting about a breach in the demo (issue 14; Haringey 6.3-6.6), idempotent.

* The health trust's breach is in deliberation: the trust presented its report and withdrew, so its Caldicott
  guardian sees the hearing page saying it is withdrawn and is refused the deliberation; notes, a draft warning
  and the council's vote are there for the partnership admin.
* The police's breach is decided and the police told: a suspension from sending sensitive information, in force
  from the day the demo was seeded for 90 days (its officer who tries to disclose sensitive information is refused
  naming the sanction), and retraining for its systems administrator (not a main demo sign-in, so the demo's
  journeys keep their trained people).

The breaches are reported through breach_report by the council's data protection officer, dated a few weeks
back; every step of the meeting is recorded by the demo partnership admin through breaches.services.hearings.
A breach found by its description is taken as far as it should be and no further, so a second run writes
nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency, User
from breaches.models import Breach, Hearing, HearingStage, SanctionKind
from breaches.services import hearings
from breaches.services.breaches import breach_report, breach_report_submit
from isp_portal.demo_context import DemoContext
from protocols.models import IN_FORCE_STATUSES, Protocol, Signature

REPORTER, RUNNER, VOTER = "council_dpo", "partnership_admin", "council"
STAGES = [HearingStage.SCHEDULED, HearingStage.PRESENTED, HearingStage.DELIBERATING, HearingStage.DECIDED,
          HearingStage.TOLD]  # fmt: skip


@dataclass(frozen=True)
class Scene:
    agency: str  # the agency in breach (agencies.demo key)
    presenter: str  # who submits its report (agencies.demo key of one who speaks for it)
    stage: HearingStage
    description: str
    report: str
    notes: str
    sanctions: list[dict[str, Any]] = field(default_factory=list)
    decision: str = ""
    days_ago: int = 20


SCENES = [
    Scene(
        agency="trust",
        presenter="caldicott",
        stage=HearingStage.DELIBERATING,
        description="A discharge summary naming a child and her mother was sent to the wrong GP practice.",
        report="The summary was recalled the same day and the practice confirmed it was deleted. The ward's "
        "address book has been corrected and the staff reminded to check the practice before sending.",
        notes="The partners accept the recall was prompt. The address book fault had been reported before and not "
        "fixed: a formal warning is proposed.",
        sanctions=[{"kind": SanctionKind.FORMAL_WARNING, "reason": "A known fault was left unfixed."}],
        days_ago=18,
    ),
    Scene(
        agency="police",
        presenter="police_admin",
        stage=HearingStage.TOLD,
        description="Sensitive information about a child's family was forwarded to a personal email account.",
        report="The officer's access was reviewed and the email deleted from the personal account. The unit's "
        "systems administrator had not applied the rule that blocks forwarding outside the secure network.",
        notes="Second breach of the kind in a year. The partners agree a suspension from sending sensitive "
        "information while the forwarding rule is fixed, and retraining for the administrator.",
        decision="The police are suspended from sending sensitive information for 90 days, and their systems "
        "administrator must complete the information-sharing training again.",
        days_ago=25,
    ),
]


def _protocol(agency: Agency) -> Protocol | None:
    """The protocol in force that `agency` has signed (the general one first)."""
    signature = (
        Signature.objects.filter(
            agency=agency, withdrawn_at__isnull=True, version__protocol__status__in=IN_FORCE_STATUSES
        )
        .select_related("version__protocol")
        .order_by("version__protocol__kind", "pk")
        .first()
    )
    return signature.version.protocol if signature is not None else None


def _sanctions(scene: Scene, people: dict[str, User]) -> list[dict[str, Any]]:
    if scene.agency != "police":
        return scene.sanctions
    today = timezone.localdate()
    return [
        {"kind": SanctionKind.SUSPENSION_SENSITIVE, "direction": "send", "from_on": today,
         "until_on": today + timedelta(days=90),
         "reason": "Sensitive information was forwarded outside the secure network, the second time in a year."},
        {"kind": SanctionKind.RETRAINING, "users": [people["police_admin"]],
         "reason": "The administrator left the rule blocking forwarding unapplied."},
    ]  # fmt: skip


def _play(scene: Scene, agencies: dict[str, Agency], people: dict[str, User]) -> bool:
    """Take the scene's breach as far as its stage; True when anything was written."""
    agency = agencies[scene.agency]
    breach = Breach.objects.filter(alleged_agency=agency, description=scene.description).first()
    wrote = False
    if breach is None:
        protocol = _protocol(agency)
        if protocol is None:
            return False
        today = timezone.localdate()
        breach = breach_report(
            actor=people[REPORTER],
            protocol=protocol,
            alleged_agency=agency,
            occurred_on=today - timedelta(days=scene.days_ago),
            identified_on=today - timedelta(days=scene.days_ago - 2),
            description=scene.description,
        )
        breach_report_submit(actor=people[scene.presenter], breach=breach, report=scene.report)
        wrote = True
    admin = people[RUNNER]
    hearing = Hearing.objects.filter(breach=breach).first()
    if hearing is None:
        hearing = hearings.hearing_schedule(actor=admin, breach=breach, held_on=timezone.localdate())
        wrote = True
    done = STAGES.index(HearingStage(hearing.stage))
    for stage in STAGES[done + 1 : STAGES.index(scene.stage) + 1]:
        wrote = True
        if stage == HearingStage.PRESENTED:
            hearings.hearing_present(actor=admin, breach=breach)
        elif stage == HearingStage.DELIBERATING:
            hearings.hearing_withdraw(actor=admin, breach=breach)
            hearings.hearing_notes_record(actor=admin, breach=breach, notes=scene.notes)
            for values in _sanctions(scene, people):
                hearings.hearing_sanction_draft(actor=admin, breach=breach, **values)
            hearings.hearing_vote_cast(actor=admin, breach=breach, agency=agencies[VOTER], choice="for")
        elif stage == HearingStage.DECIDED:
            hearings.hearing_decide(actor=admin, breach=breach, decision=scene.decision)
        elif stage == HearingStage.TOLD:
            hearings.hearing_tell(actor=admin, breach=breach)
    return wrote


def seed(demo: DemoContext) -> None:
    agencies: dict[str, Agency] = demo.objects.get("agencies", {})
    people: dict[str, User] = demo.objects.get("people", {})
    needed = {REPORTER, RUNNER, *(scene.presenter for scene in SCENES)}
    if not needed <= set(people) or not {VOTER, *(scene.agency for scene in SCENES)} <= set(agencies):
        return
    if [scene.agency for scene in SCENES if _play(scene, agencies, people)]:
        words = "a meeting in deliberation (the trust withdrawn), a decision told (the police suspended)"
        demo.summary["breaches"] = "; ".join(part for part in (demo.summary.get("breaches", ""), words) if part)
