"""Cross-cutting request handling: request context, session rules, caching headers, and recording of
access denials (DESIGN 3.2, 4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from audit import context as audit_context
from audit.services import audit_record
from isp_portal import request_context
from isp_portal.policy import AccessDenied, record_denial

GetResponse = Callable[[HttpRequest], HttpResponse]

SESSION_SIGNED_IN_AT = "isp_signed_in_at"
SESSION_LAST_SEEN_AT = "isp_last_seen_at"
# Refresh the idle clock at most once a minute, so most requests do not write the session.
_LAST_SEEN_RESOLUTION_SECONDS = 60


LIVENESS_PATH = "/healthz/live"


class LivenessMiddleware:
    """Answer the liveness check (`/healthz/live`) first of all, needing nothing: no database, Redis, session
    or user, and no Host header check, because the orchestrator's probe calls 127.0.0.1, which
    ALLOWED_HOSTS rightly does not list in production. It says only that this process can serve."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == LIVENESS_PATH:
            response = JsonResponse({"status": "ok"})
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class RequestContextMiddleware:
    """Give every request an id and its client IP, for the audit trail and the logs."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = audit_context.RequestContext(
            request_id=request_context.request_id_from(request),
            ip=request_context.client_ip(request),
            path=request.path,
        )
        request.request_id = context.request_id  # type: ignore[attr-defined]
        with audit_context.bound(context):
            response = self.get_response(request)
        response["X-Request-ID"] = str(context.request_id)
        return response


class InvalidFormEncoding(BadRequest):
    """A form was sent with bytes that are not UTF-8 (answered with a 400: isp_portal.views.errors)."""


FORM_ENCODING_REFUSED = (
    "The form was sent with characters that are not valid text (not UTF-8), so nothing was saved. Go back, "
    "check what you typed or pasted, and send the form again."
)


class FormEncodingMiddleware:
    """Refuse a form post whose fields are not valid UTF-8, before any view or form reads it (issue 8).

    Django decodes form fields with errors="replace": bytes that are not UTF-8 become U+FFFD and would be stored
    as such, silently garbling what was sent. Browsers always send UTF-8 (every page declares it), so such a
    body is a broken client or a probe. A url-encoded body is decoded strictly here (its percent-escapes
    included). A multipart body has already been decoded with replacement by the time it can be read, so a
    U+FFFD in any of its text fields or file names is taken as the sign; nobody types that character. A body
    too large or with too many fields raises Django's own refusal here, answered with a 413
    (isp_portal.views.errors.bad_request)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            content_type = request.content_type or ""
            if content_type == "application/x-www-form-urlencoded":
                request.POST  # noqa: B018 - Django's own bounds first: too large, too many fields
                try:
                    parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
                except UnicodeDecodeError:
                    raise InvalidFormEncoding(FORM_ENCODING_REFUSED) from None
            elif content_type == "multipart/form-data":
                texts = [name for name, _ in request.POST.lists()] + [name for name, _ in request.FILES.lists()]
                texts += [str(value) for _, values in request.POST.lists() for value in values]
                texts += [
                    str(getattr(upload, "name", "")) for _, uploads in request.FILES.lists() for upload in uploads
                ]
                if any("\ufffd" in text for text in texts):
                    raise InvalidFormEncoding(FORM_ENCODING_REFUSED)
        return self.get_response(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionPolicyMiddleware:
    """Sessions end after 15 minutes idle or 12 hours in all (DESIGN 4), and a session that has not
    passed two-factor is never treated as signed in."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            ended = self._ended(request)
            if ended:
                audit_record(kind="auth.session_expired", actor=user, detail={"reason": ended})
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        {
                            "error": {
                                "status": 401,
                                "code": "session_expired",
                                "message": "Your session has ended.",
                            }
                        },
                        status=401,
                    )
                messages.info(request, _ENDED_MESSAGES[ended])
                return redirect(f"{reverse('sign-in')}?{urlencode({'next': request.get_full_path()})}")
        # The user is loaded now (is_authenticated above): hand the view, the policy and the templates the object
        # itself rather than the lazy proxy, whose every attribute read is an extra Python call (the policy and
        # a page's template read the user over a hundred times; issue 9). Nothing else changes: the same user.
        if isinstance(user, SimpleLazyObject) and user._wrapped is not empty:
            request.user = user._wrapped
        return self.get_response(request)

    def _ended(self, request: HttpRequest) -> str | None:
        session = request.session
        now = timezone.now()
        if settings.TWO_FACTOR_REQUIRED and not request.user.is_verified():  # type: ignore[union-attr]
            return "not_verified"
        signed_in_at = _read_time(session.get(SESSION_SIGNED_IN_AT))
        last_seen_at = _read_time(session.get(SESSION_LAST_SEEN_AT))
        if signed_in_at is None or last_seen_at is None:
            return "no_sign_in_time"
        if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            return "absolute"
        if now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
            return "idle"
        if (now - last_seen_at).total_seconds() >= _LAST_SEEN_RESOLUTION_SECONDS:
            session[SESSION_LAST_SEEN_AT] = now.timestamp()
        return None


_ENDED_MESSAGES = {
    "idle": "You were signed out because you did nothing for 15 minutes. Sign in again to continue.",
    "absolute": "You were signed out because you had been signed in for 12 hours. Sign in again to continue.",
    "not_verified": "Sign in again to continue.",
    "no_sign_in_time": "Sign in again to continue.",
}


def _read_time(value: object) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


class NoStoreMiddleware:
    """Pages for signed-in people carry personal data: never let a browser or proxy cache them (DESIGN 4)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class AccessDeniedMiddleware:
    """Record every policy denial raised by an HTML view in the audit trail, after the view's transaction
    has rolled back; Django then renders the 404 or 403 page."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, AccessDenied):
            record_denial(exception, user=request.user, path=request.path, method=request.method or "")
            request.access_denied_reason = exception.reason  # type: ignore[attr-defined]
        return None


class StatementCountMiddleware:
    """Benchmark mode only (ISP_COUNT_STATEMENTS=1; benchmarks/http_pages.py): count the SQL statements a
    request runs, in all and before its view starts (the cost of who the user is: session, user, second
    factor, memberships), and report them in response headers. Never on in a real deployment."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.db import connection

        count = [0]

        def counting(execute: Callable[..., object], sql: str, params: object, many: bool, context: object) -> object:
            count[0] += 1
            return execute(sql, params, many, context)

        request._isp_statements = count  # type: ignore[attr-defined]
        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Statements"] = str(count[0])
        response["X-Statements-Before-View"] = str(getattr(request, "_isp_statements_before_view", count[0]))
        return response

    def process_view(self, request: HttpRequest, *args: object) -> None:
        # Runs after every other middleware's request phase: what was spent so far was spent on the user.
        request._isp_statements_before_view = request._isp_statements[0]  # type: ignore[attr-defined]
        return None


# The stand-in for the nonce in the header built once per process: base64 never contains it.
_NONCE_STAND_IN = "\x00nonce\x00"
_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CachedCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the Content-Security-Policy header built once per process (issue 9).

    django-csp builds both headers from the settings on every response (about 0.1 ms a page here: copying the
    directives, deduplicating, joining). The header depends only on CONTENT_SECURITY_POLICY and on whether
    the page used its nonce, so it is built once with a stand-in for the nonce and the request's own nonce is
    put in: **the nonce stays per request** (os.urandom, django-csp's `_make_nonce`). A response carrying its
    own policy (django-csp's decorators set `_csp_config`, `_csp_update`, ...) and anything but the plain
    policy without a report-only one takes django-csp's own path, unchanged. The cache is cleared when a test
    changes a CSP setting (`setting_changed`); the settings do not change otherwise while a process runs.
    Only the header's directive order can differ from django-csp's own (it iterates a set: per process).
    """

    # (the header without a nonce, the text before and after the nonce's place; both "" if it has none)
    _headers: tuple[str, str, str] | None = None

    @classmethod
    def forget(cls, **kwargs: object) -> None:
        if kwargs.get("setting") in (None, "CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
            cls._headers = None

    @classmethod
    def _built(cls) -> tuple[str, str, str] | None:
        if cls._headers is None:
            if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
                return None  # not this portal's configuration: django-csp's path
            without_nonce = build_policy()
            before, found, after = build_policy(nonce=_NONCE_STAND_IN).partition(f"'nonce-{_NONCE_STAND_IN}'")
            if not found:  # a policy that does not ask for the nonce: the same header either way
                before = after = ""
            elif _NONCE_STAND_IN in after:  # the nonce in two directives: django-csp's path
                return None
            cls._headers = (without_nonce, before, after)
        return cls._headers

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        built = self._built()
        if (
            built is None
            or not built[0]
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            or getattr(response, "_csp_exempt", False)
            or CSP_HEADER in response
            or (settings.DEBUG and response.status_code in (500, 404))
            or request.path_info.startswith(tuple(settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES") or ()))
        ):
            return super().process_response(request, response)
        without_nonce, before, after = built
        nonce = getattr(request, "_csp_nonce", None)
        response[CSP_HEADER] = f"{before}'nonce-{nonce}'{after}" if nonce and before else without_nonce
        if nonce is None:
            # As django-csp does: reading the nonce once the header is written is an error, not a silent gap.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


setting_changed.connect(CachedCSPMiddleware.forget)
