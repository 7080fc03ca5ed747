"""The API's shared machinery: authentication, the policy permission class, input parsing, errors, pagination.

DRF's own DjangoObjectPermissions does not check reads, so nothing here relies on it: viewsets take their
querysets from `policy.restrict` and their objects from `policy.get_or_deny`, and `PolicyPermission`
checks model-level actions against the same policies the web pages use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.views import APIView

from audit.services import audit_record
from isp_portal import policy, refusals
from isp_portal.api_input import ObjectIdField, object_id


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


class KnownFormatsOnly(DefaultContentNegotiation):
    """Content negotiation that refuses a format the view does not offer (`?format=api`, `?format=xml`, or a
    `.xml` suffix) with a 404 in the API's error shape; DRF's own raises a bare Http404. The API renders JSON
    only (REST_FRAMEWORK's DEFAULT_RENDERER_CLASSES), so the browsable API is never served, in any setting;
    the schema view also offers its YAML and JSON forms."""

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[BaseRenderer]:
        available = list(renderers)
        offered = [renderer for renderer in available if renderer.format == format]
        if not offered:
            formats = ", ".join(sorted({str(renderer.format) for renderer in available}))
            raise exceptions.NotFound(f"Not found: this address answers only in these formats: {formats}.")
        return offered


class PolicyPermission(BasePermission):
    """Deny by default. A view declares `policy_model` and, for model-level actions, the action each HTTP
    method maps to; object-level checks happen in `PolicyViewMixin.get_object` through the policy.

    Every check here runs before the view reads its body, so a refusal names the rule that refused (say, a
    token's scopes) rather than a field of the body. A write whose object is named in the body (an
    invitation is "manage members" of the agency it names) is declared in the view's `checked_on_parent`
    ({viewset action: (parent model, policy action)}): its service requires that action on the parent, and
    here the gates (a token's scopes) are asked about it first, at model level. Detail writes read their
    object through `get_or_deny` before their body."""

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
        parent: tuple[type[Model], str] | None = getattr(view, "checked_on_parent", {}).get(action)
        if parent is not None:
            policy.require_gate(request.user, parent[1], parent[0])
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


@extend_schema_field(OpenApiTypes.INT)
@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(ObjectIdField):
    """A reference, in a request body, to another object: looked up only among those the caller may see.

    Only a whole number a bigint can hold is looked up (ObjectIdField: no booleans, no 1.5, no 1e400). An id
    outside the caller's scope reads as "does not exist", exactly like one that does not exist (no existence
    leak), and is also noted for the audit trail as an attempt to reach something out of scope (the API's
    exception handler records it once, with the 400). Every relation in an input serializer is one of these
    (tests/isp_portal/test_api_refusals.py checks that none is a plain PrimaryKeyRelatedField)."""

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context["request"]
        return policy.restrict(request.user, "view", self.model)

    def read_by_id(self, number: int) -> Model | None:
        """The object with this id whatever the caller's scope, with what its policy's `in_scope` reads of it; a
        field that gives this (a compiled read: isp_portal.rows.Compiled) is looked up by id and judged in memory
        (policy.in_view_scope) instead of through the scope's query, which the ORM would build and compile on each
        request (issue 12: a fifth of an answer's CPU). None: through `get_queryset`."""
        return None

    def admits(self, user: Any, found: Model) -> bool:
        """Whether `found` (read by `read_by_id`) is one `get_queryset` would give `user`: the policy's view scope,
        unless the field's queryset is another (then it says so here too)."""
        return policy.in_view_scope(user, found)

    def to_internal_value(self, data: Any) -> Any:
        if type(self).read_by_id is not ScopedPrimaryKeyField.read_by_id:
            return self._judged_in_memory(data)
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            number = object_id(data)
            if number is not None and self.model._default_manager.filter(pk=number).exists():
                self._note_out_of_scope(number)
            raise

    def _judged_in_memory(self, data: Any) -> Any:
        # The same refusals as ObjectIdField and the scoped lookup: a malformed id, then "does not exist" for a
        # missing id and for one out of scope alike (the latter noted for the audit trail).
        number = object_id(data)
        if number is None:
            return ObjectIdField.to_internal_value(self, data)  # raises the malformed id's field error
        found = self.read_by_id(number)
        if found is None:
            self.fail("does_not_exist", pk_value=number)
        if not self.admits(self.context["request"].user, found):
            self._note_out_of_scope(number)
            self.fail("does_not_exist", pk_value=number)
        return found

    def _note_out_of_scope(self, number: int) -> None:
        refusals.note_out_of_scope_reference(
            self.context.get("request"),
            refusals.OutOfScopeReference(
                field=_field_path(self), object_type=self.model._meta.label_lower, object_id=str(number)
            ),
        )


def _field_path(field: Any) -> str:
    names = []
    while field is not None:
        if getattr(field, "field_name", ""):
            names.append(field.field_name)
        field = getattr(field, "parent", None)
    return ".".join(reversed(names))


def unknown_fields(serializer: Any, data: Any, prefix: str = "") -> list[str]:
    """The names in a request body that `serializer` does not accept, through nested serializers too."""
    if isinstance(serializer, serializers.ListSerializer):
        if not isinstance(data, list):
            return []
        return [
            name
            for index, item in enumerate(data)
            for name in unknown_fields(serializer.child, item, f"{prefix}{index}.")
        ]
    if not isinstance(serializer, serializers.Serializer) or not isinstance(data, Mapping):
        return []
    accepted = {name: field for name, field in serializer.fields.items() if not field.read_only}
    unknown = [f"{prefix}{key}" for key in data if key not in accepted]
    for name, field in accepted.items():
        if name in data:
            unknown += unknown_fields(field, data[name], f"{prefix}{name}.")
    return unknown


def parse_input(
    serializer_class: type[Any], data: Any, request: Request, *, partial: bool = False, known_only: bool = False
) -> dict[str, Any]:
    """Validate a request body (or query) with a serializer: 400 with field messages when it is malformed.

    A body may carry only the fields the serializer accepts: an unknown one (a misspelt field, or one the
    caller may not set) is refused by name rather than silently ignored. Query strings are held to this only with
    `known_only` (an unpaginated list whose serializer names every parameter: `?stat=open` would otherwise quietly
    list everything); elsewhere they also carry the pagination parameters."""
    serializer = serializer_class(data=data, partial=partial, context={"request": request})
    if not isinstance(data, QueryDict):
        _note_body_fields(request, serializer.fields)
    valid = serializer.is_valid()
    errors: dict[str, Any] = {} if valid else dict(serializer.errors)
    if isinstance(data, QueryDict):
        # DRF reads an empty query value as "not given"; the description says a filter has a value, so hold
        # the API to it rather than let `?status=` quietly mean "any status".
        for name in serializer.fields:
            if name in data and any(value == "" for value in data.getlist(name)):
                errors.setdefault(name, ["Give a value, or leave this parameter out."])
            # `?fields=id&fields=phone`: a parameter of one value given twice is ambiguous, and DRF would quietly
            # use the last; refused rather than guessed (a list parameter is read whole).
            field = serializer.fields[name]
            many = isinstance(field, serializers.ListField | serializers.MultipleChoiceField)
            if not many and len(data.getlist(name)) > 1:
                errors.setdefault(name, ["Give this parameter once."])
        for name in unknown_fields(serializer, data) if known_only else []:
            errors.setdefault(name, ["This parameter is not accepted here."])
    else:
        for name in unknown_fields(serializer, data):
            errors.setdefault(name, ["This field is not accepted here."])
    if errors:
        raise exceptions.ValidationError(errors)
    return dict(serializer.validated_data)


# The names of the fields a request's body may carry (every serializer parse_input read it with), so that an
# error a service raises is named by a field the caller sent (_named_as_sent).
_BODY_FIELDS = "_isp_body_fields"


def _note_body_fields(request: Any, names: Any) -> None:
    target = getattr(request, "_request", request)
    setattr(target, _BODY_FIELDS, getattr(target, _BODY_FIELDS, frozenset()) | frozenset(names))


@contextmanager
def errors_named(**request_names: str) -> Iterator[None]:
    """Name a service's field errors by the request's fields: `with errors_named(file="csv"):` around a
    service that reports the uploaded file as "file" where the API's body calls it "csv". A service speaks in
    its own parameters; the caller must be told about the field it sent (issue 8)."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            error.error_dict = {request_names.get(name, name): value for name, value in error.error_dict.items()}
        raise


def _named_as_sent(request: Any, fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """A service's errors, each under a field of the request body, or under non_field_errors when it names
    none of them (the state of the object acted on: "This membership has already ended.")."""
    accepted = getattr(getattr(request, "_request", request), _BODY_FIELDS, None)
    if accepted is None:
        return fields
    named: dict[str, list[str]] = {}
    for name, messages in fields.items():
        named.setdefault(name if name in accepted else "non_field_errors", []).extend(messages)
    return named


def parse_query(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    """The query-string filters that were given (empty ones dropped)."""
    return {key: value for key, value in parse_input(serializer_class, request.query_params, request).items() if value}


class Pagination(PageNumberPagination):
    """Page-number pagination that refuses a page size it cannot use (DRF would quietly use the default)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        wanted = request.query_params.get(self.page_size_query_param)
        if wanted is None:
            return self.page_size
        if not wanted.isdecimal() or int(wanted) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["Give a whole number of 1 or more (at most 200 are returned)."]}
            )
        return min(int(wanted), self.max_page_size)


