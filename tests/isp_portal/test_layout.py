"""The layout's header and footer rendered once per process and filled in per request (isp_portal/layout.py):
the same markup Django's engine renders from the same template with the request's own values, a fresh nonce
and CSRF token on every request, and a name people typed escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.template import Context, RequestContext, Template
from django.test import Client
from django.utils.html import escape

from isp_portal import layout
from tests.factories import World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db

LAYOUT = Path(settings.BASE_DIR) / "templates" / "layout"
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')

# The layout as the engine rendered it on every request before issue 9: the stand-ins put back as the tags
# and variables they stand for.
ENGINE_FORMS = {
    "{{ navigation }}": "{% service_navigation %}",
    "{{ csrf_input }}": "{% csrf_token %}",
    "{{ user_name }}": "{{ request.user.full_name }}",
    "{{ role_summary }}": "{% with summary=request.user.role_summary %}{% if summary %} ({{ summary }}){% endif %}"
    "{% endwith %}",
}


def _by_the_engine(part: str) -> Template:
    text = (LAYOUT / f"{part}.html").read_text()
    for stand_in, original in ENGINE_FORMS.items():
        assert part == "footer" or stand_in in text
        text = text.replace(stand_in, original)
    return Template(text)


def _same_but_tokens(ours: str, theirs: str, secret: str | None) -> None:
    # A CSRF token is masked afresh each time it is asked for: the same secret, other characters.
    for markup in (ours, theirs):
        for token in CSRF_INPUT.findall(markup):
            assert _unmask_cipher_token(token) == secret
    assert CSRF_INPUT.sub("T", ours) == CSRF_INPUT.sub("T", theirs)


@pytest.mark.parametrize("role", ["agency_admin", "practitioner", "anonymous"])
def test_each_part_is_what_the_engine_renders_for_this_request(world: World, role: str) -> None:
    response = client_as(world, role).get("/" if role != "anonymous" else "/privacy/")
    request = response.wsgi_request
    context = RequestContext(request, {})
    secret = request.META.get("CSRF_COOKIE")
    for part in layout.PARTS:
        with context.bind_template(_by_the_engine(part)):
            theirs = _by_the_engine(part).render(context)
            ours = layout.render_part(part, context)
        _same_but_tokens(ours, theirs, secret)
        assert (CSRF_INPUT.search(ours) is not None) == (role != "anonymous" and part == "header")
        assert CSRF_INPUT.sub("T", ours) in CSRF_INPUT.sub("T", response.content.decode())  # what the page shows


def test_the_nonce_and_the_csrf_token_are_this_requests(world: World) -> None:
    client = client_as(world, "practitioner")
    pages = [client.get("/") for _ in range(2)]
    nonces = [re.search(r'<script nonce="([^"]+)">', page.content.decode()) for page in pages]
    tokens = [CSRF_INPUT.search(page.content.decode()) for page in pages]
    assert all(nonces) and all(tokens)
    first, second = (match.group(1) for match in nonces if match)
    assert first != second
    for page, match in zip(pages, nonces, strict=True):
        assert match and f"'nonce-{match.group(1)}'" in page["Content-Security-Policy"]
    assert tokens[0] and tokens[1] and tokens[0].group(1) != tokens[1].group(1)


def test_a_typed_name_is_escaped(world: World) -> None:
    user = world.users["practitioner"]
    user.full_name = "<script>alert('x')</script> & \"Ann\""
    user.save(update_fields=["full_name"])
    page = client_as(world, "practitioner").get("/").content.decode()
    assert f"Signed in as <strong>{escape(user.full_name)}</strong>" in page
    assert "<script>alert" not in page


def test_without_a_request_the_parts_are_the_signed_out_layout() -> None:
    # An error page rendered without a request context (no user, no nonce) still gets a whole layout.
    header = layout.render_part("header", Context({}))
    assert '<script nonce="">' in header and "Sign out" not in header
    assert "This is a new service for the partner agencies" in header
    assert "API documentation" not in layout.render_part("footer", Context({}))


def test_a_signed_out_page_has_no_sign_out_form(world: World) -> None:
    page = Client().get("/privacy/").content.decode()
    assert "Sign out" not in page and CSRF_INPUT.search(page) is None
