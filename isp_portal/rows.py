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
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.contrib.postgres.fields import ArrayField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BigIntegerField, F, Lookup, Model, QuerySet, Value, signals
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
SLOT_ID_3 = 2_000_000_033
SLOT_DAY = date(1901, 1, 1)
# A list of ids, bound as one array parameter (any_of): a Compiled read of any number of rows.
SLOT_IDS = [2_000_000_041]


if TYPE_CHECKING:
    _Lookup = Lookup[Any]
else:
    _Lookup = Lookup  # not subscriptable at run time


class _AnyOf(_Lookup):
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)  # the array as it is: `= ANY((...))` is no SQL
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def any_of(field: str, ids: Sequence[int]) -> Lookup[Any]:
    """`field = ANY(ids)`, the ids bound as one array parameter, for a filter: what `<field>__in=ids` selects, in a
    statement whose text is the same whatever the number of ids (so a Compiled read can take them as a slot;
    `__in` binds one parameter per id)."""
    return _AnyOf(F(field), Value(list(ids), output_field=ArrayField(BigIntegerField())))


def _slot_sources(name: str, params: Sequence[Any], slots: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """For each parameter of a statement compiled with the slots' sentinels: (the slot it binds, None) or (None, the
    fixed value it binds). Every slot must be found."""
    sources: list[tuple[str | None, Any]] = []
    found: set[str] = set()
    for param in params:
        slot = next((key for key, mark in slots.items() if type(param) is type(mark) and param == mark), None)
        sources.append((slot, None if slot else param))
        if slot:
            found.add(slot)
    if found != set(slots):
        raise ValueError(f"{name}: {sorted(set(slots) - found)} not found in the compiled SQL.")
    return sources


class CompiledSQL:
    """A queryset's SQL and parameters, built and compiled by the ORM once per process, with `slots` as Compiled
    has them: for a statement that runs the query inside another (isp_portal.notifications.notify_selected's
    INSERT ... SELECT), where Compiled runs it and makes instances of its rows."""

    def __init__(self, name: str, build: Callable[..., QuerySet[Any]], **slots: Any) -> None:
        self.name = name
        self.build = build
        self.slots = slots
        self._ready: tuple[str, list[tuple[str | None, Any]]] | None = None

    def sql_with_params(self, **values: Any) -> tuple[str, tuple[Any, ...]]:
        if self._ready is None:
            sql, params = self.build(**self.slots).query.sql_with_params()
            self._ready = (sql, _slot_sources(self.name, params, self.slots))
        sql, sources = self._ready
        return sql, tuple(values[slot] if slot else value for slot, value in sources)


def insert_together(*groups: Sequence[Model]) -> None:
    """Insert the unsaved instances of each group (a sequence of one model's instances; an empty one is skipped) in
    one statement, `WITH i0 AS (INSERT ...), i1 AS (INSERT ...) INSERT ...`: the rows a write makes at once (a
    disclosure's entries, recipients and snapshot) in one round trip rather than one each (issue 12). As
    bulk_create: each column as the ORM would write it (pre_save, get_db_prep_save), no signals, and the instances'
    own ids are not read back; so only for rows nobody names by their id in the same request. The groups must not
    depend on each other's rows (each INSERT of the statement sees the tables as they were before it)."""
    database = connections[DEFAULT_DB_ALIAS]
    quote = database.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for objs in groups:
        if not objs:
            continue
        meta = type(objs[0])._meta
        fields = [field for field in meta.concrete_fields if field is not meta.auto_field]  # the id: the database's
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for obj in objs:
            params.extend(field.get_db_prep_save(field.pre_save(obj, True), database) for field in fields)
        columns = ", ".join(quote(field.column or field.attname) for field in fields)
        # The model's own table and column names; every value bound as a parameter.
        parts.append(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(objs))}")  # noqa: S608
    if not parts:
        return
    *first, last = parts
    sql = "WITH " + ", ".join(f"i{number} AS ({part})" for number, part in enumerate(first)) + " " if first else ""
    with database.cursor() as cursor:
        cursor.execute(sql + last, params)


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
        sources = _slot_sources(self.name, params, self.slots)
        names = iter(range(len(params)))
        statement = Statement(f"isp_{self.name}", re.sub(r"%s", lambda _m: f"%(p{next(names)})s", sql))
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, DEFAULT_DB_ALIAS)  # type: ignore[call-arg]
        # The columns' converters, as results_iter would work them out on every run (a fifth of a run's CPU).
        columns = [column[0] for column in select[0 : compiler.col_count]]
        converters = compiler.get_converters(columns)
        if compiler.has_composite_fields(columns):
            raise ValueError(f"{self.name}: a composite field is not read by a Compiled read.")
        self._ready = (
            statement, sources, compiler, klass_info["model"], start, end, init_list, populators,
            dict(compiler.annotation_col_map or {}), " FOR UPDATE" in sql, converters,
        )  # fmt: skip
        return self._ready

    def rows(self, **values: Any) -> list[M]:
        statement, sources, compiler, model, start, end, init_list, populators, annotations, locking, converters = (
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
        for row in compiler.apply_converters(fetched, converters) if converters else fetched:
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
