"""API routes of the consent app (under /api/v1/): a child's consents, and one consent with its FHIR form,
withdrawal, review and evidence."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from consent.api import views

router = SimpleRouter()
router.register("consents", views.ConsentViewSet, basename="api-consent")

urlpatterns: list[URLPattern | URLResolver] = [
    path("children/<int:pk>/consents/", views.ChildConsentsView.as_view(), name="api-child-consents"),
    *router.urls,
]
