"""API routes of the breaches app (issue 14), one module per part of the procedure, as breaches/urls.py."""

from django.urls import URLPattern

from breaches.api import hearings, indemnity, register, reports

urlpatterns: list[URLPattern] = [
    *reports.urlpatterns,
    *hearings.urlpatterns,
    *indemnity.urlpatterns,
    *register.urlpatterns,
]
