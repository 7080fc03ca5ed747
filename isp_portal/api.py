"""The API's shared machinery: authentication, the policy permission class, errors, pagination (DESIGN 3.2).

DRF's own DjangoObjectPermissions does not check reads, so nothing here relies on it: viewsets take their
querysets from `policy.restrict` and their objects from `policy.get_or_deny`, and `PolicyPermission`
checks model-level actions against the same policies the web pages use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.views import APIView

from audit.services import audit_record
from isp_portal import policy


class VerifiedSessionAuthentication(SessionAuthentication):
    """A browser session counts for the API only once the user has passed two-factor (DESIGN 4)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if settings.TWO_FACTOR_REQUIRED and not user.is_verified():
            return None
        return result


class PolicyPermission(BasePermission):
    """Deny by default. A view declares `policy_model` and, for model-level actions, the action each HTTP
    method maps to; object-level checks happen in `PolicyViewMixin.get_object` through the policy."""

    method_actions = {"POST": "create"}

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        model: type[Model] | None = getattr(view, "policy_model", None)
        resource: policy.Resource | None = getattr(view, "policy_resource", None)
        if resource is not None:
            policy.require(request.user, getattr(view, "policy_action", "view"), resource)
            return True
        if model is None:
            return False
        action = getattr(view, "action", None)
        # A view whose creations are checked against a parent object instead (an invitation is "manage
        # members" of its agency) sets `create_checked_on_parent`; its service requires that action.
        if getattr(view, "create_checked_on_parent", False):
            return True
        if request.method == "POST" and action in {None, "create"}:
            policy.require(request.user, "create", model)
        return True


class PolicyViewMixin:
    """For DRF generic views and viewsets: read through the policy, deny through the policy."""

    policy_model: type[Model]
    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        return policy.restrict(self.request.user, "view", self.base_queryset())

    def base_queryset(self) -> QuerySet[Any]:
        return self.policy_model._default_manager.all()

    def get_object(self) -> Any:
        lookup = self.kwargs[getattr(self, "lookup_url_kwarg", None) or "pk"]  # type: ignore[attr-defined]
        action = {"PUT": "change", "PATCH": "change", "DELETE": "delete"}.get(self.request.method or "", "view")
        return policy.get_or_deny(self.request.user, self.base_queryset(), action=action, pk=lookup)


def parse_input(serializer_class: type[Any], data: Any, request: Request, *, partial: bool = False) -> dict[str, Any]:
    """Validate a request body (or query) with a serializer: 400 with field messages when it is malformed."""
    serializer = serializer_class(data=data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def parse_query(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    """The query-string filters that were given (empty ones dropped)."""
    return {key: value for key, value in parse_input(serializer_class, request.query_params, request).items() if value}


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _error_body(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"status": status_code, "code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


def _field_messages(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(item) for item in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has the same shape: {"error": {"status", "code", "message", "fields"?}}.

    Policy denials are recorded in the audit trail here (once), and come out as 404 or 403."""
    request = context.get("request")
    if isinstance(exc, policy.AccessDenied):
        policy.record_denial(
            exc,
            user=getattr(request, "user", None),
            path=getattr(request, "path", ""),
            method=getattr(request, "method", ""),
        )
        if isinstance(exc, policy.OutOfScope):
            return Response(_error_body(404, "not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
        return Response(
            _error_body(403, "permission_denied", exc.reason or "You do not have permission to do this."),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            _error_body(400, "invalid", "The request has errors.", {key: list(value) for key, value in fields.items()}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    # Token failures are audited where the token is refused; a request with no credentials at all is here.
    if isinstance(exc, exceptions.NotAuthenticated) and request is not None:
        audit_record(
            kind="access.denied",
            actor=None,
            outcome="denied",
            detail={
                "status": 401,
                "path": request.path,
                "method": request.method,
                "reason": "not signed in",
            },
        )
    # Imported here: rest_framework.views imports this module (via the settings) while it loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _error_body(400, "invalid", "The request has errors.", _field_messages(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "The request could not be processed."
        response.data = _error_body(response.status_code, str(exc.get_codes()), message)
    return response
