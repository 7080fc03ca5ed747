"""`isp_portal.markup.html` gives what Django's `format_html` gives, for every kind of value a row holds
(issue 9: the rows of the agency and protocol pages are built with it)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from hypothesis import given
from hypothesis import strategies as st

from isp_portal.markup import html, rows

lazy_text = lazy(lambda: "<i>lazy</i> & 'quoted'", str)
lazy_safe = lazy(lambda: mark_safe("<b>safe</b>"), SafeString)

VALUES: list[Any] = [
    "<script>alert('x')</script>",
    "\"double\" & 'single'",
    mark_safe("<b>already markup</b>"),
    html("<em>{}</em>", "<nested>"),
    3,
    None,
    date(2026, 11, 29),
    lazy_text(),
    lazy_safe(),
    "",
]


@pytest.mark.parametrize("value", VALUES)
def test_html_is_format_html(value: Any) -> None:
    markup = '<td class="govuk-table__cell" title="{value}">{value}</td>'
    assert html(markup, value=value) == format_html(markup, value=value)
    assert html("<p>{}</p>", value) == format_html("<p>{}</p>", value)
    assert isinstance(html(markup, value=value), SafeString)


@given(st.text(max_size=200), st.text(max_size=200))
def test_html_escapes_any_text_as_format_html_does(first: str, second: str) -> None:
    markup = "<tr><td>{a}</td><td>{b}</td></tr>"
    assert html(markup, a=first, b=second) == format_html(markup, a=first, b=second)


def test_rows_join_each_row() -> None:
    joined = rows("<li>{name}</li>", [{"name": "<a>"}, {"name": "b"}])
    assert joined == "<li>&lt;a&gt;</li><li>b</li>" and isinstance(joined, SafeString)
