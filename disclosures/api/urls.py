"""API routes of the disclosures app (under /api/v1/): requests, answers, approvals, disclosures."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from disclosures.api import views

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="api-request")
router.register("disclosures", views.DisclosureViewSet, basename="api-disclosure")

urlpatterns: list[URLPattern | URLResolver] = [
    path("approvals/", views.ApprovalsView.as_view(), name="api-approvals"),
    *router.urls,
]
