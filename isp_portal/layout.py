"""The GOV.UK layout's header and footer rendered once per process, filled in per request (issue 9).

templates/base.html keeps the page's title, its `before_content` and `content` blocks and the messages; the
rest of the layout is templates/layout/header.html and footer.html, put in with `{% layout_part "header" %}`.
Rendered on every page by Django's template engine, the layout cost as much as a page's own body (about
0.5 ms of a 3 to 4 ms request here: its `{% if %}`s, links, static addresses and names). Almost all of it is
the same on every page: it depends only on the settings (the names), the static files' manifest, the URL
configuration and script prefix, and whether someone is signed in. So each part is rendered once for each
combination of those, **with stand-ins for what differs per request** (the CSP nonce, the navigation's
items, the sign-out form's CSRF input, the user's name and roles), and split at the stand-ins; a request
joins the constant pieces with its own values, each escaped as `{{ value }}` escapes it
(`isp_portal.markup`). The markup is the same as the engine's: `tests/isp_portal/test_layout.py` compares
them.

Per request, nothing is cached: the nonce is the request's (django-csp makes it on first use, as before:
the header part asks for it only when it is in the markup), the CSRF input is Django's masked token for this
request (the markup of `{% csrf_token %}`), the navigation is `nav_html`'s.

Invalidation: the pieces are kept per (part, signed in, URL configuration, script prefix) and forgotten when
a setting changes (`setting_changed`, as tests do); static addresses and settings do not change while a
process runs. With `DEBUG` on (development, templates edited while the server runs) nothing is kept.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.template import Context
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString

from isp_portal.markup import html
from isp_portal.navigation import nav_html

PARTS = ("header", "footer")

# The values a part takes per request, each rendered first as a stand-in that escaping leaves as it is.
_PER_REQUEST = ("csp_nonce", "navigation", "csrf_input", "user_name", "role_summary")
_STAND_IN = {name: SafeString(f"\x00{name}\x00") for name in _PER_REQUEST}
_SPLIT = re.compile("\x00(" + "|".join(_PER_REQUEST) + ")\x00")

# (part, signed in, urlconf, script prefix) -> the markup split at the stand-ins: constant text at even
# positions, the per-request value's name at odd ones. At most 2 parts x 2 x the URL configurations in use.
_pieces: dict[tuple[str, bool, object, str], tuple[str, ...]] = {}


def forget(**kwargs: object) -> None:
    _pieces.clear()


setting_changed.connect(forget)


def _render_once(part: str, signed_in: bool) -> tuple[str, ...]:
    context = {
        "service_name": settings.SERVICE_NAME,
        "partnership_name": settings.PARTNERSHIP_NAME,
        "signed_in": signed_in,
        **_STAND_IN,
    }
    # A plain Context (no request, no context processors): the part reads only what is given here.
    engine_template = get_template(f"layout/{part}.html").template  # type: ignore[attr-defined]
    markup: str = engine_template.render(Context(context, autoescape=True))
    return tuple(_SPLIT.split(markup))


def pieces(part: str, signed_in: bool) -> tuple[str, ...]:
    key = (part, signed_in, get_urlconf(), get_script_prefix())
    found = _pieces.get(key)
    if found is None:
        found = _render_once(part, signed_in)
        if not settings.DEBUG:
            _pieces[key] = found
    return found


# What Django's csrf context processor gives when there is no token to give (CsrfTokenNode renders nothing).
_NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 - a marker, not a secret


def _csrf_input(token: object) -> str:
    # The markup of {% csrf_token %} (django.template.defaulttags.CsrfTokenNode), from the context's lazy token.
    if token and token != _NO_CSRF_TOKEN:
        return html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
    return ""


def _value(name: str, context: Any) -> str:
    request = context.get("request")
    if name == "csp_nonce":
        return html("{}", context.get("csp_nonce", ""))
    if name == "navigation":
        return nav_html(request.user, request.path) if request is not None else ""
    if name == "csrf_input":
        return _csrf_input(context.get("csrf_token"))
    user = getattr(request, "user", None)
    if name == "user_name":
        return html("{}", user.full_name) if user is not None else ""
    summary = user.role_summary if user is not None else ""
    return html(" ({})", summary) if summary else ""


def render_part(part: str, context: Any) -> SafeString:
    """The layout's `part` for this request: the pieces rendered once, with this request's values."""
    found = pieces(part, bool(context.get("signed_in")))
    out = list(found)
    for index in range(1, len(out), 2):
        out[index] = _value(out[index], context)
    return SafeString("".join(out))
