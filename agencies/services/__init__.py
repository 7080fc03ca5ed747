"""Every write to agencies, people, training, security documents and the signatory checklist.

Each service is one transaction: it checks the policy, applies the rules, writes, and records the audit
event, so a half-done change is impossible and every change is on the record (DESIGN 3.1).
"""

from agencies.services.checklist import checklist_confirm, requirement_create, requirement_update
from agencies.services.documents import (
    access_grants_expire,
    access_request_create,
    access_request_decide,
    security_document_open,
    security_document_upload,
)
from agencies.services.people import (
    API_TOKEN_PREFIX,
    TOKEN_MAX_LIFETIME,
    PrivilegeRefused,
    api_token_create,
    api_token_digest,
    api_token_revoke,
    api_token_used,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    invitation_standing_refusal,
    membership_create,
    membership_deactivate,
    membership_update,
    user_create,
    user_deactivate,
)
from agencies.services.registry import (
    agency_create,
    agency_group,
    agency_status_change,
    agency_update,
    area_create,
    area_recode,
)
from agencies.services.reminders import expiry_reminders_send
from agencies.services.training import training_record_create, training_records_import

__all__ = [
    "API_TOKEN_PREFIX",
    "TOKEN_MAX_LIFETIME",
    "PrivilegeRefused",
    "access_grants_expire",
    "access_request_create",
    "access_request_decide",
    "agency_create",
    "agency_group",
    "agency_status_change",
    "agency_update",
    "api_token_create",
    "api_token_digest",
    "api_token_revoke",
    "api_token_used",
    "area_create",
    "area_recode",
    "checklist_confirm",
    "expiry_reminders_send",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_resend",
    "invitation_revoke",
    "invitation_standing_refusal",
    "membership_create",
    "membership_deactivate",
    "membership_update",
    "requirement_create",
    "requirement_update",
    "security_document_open",
    "security_document_upload",
    "training_record_create",
    "training_records_import",
    "user_create",
    "user_deactivate",
]
