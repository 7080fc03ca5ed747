"""A page's repeated rows as markup built in Python (docs/fast-pages.md §4, issue 9).

Django's template engine spends its time per node: every `{{ a.b }}` is a chain of lookups, every `{% if %}`
and `{% for %}` iteration pushes a context, and on the agency and protocol pages the table rows were most of
the rendering. A row written as one format string and filled with `html` (Django's `format_html` without its
lazy-argument wrapper) costs a few microseconds: each value is escaped exactly as `{{ value }}` escapes it
(values already markup, such as another `html` result, are left as they are), and the markup stays a literal
string next to the code that fills it. The template keeps the table, its caption and headers and the empty
state, and puts the rows in with `{{ rows }}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def _escaped(value: Any) -> str:
    # django.utils.html.conditional_escape, without its lazy-argument wrapper around escape (a third of the
    # cost of a row): a lazy string is made a string, a value that is already markup is kept, anything else
    # escaped with html.escape as django.utils.html.escape does. Plain strings and whole numbers, most of a
    # page's values, go first (MarkupSafe's escape would spell quotes differently and, making Markup objects,
    # is slower here).
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind is int:
        return str(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def html(markup: str, *args: Any, **values: Any) -> SafeString:
    """`format_html(markup, *args, **values)`: the values escaped (unless already markup) and put into `markup`,
    which is taken as markup. tests/isp_portal/test_markup.py compares the two."""
    return SafeString(markup.format(*map(_escaped, args), **{name: _escaped(v) for name, v in values.items()}))


def rows(markup: str, items: Iterable[dict[str, Any]]) -> SafeString:
    """Each item's values put into `markup` by name with `html` (so escaped), joined."""
    return SafeString("".join(html(markup, **item) for item in items))