def _error_body(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"status": status_code, "code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


def _field_messages(detail: Any) -> dict[str, list[str]]:
    """DRF's error detail as {field path: [messages]}, in plain words. Errors inside a list or a nested object
    are named by their path ("scopes.0", "agenda.1.title"), never shown as Python structures."""
    messages: dict[str, list[str]] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{path}.{key}" if path else str(key), item)
        elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
            for index, item in enumerate(value):
                if item:  # a list serializer gives {} for the items that were fine
                    walk(f"{path}.{index}" if path else str(index), item)
        else:
            items = value if isinstance(value, list) else [value]
            messages.setdefault(path or "non_field_errors", []).extend(str(item) for item in items)

    walk("", detail)
    return messages


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has the same shape: {"error": {"status", "code", "message", "fields"?}}.

    Every refusal is recorded in the audit trail here, once: policy denials (404 or 403) through the policy;
    a request with no credentials (401); a write refused as bad input (400, naming the fields refused, and
    an access denial when its body referred to an object out of scope); any other 403, such as a failed CSRF
    check. Token failures are recorded where the token is refused."""
    request = context.get("request")
    if request is not None:
        # Every error is JSON in the error shape, whatever format was asked for or negotiated: a refused format
        # (KnownFormatsOnly) or a refused Accept header leaves no renderer chosen, and DRF would then fall back
        # to the view's first renderer (the schema view's is YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    # Django's own 404 and 403 (get_object_or_404, a view raising Http404) as DRF's, so they are answered and
    # recorded below like DRF's (DRF converts them too, but only after this handler has looked at `exc`).
    # A policy denial is one of these too, and is answered and recorded as such below.
    if isinstance(exc, Http404) and not isinstance(exc, policy.AccessDenied):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied) and not isinstance(exc, policy.AccessDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, policy.AccessDenied):
        policy.record_denial(
            exc,
            user=getattr(request, "user", None),
            path=getattr(request, "path", ""),
            method=getattr(request, "method", ""),
        )
        if isinstance(exc, policy.OutOfScope):
            return not_found_response()
        return Response(
            _error_body(403, "permission_denied", exc.reason or "You do not have permission to do this."),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, RequestDataTooBig):
        if request is not None:
            refusals.record_refused_request(request, status=413, fields=[], reason="request body too large")
        return too_large_response()
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        fields = _named_as_sent(request, {key: list(value) for key, value in fields.items()})
        # A service that records its own refusal (a refused self-grant, agencies.services.people) marks it, so
        # it is recorded once, like a policy denial.
        if not getattr(exc, "recorded", False):
            _record_refused_write(request, fields, "a rule refused the request")
        return Response(
            _error_body(400, "invalid", "The request has errors.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
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
    if isinstance(exc, exceptions.PermissionDenied) and request is not None:
        # Not a policy denial: DRF's own refusal, in practice a session write without a valid CSRF token.
        refusal = str(exc.detail)
        if refusal.startswith("CSRF Failed"):
            refusals.record_csrf_failure(getattr(request, "_request", request), refusal)
        else:
            audit_record(
                kind="access.denied",
                actor=None,
                outcome="denied",
                detail={"status": 403, "path": request.path, "method": request.method, "reason": refusal[:200]},
            )
    # Imported here: rest_framework.views imports this module (via the settings) while it loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_messages(exc.detail)
        _record_refused_write(request, fields, "invalid input")
        response.data = _error_body(400, "invalid", "The request has errors.", fields)
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        response.data = _error_body(
            403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header with a browser session."
        )
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "The request could not be processed."
        response.data = _error_body(response.status_code, str(exc.get_codes()), message)
    return response


def too_large_response() -> Response:
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return Response(
        _error_body(413, "too_large", f"The request body is larger than the {megabytes} MB the portal accepts."),
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def not_found_response() -> Response:
    return Response(_error_body(404, "not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)


def _record_refused_write(request: Any, fields: Mapping[str, Any], reason: str) -> None:
    """A refused read (a malformed filter) changes nothing and is not recorded; a refused write is."""
    if request is None or request.method not in refusals.WRITE_METHODS:
        return
    refusals.record_refused_request(request, status=400, fields=list(fields), reason=reason)
