"""HTML routes of the oversight app (issue 15): the auditors' workspace. Every route has rows in
tests/cases/oversight*.py.

Each part keeps its routes in its own views module: searching the access events and the disclosure log (search), the
disclosure-log exports and their jobs (exports), and the per-child access history and the change history (history)."""

from django.urls import URLPattern

from oversight.views import exports, history, search

urlpatterns: list[URLPattern] = [
    *search.urlpatterns,
    *exports.urlpatterns,
    *history.urlpatterns,
]
