"""Demo protocols for `manage.py seed_demo`, through the services: a general protocol in force whose first
review is overdue, an individual protocol (Northbridge's own text, on the model values) under it with a
change out to consultation and some responses in, a withdrawn signatory, a meeting arranged
and a partner audit announced."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from agencies.models import Agency, ChecklistConfirmation, SignatoryRequirement, User
from agencies.rules import add_months
from agencies.services import checklist_confirm
from isp_portal.demo_context import DemoContext
from protocols.models import Protocol, ProtocolKind, Signature
from protocols.reference import TEMPLATE_TEXT, protocol_template
from protocols.services import (
    consultation_open,
    consultation_respond,
    consultations_sweep,
    meeting_create,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    review_action_add,
    reviews_sweep,
    signature_sign,
    signature_withdraw,
)

GENERAL_TITLE = "Northbridge General Information Sharing Protocol"
INDIVIDUAL_TITLE = "Northbridge Children and Young People Information Sharing Protocol"
SIGNING = ["council", "police", "trust", "riverside", "yot", "safefamilies", "eastvale"]

GENERAL_TEXT = """NORTHBRIDGE GENERAL INFORMATION SHARING PROTOCOL

1. The partner organisations share personal information lawfully, under the Data Protection Act 2018, the UK GDPR,
the Human Rights Act 1998 and the common law duty of confidence.
2. Each partner remains responsible for the information it holds and keeps an up-to-date registration with the
Information Commissioner.
3. Individual protocols for particular client groups supplement this protocol and follow its principles.
4. This protocol is reviewed six months after its completion date and every year after that, by officers the
Northbridge Partnership Board agrees.
"""

# The general protocol's own sections for the rules the portal cites.
GENERAL_CLAUSES = {"ico_registration": "2", "review": "4"}

# Northbridge's own protocol for children and young people: the model text, made the partnership's.
INDIVIDUAL_TEXT = (
    TEMPLATE_TEXT.replace(
        "INFORMATION SHARING PROTOCOL FOR CHILDREN AND YOUNG PEOPLE",
        "NORTHBRIDGE CHILDREN AND YOUNG PEOPLE INFORMATION SHARING PROTOCOL\n\n"
        "Agreed by the Northbridge Children and Young People's Strategic Partnership Board. It supplements the "
        "Northbridge General Information Sharing Protocol.",
    )
    .replace("the partner organisations", "the Northbridge partner organisations", 1)
    .replace("partnership board", "Northbridge Partnership Board")
)


def _complete_checklists(demo: DemoContext, agencies: dict[str, Agency]) -> None:
    """Signing needs a complete checklist: the signing agencies confirm every requirement."""
    today = timezone.localdate()
    requirements = list(SignatoryRequirement.objects.filter(is_active=True))
    for key in SIGNING:
        agency = agencies[key]
        confirmed = set(ChecklistConfirmation.objects.filter(agency=agency).values_list("requirement_id", flat=True))
        for requirement in requirements:
            if requirement.pk not in confirmed:
                checklist_confirm(
                    actor=demo.actor,
                    agency=agency,
                    requirement=requirement,
                    confirmed_on=today - timedelta(days=15),
                    note="Confirmed at the annual review.",
                )


def seed(demo: DemoContext) -> None:
    if Protocol.objects.filter(title=GENERAL_TITLE).exists():
        demo.summary["protocols"] = "already there"
        return
    agencies: dict[str, Agency] = demo.objects["agencies"]
    people: dict[str, User] = demo.objects["people"]
    today = timezone.localdate()
    template = protocol_template()
    _complete_checklists(demo, agencies)

    general = protocol_create(
        actor=demo.actor,
        title=GENERAL_TITLE,
        kind=ProtocolKind.GENERAL,
        text=GENERAL_TEXT,
        change_note="Agreed by the partnership board",
        **{
            k: v
            for k, v in template.items()
            if k not in {"text", "clauses", "first_review_months", "review_every_months"}
        },
        clauses=GENERAL_CLAUSES,
    )
    # Completed seven months ago: the first review (six months on, Haringey 5.1) is a month overdue.
    protocol_adopt(
        actor=demo.actor, protocol=general, version=general.versions.get(), completion_date=add_months(today, -7)
    )
    individual = protocol_create(
        actor=demo.actor,
        title=INDIVIDUAL_TITLE,
        kind=ProtocolKind.INDIVIDUAL,
        parent=general,
        change_note="Final draft after consultation with the partners",
        **{k: v for k, v in template.items() if k not in {"text", "first_review_months", "review_every_months"}},
        text=INDIVIDUAL_TEXT,
    )
    protocol_adopt(
        actor=demo.actor, protocol=individual, version=individual.versions.get(), completion_date=add_months(today, -2)
    )
    signers = {"council": people["agency_admin"], "police": people["police_admin"], "trust": people["caldicott"]}
    completed = {general.pk: add_months(today, -7), individual.pk: add_months(today, -2)}
    for protocol in (general, individual):
        protocol.refresh_from_db()
        assert protocol.current_version is not None
        for key in SIGNING:
            signature_sign(
                actor=signers.get(key, demo.actor),
                agency=agencies[key],
                version=protocol.current_version,
                signatory_name={"council": "Clive Webster", "police": "Chief Superintendent Anna Greening"}.get(
                    key, "Director"
                ),
                signatory_title="Authorised signatory",
                attestation=f"I sign on behalf of {agencies[key]}, which agrees to abide by this protocol.",
            )
        # The partners signed on paper when the protocol was completed, long before the portal recorded it: an
        # "every signatory" consent names the signatories of the day it was obtained (consent.rules.scope_fixed_at),
        # so the demo's consents of the last months must find them already signed. signature_sign stamps "now", as
        # a signature made in the portal must; only the demo's history is moved back.
        signed_on = datetime.combine(completed[protocol.pk], time(9), tzinfo=timezone.get_current_timezone())
        Signature.objects.filter(protocol=protocol).update(signed_at=signed_on)
    # Eastvale has withdrawn from the individual protocol: it no longer shares under it.
    withdrawn = individual.signatures.get(agency=agencies["eastvale"])
    signature_withdraw(
        actor=demo.actor, signature=withdrawn, reason="Eastvale now shares under its own borough's protocol."
    )

    # A change out for consultation: faster responses to requests, one more purpose.
    version = protocol_version_create(
        actor=demo.actor,
        protocol=individual,
        text=INDIVIDUAL_TEXT,
        change_note="Requests answered within 5 working days instead of 10; adds early help assessments as a purpose.",
        response_working_days=5,
        permitted_purposes=[*template["permitted_purposes"], "Early help assessments (Common Assessment Framework)"],
    )
    consultation = consultation_open(actor=demo.actor, protocol=individual, version=version, working_days=20)
    consultation_respond(
        actor=people["agency_admin"], consultation=consultation, agency=agencies["council"], response="agree"
    )
    consultation_respond(
        actor=people["police_admin"],
        consultation=consultation,
        agency=agencies["police"],
        response="object",
        comment="Five working days is too short for s29 checks; we propose seven.",
    )

    meeting_create(
        actor=demo.actor,
        title="Children and Young People's Strategic Partnership Board",
        held_on=today + timedelta(days=14),
        location="Civic Centre, Committee Room 2",
        attendee_agencies=[agencies[key] for key in ("council", "police", "trust", "yot")],
        agenda=[
            ("Apologies and minutes of the last meeting", None),
            ("Information sharing protocol: consultation on version 2", None),
            ("Annual needs assessment dataset", None),
        ],
    )
    protocol_audit_create(
        actor=people["police_admin"],
        protocol=general,
        auditing_agency=agencies["police"],
        scope="How partners record the grounds for sharing without consent, and whether a designated manager "
        "agreed each decision (section 4.3 of the Northbridge Children and Young People Information Sharing "
        "Protocol).",
        notice_given_on=today,
        starts_on=add_months(today, 1) + timedelta(days=1),
        responses_due_on=add_months(today, 3),
    )
    # An action already agreed for the overdue review's implementation plan, owned by the council: its
    # admins may update it, its practitioners only read it.
    review_action_add(
        actor=demo.actor,
        review=general.reviews.get(number=1),
        description="Reissue the consent leaflet for young people aged 13 to 17 in plain English.",
        owner_agency=agencies["council"],
        due_on=today + timedelta(days=30),
    )
    # Raise today's reminders now (beat's sweep would): the overdue review, the consultation circulated.
    consultations_sweep(today=today)
    reviews_sweep(today=today)
    demo.summary["protocols"] = "2 protocols, a consultation open, a review overdue"
