"""API routes of the disclosures app (under /api/v1/): requests, answers, approvals, disclosures."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from disclosures.api import corrections, lineage, onward, views
from disclosures.api import disputes as disputes_api

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="api-request")
router.register("disclosures", views.DisclosureViewSet, basename="api-disclosure")
# -- Onward disclosure and lineage (issue 13, WP2). --
router.register("onward-requests", onward.OnwardRequestViewSet, basename="api-onward")
router.register("lineage/entries", lineage.EntryLineageViewSet, basename="api-entry-lineage")
# -- end of onward --
# -- Corrections (issue 13, WP3). --
router.register("corrections", corrections.CorrectionViewSet, basename="api-correction")
router.register("correction-notices", corrections.CorrectionNoticeViewSet, basename="api-correction-notice")
router.register("inaccuracy-reports", corrections.InaccuracyReportViewSet, basename="api-inaccuracy-report")
# -- end of corrections --
# -- Disputes and the register (issue 13, WP4). --
router.register("disputes", disputes_api.DisputeViewSet, basename="api-dispute")
# -- end of disputes --

urlpatterns: list[URLPattern | URLResolver] = [
    path("approvals/", views.ApprovalsView.as_view(), name="api-approvals"),
    # -- Disputes and the register (issue 13, WP4). --
    path("dispute-register/", disputes_api.DisputeRegisterView.as_view(), name="api-dispute-register"),
    # -- end of disputes --
    *router.urls,
]
