"""A page's repeated rows as markup built in Python (docs/fast-pages.md §4, issue 9).

Django's template engine spends its time per node: every `{{ a.b }}` is a chain of lookups, every `{% if %}`
and `{% for %}` iteration pushes a context, and on the agency and protocol pages the table rows were most of
the rendering. A row written as one format string and filled with `format_html` costs a few microseconds:
each value is escaped exactly as `{{ value }}` escapes it (values already marked safe, such as another
`format_html` result, are left as they are), and the markup stays a literal string next to the code that fills
it. The template keeps the table, its caption and headers and the empty state, and puts the rows in with
`{{ rows }}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def rows(markup: str, items: Iterable[dict[str, Any]]) -> SafeString:
    """Each item's values put into `markup` by name with `format_html` (so escaped), joined."""
    return mark_safe("".join(format_html(markup, **item) for item in items))  # noqa: S308 - each part escaped
