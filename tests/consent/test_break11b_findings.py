"""Tester break11b's findings on issue 11 (consent records, the selector, the consent pages, erasure), each a test
that fails against main as found (c1d53c4), marked xfail(strict) so the suite stays green until it is fixed. Data
is built through the services and the test client, as a practitioner meets it. The aggregate findings are in
tests/sharing/test_break11b_findings.py.

Medium
 2. A parent's consent that lapsed at the 16th birthday is tagged "Given" (green) on the consent pages.
 3. A withdrawal's reason ("why, and by whom") survives the erasure in the append-only audit trail.
 8. An erased record's consent still takes a withdrawal, its free-text reason kept for good (the page offers it).
Low
 4. The review sweep reminds the recorder to review a parent's decision that no longer counts.
 6. A consent naming an agency covers it after the agency withdrew its signature ("every signatory" does not).
 7. A phone's multi-picture JPEG (MPO, Ultra HDR) of the signed form is refused as "damaged".
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from consent.models import ConsentWithdrawal
from consent.selectors import Reason, consent_covering
from consent.services import consent_evidence_attach, consent_reviews_sweep, consent_withdraw
from isp_portal.models import Notification
from isp_portal.policy import AccessDenied, SystemActor
from protocols.models import Signature
from protocols.services import signature_withdraw
from sharing.retention_rules import birthday_in
from sharing.services.retention import child_close, child_erase
from tests.consent.fixtures import child_aged, parent, protocol, record
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(tmp_path: Path) -> Iterator[Path]:
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path):
        yield tmp_path


def _with_purpose(client: Client, child_id: int) -> Client:
    answer = client.post(f"/children/{child_id}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child_id}/"})
    assert answer.status_code == 302
    return client


def _tags(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", tag).strip() for tag in re.findall(r'class="govuk-tag[^"]*">([^<]*)<', html)]


# --- Medium -------------------------------------------------------------------------------------------------------


def test_a_parents_consent_that_lapsed_at_16_is_not_tagged_given(world: World) -> None:
    """A practitioner recorded, 300 days ago, the mother's consent for her then 15-year-old (no end date). The young
    person is 16 now. consent_covering answers parent_decision_lapsed ("from 16 the young person is presumed
    competent and decides for themselves: their own decision is needed"), the FHIR form says status "inactive"
    and the summary lists it under the decisions not in force; but the consent page's heading and the summary's
    table of records tag it "Given" in green: consent.views._status reads the period and the withdrawal but not
    the lapse (rules.parent_decision_ends_on), unlike record_timing. A practitioner checking the record before
    sharing reads a green "Given" for a consent the portal no longer counts (issue 11: the summary says "what is
    covered now"; Barnet: from 16 the young person decides). Right: the tag reads the record as the selector does
    (record_timing): "Not in force" (or "No longer counts") in grey."""
    child = child_aged(world, 16)
    obtained = timezone.localdate() - timedelta(days=300)
    assert birthday_in(child.born_on, 16) > obtained  # the child was 15 when the mother decided
    made = record(world, child, **parent(), obtained_on=obtained)
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.reason == Reason.PARENT_DECISION_LAPSED
    client = _with_purpose(sign_in(Client(), world.users["practitioner"]), child.pk)
    detail = client.get(f"/children/{child.pk}/consents/{made.pk}/")
    summary = client.get(f"/children/{child.pk}/consents/")
    assert detail.status_code == 200 and summary.status_code == 200
    assert "Given" not in _tags(detail.content.decode()) + _tags(summary.content.decode())


def test_the_erasure_leaves_no_withdrawal_reason_in_the_audit_trail(world: World) -> None:
    """The form asks for a withdrawal's reason as "why it was withdrawn, and by whom", so a practitioner writes
    "Mary Mcquade (mother) withdrew it: the family moved to 4 Elm Road, Leeds". The record is later closed and,
    after the retention period, erased: consents_erase replaces the withdrawal's reason with "Erased." and counts
    it among what was erased (Southampton 8: "deleted/destroyed appropriately at the end of the retention
    period"). But consent_withdraw also wrote the reason, as typed, into the consent.withdraw audit event's
    detail, and the audit trail is append-only (DESIGN 2.5): the text outlives the erasure and is exported to
    every auditor. The portal keeps free text out of the audit elsewhere for this reason (child.close records the
    rule, never the admin's reason; child.update records the values of AUDITED_VALUES only). Right: the audit
    event records that a withdrawal was made and when (its id), not the reason's text; the reason lives only in
    the row the erasure blanks. (The same holds for child.update's name-correction "reason".)"""
    child = child_aged(world, 15, family="Mcquade")
    today = timezone.localdate()
    made = record(world, child, **parent(name="Mary Mcquade"))
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=made,
        withdrawn_on=today,
        reason="Mary Mcquade (mother) withdrew it: the family moved to 4 Elm Road, Leeds",
    )
    child = child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    made.withdrawal.refresh_from_db()
    assert "Elm Road" not in made.withdrawal.reason  # the row is erased
    kept = [
        event.kind
        for event in AuditEvent.objects.filter(child_id=child.pk)
        if "Elm Road" in json.dumps(event.detail) or "Mcquade" in json.dumps(event.detail)
    ]
    assert kept == []


def test_no_personal_text_is_added_to_an_erased_record(world: World) -> None:
    """A 15-year-old's record, with the mother's consent, is closed and, after the retention period, erased
    (child_erase; consents_erase blanks the parents' names, notes and withdrawal reasons). A practitioner of the
    agency still involved opens the consent (200): the page offers "withdraw" (may_withdraw reads only the
    policy), and consent_withdraw accepts "Mary OBrien (mother), now at 4 Elm Road, Leeds, withdrew it": the
    reason is stored on the erased record, and as the erasure has run it is never erased (nor is its copy in
    the audit event). consent.services keeps withdrawal recordable on a closed record for the person's right to
    withdraw, but an erased record is shared with nobody (it is out of the index and counted nowhere), so
    there is nothing left to withdraw from, while the text written now defeats the erasure (Southampton 8:
    records "deleted/destroyed appropriately at the end of the retention period"). Right: an erased record
    takes no withdrawal (the page offers none; the service refuses with a clear message), or the reason it
    takes is not kept."""
    child = child_aged(world, 15)
    made = record(world, child, **parent())
    child = child_close(actor=fresh(world.users["partnership_admin"]), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    client = _with_purpose(sign_in(Client(), world.users["practitioner"]), child.pk)
    page = client.get(f"/children/{child.pk}/consents/{made.pk}/").content.decode()
    offered = f"/children/{child.pk}/consents/{made.pk}/withdraw/" in page
    with contextlib.suppress(ValidationError, AccessDenied):
        consent_withdraw(
            actor=fresh(world.users["practitioner"]),
            consent=made,
            withdrawn_on=timezone.localdate(),
            reason="Mary OBrien (mother), now at 4 Elm Road, Leeds, withdrew it",
        )
    kept = ConsentWithdrawal.objects.filter(consent=made, reason__contains="Elm Road").exists()
    assert (offered, kept) == (False, False)


# --- Low ----------------------------------------------------------------------------------------------------------


def test_no_review_reminder_for_a_parents_decision_that_no_longer_counts(world: World) -> None:
    """A year ago the father consented for his 15-year-old (review due in a year, the default). The young person
    turned 16 since, so the decision no longer counts (consent_covering: parent_decision_lapsed; the summary lists
    it as not in force and not under "due for review"). On the review date consent_reviews_sweep still tells the
    recorder "Check with the child or family that it still reflects their wishes, and record the review": it
    leaves out withdrawn and ended consents but not lapsed ones. Reviewing a decision that no longer counts is
    work the portal then cannot use (the young person's own decision is what is needed). Right: the sweep reads
    the records as the summary does (record_timing) and reminds of none that is not in force; or its reminder
    asks for the young person's own decision."""
    child = child_aged(world, 16)
    today = timezone.localdate()
    obtained = today - timedelta(days=364)
    assert birthday_in(child.born_on, 16) > obtained
    made = record(world, child, **parent(relationship="Father", name="Frank Mcquade"), obtained_on=obtained)
    assert made.review_due_on is not None and made.review_due_on <= today + timedelta(days=2)
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.reason == Reason.PARENT_DECISION_LAPSED
    consent_reviews_sweep(today=max(today, made.review_due_on))
    assert not Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:").exists()


def test_a_named_recipient_that_withdrew_its_signature_is_not_covered(world: World) -> None:
    """A 16-year-old consents to sharing the minimum data with the other agency (named), and to sharing detailed
    information with every signatory of the protocol. The other agency then withdraws its signature
    (signature_withdraw). Asked about the other agency, consent_covering answers the "every signatory" consent
    out_of_scope_agency ("holds no live signature on its version in force") but the named consent covered. The
    service refuses to record a consent naming an agency without a live signature, "information can only be
    shared with agencies that have signed it, so it cannot be named in a consent under it", and the selector is
    "the one" the sharing issue calls "for every request and again at the moment of disclosure": it answers for
    the named agency what recording would refuse. Right: a named recipient counts only while it holds a live
    signature on the version in force at `at` (as for "every signatory"), the answer saying so."""
    child = child_aged(world, 16)
    record(world, child)
    record(world, child, all_signatories=True, tiers=["sensitive"])
    signature = Signature.objects.get(protocol=protocol(world), agency=world.other, withdrawn_at__isnull=True)
    signature_withdraw(actor=SystemActor("test"), signature=signature, reason="Left the partnership")
    every = consent_covering(child=child, tier="sensitive", agency=world.other, purpose=PURPOSE)
    named = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert every.reason == Reason.OUT_OF_SCOPE_AGENCY
    assert named.reason == Reason.OUT_OF_SCOPE_AGENCY


def _multi_picture_jpeg() -> bytes:
    """A JPEG in the CIPA multi-picture format (MPO) as phone cameras write it: the photo, then a second image
    (a preview, a depth or gain map) after it, indexed by the first image's APP2 "MPF" segment."""
    photo = Image.new("RGB", (64, 48), "white")
    extra = Image.new("RGB", (32, 24), "grey")
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[extra])
    return buffer.getvalue()


def test_a_phones_multi_picture_jpeg_is_accepted_or_refused_for_what_it_is(world: World) -> None:
    """A practitioner photographs the signed consent form with a phone and attaches the photo. Many phone cameras
    write JPEGs in the CIPA multi-picture format (MPO: Android's Ultra HDR "JPEG_R" photos carry their gain map
    so, others a preview or depth image): the photo is a whole JPEG from SOI to EOI, and the further images
    follow it, indexed by its MPF segment. consent.evidence._jpeg_whole refuses anything after the first EOI, so
    the photo is refused with "The image is damaged or incomplete: it could not be read. Scan it again": not
    true (Pillow reads it), and scanning it again gives the same file. Issue 11: "evidence upload (PDF or image
    ...)"; "each refused with a clear message". Right: a multi-picture JPEG is accepted (its first image checked
    and kept, or each image whole as its MPF index says), or refused with words that say what to do (save or
    export the photo as an ordinary JPEG)."""
    child = child_aged(world, 16)
    made = record(world, child)
    data = _multi_picture_jpeg()
    said = ""
    try:
        consent_evidence_attach(
            actor=fresh(world.users["practitioner"]), consent=made, upload=io.BytesIO(data), filename="form.jpg"
        )
    except ValidationError as error:
        said = " ".join(error.messages)
    assert "damaged" not in said and "Scan it again" not in said, said
