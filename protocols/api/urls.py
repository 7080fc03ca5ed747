"""API routes of the protocols app (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from protocols.api import views

router = SimpleRouter()
router.register("protocols", views.ProtocolViewSet, basename="api-protocol")
router.register("signatures", views.SignatureViewSet, basename="api-signature")
router.register("consultations", views.ConsultationViewSet, basename="api-consultation")
router.register("reviews", views.ReviewViewSet, basename="api-review")
router.register("review-actions", views.ReviewActionViewSet, basename="api-review-action")
router.register("meetings", views.MeetingViewSet, basename="api-meeting")
router.register("protocol-audits", views.ProtocolAuditViewSet, basename="api-protocol-audit")
router.register("audit-extracts", views.AuditExtractViewSet, basename="api-audit-extract")

urlpatterns = router.urls
