"""b11l (issue 11): the consent review sweep reads a child's own decision against the child's history of
competence assessments (consent.selectors.competence_histories, one statement for all the due children), so a
decision an assessment made since rebutted (rules.rebutted_on, Miss.REBUTTED) is not reminded, and is marked as
handled for its review date, as a parent's decision the child's prevails against is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from consent import rules
from consent.models import ConsentRecord
from consent.selectors import competence_histories, record_timing
from consent.services import consent_reviews_sweep
from isp_portal.models import Notification
from sharing.models import Child
from tests.consent.fixtures import assessed, child_aged, parent, record
from tests.factories import World

pytestmark = pytest.mark.django_db


def _own_decision(world: World, *, rebutted: bool) -> tuple[Child, ConsentRecord]:
    """A 14-year-old assessed Fraser-competent 40 days ago consented then, its review due today; when `rebutted`,
    an assessment 20 days ago found the child not competent, carried by the mother's consent recorded then."""
    child = child_aged(world, 14)
    today = timezone.localdate()
    forty = today - timedelta(days=40)
    own = record(world, child, obtained_on=forty, review_due_on=today, **assessed("competent", on=forty))
    if rebutted:
        twenty = today - timedelta(days=20)
        record(world, child, **parent(), obtained_on=twenty, **assessed("not_competent", on=twenty))
    return child, own


def _reminded(made: ConsentRecord) -> bool:
    return Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:").exists()


def test_a_rebutted_childs_decision_is_not_reminded_and_is_marked(world: World) -> None:
    today = timezone.localdate()
    child, rebutted = _own_decision(world, rebutted=True)
    _, standing = _own_decision(world, rebutted=False)
    # The selector's reading: the rebutted decision is not in force, the other is.
    history = competence_histories([child.pk])[child.pk]
    assert record_timing(rebutted, today, born_on=child.born_on, history=history) == (
        rules.Miss.REBUTTED,
        today - timedelta(days=20),
    )
    assert consent_reviews_sweep(today=today) == 1  # the recorder of the decision still in force
    assert not _reminded(rebutted)
    assert _reminded(standing)
    # Both handled for today's review: a later tick claims neither again.
    assert ConsentRecord.objects.get(pk=rebutted.pk).review_reminded_for == today
    assert ConsentRecord.objects.get(pk=standing.pk).review_reminded_for == today
    assert consent_reviews_sweep(today=today) == 0
    assert not _reminded(rebutted)


def test_a_decision_the_child_was_found_competent_again_for_is_still_reminded(world: World) -> None:
    """The latest assessment decides (rules.rebutted_on): found not competent 20 days ago, then competent again
    10 days ago (with a new decision of the child's own), the first decision counts and is reminded."""
    today = timezone.localdate()
    child, own = _own_decision(world, rebutted=True)
    ten = today - timedelta(days=10)
    record(world, child, obtained_on=ten, **assessed("competent", on=ten))
    assert consent_reviews_sweep(today=today) == 1
    assert _reminded(own)


def test_the_sweep_reads_the_histories_in_statements_that_do_not_grow_with_the_rows(
    world: World, django_assert_num_queries: Any
) -> None:
    """One rebutted and one standing decision, then three of each: the same statements. The sweep's own
    transaction (a savepoint inside the test's, and its release), the claim, the histories (one statement for all
    the children), the memberships, the notices (one insert), the mark."""
    today = timezone.localdate()
    for _ in range(1):
        _own_decision(world, rebutted=True)
        _own_decision(world, rebutted=False)
    with django_assert_num_queries(7):
        assert consent_reviews_sweep(today=today) == 1
    for _ in range(3):
        _own_decision(world, rebutted=True)
        _own_decision(world, rebutted=False)
    with django_assert_num_queries(7):
        assert consent_reviews_sweep(today=today) == 3
    assert ConsentRecord.objects.filter(review_due_on=today, review_reminded_for=today).count() == 8


@pytest.mark.django_db(transaction=True)
def test_the_review_sweep_runs_in_its_own_transaction() -> None:
    """The beat's task runs outside any transaction (autocommit). The sweep claims its rows FOR UPDATE SKIP LOCKED,
    which Django refuses outside a transaction (TransactionManagementError): since fix11h slid _day_number between
    `@transaction.atomic` and the sweep, the decorator wrapped _day_number and the task failed on every tick
    while the tests, each inside a test transaction, passed. Right: the sweep is one transaction of its own."""
    from consent.tasks import review_sweep

    assert review_sweep() == {"review_reminders": 0}
