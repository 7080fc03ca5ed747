"""The disclosures app's writes (design12 5.2): requests, answers, approvals and disclosures."""

from disclosures.services.answers import (
    DecisionInput,
    request_answer_decline,
    request_answer_share,
    request_approval_decline,
    request_approve,
    request_locked,
)
from disclosures.services.disclosures import (
    disclosure_emergency,
    disclosure_refer,
    disclosure_review,
    disclosure_revoke,
)
from disclosures.services.requests import request_submit, request_withdraw

__all__ = [
    "DecisionInput",
    "disclosure_emergency",
    "disclosure_refer",
    "disclosure_review",
    "disclosure_revoke",
    "request_answer_decline",
    "request_answer_share",
    "request_approval_decline",
    "request_approve",
    "request_locked",
    "request_submit",
    "request_withdraw",
]
