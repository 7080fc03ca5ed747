"""Two answers or approvals of the same request at the same moment end with exactly one (issue 12: "Workflow
integrity"; design12 8). Two threads, two real database connections, a barrier before the call: the service locks
the request row, so the second waits for the first to commit, then sees its state and is refused naming it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from disclosures.models import Disclosure, InformationRequest, RequestAnswer
from disclosures.services import request_answer_decline, request_approve, request_withdraw
from isp_portal.policy import NotPermitted
from tests.disclosures.fixtures import answer, case, refreshed, submit
from tests.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls at the same moment, each on its own connection; return the results and the errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(10)
            results.append(call())
        except BaseException as error:  # the test reads them
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_two_answers_at_once_end_with_exactly_one(world: World) -> None:
    made = case(world)
    request = submit(made)
    results, errors = race(lambda: answer(made, request), lambda: answer(made, request, by="restricted"))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], NotPermitted), errors[0]
    assert RequestAnswer.objects.filter(request=request).count() == 1
    assert refreshed(request).state == "awaiting_approval"


def test_two_approvals_at_once_end_with_exactly_one_disclosure(world: World) -> None:
    made = case(world)
    request = submit(made)
    answer(made, request)
    results, errors = race(
        lambda: request_approve(actor=made.user("designated_manager"), request=request),
        lambda: request_approve(actor=made.user("second_manager"), request=request),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], NotPermitted), errors[0]
    assert Disclosure.objects.filter(request=request).count() == 1
    assert refreshed(request).state == "shared"


def test_an_answer_and_a_withdrawal_at_once_end_with_one(world: World) -> None:
    made = case(world)
    request = submit(made)
    results, errors = race(
        lambda: request_answer_decline(actor=made.user("practitioner"), request=request, reason="nothing_held"),
        lambda: request_withdraw(actor=made.user("school"), request=request, reason="Not needed."),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], NotPermitted), errors[0]
    state = InformationRequest.objects.get(pk=request.pk).state
    assert state in {"declined", "withdrawn"}
    assert (RequestAnswer.objects.filter(request=request).count() == 1) == (state == "declined")
