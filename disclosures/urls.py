"""HTML routes of the disclosures app (issue 12). Every route has rows in tests/cases/disclosure*.py."""

from django.urls import URLPattern, path  # noqa: F401  (each block below adds its routes)

urlpatterns: list[URLPattern] = [
    # -- Requests: the request journey, the holding agency's inbox, a request's page, withdrawal. --
    # -- end of requests --
    # -- Answers: the decision journey (share or decline, with check your answers). --
    # -- end of answers --
    # -- Approvals and disclosures: the manager's approvals, a disclosure's page, what was received. --
    # -- end of approvals and disclosures --
    # -- Without a request: emergency disclosure and proactive referral, started from a child. --
    # -- end of without a request --
]
