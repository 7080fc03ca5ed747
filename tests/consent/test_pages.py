"""The consent pages as a new user meets them (issue 11): the journey (the form, "check your answers", the record)
for children of 11, 14, 16 and 17 with parents agreeing and refusing; the summary (covered, refused, withdrawn,
due for review, and why a decision prevails); one consent with its withdrawal, review, evidence and FHIR form;
and every bad input refused with a clear message on the page, nothing half-written."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from agencies.models import Agency
from audit.models import AuditEvent
from consent.models import ConsentEvidence, ConsentRecord, ConsentWithdrawal
from consent.services import EVIDENCE_DIRECTORY
from consent.views import SESSION_KEY
from sharing.models import Child
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.pdf_samples import one_page_pdf
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


def tiny_png() -> bytes:
    """A whole 1 x 1 PNG (every chunk with its CRC)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = tiny_png()


def dated(name: str, day: date) -> dict[str, str]:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def answers(world: World, **values: Any) -> dict[str, Any]:
    """What a practitioner types: by default the child's own consent, obtained today, to share the minimum data
    with the other agency for PURPOSE, explicit in writing."""
    today = timezone.localdate()
    data: dict[str, Any] = {
        "given_by": "child",
        "parent_name": "",
        "parent_relationship": "",
        "competence": "none",
        "assessor_name": "",
        "decision": "given",
        "form": "explicit_written",
        **dated("obtained_on", today),
        "purposes": [PURPOSE],
        "tiers": ["minimum"],
        "whom": "named",
        "recipients": [world.other.pk],
        "note": "",
    }
    for name in ("assessed_on", "notice_given_on", "valid_from", "valid_until", "review_due_on"):
        value = values.pop(name, None)
        if isinstance(value, date):
            data.update(dated(name, value))
    data.update(values)
    return data


def fraser(outcome: str = "competent") -> dict[str, Any]:
    return {"competence": outcome, "assessor_name": "Sam Social-Worker", "assessed_on": timezone.localdate()}


def as_parent(relationship: str = "Mother", **values: Any) -> dict[str, Any]:
    return {"given_by": "parent", "parent_name": "Mary OBrien", "parent_relationship": relationship, **values}


def with_purpose(client: Client, child: Child) -> Client:
    response = client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    assert response.status_code == 302
    return client


def text(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def record_through_pages(client: Client, child: Child, data: dict[str, Any], evidence: Any = None) -> Any:
    """Fill the form, then confirm on "check your answers"; the response of the step that stopped (the form with
    its errors, the check page with its errors) or the record page."""
    form = client.post(f"/children/{child.pk}/consents/new/", data)
    if form.status_code != 302:
        return form
    assert form["Location"] == f"/children/{child.pk}/consents/new/check/"
    check = client.get(form["Location"])
    assert check.status_code == 200 and "Check your answers" in text(check)
    confirm = client.post(form["Location"], {"evidence": evidence} if evidence is not None else {})
    if confirm.status_code != 302:
        return confirm
    return client.get(confirm["Location"])


def errors_of(response: Any) -> str:
    page = text(response)
    assert response.status_code == 200, response.status_code
    assert "There is a problem" in page, page[:2000]
    return page


# --- The journey, by age ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["given", "refused"])
def test_a_parent_decides_for_an_11_year_old(world: World, client_for: Any, decision: str) -> None:
    child = child_aged(world, 11)
    client = with_purpose(client_for("practitioner"), child)
    form = client.get(f"/children/{child.pk}/consents/new/")
    assert form.status_code == 200
    assert "The child is 11" in text(form)  # the competence question is put from the date of birth
    page = record_through_pages(client, child, answers(world, **as_parent(), decision=decision))
    made = ConsentRecord.objects.get(child=child)
    assert made.given_by == "parent" and made.decision == decision and made.child_age == 11
    assert "The decision has been recorded" in text(page)
    assert "Mary OBrien, mother" in text(page)
    summary = text(client.get(f"/children/{child.pk}/consents/"))
    if decision == "given":
        assert "A person with parental responsibility" not in summary  # covered: the summary says who consented
        assert "consented to sharing the minimum data with" in summary
    else:
        assert "refused sharing the minimum data" in summary
    assert SESSION_KEY not in client.session


def test_a_14_year_old_assessed_competent_refuses_and_the_mother_cannot_consent_over_it(
    world: World, client_for: Any
) -> None:
    child = child_aged(world, 14)
    client = with_purpose(client_for("practitioner"), child)
    assert "The child is 14" in text(client.get(f"/children/{child.pk}/consents/new/"))
    page = record_through_pages(client, child, answers(world, decision="refused", **fraser()))
    assert "Consent refused" in text(page)
    refusal = ConsentRecord.objects.get(child=child)
    assert refusal.competence == "competent"

    before = ConsentRecord.objects.count()
    refused = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world, **as_parent())))
    assert "their refusal prevails over their mother's consent" in refused
    assert ConsentRecord.objects.count() == before
    assert SESSION_KEY not in client.session  # nothing kept to confirm

    # The mother's refusal is recorded (it agrees with the child's).
    record_through_pages(client, child, answers(world, **as_parent(), decision="refused"))
    assert ConsentRecord.objects.filter(child=child, given_by="parent", decision="refused").exists()


