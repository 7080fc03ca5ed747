"""The indemnity notices of the demo partnership (issue 14; Haringey 11.1): the hospital trust's Caldicott guardian
notifies the police of a claim, and the police answer; the school notifies the trust, whose answer is awaited. The
council is told of both (it is party to neither). Sent through the services, as people of the agencies (a notice and
its answer are a person's written acts). Idempotent: seeded once."""

from __future__ import annotations

from agencies.models import Agency, User
from breaches.models import Breach, IndemnityNotice
from breaches.services.indemnity import indemnity_notice_respond, indemnity_notice_send
from isp_portal.demo_context import DemoContext
from protocols.models import Protocol

GENERAL_TITLE = "Northbridge General Information Sharing Protocol"


def seed(demo: DemoContext) -> None:
    if IndemnityNotice.objects.exists():
        return
    protocol = Protocol.objects.filter(title=GENERAL_TITLE).first()
    agencies: dict[str, Agency] = demo.objects.get("agencies", {})
    people: dict[str, User] = demo.objects.get("people", {})
    if protocol is None or not {"trust", "police", "riverside"} <= set(agencies):
        return
    # The breach the first claim arises from, when the demo has one alleged against the police.
    breach = Breach.objects.filter(protocol=protocol, alleged_agency=agencies["police"]).order_by("pk").first()
    answered = indemnity_notice_send(
        actor=people["caldicott"],
        protocol=protocol,
        contributor_agency=agencies["police"],
        breach=breach,
        details=(
            "A mother has brought a claim against the trust: her son's referral, sent to the police under the "
            "protocol, was forwarded to his school with his health history attached. The claim says the trust is "
            "liable for the disclosure. Our investigation points to the onward forwarding. The claimant's letter, "
            "our disclosure log and the referral are held by our information governance team."
        ),
    )
    indemnity_notice_respond(
        actor=people["police_manager"],
        notice=answered,
        response=(
            "We accept that an officer forwarded the referral with its attachments. We will co-operate fully, share "
            "our own investigation within ten working days and agree the reply to the claimant with you."
        ),
    )
    indemnity_notice_send(
        actor=people["school_head"],
        protocol=protocol,
        contributor_agency=agencies["trust"],
        details=(
            "A family has complained to the school and threatened a claim after a letter from the trust about a "
            "pupil's clinic appointment was delivered to the school office unsealed. Copies of the letter and the "
            "complaint are with our business manager."
        ),
    )
