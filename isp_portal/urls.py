"""URL routing. Every route here must appear in tests/test_permission_matrix.py (the test fails if not)."""

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from isp_portal.views import api, auth, errors, health, pages

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notifications", api.NotificationViewSet, basename="api-notification")

api_v1: list[URLPattern | URLResolver] = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
    path("", include("agencies.api.urls")),
    path("", include("protocols.api.urls")),
    path("", include("sharing.api.urls")),
    path("", include("consent.api.urls")),
    path("", include("disclosures.api.urls")),
    path("", include("breaches.api.urls")),
    path("", include("oversight.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-in/two-factor/", auth.two_factor, name="two-factor"),
    path("sign-in/set-up-two-factor/", auth.two_factor_setup, name="two-factor-setup"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("signed-out/", auth.signed_out, name="signed-out"),
    path("notifications/", pages.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", pages.notification_read, name="notification-read"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("privacy/", pages.privacy, name="privacy"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("api/docs/", api.api_docs, name="api-docs"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api.api_not_found, name="api-not-found"),  # after every API route: JSON 404, never HTML
    path("", include("agencies.urls")),
    path("", include("protocols.urls")),
    path("", include("sharing.urls")),
    path("", include("consent.urls")),
    path("", include("disclosures.urls")),
    path("", include("breaches.urls")),
    path("", include("oversight.urls")),
    path("", include("reports.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