def test_a_14_year_old_consents_while_the_father_refused_and_the_summary_says_whose_prevails(
    world: World, client_for: Any
) -> None:
    child = child_aged(world, 14)
    client = with_purpose(client_for("practitioner"), child)
    record_through_pages(client, child, answers(world, **as_parent("Father"), decision="refused"))
    record_through_pages(client, child, answers(world, decision="given", **fraser()))
    summary = text(client.get(f"/children/{child.pk}/consents/"))
    assert "Decisions that do not prevail" in summary
    assert "was assessed Fraser-competent" in summary and "prevails over their father's refusal" in summary
    assert "Covered now" in summary and "The child (14) consented to sharing" in summary


def test_a_14_year_old_without_an_assessment_cannot_decide_alone(world: World, client_for: Any) -> None:
    child = child_aged(world, 14)
    client = with_purpose(client_for("practitioner"), child)
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world)))
    assert "a child under 16 decides for themselves only when a practitioner has assessed them as competent" in page
    assert 'href="#id_competence_0"' in page or "#id_competence" in page
    assert not ConsentRecord.objects.filter(child=child).exists()
    # An assessment that found the child not competent: the parent decides.
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world, **fraser("not_competent"))))
    assert "ask a person with parental responsibility" in page
    record_through_pages(client, child, answers(world, **as_parent(), **fraser("not_competent")))
    assert ConsentRecord.objects.filter(child=child, given_by="parent", competence="not_competent").exists()


@pytest.mark.parametrize("age", [16, 17])
def test_a_young_person_of_16_or_17_decides_and_a_parent_only_if_the_presumption_was_rebutted(
    world: World, client_for: Any, age: int
) -> None:
    child = child_aged(world, age)
    client = with_purpose(client_for("practitioner"), child)
    assert f"The young person is {age}" in text(client.get(f"/children/{child.pk}/consents/new/"))
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world, **as_parent())))
    assert "presumed competent and give or refuse consent themselves" in page
    page = record_through_pages(client, child, answers(world, decision="refused"))
    assert f"Presumed competent at {age}" in text(page)
    # A finding at 16 or over that the young person is not competent, even on the day of their refusal, is what
    # rebuts the presumption (Mental Capacity Act 2005 s1(2); breakt11l F1): the parent's consent carrying it is
    # recorded, and the young person's own decision is then refused on the competence question, which the form
    # shows at every age, until an assessment finds them competent again.
    rebutted = answers(world, **as_parent(), **fraser("not_competent"))
    page = record_through_pages(client, child, rebutted)
    assert ConsentRecord.objects.filter(child=child).count() == 2
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world)))
    assert 'id="id_competence-error"' in page and "no assessment since found them competent" in page
    record_through_pages(client, child, answers(world, **fraser("competent")))
    assert ConsentRecord.objects.filter(child=child).count() == 3


