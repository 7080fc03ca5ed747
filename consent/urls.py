"""HTML routes of the consent app (a child's consents). Every route has rows in tests/cases/consent.py."""

from django.urls import path

from consent import views

urlpatterns = [
    path("children/<int:pk>/consents/", views.consent_summary, name="consent-summary"),
    path("children/<int:pk>/consents/new/", views.consent_new, name="consent-new"),
    path("children/<int:pk>/consents/new/check/", views.consent_new_check, name="consent-new-check"),
    path("children/<int:pk>/consents/<int:consent_pk>/", views.consent_page, name="consent-detail"),
    path("children/<int:pk>/consents/<int:consent_pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("children/<int:pk>/consents/<int:consent_pk>/review/", views.consent_review, name="consent-review"),
    path(
        "children/<int:pk>/consents/<int:consent_pk>/evidence/new/",
        views.consent_evidence_attach,
        name="consent-evidence-attach",
    ),
    # Files, not pages: their names end as the crawl of every page expects (tests/browser/test_every_page.py).
    path(
        "children/<int:pk>/consents/<int:consent_pk>/evidence/file/",
        views.consent_evidence_file,
        name="consent-evidence-file",
    ),
    path("children/<int:pk>/consents/<int:consent_pk>/fhir/download/", views.consent_fhir, name="consent-fhir"),
]
