"""API routes of the sharing app (under /api/v1/): the child index, involvements and record entries, and the
aggregate tier's counts."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from sharing.api import aggregate, children, entries, involvements, retention

router = SimpleRouter()
router.register("children", children.ChildViewSet, basename="api-child")
router.register("involvements", involvements.InvolvementViewSet, basename="api-involvement")
router.register("entries", entries.EntryViewSet, basename="api-entry")

# Before the router's routes: "children/aggregate/" would otherwise read as the child whose id is "aggregate".
urlpatterns: list[URLPattern | URLResolver] = [
    path("children/aggregate/", aggregate.ChildAggregateView.as_view(), name="api-child-aggregate"),
    path("children/retention/", retention.ChildRetentionView.as_view(), name="api-child-retention"),
    *router.urls,
]
