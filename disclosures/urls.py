"""HTML routes of the disclosures app (issue 12). Every route has rows in tests/cases/disclosure*.py."""

from django.urls import URLPattern, path

from disclosures.views import unrequested

urlpatterns: list[URLPattern] = [
    # -- Requests: the request journey, the holding agency's inbox, a request's page, withdrawal. --
    # -- end of requests --
    # -- Answers: the decision journey (share or decline, with check your answers). --
    # -- end of answers --
    # -- Approvals and disclosures: the manager's approvals, a disclosure's page, what was received. --
    # -- end of approvals and disclosures --
    # -- Without a request: emergency disclosure and proactive referral, started from a child. --
    path("children/<int:pk>/disclosures/emergency/", unrequested.emergency_new, name="disclosure-emergency"),
    path(
        "children/<int:pk>/disclosures/emergency/check/", unrequested.emergency_check, name="disclosure-emergency-check"
    ),
    path("children/<int:pk>/disclosures/refer/", unrequested.refer_new, name="disclosure-refer"),
    path("children/<int:pk>/disclosures/refer/check/", unrequested.refer_check, name="disclosure-refer-check"),
    # -- end of without a request --
]
