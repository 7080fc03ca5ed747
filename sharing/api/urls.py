"""API routes of the sharing app (under /api/v1/): the child index, involvements and record entries."""

from rest_framework.routers import SimpleRouter

from sharing.api import children, entries, involvements

router = SimpleRouter()
router.register("children", children.ChildViewSet, basename="api-child")
router.register("involvements", involvements.InvolvementViewSet, basename="api-involvement")
router.register("entries", entries.EntryViewSet, basename="api-entry")

urlpatterns = router.urls
