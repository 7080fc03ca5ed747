"""fix11h (issue 11, loose end 2): the consent review sweep reads no parent's decision that no longer counts. The
rule (consent.rules.parent_decision_ends_on) is asked of the database as bounds (consent.services
.parent_decision_lapsed), so a decision that lapsed at the young person's 16th birthday is not read each run
until they are 18; the database's answer is checked against the rule over many birthdays, 29 February among
them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Value
from django.db.models.fields import DateField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consent import rules
from consent.models import ConsentRecord
from consent.services import consent_reviews_sweep, parent_decision_lapsed
from isp_portal.models import Notification
from sharing.retention_rules import birthday_in
from sharing.rules import age_on
from tests.consent.fixtures import child_aged, parent, record
from tests.factories import World

pytestmark = pytest.mark.django_db

days = st.dates(min_value=date(1996, 1, 1), max_value=date(2060, 12, 31))


def _lapsed_in_the_database(born: date, obtained: date, today: date) -> bool:
    condition = parent_decision_lapsed(
        today,
        born_on=Value(born, output_field=DateField()),
        obtained_on=Value(obtained, output_field=DateField()),
    )
    # Any table with a row will do: the condition names no column of it.
    return bool(
        ContentType.objects.annotate(lapsed=ExpressionWrapper(condition, output_field=BooleanField()))
        .values_list("lapsed", flat=True)
        .first()
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(born=days, after=st.integers(min_value=0, max_value=18 * 366), today=days)
@example(born=date(2008, 2, 29), after=(date(2024, 2, 28) - date(2008, 2, 29)).days, today=date(2024, 2, 29))
@example(born=date(2008, 2, 29), after=(date(2024, 2, 28) - date(2008, 2, 29)).days, today=date(2024, 2, 28))
@example(born=date(2009, 2, 28), after=(date(2025, 2, 27) - date(2009, 2, 28)).days, today=date(2025, 2, 28))
@example(born=date(2008, 2, 29), after=(date(2024, 2, 29) - date(2008, 2, 29)).days, today=date(2026, 2, 28))
@example(born=date(2008, 2, 29), after=(date(2024, 2, 29) - date(2008, 2, 29)).days, today=date(2026, 3, 1))
@example(born=date(2009, 3, 1), after=(date(2025, 2, 28) - date(2009, 3, 1)).days, today=date(2025, 3, 1))
def test_the_databases_lapse_is_the_rules_lapse(born: date, after: int, today: date) -> None:
    """For a parent's decision made `after` days after the birth: the database's condition holds exactly when
    consent.rules.parent_decision_ends_on says the decision no longer counts on `today` (the one rule, asked of
    the database as bounds)."""
    obtained = born + timedelta(days=after)
    ends_on = rules.parent_decision_ends_on(given_by=rules.PARENT, child_age=age_on(born, obtained), born_on=born)
    assert ends_on is not None
    assert _lapsed_in_the_database(born, obtained, today) == (ends_on <= today)


def test_the_lapse_on_29_february_by_hand() -> None:
    """Born 29 February 2008: a parent's decision made on 28 February 2024 was made for a 15-year-old (the
    birthday counts from 1 March in a common year, and 2024 is a leap year, so from 29 February), and lapses on
    29 February 2024; one made on 29 February 2024 was made for a 16-year-old found not competent and lapses on
    1 March 2026 (2026 is common)."""
    born = date(2008, 2, 29)
    assert birthday_in(born, 16) == date(2024, 2, 29)
    assert _lapsed_in_the_database(born, date(2024, 2, 28), date(2024, 2, 28)) is False
    assert _lapsed_in_the_database(born, date(2024, 2, 28), date(2024, 2, 29)) is True
    assert _lapsed_in_the_database(born, date(2024, 2, 29), date(2026, 2, 28)) is False
    assert _lapsed_in_the_database(born, date(2024, 2, 29), date(2026, 3, 1)) is True


def test_a_decision_that_lapsed_at_16_is_not_read_by_the_review_sweep(world: World) -> None:
    """A father consented for his 15-year-old; the young person is 17 now and the review is due. The sweep's one
    claiming statement reads no row (it ran no other: nothing to remind, nobody to look up), where before it read
    the decision every run and passed over it in Python until the young person was 18."""
    child = child_aged(world, 17)
    today = timezone.localdate()
    obtained = birthday_in(child.born_on, 16) - timedelta(days=30)
    made = record(
        world,
        child,
        **parent(relationship="Father", name="Frank Mcquade"),
        obtained_on=obtained,
        review_due_on=today - timedelta(days=1),
    )
    assert made.child_age == 15
    with CaptureQueriesContext(connection) as statements:
        assert consent_reviews_sweep(today=today) == 0
    # Savepoints are the test transaction's, not reads.
    read = [query["sql"] for query in statements.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len(read) == 1, read
    assert "consent_consentrecord" in read[0]
    assert not Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:").exists()
    assert ConsentRecord.objects.get(pk=made.pk).review_reminded_for is None


def test_a_parents_decision_still_counting_is_reminded(world: World) -> None:
    """The bound leaves in what counts: the mother's decision for a 15-year-old, its review due, is reminded once,
    and the same decision's review the day before the 16th birthday too; from that birthday it is not read."""
    child = child_aged(world, 15)
    today = timezone.localdate()
    made = record(
        world, child, **parent(), obtained_on=today - timedelta(days=10), review_due_on=today - timedelta(days=1)
    )
    assert consent_reviews_sweep(today=today) == 1
    assert ConsentRecord.objects.get(pk=made.pk).review_reminded_for == made.review_due_on
    sixteenth = birthday_in(child.born_on, 16)
    due = list(ConsentRecord.objects.filter(pk=made.pk).exclude(parent_decision_lapsed(sixteenth - timedelta(days=1))))
    assert due
    assert not ConsentRecord.objects.filter(pk=made.pk).exclude(parent_decision_lapsed(sixteenth)).exists()


# --- fix11h loose end 3: what the review reminder names -----------------------------------------------------------

SERVICE = "Child and adolescent mental health"


def test_the_review_reminder_names_no_service_agency_or_parent(world: World) -> None:
    """A mother's consent for a 14-year-old known to the home agency's mental health service, to share with the
    other agency: the review reminder names the child's index number and the consent record's number, never the
    service, an agency, the parent or the decision (the comment in consent_reviews_sweep: DESIGN 3.2)."""
    child = child_aged(world, 14, service=SERVICE)
    today = timezone.localdate()
    made = record(
        world,
        child,
        **parent(relationship="Mother", name="Maeve Quill"),
        obtained_on=today - timedelta(days=10),
        review_due_on=today - timedelta(days=1),
    )
    assert consent_reviews_sweep(today=today) == 1
    [notice] = Notification.objects.filter(key__startswith=f"consent-review:{made.pk}:")
    text = f"{notice.subject}\n{notice.body}".lower()
    assert str(child.pk) in text and str(made.pk) in text
    for forbidden in (SERVICE, world.home.name, world.other.name, "Maeve Quill", "Mother", "given", "refused"):
        assert forbidden.lower() not in text, (forbidden, text)
