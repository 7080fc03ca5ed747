"""Rows for the consent pages (issue 11): a child's consent summary, the journey that records a decision, one
consent with its withdrawal, review, evidence and FHIR form.

Each row's consent is new (tests.cases.consent_api.planted_consent: a 14-year-old's own consent, assessed
competent, recorded by home's practitioner), so home is the one agency involved with the child. Home's
practitioner and designated manager read and record; a page that shows the child's consents asks their purpose
first (200, the question) and a form shows no more than the index number before it. The police officer
("other_agency") sees the child in the index but is not involved: 403 on the child's consent pages, 404 on a
consent (out of their scope). Auditors read the summary and a consent (their purpose is the audit) and never
record: 404 on the journey (they do not use the index), 403 on a consent's actions. The partnership admin reaches
the child (to merge duplicates) but not its consents (403); everyone else is out of scope (404). HTML pages send
anonymous and token callers to sign in."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consent.services import consent_evidence_attach
from tests.cases.consent_api import planted_consent
from tests.cases.sharing_api import planted_child
from tests.factories import World
from tests.matrix import Case, only
from tests.pdf_samples import one_page_pdf
from tests.sharing.fixtures import PURPOSE, fresh


def html(statuses: dict[str, int], *, otherwise: int) -> dict[str, int]:
    return only(
        {"suspended": otherwise, "untrained_partnership_admin": otherwise, **statuses},
        otherwise=otherwise,
        anonymous=302,
        token=302,
    )


def child(world: World) -> dict[str, Any]:
    return {"pk": planted_child(world).pk}


def child_with_consent(world: World) -> dict[str, Any]:
    return {"pk": planted_consent(world).child_id}


def consent(world: World) -> dict[str, Any]:
    made = planted_consent(world)
    return {"pk": made.child_id, "consent_pk": made.pk}


def consent_with_evidence(world: World) -> dict[str, Any]:
    made = planted_consent(world)
    consent_evidence_attach(
        actor=fresh(world.users["practitioner"]),
        consent=made,
        upload=SimpleUploadedFile("signed.pdf", one_page_pdf()),
        filename="signed.pdf",
    )
    return {"pk": made.child_id, "consent_pk": made.pk}


def _dated(name: str, day: date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def decision_data(world: World) -> dict[str, Any]:
    """The 14-year-old's own refusal, assessed competent, for every signatory."""
    today = timezone.localdate()
    return {
        "given_by": "child",
        "competence": "competent",
        "assessor_name": "Sam Assessor",
        **_dated("assessed_on", today),
        "decision": "refused",
        "form": "explicit_verbal",
        **_dated("obtained_on", today),
        "purposes": [PURPOSE],
        "tiers": ["minimum"],
        "whom": "all",
    }


def withdraw_data(world: World) -> dict[str, Any]:
    return {**_dated("withdrawn_on", timezone.localdate()), "reason": "The young person changed their mind"}


def review_data(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        **_dated("reviewed_on", today),
        "note": "Still what they want",
        **_dated("next_review_on", date(today.year + 1, 6, 1)),
    }


def evidence_data(world: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("signed.pdf", one_page_pdf(), content_type="application/pdf")}


HOME = {"practitioner": 200, "designated_manager": 200}
HOME_REDIRECTED = {"practitioner": 302, "designated_manager": 302}
# The child's consent pages: home reads; the police officer and the partnership admin reach the child, not its
# consents.
CHILD_PAGES = {**HOME, "other_agency": 403, "partnership_admin": 403}
# A consent: home and auditors read it; it is out of everyone else's scope.
READERS = {**HOME, "auditor": 200}
# A consent's actions: home; auditors are in scope but do not record.
ACTORS = {**HOME, "auditor": 403}

CASES: list[Case] = [
    Case(
        "consent-summary",
        html({**CHILD_PAGES, "auditor": 200}, otherwise=404),
        kwargs=child_with_consent,
        note="without a purpose: it is asked; an auditor reads it as the audit",
        queries=4,
    ),
    Case(
        "consent-new",
        html(CHILD_PAGES, otherwise=404),
        kwargs=child,
        note="without a purpose: it is asked, since the form names the child",
        queries=4,
    ),
    Case(
        "consent-new",
        html({**CHILD_PAGES, **HOME_REDIRECTED}, otherwise=404),
        method="post",
        kwargs=child,
        data=decision_data,
        note="the answers tried on the service (rolled back) and kept for checking",
        # The child and who may record; the protocols in force, the recipients offered; the service's own trial
        # (the locked child, its checks with the child's history of competence assessments - one statement:
        # consent.services._decisions_recorded -, the insert and the audit event, rolled back to a savepoint); the
        # session.
        queries=19,
    ),
    Case(
        "consent-new-check",
        html({**CHILD_PAGES, **HOME_REDIRECTED}, otherwise=404),
        kwargs=child,
        note="with nothing typed yet: back to the form",
        queries=4,
    ),
    Case(
        "consent-detail",
        html(READERS, otherwise=404),
        kwargs=consent,
        note="without a purpose: it is asked; an auditor reads it as the audit",
        queries=4,
    ),
    Case("consent-withdraw", html(ACTORS, otherwise=404), kwargs=consent, queries=5),
    Case(
        "consent-withdraw",
        html({**ACTORS, **HOME_REDIRECTED}, otherwise=404),
        method="post",
        kwargs=consent,
        data=withdraw_data,
        note="a withdrawal recorded",
        # The consent through the policy (scope, involvement, withdrawal); the service's locked read and checks,
        # the withdrawal, the audit event; the message kept in the session.
        queries=16,
    ),
    Case("consent-review", html(ACTORS, otherwise=404), kwargs=consent, queries=5),
    Case(
        "consent-review",
        html({**ACTORS, **HOME_REDIRECTED}, otherwise=404),
        method="post",
        kwargs=consent,
        data=review_data,
        note="a review recorded",
        queries=13,
    ),
    Case("consent-evidence-attach", html(ACTORS, otherwise=404), kwargs=consent, queries=5),
    Case(
        "consent-evidence-attach",
        html({**ACTORS, **HOME_REDIRECTED}, otherwise=404),
        method="post",
        kwargs=consent,
        data=evidence_data,
        note="the evidence uploaded",
        queries=13,
    ),
    Case(
        "consent-evidence-file",
        html(READERS, otherwise=404),
        kwargs=consent_with_evidence,
        note="without a purpose: it is asked; an auditor downloads it (audited)",
        queries=3,
    ),
    Case(
        "consent-fhir",
        html(READERS, otherwise=404),
        kwargs=consent,
        note="without a purpose: it is asked; an auditor downloads it",
        queries=4,
    ),
]
