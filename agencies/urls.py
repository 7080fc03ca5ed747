"""HTML routes of the agencies app. Every route has rows in tests/cases/agencies.py."""

from django.urls import path

from agencies.views import documents, people, registry

urlpatterns = [
    path("agencies/", registry.agency_list, name="agency-list"),
    path("agencies/new/", registry.agency_create, name="agency-create"),
    path("agencies/<int:pk>/", registry.agency_detail, name="agency-detail"),
    path("agencies/<int:pk>/edit/", registry.agency_edit, name="agency-edit"),
    path("agencies/<int:pk>/status/", registry.agency_status, name="agency-status"),
    path("agencies/<int:pk>/checklist/", registry.agency_checklist, name="agency-checklist"),
    path("agencies/<int:pk>/invite/", people.agency_invite, name="agency-invite"),
    path("agencies/<int:pk>/training/", people.agency_training, name="agency-training"),
    path("agencies/<int:pk>/training/add/", people.agency_training_add, name="agency-training-add"),
    path("agencies/<int:pk>/training/import/", people.agency_training_import, name="agency-training-import"),
    path("partnership/training/", people.partnership_training, name="partnership-training"),
    path("partnership/training/add/", people.partnership_training_add, name="partnership-training-add"),
    path("agencies/<int:pk>/api-tokens/", people.agency_api_tokens, name="agency-api-tokens"),
    path("api-tokens/<int:pk>/revoke/", people.api_token_revoke, name="api-token-revoke"),
    path("agencies/<int:pk>/security-document/", documents.document_upload, name="agency-document-upload"),
    path("agencies/<int:pk>/security-document/file/", documents.document_file, name="agency-document-file"),
    path("agencies/<int:pk>/security-document/request/", documents.document_request, name="agency-document-request"),
    path("security-documents/requests/<int:pk>/", documents.document_request_detail, name="document-request-detail"),
    path("memberships/<int:pk>/edit/", people.membership_edit, name="membership-edit"),
    path("memberships/<int:pk>/deactivate/", people.membership_deactivate, name="membership-deactivate"),
    path("invitations/<int:pk>/resend/", people.invitation_resend, name="invitation-resend"),
    path("invitations/<int:pk>/revoke/", people.invitation_revoke, name="invitation-revoke"),
    path("invitations/<str:token>/", people.invitation_accept, name="invitation-accept"),
    path("signatory-requirements/", registry.requirement_list, name="requirement-list"),
    path("signatory-requirements/new/", registry.requirement_create, name="requirement-create"),
    path("signatory-requirements/<int:pk>/edit/", registry.requirement_edit, name="requirement-edit"),
]
