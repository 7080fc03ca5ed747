"""Every write to protocols: versions and adoption, signatures, consultations, reviews, partner audits,
meetings, and the deadline sweep. One transaction each, with the policy checked and an audit event."""

from protocols.services.consultations import (
    consultation_decide,
    consultation_open,
    consultation_respond,
    consultations_sweep,
)
from protocols.services.meetings import meeting_circulate_minutes, meeting_create, meeting_record_minutes
from protocols.services.protocols import (
    protocol_adopt,
    protocol_create,
    protocol_transition,
    protocol_version_create,
)
from protocols.services.reviews import (
    audit_extract_share,
    extract_respond,
    protocol_audit_create,
    review_action_add,
    review_action_update,
    review_complete,
    reviews_sweep,
)
from protocols.services.signatures import signature_sign, signature_withdraw

__all__ = [
    "audit_extract_share",
    "consultation_decide",
    "consultation_open",
    "consultation_respond",
    "consultations_sweep",
    "extract_respond",
    "meeting_circulate_minutes",
    "meeting_create",
    "meeting_record_minutes",
    "protocol_adopt",
    "protocol_audit_create",
    "protocol_create",
    "protocol_transition",
    "protocol_version_create",
    "review_action_add",
    "review_action_update",
    "review_complete",
    "reviews_sweep",
    "signature_sign",
    "signature_withdraw",
]