def test_separated_parents_the_resident_parent_decides(world: World, client_for: Any) -> None:
    child = child_aged(world, 9)
    client = with_purpose(client_for("practitioner"), child)
    page = errors_of(
        client.post(f"/children/{child.pk}/consents/new/", answers(world, **as_parent(), parents_separated="on"))
    )
    assert "the resident parent's decision is the one to record" in page
    record_through_pages(client, child, answers(world, **as_parent(), parents_separated="on", is_resident_parent="on"))
    assert ConsentRecord.objects.get(child=child).is_resident_parent


def test_every_signatory_and_implied_consent_with_its_notice(world: World, client_for: Any) -> None:
    child = child_aged(world, 8)
    client = with_purpose(client_for("practitioner"), child)
    data = answers(world, **as_parent(), form="implied", whom="all", recipients=[])
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", data))
    assert "Implied consent needs the fair-processing notice" in page
    data = answers(world, **as_parent(), form="implied", whom="all", notice_given_on=timezone.localdate())
    data["recipients"] = []
    page = text(record_through_pages(client, child, data))
    assert "Every signatory of" in page
    assert ConsentRecord.objects.get(child=child).all_signatories


def test_the_check_page_offers_a_change_of_every_answer_and_keeps_what_was_typed(world: World, client_for: Any) -> None:
    child = child_aged(world, 11)
    client = with_purpose(client_for("practitioner"), child)
    data = answers(world, **as_parent(), note="Agreed at the home visit")
    assert client.post(f"/children/{child.pk}/consents/new/", data).status_code == 302
    check = text(client.get(f"/children/{child.pk}/consents/new/check/"))
    for anchor in ("#who", "#competence", "#decision", "#scope", "#period"):
        assert f'href="/children/{child.pk}/consents/new/{anchor}"' in check
    assert "Agreed at the home visit" in check and "Mary OBrien, Mother" in check
    again = text(client.get(f"/children/{child.pk}/consents/new/"))
    assert "Agreed at the home visit</textarea>" in again and 'value="Mary OBrien"' in again
    assert not ConsentRecord.objects.filter(child=child).exists()


# --- Bad input: refused with a clear message, nothing half-written -----------------------------------------------


def test_a_scope_naming_an_agency_that_has_not_signed(world: World, client_for: Any) -> None:
    child = child_aged(world, 16)
    unsigned = Agency.objects.get(name="Unsigned Academy")
    client = with_purpose(client_for("practitioner"), child)
    page = errors_of(
        client.post(f"/children/{child.pk}/consents/new/", answers(world, recipients=[world.other.pk, unsigned.pk]))
    )
    assert "Unsigned Academy has not signed" in page
    assert not ConsentRecord.objects.filter(child=child).exists()
    # An id that is no agency at all.
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world, recipients=[987654321])))
    assert "Select the agencies from the list" in page


