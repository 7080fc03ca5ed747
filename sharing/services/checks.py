"""Checks of typed values that several sharing services share: one message for each kind of problem."""

from __future__ import annotations

from datetime import date

from agencies.models import Agency, Membership
from isp_portal import bounds
from isp_portal.wording import possessive
from sharing import rules


def reason_cleaned(value: str, errors: dict[str, str], *, field: str, missing: str, limit: int = bounds.REASON) -> str:
    """`value` stripped; a message in `errors[field]` when it is empty (`missing`) or too long."""
    cleaned = (value or "").strip()
    if not cleaned:
        errors[field] = missing
    elif len(cleaned) > limit or bounds.has_nul(cleaned):
        errors[field] = f"Enter at most {limit} characters."
    return cleaned


def service_cleaned(value: str) -> str:
    """An involvement's service as stored (rules.service_normalised: one space between words)."""
    return rules.service_normalised(value or "")


def involvement_errors(
    *,
    agency: Agency,
    service: str,
    lead_professional: Membership | None,
    is_key_contact: bool,
    started_on: date,
    today: date,
    started_field: str = "started_on",
    born_on: date | None = None,
) -> dict[str, str]:
    """What is wrong with an involvement as typed: its service (`service` as stored: service_cleaned), its lead
    professional (one of the agency's active practitioners or designated managers, never a system account:
    rules.may_be_lead_professional; a key contact must be a person) and its start (not in the future, within the
    portal's era, not before the child's date of birth `born_on` when given: rules.before_birth_error)."""
    errors: dict[str, str] = {}
    reason_cleaned(
        service,
        errors,
        field="service",
        missing="Say which of your agency's services is involved with the child.",
        limit=bounds.NAME,
    )
    if lead_professional is not None and (lead_professional.agency_id != agency.pk or not lead_professional.is_active):
        errors["lead_professional"] = f"The lead professional must be one of {possessive(agency)} people."
    elif lead_professional is not None and not rules.may_be_lead_professional(
        lead_professional.roles, is_active=lead_professional.is_active, is_system=lead_professional.user.is_system
    ):
        # Haringey 3.8a: the lead professional or key contact is the professional other agencies contact.
        errors["lead_professional"] = (
            "The lead professional must be a practitioner or designated manager of the agency, who works with "
            "the child through the index: not an administrator or a system account."
        )
    if is_key_contact and lead_professional is None:
        errors["is_key_contact"] = "Name the person who is the key contact."
    if problem := rules.period_error(started_on, None, today):
        errors[started_field] = problem
    elif started_on < bounds.EARLIEST_DATE:
        errors[started_field] = bounds.ERA_ERROR
    elif born_on is not None and (problem := rules.before_birth_error(started_on, born_on, "The start date")):
        errors[started_field] = problem
    return errors
