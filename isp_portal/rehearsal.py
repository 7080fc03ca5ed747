"""Rehearsing a service: asking it what it would do, in a transaction that is rolled back (break12b F1, F13).

A "check your answers" page shows what a service would make of a draft, or its refusal, before anything is kept:
the service itself is asked (so its rules are written once), and its work is undone. The portal's journeys in
every app use this one function (disclosures.views.confirming re-exports it with the confirmation's helpers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

T = TypeVar("T")


class _Rehearsal(Exception):
    """Rolls back a rehearsal of a service: what it made is all that is wanted."""

    def __init__(self, made: Any) -> None:
        super().__init__()
        self.made = made


def rehearse(call: Callable[[], T]) -> tuple[T | None, ValidationError | None]:
    """What a service would do, asked of the service itself in a transaction that is rolled back (so its rules are
    written once and nothing is kept, sent or audited): what it would make (unsaved now: read its fields only), or
    its refusal. A "check your answers" page shows either; the confirmation asks the service again. Any other
    exception (a refusal by a policy, say) is raised as it is, after the rollback."""
    try:
        with transaction.atomic():
            raise _Rehearsal(call())
    except _Rehearsal as done:
        return done.made, None
    except ValidationError as error:
        return None, error
