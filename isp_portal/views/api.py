"""The core's API endpoints (who am I, my notifications) and the human-readable API reference."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from audit.services import audit_record
from isp_portal.api import PolicyViewMixin
from isp_portal.models import Notification
from isp_portal.notifications import notification_mark_read
from isp_portal.policy import Resource, register_resource

SIGNED_IN_RESOURCE = Resource("signed-in", "Your own account")
register_resource(SIGNED_IN_RESOURCE, lambda user, action: action == "view")


class MyMembershipOut(serializers.Serializer):
    agency_id = serializers.IntegerField(allow_null=True)
    agency_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_caldicott_guardian = serializers.BooleanField()
    is_data_protection_officer = serializers.BooleanField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_system = serializers.BooleanField()
    memberships = MyMembershipOut(many=True)


class MeView(APIView):
    """Who the API thinks you are: your account and your roles in each agency."""

    policy_resource = SIGNED_IN_RESOURCE

    @extend_schema(responses=MeOut, operation_id="me")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response(MeOut(user.api_identity()).data)


class NotificationOut(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "key", "subject", "body", "link", "created_at", "read_at"]


class NotificationViewSet(PolicyViewMixin, ReadOnlyModelViewSet[Notification]):
    """Your notifications, newest first."""

    policy_model = Notification
    serializer_class = NotificationOut

    def base_queryset(self) -> Any:
        return Notification.objects.order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NotificationOut)
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request: Request, pk: str | None = None) -> Response:
        from isp_portal import policy

        notification = policy.get_or_deny(request.user, self.base_queryset(), action="mark_read", pk=pk)
        notification_mark_read(actor=request.user, notification=notification)
        return Response(NotificationOut(notification).data, status=status.HTTP_200_OK)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return schema


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description", ""),
                }
                for p in operation.get("parameters", [])
            ]
            operations.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "summary": operation.get("summary") or operation.get("operationId", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or ["api"])[0],
                    "parameters": parameters,
                    "responses": sorted(operation.get("responses", {}).keys()),
                }
            )
    return operations


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API reference, generated from the OpenAPI schema, as a plain accessible page."""
    schema = _schema()
    return render(request, "api/docs.html", {"info": schema.get("info", {}), "operations": _operations(schema)})


def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any /api/ address no endpoint answers: the API's 404 in its JSON error shape, whatever the settings
    (Django's own 404 is an HTML page, and with DEBUG on it lists every URL pattern). Recorded like any
    other attempt to reach something that is not there for the caller."""
    user = getattr(request, "user", None)
    audit_record(
        kind="access.denied",
        actor=user if user is not None and user.is_authenticated else None,
        outcome="denied",
        detail={"status": 404, "path": request.path[:200], "method": request.method, "reason": "no such address"},
    )
    message = "Not found: no API endpoint has this address."
    if not request.path.endswith("/"):
        message += " API addresses end with a slash."
    return JsonResponse({"error": {"status": 404, "code": "not_found", "message": message}}, status=404)