def test_a_purpose_the_protocol_does_not_permit_and_missing_answers(world: World, client_for: Any) -> None:
    child = child_aged(world, 16)
    client = with_purpose(client_for("practitioner"), child)
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", answers(world, purposes=["Selling lists"])))
    assert "Select" in page and "the purposes it covers" in page
    page = errors_of(client.post(f"/children/{child.pk}/consents/new/", {"purposes": [PURPOSE]}))
    for message in (
        "Select who made the decision",
        "Select whether consent was given or refused",
        "Enter the date the decision was obtained",
        "Select the information it covers",
    ):
        assert message in page, message
    assert not ConsentRecord.objects.filter(child=child).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("consent.pdf", PNG, "it is not what its name says"),
        ("consent.png", b"%PDF-1.4 not really", ""),
        ("consent.png", b"just some text, not an image", "must be a PDF, a PNG image or a JPEG image"),
        ("consent.docx", one_page_pdf(), "must be a PDF, a PNG image or a JPEG image"),
    ],
)
def test_evidence_that_is_not_what_it_says(
    world: World, client_for: Any, name: str, content: bytes, message: str
) -> None:
    child = child_aged(world, 16)
    client = with_purpose(client_for("practitioner"), child)
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / EVIDENCE_DIRECTORY
    files_before = set(stored.iterdir()) if stored.exists() else set()
    page = errors_of(record_through_pages(client, child, answers(world), SimpleUploadedFile(name, content)))
    assert message in page
    assert 'href="#id_evidence"' in page
    assert not ConsentRecord.objects.filter(child=child).exists()
    assert not ConsentEvidence.objects.exists()
    assert (set(stored.iterdir()) if stored.exists() else set()) == files_before
    assert SESSION_KEY in client.session  # the answers are kept: only the file is asked for again


