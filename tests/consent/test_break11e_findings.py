"""Tester break11e's findings on issue 11 (the consent selector's one reading), each a test that fails against
main as found (2e80a45), marked xfail(strict) so the suite stays green until it is fixed. Data is built through the
services, as a practitioner meets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.selectors import consent_covering
from consent.services import consent_withdraw
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    strict=True,
    reason="F5: a competent child who withdraws their own consent is overridden by the parent's older consent: the "
    "parent's decision covers the share again once the child's own is withdrawn",
)
def test_a_competent_childs_withdrawal_is_not_undone_by_a_parents_older_consent(world: World) -> None:
    """A 14-year-old's mother consented two months ago, before anyone had assessed the child. A month ago a
    practitioner assessed the child Fraser-competent and the child consented themselves (same scope). Today the
    child withdraws that consent ("I don't want the school told any more"). From the assessment on, the child is
    the one who decides (Barnet, "Whose consent should be sought?": a competent child's consent or refusal is the
    one to consider even if the parent disagrees; consent.rules.competence_error refuses to record a parent's
    decision for a child assessed competent). But consent_covering reads the mother's record on its own facts (its
    own `competence` field, "none"), finds it in force and in scope, and with the child's decision withdrawn it
    is the only one left: the share is covered again, on the mother's word, against the competent child's
    withdrawal. The same when the child's own consent reaches its end date. Right: once a competent child has
    decided about a share, a parent's earlier decision does not cover it again; the answer is not covered, naming
    the child's withdrawal."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    record(world, child, **parent(), obtained_on=today - timedelta(days=60))
    month_ago = today - timedelta(days=30)
    own = record(world, child, obtained_on=month_ago, **assessed("competent", on=month_ago))
    assert consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE).consent == own
    consent_withdraw(
        actor=fresh(world.users["practitioner"]), consent=own, withdrawn_on=today, reason="The child asked"
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered, answer.message


@pytest.mark.xfail(
    strict=True,
    reason="F6: the review sweep marks a decision not yet in force as reminded without reminding anyone, so when it "
    "comes into force with its review overdue nobody is ever asked to review it",
)
def test_a_review_due_before_the_consent_starts_is_reminded_once_it_is_in_force(world: World) -> None:
    """A parent consents today to sharing from the start of next term (valid from in 30 days), with a review in a
    week (dates_error allows a review date before the period starts: only on or after the day obtained). On the
    review date the sweep claims the record, finds it not in force yet (record_timing: NOT_YET_IN_FORCE), sends
    nothing - and still sets `review_reminded_for` to its review date, the mark that it was reminded. When the
    consent comes into force three weeks later, its review is overdue, but the sweep never claims it again: no one
    is ever asked to review a consent that is now being relied on (Barnet: consent "needs to be kept under active
    review"; issue 11: "consent review dates are swept (reminders when due, once each)"). The same happens to a
    parent's decision read as lapsed that a corrected date of birth brings back into force. Right: a decision is
    marked reminded only when a reminder was due and sent; one not yet in force is reminded once it is."""
    from consent.services import consent_reviews_sweep
    from isp_portal.models import Notification

    child = child_aged(world, 12)
    today = timezone.localdate()
    made = record(
        world, child, **parent(), valid_from=today + timedelta(days=30), review_due_on=today + timedelta(days=7)
    )
    consent_reviews_sweep(today=today + timedelta(days=7))  # not in force yet: nobody asked, rightly
    consent_reviews_sweep(today=today + timedelta(days=31))  # in force, its review overdue
    assert Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:").exists()


@pytest.mark.xfail(
    strict=True,
    reason="F7: a consent to share with 'every signatory of the protocol' covers an agency that signed after the "
    "decision, which the person was never told about",
)
def test_a_consent_for_every_signatory_does_not_reach_an_agency_that_signed_later(world: World) -> None:
    """A 16-year-old consents a month ago to sharing with every signatory of the protocol (the scope the form offers
    instead of naming agencies). Today an academy that had not signed the protocol signs it. consent_covering asks
    whether the agency holds a live signature at the moment of the share (selectors._signed), not whether it was
    a signatory when the young person decided: the academy is covered by a consent given before it was a party.
    Consent must be informed - "the person giving consent must understand why the information needs to be shared,
    to whom" (Barnet); Haringey 4.3: the child or guardian is informed that information will be shared with "partner
    organisations named in this document". A young person who agreed to the partners of the day has not agreed to
    one that joins later. Right: an every-signatory consent covers the agencies that were signatories when it was
    obtained (a later signatory needs a new decision or another basis), and says so when asked."""
    from agencies.models import Agency
    from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign

    child = child_aged(world, 16)
    today = timezone.localdate()
    record(world, child, all_signatories=True, obtained_on=today - timedelta(days=30))
    academy = Agency.objects.get(name="Unsigned Academy")
    assert not consent_covering(child=child, tier="minimum", agency=academy, purpose=PURPOSE).covered
    complete_checklist(academy)
    sign(protocol_in_force(world), academy)
    answer = consent_covering(child=child, tier="minimum", agency=academy, purpose=PURPOSE)
    assert not answer.covered, answer.message
