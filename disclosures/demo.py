"""Demo requests and disclosures for `manage.py seed_demo` (design12 8), made through disclosures.services by the demo
people, so the rules, the policy, the disclosure log and the audit trail apply as they do on the pages.

What a visitor should meet: Riverside Primary School's designated safeguarding lead asking children's social care
about children it worries about, one request in each state - waiting for an answer (the parent refused consent:
ready for the social worker to answer on significant harm), waiting for the designated manager's approval, shared,
declined, withdrawn and expired; an emergency disclosure by the social worker to the school, waiting for the
designated manager's review (due by the end of the next working day); and a proactive referral from the school to
children's social care.

This app comes after sharing in INSTALLED_APPS, so the children and their records exist. Nothing is written when
any request is already there, or in a database without the demo partnership.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agencies.models import Agency, User
from disclosures import rules
from disclosures.models import Disclosure, DisclosureEntry, InformationRequest, OnwardRequest
from disclosures.services import (
    DecisionInput,
    checks,
    disclosure_emergency,
    disclosure_refer,
    request_answer_decline,
    request_answer_share,
    request_approve,
    request_submit,
    request_withdraw,
)
from disclosures.services.sweeps import expires_on, requests_expire
from isp_portal.demo_context import DemoContext
from protocols.models import ProtocolVersion
from sharing.models import Child, RecordEntry
from sharing.services.children import age_scope_error

# The demo people (agencies.demo.PEOPLE keys) and agencies (agencies.demo.AGENCIES keys) the story is told with.
ASKER, ANSWERER, MANAGER = "school_dsl", "practitioner", "designated_manager"
SCHOOL, SOCIAL_CARE = "riverside", "council"
# What children's social care holds that the school asks for (design12 F6: both within "Case notes").
CATEGORIES = ("case_note", "concern")
# Why the school asks (WYCPS: need to know), one per child.
NEEDS = [
    "The child told their teacher they are frightened to go home; we need to know whether social care is involved.",
    "The child has come to school with unexplained bruises twice this month.",
    "The child's attendance has fallen sharply and a parent said the family is in crisis.",
    "The child said an adult at home hurts their mother.",
    "The child has been collected by an adult the school does not know.",
    "The child has lost weight and is often hungry at school.",
]
HARM = DecisionInput(
    is_confidential=True,
    public_interest="The child's safety outweighs the parent's wish for confidentiality.",
    proportionality="Only the most recent case note is shared, with the school's safeguarding lead alone.",
    why_shared="The school sees the child every day and must know the risk to keep the child safe.",
    why_without_consent=(
        "The parent refused; seeking agreement again would put the child at risk of significant harm."
    ),
)
NOT_TOLD = "Telling the parent would put the child at risk of significant harm."


def _candidates(
    social_care: Agency, version: ProtocolVersion, limit: int, categories: tuple[str, ...] = CATEGORIES
) -> list[tuple[Child, RecordEntry]]:
    """Children with an open record in the protocol's age scope, each with an unrestricted case note or concern of
    children's social care (what the school may be given without special authorisation) that nobody was given yet,
    oldest record first."""
    found: list[tuple[Child, RecordEntry]] = []
    entries = (
        RecordEntry.objects.filter(
            agency=social_care,
            category__in=categories,
            is_restricted=False,
            child__merged_into__isnull=True,
            child__closed_on__isnull=True,
            child__is_shielded=False,
        )
        .exclude(pk__in=DisclosureEntry.objects.values("entry_id"))
        .select_related("child")
        .order_by("child_id", "pk")
    )
    seen: set[int] = set()
    for entry in entries:
        child = entry.child
        if child.pk in seen or entry.revisions.filter(is_restricted=True).exists():
            continue
        seen.add(child.pk)
        if age_scope_error(
            version, child.born_on, additional_needs=child.has_additional_needs, care_leaver=child.is_care_leaver
        ):
            continue
        found.append((child, entry))
        if len(found) == limit:
            break
    return found


def seed(demo: DemoContext) -> None:
    """Issue 12's requests (skipped when any request exists), then issue 13's three scenes (skipped when any onward
    request exists), so a database seeded before issue 13 gains the scenes and a second run writes nothing."""
    requests_there, onward_there = InformationRequest.objects.exists(), OnwardRequest.objects.exists()
    if requests_there and onward_there:
        demo.summary["disclosures"] = "already there"
        return
    agencies: dict[str, Agency] = demo.objects.get("agencies", {})
    people: dict[str, User] = demo.objects.get("people", {})
    if SCHOOL not in agencies or SOCIAL_CARE not in agencies or not {ASKER, ANSWERER, MANAGER} <= set(people):
        demo.summary["disclosures"] = "no demo partnership: nothing to do"
        return
    school, social_care = agencies[SCHOOL], agencies[SOCIAL_CARE]
    asker, answerer, manager = people[ASKER], people[ANSWERER], people[MANAGER]
    version = checks.shared_version(school, social_care)
    if version is None or not version.permitted_purposes:
        demo.summary["disclosures"] = "the school and children's social care share no protocol: nothing to do"
        return
    purpose = version.permitted_purposes[0]
    cases = _candidates(social_care, version, len(NEEDS))
    if not cases:
        demo.summary["disclosures"] = "no child with a case note of children's social care: nothing to do"
        return

    def case(index: int) -> tuple[Child, RecordEntry]:
        return cases[index % len(cases)]  # a child may be asked about more than once

    def ask(index: int, **values: object) -> InformationRequest:
        child, entry = case(index)
        terms: dict[str, object] = {
            "holding_agency": social_care, "purpose": purpose, "tiers": ["minimum", "sensitive"],
            "categories": [entry.category], "need_to_know": NEEDS[index], "consent_basis": rules.ConsentBasis.REFUSED,
            "override_ground": rules.LegalBasis.SIGNIFICANT_HARM, "urgency": rules.Urgency.URGENT,
        }  # fmt: skip
        terms.update(values)
        return request_submit(actor=asker, child=child, **terms)  # type: ignore[arg-type]

    def share(index: int, request: InformationRequest) -> InformationRequest:
        answered = request_answer_share(
            actor=answerer, request=request, entries=[case(index)[1]], legal_basis=rules.LegalBasis.SIGNIFICANT_HARM,
            decision=HARM, subject_told=rules.SubjectTold.NOT_SAFE, subject_not_told_reason=NOT_TOLD,
            recipients=[asker], onward_terms="Keep it on the child's safeguarding file; share no further.",
        )  # fmt: skip
        assert isinstance(answered, InformationRequest)  # detailed and sensitive without consent: approval waits
        return answered

    if not requests_there:
        # Expired first, while it is the only request waiting: the expiry is run as the deadline sweep would run it a
        # further response time after the due date (design12 F8), as sharing.demo runs an erasure on its due day.
        expiring = ask(5, tiers=["minimum"], categories=[], urgency=rules.Urgency.ROUTINE)
        assert expiring.due_on is not None
        requests_expire(
            now=timezone.now(), today=expires_on(expiring.due_on, version.response_working_days) + timedelta(days=1)
        )
        # Waiting for the designated manager: the social worker answered "share" without consent (Haringey 4.6).
        share(1, ask(1))
        # Shared: answered by the social worker, approved by the designated manager, the disclosure made.
        request_approve(actor=manager, request=share(2, ask(2)), note="Proportionate: the school needs to know today.")
        # Declined, with its reason (Buckinghamshire 5).
        request_answer_decline(
            actor=answerer, request=ask(3), reason=rules.DeclineReason.NOT_PROPORTIONATE,
            detail="The school's concern is already being assessed; our case notes would add nothing it needs now.",
        )  # fmt: skip
        # Withdrawn by the school.
        request_withdraw(
            actor=asker, request=ask(4), reason="The child's social worker called the school and explained."
        )
        # Waiting for an answer: the parent refused consent; the social worker answers on significant harm.
        ask(0, urgency=rules.Urgency.URGENT)
        # An emergency disclosure by the social worker, waiting for the designated manager's review.
        child, entry = case(0)
        disclosure_emergency(
            actor=answerer, child=child, to_agency=school, recipients=[asker],
            reason=rules.EmergencyReason.IMMEDIATE_RISK_OF_HARM, legal_basis=rules.LegalBasis.SIGNIFICANT_HARM,
            decision=HARM, purpose=purpose, tiers=["minimum", "sensitive"], categories=[entry.category],
            entries=[entry],
            why=(
                "A parent's partner with a history of violence has moved back in: the school must not release the "
                "child to him."
            ),
        )  # fmt: skip
        # A proactive referral from the school: the child's details, so social care can open an assessment.
        disclosure_refer(
            actor=asker, child=case(1)[0], to_agency=social_care, recipients=[answerer], purpose=purpose,
            tiers=["minimum"], why="The child disclosed at school that they are hit at home.",
            consent_basis=rules.ConsentBasis.NOT_SOUGHT, not_sought_reason=rules.NotSoughtReason.SIGNIFICANT_HARM,
            legal_basis=rules.LegalBasis.SIGNIFICANT_HARM,
            decision=DecisionInput(
                is_confidential=True, public_interest="The child's safety comes first.",
                proportionality="Only the child's details go to the duty team.",
                why_shared="Children's social care must assess the risk today.",
                why_without_consent="Asking the parent would put the child at risk of significant harm.",
            ),
            subject_told=rules.SubjectTold.NOT_SAFE, subject_not_told_reason=NOT_TOLD,
        )  # fmt: skip
        states = sorted(set(InformationRequest.objects.values_list("state", flat=True)))
        demo.summary["disclosures"] = (
            f"{InformationRequest.objects.count()} requests ({', '.join(states)}), an emergency disclosure to review, "
            "a proactive referral"
        )
    if not onward_there:
        _after_disclosure(demo, school, social_care, version, purpose)


# Issue 13's cast (agencies.demo.PEOPLE keys): the trust's trained health visitor receives what the school passes on;
# the school's headteacher and the council's designated manager are the line managers and heads of service a dispute
# goes to; the council's and the school's data protection officers advise at stage 2 (Southampton 13).
HEALTH, HEALTH_VISITOR, SCHOOL_HEAD, COUNCIL_DPO = "trust", "trust_health_visitor", "school_head", "council_dpo"
ONWARD_NEED = "The health visitor sees the child at home each week and must know the risk there."


def _after_disclosure(
    demo: DemoContext, school: Agency, social_care: Agency, version: ProtocolVersion, purpose: str
) -> None:
    """Issue 13's three scenes (docs/after-disclosure-design.md 10), through the services, by the demo people:
    (1) a case note disclosed to the school, which asks to pass it on to the trust's health visitor: waiting for the
    council's designated manager (Southampton 10); (2) a second case note disclosed to the school and, with the
    council's agreement, passed on to the health visitor, then corrected by the council: notices waiting for the
    school and the trust (Southampton 9); (3) a school request declined by the council, disputed, the line managers'
    positions differing, escalated to the heads of service, the council's advice recorded and the school's waiting
    (Southampton 13)."""
    from disclosures.services.disputes import (
        dispute_advice_record,
        dispute_escalate,
        dispute_open,
        dispute_position_record,
    )
    from disclosures.services.onward import onward_request_agree, onward_request_disclose, onward_request_submit
    from sharing.services.entries import entry_revise

    agencies: dict[str, Agency] = demo.objects.get("agencies", {})
    people: dict[str, User] = demo.objects.get("people", {})
    cast = {ASKER, ANSWERER, MANAGER, HEALTH_VISITOR, SCHOOL_HEAD, COUNCIL_DPO}
    notes = _candidates(social_care, version, 3, categories=("case_note",))
    if HEALTH not in agencies or not cast <= set(people) or len(notes) < 3:
        demo.summary["disclosures"] = demo.summary.get("disclosures", "") + "; no cast for issue 13's scenes"
        return
    trust = agencies[HEALTH]
    asker, answerer, manager = people[ASKER], people[ANSWERER], people[MANAGER]

    def ask(child: Child, need: str) -> InformationRequest:
        return request_submit(
            actor=asker, child=child, holding_agency=social_care, purpose=purpose, tiers=["minimum", "sensitive"],
            categories=["case_note"], need_to_know=need, consent_basis=rules.ConsentBasis.REFUSED,
            override_ground=rules.LegalBasis.SIGNIFICANT_HARM, urgency=rules.Urgency.URGENT,
        )  # fmt: skip

    def disclosed(child: Child, entry: RecordEntry, need: str) -> Disclosure:
        request = request_answer_share(
            actor=answerer, request=ask(child, need), entries=[entry], legal_basis=rules.LegalBasis.SIGNIFICANT_HARM,
            decision=HARM, subject_told=rules.SubjectTold.NOT_SAFE, subject_not_told_reason=NOT_TOLD,
            recipients=[asker], onward_terms="Ask us before passing it on to anyone else.",
        )  # fmt: skip
        assert isinstance(request, InformationRequest)
        request_approve(actor=manager, request=request, note="Proportionate: the school must know.")
        made = Disclosure.objects.get(request=request)
        return made

    def pass_on(parent: Disclosure, entry: RecordEntry) -> OnwardRequest:
        return onward_request_submit(
            actor=asker, parent=parent, entries=[entry], to_agency=trust, purpose=purpose, tiers=["sensitive"],
            categories=["case_note"], need_to_know=ONWARD_NEED, consent_basis=rules.ConsentBasis.REFUSED,
            override_ground=rules.LegalBasis.SIGNIFICANT_HARM, legal_basis=rules.LegalBasis.SIGNIFICANT_HARM,
        )  # fmt: skip

    # (1) Waiting for the council's designated manager to agree (or not) to the case note being passed on.
    child, entry = notes[0]
    pass_on(disclosed(child, entry, "The child is frightened of an adult who has moved into the home."), entry)
    # (2) Passed on with the council's agreement, then corrected by the council: both receivers are told.
    child, entry = notes[1]
    parent = disclosed(child, entry, "The child has missed three health appointments and seems unwell at school.")
    onward = onward_request_agree(
        actor=manager, onward=pass_on(parent, entry), conditions="Only to the named health visitor."
    )
    onward_request_disclose(
        actor=asker, onward=onward, recipients=[people[HEALTH_VISITOR]], subject_told=rules.SubjectTold.NOT_SAFE,
        subject_not_told_reason=NOT_TOLD, why_shared="The health visitor must know to keep the child safe at home.",
        proportionality="Only the case note about the missed appointments is passed on.",
        public_interest=HARM.public_interest, why_without_consent=HARM.why_without_consent,
    )  # fmt: skip
    entry_revise(
        actor=answerer, entry=entry, fields={}, basis="fact",
        text="Home visit: the child was seen with their mother; two of the three appointments were rearranged.",
        reason="The note said three appointments were missed: two had been rearranged by the surgery.",
    )  # fmt: skip
    # (3) A school request declined by the council, disputed by the school (Southampton 13).
    child, _entry = notes[2]
    declined = request_answer_decline(
        actor=answerer, request=ask(child, "The child says they are left alone overnight."),
        reason=rules.DeclineReason.NOT_PROPORTIONATE,
        detail="The family is already being assessed; the school's concern is part of the assessment.",
    )  # fmt: skip
    dispute = dispute_open(
        actor=asker, request=declined,
        grounds="The school must know whether the child is safe at home to keep them safe at school.",
    )  # fmt: skip
    dispute_position_record(
        actor=people[SCHOOL_HEAD], dispute=dispute, position=rules.Position.SHARE,
        note="The school sees the child every day and cannot keep them safe without knowing.",
    )  # fmt: skip
    dispute_position_record(
        actor=manager, dispute=dispute, position=rules.Position.NOT_SHARE,
        note="The assessment is under way; sharing the case notes now would add nothing the school needs.",
    )  # fmt: skip
    dispute = dispute_escalate(actor=people[SCHOOL_HEAD], dispute=dispute, reason="We could not agree at stage 1.")
    dispute_advice_record(
        actor=people[COUNCIL_DPO], dispute=dispute,
        advice="Sharing the minimum would be lawful on significant harm; the assessment is no reason to withhold.",
    )  # fmt: skip
    done = "an onward request to decide, a correction to acknowledge, a dispute at stage 2"
    summary = demo.summary.get("disclosures")
    demo.summary["disclosures"] = f"{summary}; {done}" if summary else done
