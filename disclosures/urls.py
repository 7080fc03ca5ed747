"""HTML routes of the disclosures app (issue 12). Every route has rows in tests/cases/disclosure*.py."""

from django.urls import URLPattern, path

from disclosures.views import answers

urlpatterns: list[URLPattern] = [
    # -- Requests: the request journey, the holding agency's inbox, a request's page, withdrawal. --
    # -- end of requests --
    # -- Answers: the decision journey (share or decline, with check your answers). --
    path("requests/<int:pk>/answer/", answers.answer_start, name="disclosures-answer"),
    path("requests/<int:pk>/answer/check/", answers.answer_check, name="disclosures-answer-check"),
    path("requests/<int:pk>/decline/", answers.answer_decline, name="disclosures-decline"),
    # -- end of answers --
    # -- Approvals and disclosures: the manager's approvals, a disclosure's page, what was received. --
    # -- end of approvals and disclosures --
    # -- Without a request: emergency disclosure and proactive referral, started from a child. --
    # -- end of without a request --
]
