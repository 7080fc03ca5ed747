"""A page's compound read as one plain SQL statement (docs/fast-pages.md, issue 9).

The ORM resolves, clones and compiles every queryset on every request; for a page's few fixed reads that is
most of its CPU. A selector may instead run one SQL statement written out in full, with every value bound as a
parameter (never formatted into the text), and turn its rows into model instances with `instance`: no query is
compiled, and templates, `policy.can` and the model's methods work on them as on any instance. Only the columns
the statement read are loaded; reading another one would cost a statement, which tests/test_query_counts.py
catches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


def fetch(sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of one statement, its values bound as parameters."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def instance(model: type[M], fields: Sequence[str], values: Sequence[Any]) -> M:
    """A model instance from the given columns (by attname: `agency_id`), as the ORM would have loaded it with
    `.only(*fields)`; the other columns are deferred."""
    given = dict(zip(fields, values, strict=True))
    names = [field.attname for field in model._meta.concrete_fields if field.attname in given]
    # from_db takes the values in the model's field order.
    return model.from_db(connection.alias, names, [given[name] for name in names])


def relate(obj: Model, name: str, related: Model | None) -> None:
    """Set a loaded foreign object (what `select_related` does), so reading it costs no statement."""
    obj._state.fields_cache[name] = related
