"""API authentication for agency systems: `Authorization: Bearer isp_...` (DESIGN 4).

A token authenticates as its agency's system account, so every API call passes the same policy as a
person's, narrowed to the token's scopes (agencies.policy.token_gate). Unknown, revoked and expired tokens
are refused with 401 and the attempt is audited (with its reason). A caller whose secret matches a revoked
or expired token is told which, and when; any other is told only that the token is invalid. Every use is
audited too, and sets the token's last-used time (DESIGN 4).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from agencies.models import ApiToken
from agencies.services import API_TOKEN_PREFIX, api_token_digest
from agencies.services.people import api_token_used
from audit.services import audit_record
from isp_portal.demo_context import demo_credential_refused
from isp_portal.wording import long_datetime

# What a caller whose secret matches no usable token is told: nothing about why.
INVALID = "Invalid API token."


class AgencyTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            self._reject(request, "malformed Authorization header")
        secret = header[1].decode("ascii", errors="replace")
        if not secret.startswith(API_TOKEN_PREFIX):
            self._reject(request, "not an ISP Portal token")
        if demo_credential_refused(api_token=secret):  # the README's demo token opens nothing outside demo mode
            self._reject(request, "published demo token outside demo mode")
        token = ApiToken.objects.select_related("user", "agency").filter(digest=api_token_digest(secret)).first()
        if token is None:
            self._reject(request, "unknown token")
        assert token is not None
        # The secret matched a token, so its holder may be told why it no longer works (what to do next);
        # a caller without a right secret learns nothing beyond "invalid" (above).
        if token.revoked_at is not None:
            self._reject(
                request,
                "revoked token",
                token,
                f"This API token was revoked on {long_datetime(token.revoked_at)}. An agency admin can make a new one.",
            )
        if token.expires_at <= timezone.now():
            self._reject(
                request,
                "expired token",
                token,
                f"This API token expired on {long_datetime(token.expires_at)}. An agency admin can make a new one.",
            )
        if not token.user.is_active:
            self._reject(
                request,
                "token's system account is deactivated",
                token,
                "This API token's system account has been deactivated. An agency admin can make a new token.",
            )
        # The policy reads the scopes from here (agencies.policy.principal), without another query.
        token.user._isp_token_scopes = list(token.scopes)  # type: ignore[attr-defined]
        api_token_used(token=token, path=request.path, method=request.method or "")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    def _reject(self, request: Request, reason: str, token: ApiToken | None = None, message: str = INVALID) -> None:
        """Refuse the request with 401 and `message`, recording the attempt and its reason."""
        audit_record(
            kind="auth.api_token_rejected",
            actor=None,
            outcome="denied",
            object_type="agencies.apitoken" if token else "",
            object_id=str(token.pk) if token else "",
            detail={"reason": reason, "path": request.path, "prefix": token.prefix if token else ""},
        )
        raise exceptions.AuthenticationFailed(message)