def test_evidence_recorded_with_the_decision_and_downloaded_audited(world: World, client_for: Any) -> None:
    child = child_aged(world, 16)
    client = with_purpose(client_for("practitioner"), child)
    page = text(record_through_pages(client, child, answers(world), SimpleUploadedFile("signed.png", PNG)))
    assert "with its evidence" in page
    made = ConsentRecord.objects.get(child=child)
    response = client.get(f"/children/{child.pk}/consents/{made.pk}/evidence/file/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["Cache-Control"] == "no-store"
    opening = AuditEvent.objects.get(kind="consent.evidence_view", object_id=str(made.pk))
    assert opening.purpose == PURPOSE  # why it was opened, as the record page's reads say (Southampton 18)
    # Another agency's officer, not involved, cannot open it.
    other = with_purpose(client_for("other_agency"), child)
    assert other.get(f"/children/{child.pk}/consents/{made.pk}/evidence/file/").status_code == 404


def test_a_withdrawal_dated_before_the_consent(world: World, client_for: Any) -> None:
    child = child_aged(world, 17)
    today = timezone.localdate()
    consent = record(world, child, obtained_on=today - timedelta(days=10))
    client = with_purpose(client_for("practitioner"), child)
    url = f"/children/{child.pk}/consents/{consent.pk}/withdraw/"
    assert client.get(url).status_code == 200
    page = errors_of(client.post(url, {**dated("withdrawn_on", today - timedelta(days=20)), "reason": "Changed"}))
    assert "The withdrawal cannot be dated before the consent was obtained" in page
    assert not ConsentWithdrawal.objects.exists()
    page = errors_of(client.post(url, dated("withdrawn_on", today)))
    assert "Enter why it was withdrawn, and by whom" in page
    response = client.post(url, {**dated("withdrawn_on", today), "reason": "The young person changed their mind"})
    assert response.status_code == 302
    detail = text(client.get(response["Location"]))
    assert "Withdrawn on" in detail and "The young person changed their mind" in detail
    assert "Record that consent was withdrawn" not in detail  # once only
    summary = text(client.get(f"/children/{child.pk}/consents/"))
    assert "withdrew consent on" in summary
    assert client.get(url).status_code == 403


def test_a_review_and_the_summary_of_what_is_due(world: World, client_for: Any) -> None:
    child = child_aged(world, 17)
    today = timezone.localdate()
    consent = record(world, child, obtained_on=today - timedelta(days=400), review_due_on=today - timedelta(days=5))
    client = with_purpose(client_for("practitioner"), child)
    summary = text(client.get(f"/children/{child.pk}/consents/"))
    assert "Due for review" in summary and "Review was due on" in summary
    url = f"/children/{child.pk}/consents/{consent.pk}/review/"
    page = errors_of(
        client.post(url, {**dated("reviewed_on", today), "note": "Still agreed", **dated("next_review_on", today)})
    )
    assert "The next review must be after this one" in page
    response = client.post(
        url,
        {**dated("reviewed_on", today), "note": "Still agreed", **dated("next_review_on", today + timedelta(days=90))},
    )
    assert response.status_code == 302
    assert "Still agreed" in text(client.get(response["Location"]))
    assert "Due for review" not in text(client.get(f"/children/{child.pk}/consents/"))


def test_the_fhir_download_is_a_fhir_consent(world: World, client_for: Any) -> None:
    from fhir.resources.R4B.consent import Consent

    child = child_aged(world, 14)
    made = record(world, child, decision="refused", **assessed())
    client = with_purpose(client_for("practitioner"), child)
    detail = text(client.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert f"/api/v1/consents/{made.pk}/fhir/" in detail
    response = client.get(f"/children/{child.pk}/consents/{made.pk}/fhir/download/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    parsed = Consent.model_validate_json(response.content)
    assert parsed.provision.type == "deny"
    assert json.loads(response.content)["resourceType"] == "Consent"


# --- Purpose, reach and the record page's link --------------------------------------------------------------------


def test_the_purpose_is_asked_first_and_each_showing_is_audited(world: World, client_for: Any) -> None:
    child = child_aged(world, 16)
    made = record(world, child, **parent(), **assessed("not_competent"))
    client = client_for("practitioner")
    page = text(client.get(f"/children/{child.pk}/consents/"))
    assert "Why are you looking at this record?" in page and "Mary OBrien" not in page
    page = text(client.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert "Why are you looking at this record?" in page and "Mary OBrien" not in page
    with_purpose(client, child)
    assert "Mary OBrien" in text(client.get(f"/children/{child.pk}/consents/"))
    assert "Mary OBrien" in text(client.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert AuditEvent.objects.filter(kind="consent.list", child_id=child.pk, purpose=PURPOSE).count() == 1
    assert AuditEvent.objects.filter(kind="consent.view", child_id=child.pk, purpose=PURPOSE).count() == 1
    record_page = text(client.get(f"/children/{child.pk}/"))
    assert f'href="/children/{child.pk}/consents/"' in record_page


def test_who_reaches_the_pages(world: World, client_for: Any) -> None:
    child = child_aged(world, 16)
    made = record(world, child)
    officer = with_purpose(client_for("other_agency"), child)
    assert officer.get(f"/children/{child.pk}/consents/").status_code == 403
    assert officer.get(f"/children/{child.pk}/consents/new/").status_code == 403
    assert officer.get(f"/children/{child.pk}/consents/{made.pk}/").status_code == 404
    assert f"/children/{child.pk}/consents/" not in text(officer.get(f"/children/{child.pk}/"))
    auditor = client_for("auditor")
    page = text(auditor.get(f"/children/{child.pk}/consents/"))
    assert "Consent record" in page and "Record a consent decision" not in page
    detail = text(auditor.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert "Record a review" not in detail and "Record that consent was withdrawn" not in detail
    # A consent asked for under another child's address is not found.
    other_child = child_aged(world, 15, given="Bran", family="Stark")
    practitioner = with_purpose(client_for("practitioner"), other_child)
    assert practitioner.get(f"/children/{other_child.pk}/consents/{made.pk}/").status_code == 404


def test_the_pages_with_a_purpose_run_a_fixed_number_of_statements(world: World, client_for: Any) -> None:
    """The permission matrix measures the pages before the purpose is stated; here, the pages themselves, with one
    decision and then with several more (recipients, reviews, withdrawals): the same count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consent.services import consent_review_record, consent_withdraw
    from tests.sharing.fixtures import fresh

    child = child_aged(world, 17)
    first = record(world, child)
    client = with_purpose(client_for("practitioner"), child)
    pages = [
        f"/children/{child.pk}/consents/",
        f"/children/{child.pk}/consents/{first.pk}/",
        f"/children/{child.pk}/consents/new/",
    ]

    def counted() -> list[int]:
        found = []
        for url in pages:
            client.get(url)  # the first reading of the session's purpose table and caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counted()
    actor = fresh(world.users["practitioner"])
    today = timezone.localdate()
    for number in range(4):
        more = record(world, child, all_signatories=True, recipients=[], tiers=["minimum", "sensitive"])
        consent_review_record(actor=actor, consent=more, reviewed_on=today, note=f"Review {number}")
        if number % 2:
            consent_withdraw(actor=actor, consent=more, withdrawn_on=today, reason="Changed their mind")
    consent_review_record(actor=actor, consent=first, reviewed_on=today, note="Still agreed")
    assert counted() == before, before


def test_with_two_protocols_in_force_the_practitioner_chooses_one(world: World, client_for: Any) -> None:
    from tests.protocol_fixtures import make_protocol, sign

    child = child_aged(world, 16)
    second = make_protocol("Second Protocol")
    sign(second, world.home)
    client = with_purpose(client_for("practitioner"), child)
    url = f"/children/{child.pk}/consents/new/"
    assert "Which protocol is the consent given under?" in text(client.get(url))
    assert "Select the protocol the consent is given under" in errors_of(client.get(url + "?protocol=x"))
    assert "Given under Second Protocol" in text(client.get(url + f"?protocol={second.pk}"))
    # Its purposes are offered; only its signatories can receive (the other agency has not signed it).
    page = errors_of(client.post(url + f"?protocol={second.pk}", answers(world)))
    assert "Other Police Force has not signed Second Protocol" in page
    response = client.post(url + f"?protocol={second.pk}", answers(world, recipients=[world.home.pk]))
    assert response.status_code == 302
    # The draft remembers the protocol chosen: the form, shown again to change an answer, is for it.
    assert "Given under Second Protocol" in text(client.get(url))
    assert client.post(response["Location"]).status_code == 302
    assert ConsentRecord.objects.get(child=child).protocol == second


def test_the_forms_about_a_consent_ask_the_purpose_first(world: World, client_for: Any) -> None:
    """The withdraw, review and evidence forms name the child and say what the consent is: like every page that
    shows a child's consents, they ask why first, and the showing is recorded with the purpose."""
    child = child_aged(world, 17)
    made = record(world, child)
    client = client_for("practitioner")
    for action in ("withdraw", "review", "evidence/new"):
        asked = text(client.get(f"/children/{child.pk}/consents/{made.pk}/{action}/"))
        assert "Why are you looking at this record?" in asked, action
        assert "Record the withdrawal" not in asked and "Record the review" not in asked
    assert not AuditEvent.objects.filter(child_id=child.pk, purpose=PURPOSE).exists()
    with_purpose(client, child)
    page = text(client.get(f"/children/{child.pk}/consents/{made.pk}/withdraw/"))
    assert "Record the withdrawal" in page
    assert AuditEvent.objects.filter(child_id=child.pk, purpose=PURPOSE, detail__page="withdraw a consent").exists()


def test_a_closed_record_offers_no_review_or_evidence(world: World, client_for: Any) -> None:
    """Southampton 8: a closed record is kept for reference, never added to. Its consent page says so and offers
    neither a review nor evidence (the services refuse both with 403); a withdrawal stays recordable."""
    from sharing.services.retention import child_close
    from tests.sharing.fixtures import fresh

    child = child_aged(world, 17)
    made = record(world, child)
    child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="Moved out of the partnership")
    client = with_purpose(client_for("practitioner"), child)
    page = text(client.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert "This record was closed on" in page and "no review or evidence can be added" in page
    assert "Record a review" not in page and "Add the evidence" not in page
    assert "Record that consent was withdrawn" in page
    summary = text(client.get(f"/children/{child.pk}/consents/"))
    assert "This record was closed on" in summary and "Record a consent decision" not in summary
    for action in ("review", "evidence/new"):
        assert client.get(f"/children/{child.pk}/consents/{made.pk}/{action}/").status_code == 403, action
    assert client.get(f"/children/{child.pk}/consents/{made.pk}/withdraw/").status_code == 200
