"""API routes of the reports app (issue 15), one module per part, as reports/urls.py."""

from django.urls import URLPattern

from reports.api import aggregates, registers

urlpatterns: list[URLPattern] = [
    *aggregates.urlpatterns,
    *registers.urlpatterns,
]
