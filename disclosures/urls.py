"""HTML routes of the disclosures app (issue 12). Every route has rows in tests/cases/disclosure*.py."""

from django.urls import URLPattern, path

from disclosures.views import requests as request_views

urlpatterns: list[URLPattern] = [
    # -- Requests: the request journey, the holding agency's inbox, a request's page, withdrawal. --
    path("children/<int:pk>/requests/new/", request_views.request_new, name="request-new"),
    path("children/<int:pk>/requests/new/check/", request_views.request_new_check, name="request-new-check"),
    path("requests/", request_views.request_inbox, name="request-inbox"),
    path("requests/<int:pk>/", request_views.request_detail, name="request-detail"),
    path("requests/<int:pk>/withdraw/", request_views.request_withdraw, name="request-withdraw"),
    # -- end of requests --
    # -- Answers: the decision journey (share or decline, with check your answers). --
    # -- end of answers --
    # -- Approvals and disclosures: the manager's approvals, a disclosure's page, what was received. --
    # -- end of approvals and disclosures --
    # -- Without a request: emergency disclosure and proactive referral, started from a child. --
    # -- end of without a request --
]
