"""fix11g: a competent child's decision prevails over a parent's earlier one for good (break11e finding 5), the
review sweep's marks (finding 6), an every-signatory consent's agencies (finding 7) and the withdrawal page's
year (tester's note c)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import ConsentRecord, ConsentWithdrawal
from consent.selectors import Reason, child_readings, consent_covering, signatories_covered
from consent.services import consent_reviews_sweep
from isp_portal.models import Notification
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.consent.test_pages import errors_of, text, with_purpose
from tests.factories import World
from tests.sharing.fixtures import PURPOSE

pytestmark = pytest.mark.django_db


def test_a_parents_earlier_consent_does_not_cover_again_when_the_competent_childs_own_ends(world: World) -> None:
    # Barnet, "Whose consent should be sought?": the competent child's decision prevails, also once it has ended.
    child = child_aged(world, 14)
    today = timezone.localdate()
    mother = record(world, child, **parent(), obtained_on=today - timedelta(days=60))
    month_ago = today - timedelta(days=30)
    own = record(
        world,
        child,
        obtained_on=month_ago,
        valid_until=today - timedelta(days=1),
        **assessed("competent", on=month_ago),
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered
    assert answer.reason == Reason.EXPIRED and answer.consent == own
    assert f"consent record {mother.pk}" in answer.message and "competent child's decision prevails" in answer.message
    # The one reading agrees: the summary, the FHIR form, the API and the pages read the mother's as not in force.
    reading = child_readings(child.pk, today)[mother.pk]
    assert reading.timing is None and reading.overridden and not reading.in_force
    assert "decided for themselves" in reading.reason


def test_a_parents_later_decision_is_not_overridden_by_the_childs_earlier_one(world: World) -> None:
    # A parent's decision made after the competent child's own decision ended counts only with an assessment made
    # since that found the child not competent (break11h findings 1, 2: consent.rules.rebutted_on); without one the
    # child's decision still stands against it.
    child = child_aged(world, 14)
    today = timezone.localdate()
    before = today - timedelta(days=60)
    record(world, child, obtained_on=before, valid_until=today - timedelta(days=30), **assessed(on=before))
    unassessed = record(world, child, **parent(), obtained_on=today - timedelta(days=20))
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert not answer.covered and answer.consent != unassessed
    later = record(
        world,
        child,
        **parent(),
        obtained_on=today - timedelta(days=10),
        **assessed("not_competent", on=today - timedelta(days=10)),
    )
    answer = consent_covering(child=child, tier="minimum", agency=world.other, purpose=PURPOSE)
    assert answer.covered and answer.consent == later


def test_the_review_sweep_marks_only_what_it_reminds(world: World) -> None:
    # break11e finding 6: a decision not yet in force is left unmarked, then reminded once when it is in force.
    child = child_aged(world, 12)
    today = timezone.localdate()
    made = record(
        world, child, **parent(), valid_from=today + timedelta(days=30), review_due_on=today + timedelta(days=7)
    )
    assert consent_reviews_sweep(today=today + timedelta(days=7)) == 0
    assert ConsentRecord.objects.get(pk=made.pk).review_reminded_for is None
    sent = consent_reviews_sweep(today=today + timedelta(days=31))
    assert sent >= 1
    assert ConsentRecord.objects.get(pk=made.pk).review_reminded_for == made.review_due_on
    assert consent_reviews_sweep(today=today + timedelta(days=32)) == 0  # once each, however often beat runs
    assert Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:").count() == sent


def test_an_every_signatory_consent_lists_the_agencies_it_covers(world: World, client_for: object) -> None:
    # break11e finding 7: the page names the signatories of the day it was recorded, not one that signed later.
    from agencies.models import Agency
    from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign

    child = child_aged(world, 16)
    made = record(world, child, all_signatories=True)
    academy = Agency.objects.get(name="Unsigned Academy")
    complete_checklist(academy)
    sign(protocol_in_force(world), academy)
    covered = [agency.name for agency in signatories_covered(made)]
    assert world.other.name in covered and academy.name not in covered
    client = with_purpose(client_for("practitioner"), child)  # type: ignore[operator]
    page = text(client.get(f"/children/{child.pk}/consents/{made.pk}/"))
    assert world.other.name in page and "when it was decided" in page
    assert academy.name not in page


def test_a_withdrawal_with_a_five_digit_year_is_a_field_error(world: World, client_for: object) -> None:
    # Tester's note c: bad input is a field error, never accepted.
    child = child_aged(world, 17)
    made = record(world, child, obtained_on=timezone.localdate() - timedelta(days=10))
    client = with_purpose(client_for("practitioner"), child)  # type: ignore[operator]
    today = timezone.localdate()
    page = errors_of(
        client.post(
            f"/children/{child.pk}/consents/{made.pk}/withdraw/",
            {
                "withdrawn_on_day": str(today.day),
                "withdrawn_on_month": str(today.month),
                "withdrawn_on_year": "20261",
                "reason": "The young person changed their mind",
            },
        )
    )
    assert 'href="#id_withdrawn_on_day"' in page and "must be a real date" in page
    assert not ConsentWithdrawal.objects.filter(consent=made).exists()
