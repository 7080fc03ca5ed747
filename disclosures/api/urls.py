"""API routes of the disclosures app (under /api/v1/): requests, answers, approvals, disclosures."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
