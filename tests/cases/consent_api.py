"""Rows for the consent API (issue 11): a child's consents listed and recorded, one consent read, as FHIR,
withdrawn, reviewed, its evidence attached and downloaded.

The World of the children API (tests.cases.sharing_api): each row's child is new, recorded by home's practitioner,
so home is the one agency involved with it. Home's practitioner and designated manager record and read its
consents; the police officer ("other_agency") sees the child in the index but is not involved: 403 on the
child's consents, 404 on a consent (out of their scope). Auditors read (the partnership auditor: every consent)
and never record. No API token scope reaches consents: every token is refused for its scopes (403) on the
child's consents, and a consent is out of a token's scope (404) or refused for its scopes on a write (403)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consent.models import ConsentRecord
from consent.services import consent_evidence_attach, consent_record
from tests.cases.sharing_api import READ, planted_child
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.pdf_samples import one_page_pdf
from tests.protocol_fixtures import protocol_in_force
from tests.sharing.fixtures import PURPOSE, fresh

TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}


def planted_consent(world: World) -> ConsentRecord:
    """The consent of a new 14-year-old child (born 2012), assessed competent, to share the minimum data with
    the other agency, recorded by home's practitioner."""
    child = planted_child(world)
    today = timezone.localdate()
    return consent_record(
        actor=fresh(world.users["practitioner"]),
        child=child,
        given_by="child",
        competence="competent",
        assessed_on=today,
        assessor_name="Sam Assessor",
        form="explicit_written",
        decision="given",
        protocol=protocol_in_force(world),
        purposes=[PURPOSE],
        tiers=["minimum"],
        recipients=[world.other],
        obtained_on=today,
    )


def child(world: World) -> dict[str, Any]:
    return {"pk": planted_child(world).pk}


def child_with_consent(world: World) -> dict[str, Any]:
    return {"pk": planted_consent(world).child_id}


def consent(world: World) -> dict[str, Any]:
    return {"pk": planted_consent(world).pk}


def consent_with_evidence(world: World) -> dict[str, Any]:
    made = planted_consent(world)
    consent_evidence_attach(
        actor=fresh(world.users["practitioner"]),
        consent=made,
        upload=SimpleUploadedFile("signed.pdf", one_page_pdf()),
        filename="signed.pdf",
    )
    return {"pk": made.pk}


def consent_body(world: World) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    return {
        "given_by": "child",
        "competence": "competent",
        "assessed_on": today,
        "assessor_name": "Sam Assessor",
        "form": "explicit_verbal",
        "decision": "refused",
        "protocol": protocol_in_force(world).pk,
        "purposes": [PURPOSE],
        "tiers": ["minimum", "sensitive"],
        "all_signatories": True,
        "obtained_on": today,
    }


def withdraw_body(world: World) -> dict[str, Any]:
    return {"withdrawn_on": timezone.localdate().isoformat(), "reason": "The young person changed their mind"}


def review_body(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "reviewed_on": today.isoformat(),
        "note": "Still what the young person wants",
        "next_review_on": date(today.year + 1, 1, 1).isoformat(),
    }


def evidence_body(world: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("consent-form.pdf", one_page_pdf(), content_type="application/pdf")}


def table(default: int, **overrides: int) -> dict[str, int]:
    overrides.setdefault("suspended", default)
    overrides.setdefault("untrained_partnership_admin", default)
    return api_signed_in(default, **overrides)


HOME = {"practitioner": 200, "designated_manager": 200}

CASES = [
    Case(
        "api-child-consents",
        table(404, **HOME, auditor=200, other_agency=403, partnership_admin=403, **TOKENS_REFUSED),
        kwargs=child_with_consent,
        headers=READ,
        # The consents with their withdrawal, protocol, version, agency and evidence in one statement; their
        # recipients and reviews in one each; every decision of the child and their recipients, to read each
        # among them (consent.selectors.child_readings).
        queries=10,
        note="home's child, with a consent",
    ),
    Case(
        "api-child-consents",
        table(
            404,
            practitioner=201,
            designated_manager=201,
            auditor=403,
            other_agency=403,
            partnership_admin=403,
            **TOKENS_REFUSED,
        ),
        method="post",
        kwargs=child,
        data=consent_body,
        json=True,
        # The child read, then locked; who may record asked before the body is read and again on the locked
        # child (the involvement); the protocol, the child's history of competence assessments (one statement:
        # consent.services._decisions_recorded), the insert, its recipients, the audit event, the record read back
        # and read among the child's decisions (two statements: consent.selectors.record_reading).
        queries=19,
        note="the child's own refusal",
    ),
    Case(
        "api-consent-detail",
        table(404, **HOME, auditor=200),
        kwargs=consent,
        headers=READ,
        # The record, its read recorded; read among the child's decisions (consent.selectors.record_reading: two).
        queries=8,
    ),
    Case("api-consent-fhir", table(404, **HOME, auditor=200), kwargs=consent, headers=READ, queries=8),
    Case(
        "api-consent-evidence",
        table(404, **HOME, auditor=200),
        kwargs=consent_with_evidence,
        headers=READ,
        note="the evidence file, every opening audited with its purpose",
        # The evidence with its consent and child; the scope (involvement) and the policy's check; the audit event.
        queries=5,
    ),
    Case(
        "api-consent-withdraw",
        table(404, **HOME, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=consent,
        data=withdraw_body,
        json=True,
        headers=READ,
        # The consent read through the scope and checked (involvement, withdrawal), then locked and checked again
        # in the service's transaction; the withdrawal, the audit event, the record read back and its read recorded
        # with the purpose, and read among the child's decisions (two).
        queries=22,
    ),
    Case(
        "api-consent-review",
        table(404, **HOME, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=consent,
        data=review_body,
        json=True,
        headers=READ,
        # The record read back is a read of it: recorded with the purpose (one statement more than the write), and
        # read among the child's decisions (two).
        queries=18,
    ),
    Case(
        "api-consent-evidence",
        table(404, practitioner=201, designated_manager=201, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=consent,
        data=evidence_body,
        headers=READ,
        # The record read back, as after a review.
        queries=18,
    ),
]
