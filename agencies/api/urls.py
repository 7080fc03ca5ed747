"""API routes of the agencies app (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from agencies.api import documents, views

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="api-agency")
router.register("areas", views.AreaViewSet, basename="api-area")
router.register("memberships", views.MembershipViewSet, basename="api-membership")
router.register("invitations", views.InvitationViewSet, basename="api-invitation")
router.register("api-tokens", views.ApiTokenViewSet, basename="api-api-token")
router.register("training-courses", views.TrainingCourseViewSet, basename="api-training-course")
router.register("training-records", views.TrainingRecordViewSet, basename="api-training-record")
router.register("signatory-requirements", views.RequirementViewSet, basename="api-requirement")
router.register("security-documents", documents.SecurityDocumentViewSet, basename="api-security-document")
router.register(
    "security-document-requests", documents.SecurityDocumentRequestViewSet, basename="api-security-document-request"
)

urlpatterns = router.urls
