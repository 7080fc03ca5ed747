"""A page's compound read as one plain SQL statement (docs/fast-pages.md, issue 9).

The ORM resolves, clones and compiles every queryset on every request; for a page's few fixed reads that is
most of its CPU. A selector may instead run one SQL statement written out in full, with every value bound as a
parameter (never formatted into the text), and turn its rows into model instances with `instance`: no query is
compiled, and templates, `policy.can` and the model's methods work on them as on any instance. Only the columns
the statement read are loaded; reading another one would cost a statement, which tests/test_query_counts.py
catches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


class Statement:
    """A page's statement, prepared once on each database connection (PostgreSQL PREPARE), so that PostgreSQL
    plans it once rather than on every request: planning one of these compound reads costs PostgreSQL more
    than running it. Written with named parameters, `%(pk)s`; executed with every value bound as a parameter.
    Needs a session per connection (as the portal has: no transaction-pooling proxy in between)."""

    def __init__(self, name: str, sql: str) -> None:
        self.name = name
        self.sql = sql
        self.order: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in self.order:
                self.order.append(match.group(1))
            return f"${self.order.index(match.group(1)) + 1}"

        self.prepared_text = re.sub(r"%\((\w+)\)s", number, sql)
        self.execute_text = (
            f"EXECUTE {name}({', '.join(['%s'] * len(self.order))})" if self.order else f"EXECUTE {name}"
        )

    def run(self, cursor: Any, params: dict[str, Any]) -> None:
        # The set of statements prepared on this connection, kept with the connection it belongs to: a new
        # connection (after CONN_MAX_AGE, or a broken one) starts with none.
        database = cursor.db  # the connection itself, not the context-local proxy `connection` (issue 9)
        raw = database.connection
        known: tuple[Any, set[str]] | None = getattr(database, "_isp_prepared", None)
        if known is None or known[0] is not raw:
            known = (raw, set())
            database._isp_prepared = known
        if self.name not in known[1]:
            # Set-up of the connection, like its time zone: run on the driver's cursor, so not counted as
            # one of the page's statements (tests/test_query_counts.py, the benchmark's statement count).
            cursor.cursor.execute(f"PREPARE {self.name} AS {self.prepared_text}")
            known[1].add(self.name)
        cursor.execute(self.execute_text, [params[key] for key in self.order])


def fetch(sql: str | Statement, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of one statement, its values bound as parameters."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:  # one context-local read, not one per use
        if isinstance(sql, Statement):
            if not isinstance(params, dict):
                raise TypeError("A prepared statement takes its parameters by name.")
            sql.run(cursor, params)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()


_attnames: dict[type[Model], frozenset[str]] = {}
# (model, fields) -> whether every field is one of the model's columns (so the values go in as they are).
_all_columns: dict[tuple[type[Model], tuple[str, ...]], bool] = {}


def instance(model: type[M], fields: Sequence[str], values: Sequence[Any]) -> M:
    """A model instance from the given columns (by attname: `agency_id`), as the ORM would have loaded it with
    `.only(*fields)`; the other columns are deferred."""
    names = fields if type(fields) is tuple else tuple(fields)
    key = (model, names)
    plain = _all_columns.get(key)
    if plain is None:
        concrete = _attnames.get(model)
        if concrete is None:
            concrete = _attnames[model] = frozenset(field.attname for field in model._meta.concrete_fields)
        plain = _all_columns[key] = concrete.issuperset(names)
    if (
        plain
        and model.__init__ is Model.__init__
        # The receivers' lists first: empty in this project, and cheaper to ask than has_listeners (a weak
        # dictionary's lookup), which a page would ask twice for each of its thirty instances.
        and (not signals.pre_init.receivers or not signals.pre_init.has_listeners(model))
        and (not signals.post_init.receivers or not signals.post_init.has_listeners(model))
    ):
        # What Model.from_db and Model.__init__ leave, without walking every field of the model (a page builds
        # a dozen or more instances; issue 9): the state of a loaded instance and the loaded columns in its
        # __dict__, where __init__'s setattr puts them (a fresh instance has no cached relation for a foreign
        # key's setter to clear). Any other column is deferred, as with .only(). A model with its own
        # __init__, or with pre_init/post_init receivers, goes through from_db.
        obj = model.__new__(model)
        state = obj._state = ModelState()
        state.adding = False
        state.db = DEFAULT_DB_ALIAS  # the database fetch reads from
        obj.__dict__.update(zip(names, values, strict=True))
        return obj
    given = dict(zip(fields, values, strict=True))
    ordered = [field.attname for field in model._meta.concrete_fields if field.attname in given]
    # from_db takes the values in the model's field order.
    return model.from_db(DEFAULT_DB_ALIAS, ordered, [given[name] for name in ordered])


def relate(obj: Model, name: str, related: Model | None) -> None:
    """Set a loaded foreign object (what `select_related` does), so reading it costs no statement."""
    obj._state.fields_cache[name] = related
