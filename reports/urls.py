"""HTML routes of the reports app (issue 15). Every route has rows in tests/cases/reports*.py.

The aggregate reports and the annual needs-assessment dataset (aggregates), and the partnership registers for the
Children's Services Executive (registers)."""

from django.urls import URLPattern

from reports.views import aggregates, registers

urlpatterns: list[URLPattern] = [
    *aggregates.urlpatterns,
    *registers.urlpatterns,
]
