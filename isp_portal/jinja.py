"""The Jinja2 environment for the pages whose bodies Jinja2 renders (docs/fast-pages.md §4, issue 9).

Django's template engine resolves every `{{ a.b }}` as a chain of lookups and pushes a context for every
`{% if %}` and `{% for %}`; Jinja2 compiles a template to Python once per process. The agency and protocol pages
render with it (`render(..., using="jinja2")`); their templates are under `<app>/jinja2/`, the layout's
`base.html` and the messages under isp_portal/jinja2/. The helpers are the `govuk` template tags' own functions,
so both engines give the same markup, and the values are escaped as `{{ value }}` escapes them in Django
(`&#x27;`, `&quot;`: `_escaped` below, Jinja2's `finalize`), so one page has one spelling throughout and the
layout, rows built with `isp_portal.markup.html` and the page body agree. tests/isp_portal/test_jinja_pages.py
compares each page with its Django template.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django.http import HttpRequest
from django.template import defaultfilters
from django.utils.safestring import SafeString
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from isp_portal import layout, links
from isp_portal.templatetags.govuk import counted_as, govuk_date, govuk_datetime, tag_colour


def _escaped(value: Any) -> Any:
    # Jinja2's `finalize`: each `{{ value }}` as Django's `{{ value }}` gives it (django.utils.html.escape is
    # html.escape: `&#x27;`, `&quot;`), then autoescaping leaves it as it is. Markup (anything with `__html__`:
    # Django's SafeString, Jinja2's Markup) is kept.
    if hasattr(value, "__html__"):
        return value
    return SafeString(escape(str(value)))


@pass_context
def layout_part(context: Context, part: str) -> SafeString:
    """`{{ layout_part("header") }}`: the layout's part, rendered once per process and filled in with this
    request's values (isp_portal/layout.py), as `{% layout_part %}` does."""
    return layout.render_part(part, context)


def linebreaksbr(value: Any) -> Any:
    """Django's `linebreaksbr` filter with autoescaping on."""
    return defaultfilters.linebreaksbr(value, autoescape=True)


def routes(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `link(name, *args)`, the address `{% link %}` gives, with the URL configuration and
    script prefix read once per rendering (isp_portal/links.py)."""
    return {"link": links.Routes()}


def environment(**options: Any) -> Environment:
    # Django's own templates keep a final newline; so do these, so each page ends as its Django template did.
    options.setdefault("keep_trailing_newline", True)
    env = Environment(finalize=_escaped, **options)  # noqa: S701 - autoescape is on (Django's Jinja2 backend)
    env.globals.update(layout_part=layout_part, tag_colour=tag_colour)
    env.filters.update(
        govuk_date=govuk_date,
        govuk_datetime=govuk_datetime,
        counted_as=counted_as,
        capfirst=defaultfilters.capfirst,
        linebreaksbr=linebreaksbr,
    )
    return env
