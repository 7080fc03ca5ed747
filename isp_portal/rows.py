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
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

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


# Sentinels for Compiled's slots: values no real query binds (an id no table reaches, a day before the portal).
SLOT_ID = 2_000_000_011
SLOT_ID_2 = 2_000_000_029
SLOT_DAY = date(1901, 1, 1)


class Compiled(Generic[M]):
    """A fixed read written by the ORM once per process, then only run (issue 12: the write path's CPU).

    `build` returns the queryset, given a value for each of `slots` (name -> a sentinel of the value's type that
    appears in no real query): it is built and compiled once, with the sentinels, and each later `rows(**values)`
    runs the same SQL with the values bound in the sentinels' places (a prepared statement, as Statement), turning
    the rows into instances as the ORM does (select_related, annotations, the fields' converters). So the read is
    exactly the queryset's, without resolving, cloning and compiling it on every request. Every value that can
    change between calls (ids, today's date) must be one of `slots`; `build` must not read the clock or the
    request."""

    def __init__(self, name: str, build: Callable[..., QuerySet[M]], **slots: Any) -> None:
        self.name = name
        self.build = build
        self.slots = slots
        self._ready: tuple[Any, ...] | None = None

    def _prepare(self) -> tuple[Any, ...]:
        queryset = self.build(**self.slots)
        compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        if "%%" in sql:
            raise ValueError(f"{self.name}: a literal % in the SQL cannot be prepared.")
        sources: list[tuple[str | None, Any]] = []
        found: set[str] = set()
        for param in params:
            slot = next((key for key, mark in self.slots.items() if type(param) is type(mark) and param == mark), None)
            sources.append((slot, None if slot else param))
            if slot:
                found.add(slot)
        if found != set(self.slots):
            raise ValueError(f"{self.name}: {sorted(set(self.slots) - found)} not found in the compiled SQL.")
        names = iter(range(len(params)))
        statement = Statement(f"isp_{self.name}", re.sub(r"%s", lambda _m: f"%(p{next(names)})s", sql))
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, DEFAULT_DB_ALIAS)  # type: ignore[call-arg]
        self._ready = (
            statement, sources, compiler, klass_info["model"], start, end, init_list, populators,
            dict(compiler.annotation_col_map or {}), " FOR UPDATE" in sql,
        )  # fmt: skip
        return self._ready

    def rows(self, **values: Any) -> list[M]:
        statement, sources, compiler, model, start, end, init_list, populators, annotations, locking = (
            self._ready or self._prepare()
        )
        database = connections[DEFAULT_DB_ALIAS]
        if locking and not database.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = {f"p{number}": values[slot] if slot else value for number, (slot, value) in enumerate(sources)}
        with database.cursor() as cursor:
            statement.run(cursor, params)
            fetched = cursor.fetchall()
        found: list[M] = []
        for row in compiler.results_iter([fetched]):
            obj = model.from_db(DEFAULT_DB_ALIAS, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in annotations.items():
                setattr(obj, attr, row[position])
            found.append(obj)
        return found

    def get(self, **values: Any) -> M:
        """The one row, as QuerySet.get: DoesNotExist when there is none (the build's query names one row)."""
        found = self.rows(**values)
        if not found:
            model: type[M] = (self._ready or self._prepare())[3]
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")  # type: ignore[attr-defined]
        return found[0]
