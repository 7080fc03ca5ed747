"""HTML routes of the protocols app. Every route has rows in tests/cases/protocols.py."""

from django.urls import path

from protocols.views import consultations, meetings, protocols, reviews

urlpatterns = [
    path("protocols/", protocols.protocol_list, name="protocol-list"),
    path("protocols/new/", protocols.protocol_create, name="protocol-create"),
    path("protocols/<int:pk>/", protocols.protocol_detail, name="protocol-detail"),
    path("protocols/<int:pk>/versions/new/", protocols.protocol_version_create, name="protocol-version-create"),
    path("protocols/<int:pk>/versions/<int:number>/", protocols.protocol_version, name="protocol-version"),
    path(
        "protocols/<int:pk>/versions/<int:number>/changes/",
        protocols.protocol_version_diff,
        name="protocol-version-diff",
    ),
    path("protocols/<int:pk>/status/", protocols.protocol_transition, name="protocol-transition"),
    path("protocols/<int:pk>/adopt/", protocols.protocol_adopt, name="protocol-adopt"),
    path("protocols/<int:pk>/sign/", protocols.protocol_sign, name="protocol-sign"),
    path("protocols/<int:pk>/consultation/", consultations.consultation_open, name="consultation-open"),
    path("protocols/<int:pk>/audits/new/", reviews.protocol_audit_create, name="protocol-audit-create"),
    path("signatures/<int:pk>/withdraw/", protocols.signature_withdraw, name="signature-withdraw"),
    path("consultations/<int:pk>/", consultations.consultation_detail, name="consultation-detail"),
    path("consultations/<int:pk>/outcome/", consultations.consultation_decide, name="consultation-decide"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review-detail"),
    path("reviews/<int:pk>/actions/new/", reviews.review_action_add, name="review-action-add"),
    path("review-actions/<int:pk>/", reviews.review_action_update, name="review-action-update"),
    path("protocol-audits/<int:pk>/", reviews.protocol_audit_detail, name="protocol-audit-detail"),
    path("audit-extracts/<int:pk>/", reviews.audit_extract_detail, name="audit-extract-detail"),
    path("meetings/", meetings.meeting_list, name="meeting-list"),
    path("meetings/new/", meetings.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/circulate/", meetings.meeting_circulate, name="meeting-circulate"),
]
