"""The export's filters read from a query string or a form body (issue 15, "Bad input": an unknown filter or a
reversed date range is refused, naming it). Over oversight.filters.TrailFilter, whose field names are the parameters;
each value's own check is here, the filter as a whole is oversight.filters.filter_problems'.

Stands in for the workspace's filter form (oversight.forms) until that lands; the two are to be reconciled."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields
from datetime import date

from oversight.filters import FilterError, Source, TrailFilter, filter_problems

FILTER_NAMES = tuple(field.name for field in fields(TrailFilter))
DATE_FILTERS = ("occurred_from", "occurred_to")
ID_FILTERS = ("agency_id", "user_id", "child_id")
TEXT_MAX = 64  # every text filter is a kind, a basis or an outcome: a short code


def _one(query: Mapping[str, object], name: str) -> str:
    getlist = getattr(query, "getlist", None)
    values = getlist(name) if getlist is not None else [query[name]]
    if len(values) != 1:
        raise FilterError(name, "Give this filter once.")
    return str(values[0]).strip()


def parse_filter(
    query: Mapping[str, object], *, source: Source, also_allowed: Collection[str] = ()
) -> tuple[TrailFilter, list[FilterError]]:
    """The filter a query string (or a form's body) gives, and every problem with it: an unknown parameter (not a
    filter, nor one of `also_allowed`), a value given twice, a value that is not a day or a number, and what
    filter_problems finds in the filter as a whole. An empty value means "not filtered"."""
    problems: list[FilterError] = []
    values: dict[str, object] = {}
    for name in query:
        if name not in FILTER_NAMES and name not in also_allowed:
            problems.append(FilterError(name, "This is not a filter of the audit trail."))
    for name in FILTER_NAMES:
        if name not in query:
            continue
        try:
            text = _one(query, name)
        except FilterError as error:
            problems.append(error)
            continue
        if not text:
            continue
        if name in DATE_FILTERS:
            try:
                values[name] = date.fromisoformat(text)
            except ValueError:
                problems.append(FilterError(name, "Give a day as YYYY-MM-DD, for example 2026-04-01."))
        elif name in ID_FILTERS:
            if not text.isdigit() or len(text) > 19:
                problems.append(FilterError(name, "Give a number from the portal."))
            else:
                values[name] = int(text)
        elif len(text) > TEXT_MAX:
            problems.append(FilterError(name, f"Give at most {TEXT_MAX} characters."))
        else:
            values[name] = text
    trail_filter = TrailFilter(**values)  # type: ignore[arg-type]
    if not problems:
        problems = filter_problems(trail_filter, source=source)
    return trail_filter, problems
