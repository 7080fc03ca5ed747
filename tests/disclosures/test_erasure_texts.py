"""A closed child's record erased at the end of its retention period takes with it every free-text column this app
holds about the child (Southampton 6, 8: "deleted beyond recovery"; disclosures.services.erasure, b13e), and the
erasure runs for nothing else: not an open record, not a closed one whose erasure is not yet due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.utils import InternalError, ProgrammingError
from django.utils import timezone

from disclosures import models as disclosure_models
from disclosures.models import CorrectionNotice, Disclosure
from disclosures.services import disclosure_revoke
from disclosures.services.corrections import correction_notice_acknowledge, inaccuracy_report_submit
from disclosures.services.disputes import dispute_record_make, dispute_withdraw
from disclosures.services.erasure import ERASABLE_TEXTS, ERASED, NOT_ABOUT_THE_CHILD, after_disclosure_erase
from disclosures.services.onward import onward_request_decline
from disclosures.services.requests import requests_erase
from isp_portal.policy import SystemActor
from sharing.models import Child
from sharing.services import entry_revise
from sharing.services.retention import child_close, child_erase
from tests.disclosures.after_fixtures import after_world, onward_submit, passed_on
from tests.disclosures.dispute_fixtures import advised
from tests.factories import World
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db

NAME = "John Smith"  # typed into every free text below: none of it may survive the erasure


def _free_text_columns() -> set[tuple[str, str]]:
    """Every TextField, and every CharField that is not a code (no choices), of the app's models."""
    found = set()
    for model in disclosure_models.__dict__.values():
        if not (isinstance(model, type) and issubclass(model, models.Model) and model._meta.app_label == "disclosures"):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.TextField) or (isinstance(field, models.CharField) and not field.choices):
                found.add((model.__name__, field.name))
    return found


def test_every_free_text_column_is_erased_or_named_as_not_about_the_child() -> None:
    erased = {(model.__name__, column) for model, _path, columns in ERASABLE_TEXTS for column in columns}
    known = erased | set(NOT_ABOUT_THE_CHILD)
    assert _free_text_columns() - known == set(), "a free-text column neither erased nor named not about the child"
    assert known - _free_text_columns() == set(), "a column named that the models no longer have"
    assert not erased & set(NOT_ABOUT_THE_CHILD)


def test_the_erasure_leaves_no_free_text_about_the_child_anywhere_in_the_app(world: World) -> None:
    after, dispute = advised(world)
    dispute = dispute_withdraw(actor=after.user("school"), dispute=dispute, reason=f"{NAME} moved away.")
    for role in ("school_manager", "designated_manager"):
        dispute_record_make(
            actor=after.user(role), dispute=dispute, process_followed=f"Both stages for {NAME}.",
            reason=f"{NAME} moved.", impact=f"{NAME} was not seen.",
        )  # fmt: skip
    onward = onward_submit(after, need_to_know=f"{NAME} visits the child at home.")
    onward_request_decline(actor=after.user("designated_manager"), onward=onward, reason="other", detail=NAME)
    made = passed_on(after)
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason=f"It was {NAME}, not the father.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken=f"Told {NAME}'s teacher.")
    inaccuracy_report_submit(
        actor=after.user("school"), disclosure=after.disclosure, entry=after.made.entry,
        what_is_wrong=f"It names {NAME}.", suggested_correction=NAME,
    )  # fmt: skip
    disclosure_revoke(actor=after.user("school_manager"), disclosure=made, reason=f"{NAME} objected.")
    typed = {
        model.__name__
        for model, path, columns in ERASABLE_TEXTS
        for values in model._default_manager.filter(**{path: after.made.child.pk}).values_list(*columns)
        if any(NAME in value for value in values)
    }
    # Every kind of row written above holds the name (the test would pass vacuously otherwise).
    assert typed >= {
        "OnwardRequest", "Correction", "CorrectionNotice", "InaccuracyReport", "Dispute",
        "DisputeRecord", "DisclosureEvent",
    }  # fmt: skip
    child = child_close(actor=fresh(after.world.users["partnership_admin"]), child=after.made.child, reason="Moved")
    assert child.erase_due_on is not None
    erased = child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    assert erased.erased_at is not None
    left = []
    for model, path, columns in ERASABLE_TEXTS:
        for values in model._default_manager.filter(**{path: child.pk}).values_list(*columns):
            left += [(model.__name__, value) for value in values if value not in ("", ERASED)]
    assert left == []
    paths = {model.__name__: (model, path) for model, path, _columns in ERASABLE_TEXTS}
    for name in ("DisputePosition", "DisputeAdvice", "RequestAnswer"):  # their fixtures' texts, erased too
        kind, path = paths[name]
        assert kind._default_manager.filter(**{path: child.pk}).exists(), name
    assert Disclosure.objects.filter(child=child, subject_not_told_reason=ERASED).exists()


def test_the_erasure_refuses_a_record_that_is_open_or_not_yet_due(world: World) -> None:
    after = after_world(world)
    child = Child.objects.get(pk=after.made.child.pk)
    today = timezone.localdate() + timedelta(days=3650)
    for erase in (after_disclosure_erase, requests_erase):
        with pytest.raises(ValidationError, match="not due for erasure"):
            erase(child=child, today=today)  # open
    closed = child_close(actor=fresh(after.world.users["partnership_admin"]), child=child, reason="Moved")
    assert closed.erase_due_on is not None
    for erase in (after_disclosure_erase, requests_erase):
        with pytest.raises(ValidationError, match="not due for erasure"):
            erase(child=closed, today=closed.erase_due_on - timedelta(days=1))
    assert after_disclosure_erase(child=closed, today=closed.erase_due_on)["corrections"] == 0


def _update(sql: str, params: list[str | int], *, flag: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', %s, true)", [flag])
        cursor.execute(sql, params)
        return int(cursor.rowcount)


@pytest.mark.parametrize("flag", ["on", ""])
def test_the_database_lets_an_append_only_text_become_only_erased_and_only_under_the_erasure(
    world: World, flag: str
) -> None:
    _after, dispute = advised(world)
    erase = "UPDATE disclosures_disputeadvice SET advice = %s WHERE dispute_id = %s"
    more = "UPDATE disclosures_disputeadvice SET advice = %s, at = at - interval '1 day' WHERE dispute_id = %s"
    with pytest.raises((InternalError, ProgrammingError), match="append-only"):
        _update(erase, ["Something else.", dispute.pk], flag=flag)
    with pytest.raises((InternalError, ProgrammingError), match="append-only"):
        _update(more, [ERASED, dispute.pk], flag=flag)  # erased, and something else changed
    if flag:
        assert _update(erase, [ERASED, dispute.pk], flag=flag) == 2
    else:
        with pytest.raises((InternalError, ProgrammingError), match="append-only"):
            _update(erase, [ERASED, dispute.pk], flag=flag)
