"""The Content-Security-Policy header built once per process (isp_portal.middleware.CachedCSPMiddleware): the
same header django-csp builds, with a fresh nonce on every request."""

from __future__ import annotations

import re
from typing import Any

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from isp_portal.middleware import CachedCSPMiddleware


def _header(middleware: Any, use_nonce: bool, response: HttpResponse | None = None) -> tuple[str, str | None]:
    request = RequestFactory().get("/")
    middleware.process_request(request)
    nonce = str(request.csp_nonce) if use_nonce else None  # type: ignore[attr-defined]
    response = middleware.process_response(request, response or HttpResponse("page"))
    return response["Content-Security-Policy"], nonce


@pytest.mark.parametrize("use_nonce", [True, False])
def test_the_header_is_django_csps_with_this_requests_nonce(use_nonce: bool) -> None:
    cached = CachedCSPMiddleware(lambda request: HttpResponse())
    plain = CSPMiddleware(lambda request: HttpResponse())
    header, nonce = _header(cached, use_nonce)
    again, other_nonce = _header(cached, use_nonce)
    expected, expected_nonce = _header(plain, use_nonce)
    if use_nonce:
        assert nonce and other_nonce and expected_nonce and nonce != other_nonce  # per request, never cached
        assert f"'nonce-{nonce}'" in header and f"'nonce-{other_nonce}'" in again
        assert header.replace(nonce, "N") == again.replace(other_nonce, "N") == expected.replace(expected_nonce, "N")
        assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'", header)
    else:
        assert "nonce" not in header
        assert header == again == expected


def test_a_changed_policy_is_built_again() -> None:
    cached = CachedCSPMiddleware(lambda request: HttpResponse())
    _header(cached, True)
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert _header(cached, True)[0] == "default-src 'none'"
    assert "object-src 'none'" in _header(cached, True)[0]


def test_a_response_with_its_own_policy_keeps_it() -> None:
    cached = CachedCSPMiddleware(lambda request: HttpResponse())
    response = HttpResponse()
    response._csp_replace = {"img-src": ["https://example.org"]}  # type: ignore[attr-defined]
    assert "img-src https://example.org" in _header(cached, False, response)[0]


def test_reading_the_nonce_after_the_header_is_written_is_an_error() -> None:
    from csp.exceptions import CSPNonceError

    cached = CachedCSPMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    cached.process_request(request)
    cached.process_response(request, HttpResponse())
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
