"""API routes of the oversight app (issue 15), one module per part, as oversight/urls.py."""

from django.urls import URLPattern

from oversight.api import exports, history, search

urlpatterns: list[URLPattern] = [
    *search.urlpatterns,
    *exports.urlpatterns,
    *history.urlpatterns,
]
