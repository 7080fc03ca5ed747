"""HTML routes of the breaches app (issue 14). Every route has rows in tests/cases/breach*.py.

Each part of the procedure keeps its routes in its own views module: the breach and its steps (reports), the
partners' meeting with recusal and the sanctions (hearings), indemnity notices (indemnity) and the central register
(register)."""

from django.urls import URLPattern

from breaches.views import hearings, indemnity, register, reports

urlpatterns: list[URLPattern] = [
    *reports.urlpatterns,
    *hearings.urlpatterns,
    *indemnity.urlpatterns,
    *register.urlpatterns,
]
