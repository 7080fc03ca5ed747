"""The disclosures app's pure rules: the request state machine, due dates, which legal bases a share may rest on,
when a designated manager must approve, what a request may ask for, and the canonical snapshot of what was
disclosed with its SHA-256 (DESIGN 2.3; issue 12). Plain values in, plain values out: no ORM, no I/O, so each is
tested in microseconds. The models take their choices from the enums here (disclosures.models asserts they agree).

Sources: Haringey 3.8-3.9 (the tiers), 4.4-4.8 (consent, grounds for sharing without it, the designated manager,
recording the decision); Barnet (when not to seek consent; public interest, proportionality, what a decision
record holds); Buckinghamshire 5 (record when information is not shared); the Data Protection Act 2018
Schedule 2 paragraph 2 (crime and taxation: the police request form the seeds call "DPA s29(3)", after the 1998
Act's section), the Crime and Disorder Act 1998 s115, the Nationality, Immigration and Asylum Act 2002 s129.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from enum import StrEnum

from agencies.rules import add_months
from isp_portal.workdays import Nation, add_working_days
from sharing.rules import CATEGORY_LABELS, Category

# --- Enums (the models' choices take these values) -------------------------------------------------------------


class Kind(StrEnum):
    """How a disclosure comes about. Proactive referrals and emergency disclosures are requests raised by the
    discloser and answered at once (design12 F2), so one state machine and one set of constraints hold all three."""

    REQUESTED = "requested"
    PROACTIVE = "proactive"
    EMERGENCY = "emergency"
    # Issue 13 (Southampton 10-11): a recipient passing what it received on to a third agency, with the
    # originator's recorded agreement (OnwardRequest); a request raised and answered by the passer, like a referral.
    ONWARD = "onward"


class State(StrEnum):
    """DESIGN 2.3: a request's states. Drafts live in the session (design12 F3), so there is no draft row."""

    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SHARED = "shared"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Tier(StrEnum):
    """The tiers a request may ask for (Haringey 3.8 minimum data, 3.9 detailed and sensitive information); the
    aggregate tier is counts, never a person, so it is never requested."""

    MINIMUM = "minimum"
    SENSITIVE = "sensitive"


class ConsentBasis(StrEnum):
    """WYCPS: a request states the consent, or the ground for not seeking it, or that it was refused and why it is
    overridden."""

    CONSENT = "consent"
    NOT_SOUGHT = "not_sought"
    REFUSED = "refused"


class NotSoughtReason(StrEnum):
    """Barnet, "Do not seek consent if any of the following apply" (consent.models.ConsentNotSoughtReason's values)."""

    SIGNIFICANT_HARM = "significant_harm"
    SERIOUS_HARM_ADULT = "serious_harm_adult"
    SERIOUS_CRIME = "serious_crime"
    UNJUSTIFIED_DELAY = "unjustified_delay"


class ConsentFormValue(StrEnum):
    """The forms of consent (consent.models.ConsentForm's values): Barnet, explicit (written or spoken) or implied."""

    EXPLICIT_WRITTEN = "explicit_written"
    EXPLICIT_VERBAL = "explicit_verbal"
    IMPLIED = "implied"


class LegalBasis(StrEnum):
    """DESIGN 2.3's legal bases: the two consent bases, then exactly the grounds a protocol may allow sharing
    without consent on (protocols.models.Ground's values, Haringey 4.5), so a version's `grounds_without_consent`
    is compared value for value."""

    EXPLICIT_CONSENT = "explicit_consent"
    IMPLIED_CONSENT = "implied_consent"
    SIGNIFICANT_HARM = "significant_harm"
    URGENT_MEDICAL = "urgent_medical"
    HOME_OFFICE = "home_office"  # Nationality, Immigration and Asylum Act 2002 s129
    COURT_ORDER = "court_order"
    POLICE_S29 = "police_s29"  # DPA 2018 Sch 2 para 2, on the police's form (the seeds' "DPA s29(3) form")
    CRIME_PREVENTION = "crime_prevention"  # Crime and Disorder Act 1998 s115
    STATUTORY_DUTY = "statutory_duty"  # Children Act 1989 s47


CONSENT_BASES = frozenset({LegalBasis.EXPLICIT_CONSENT, LegalBasis.IMPLIED_CONSENT})
GROUNDS = frozenset(LegalBasis) - CONSENT_BASES

LEGAL_BASIS_LABELS: dict[LegalBasis, str] = {
    LegalBasis.EXPLICIT_CONSENT: "Explicit consent",
    LegalBasis.IMPLIED_CONSENT: "Implied consent",
    LegalBasis.SIGNIFICANT_HARM: "Risk of significant harm",
    LegalBasis.URGENT_MEDICAL: "Urgent medical treatment (vital interests)",
    LegalBasis.HOME_OFFICE: "Home Office request (Nationality, Immigration and Asylum Act 2002 s129)",
    LegalBasis.COURT_ORDER: "Order of a court",
    LegalBasis.POLICE_S29: "Police investigation, on the police's data protection form (DPA s29(3))",
    LegalBasis.CRIME_PREVENTION: "Prevention or detection of crime",
    LegalBasis.STATUTORY_DUTY: "A statutory duty to share",
}


class SubjectTold(StrEnum):
    """Haringey 4.7 / Barnet: whether the child or family was told of the disclosure, and if not, why not."""

    TOLD = "told"
    NOT_TOLD = "not_told"
    NOT_SAFE = "not_safe"


class EmergencyReason(StrEnum):
    URGENT_MEDICAL_TREATMENT = "urgent_medical_treatment"
    IMMEDIATE_RISK_OF_HARM = "immediate_risk_of_harm"


class DeclineReason(StrEnum):
    """Buckinghamshire 5: why information was not shared, recorded and reportable."""

    NOTHING_HELD = "nothing_held"
    NOT_PROPORTIONATE = "not_proportionate"
    NO_LAWFUL_BASIS = "no_lawful_basis"
    CONSENT_REFUSED_NO_OVERRIDE = "consent_refused_no_override"
    OUTSIDE_PROTOCOL_SCOPE = "outside_protocol_scope"
    MANAGER_DECLINED = "manager_declined"
    OTHER = "other"


class Outcome(StrEnum):
    """A request's answer: share or decline."""

    SHARE = "share"
    DECLINE = "decline"


class FollowUp(StrEnum):
    """What happens to a disclosure after it is made: each at most once (a DisclosureEvent row)."""

    REVIEWED = "reviewed"
    ESCALATED = "escalated"
    REVOKED = "revoked"
    RETENTION_ENDED = "retention_ended"


class ReviewOutcome(StrEnum):
    ENDORSED = "endorsed"
    CONCERNS_RAISED = "concerns_raised"


# consent.selectors.Reason's values: what the consent check said when the request was answered (the test suite
# asserts they agree; the models cannot import a selector).
CONSENT_CHECK_VALUES = (
    "covered",
    "none_recorded",
    "refused",
    "parent_overridden",
    "withdrawn",
    "parent_decision_lapsed",
    "expired",
    "not_yet_in_force",
    "out_of_scope_purpose",
    "out_of_scope_tier",
    "out_of_scope_agency",
)

S29_REFERENCE_MAX = 64
CATEGORIES_MAX = len(Category)

OPEN_STATES = frozenset({State.SUBMITTED, State.AWAITING_APPROVAL, State.APPROVED})
TERMINAL_STATES = frozenset({State.SHARED, State.DECLINED, State.WITHDRAWN, State.EXPIRED})

# --- The state machine -------------------------------------------------------------------------------------------

# DESIGN 2.3. A manager's decline goes straight to declined (DeclineReason.MANAGER_DECLINED); approval makes the
# disclosure in the same transaction, so approved never rests (design12 F4). Terminal states go nowhere: a
# request is never both shared and declined (the database holds it too: trigger request_terminal_is_final).
TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.SUBMITTED: frozenset({State.AWAITING_APPROVAL, State.SHARED, State.DECLINED, State.WITHDRAWN, State.EXPIRED}),
    State.AWAITING_APPROVAL: frozenset({State.APPROVED, State.DECLINED, State.WITHDRAWN}),
    State.APPROVED: frozenset({State.SHARED}),
    State.SHARED: frozenset(),
    State.DECLINED: frozenset(),
    State.WITHDRAWN: frozenset(),
    State.EXPIRED: frozenset(),
}

_STATE_WORDS: dict[State, str] = {
    State.SUBMITTED: "waiting for an answer",
    State.AWAITING_APPROVAL: "waiting for a designated manager's approval",
    State.APPROVED: "approved",
    State.SHARED: "already answered: the information was shared",
    State.DECLINED: "already answered: it was declined",
    State.WITHDRAWN: "withdrawn by the person who made it",
    State.EXPIRED: "closed because it was not answered in time",
}

_TARGET_WORDS: dict[State, str] = {
    State.SUBMITTED: "submitted",
    State.AWAITING_APPROVAL: "sent for approval",
    State.APPROVED: "approved",
    State.SHARED: "shared",
    State.DECLINED: "declined",
    State.WITHDRAWN: "withdrawn",
    State.EXPIRED: "closed as expired",
}


def transition_refusal(current: State, target: State) -> str | None:
    """None when a request in `current` may move to `target`; otherwise the sentence saying why not."""
    if target in TRANSITIONS[current]:
        return None
    return f"This request is {_STATE_WORDS[current]}, so it cannot be {_TARGET_WORDS[target]}."


# --- Dates --------------------------------------------------------------------------------------------------------


def request_due_on(submitted_on: date, response_working_days: int, *, nation: Nation) -> date:
    """The answer is due the protocol version's response time in working days after the day it was submitted
    (issue 12; the submission day itself is not counted: isp_portal.workdays)."""
    if response_working_days < 1:
        raise ValueError("a protocol's response time is at least one working day")
    return add_working_days(submitted_on, response_working_days, nation=nation)


def review_due_at(made_at: datetime, *, nation: Nation, tz: tzinfo) -> datetime:
    """An emergency disclosure is reviewed within one working day: by the end of the next working day, in the
    partnership's time zone (issue 12). Made on a Friday, or over a bank-holiday weekend, it is due at the end of
    the next working day after it."""
    if made_at.tzinfo is None:
        raise ValueError("made_at must be an aware datetime")
    local_day = made_at.astimezone(tz).date()
    return datetime.combine(add_working_days(local_day, 1, nation=nation), time.max, tzinfo=tz)


def retain_until_default(made_on: date, retention_months: int) -> date:
    """The default end of a recipient's access: the protocol version's retention, in months, from the day made."""
    return add_months(made_on, retention_months)


def retain_until_refusal(retain_until: date, *, made_on: date, retention_months: int) -> str | None:
    """Access may not outlast the protocol version's retention period from the day made (Southampton 8: information
    is not kept longer than necessary); the answerer may end it sooner, never later."""
    latest = add_months(made_on, retention_months)
    if retain_until > latest:
        return (
            f"Access may last at most the protocol's retention period of {retention_months} months: "
            f"choose a day no later than {latest.day} {latest:%B %Y}."
        )
    return None


def escalation_due(review_due_at: datetime, now: datetime, *, reviewed: bool, escalated: bool) -> bool:
    """An emergency disclosure not reviewed by its deadline escalates to the disclosing agency's Caldicott
    guardian, once (issue 12)."""
    return not reviewed and not escalated and now > review_due_at


# --- Approval ------------------------------------------------------------------------------------------------------


def approval_needed(*, tiers: Iterable[str], legal_basis: LegalBasis, kind: Kind, by_system: bool = False) -> bool:
    """Haringey 4.4 and 4.6: detailed and sensitive information shared without consent waits for a designated
    manager of the disclosing agency. An emergency disclosure is made at once and reviewed afterwards instead
    (within one working day: review_due_at). An agency system (an API token) decides no share without consent on its
    own, whatever the tiers: a person weighs the public interest (Haringey 4.6; design12 F12), so it waits for a
    designated manager too."""
    if legal_basis not in CONSENT_BASES and by_system:
        return True
    if kind == Kind.EMERGENCY:
        return False
    return Tier.SENSITIVE in set(tiers) and legal_basis not in CONSENT_BASES


# --- Legal bases ---------------------------------------------------------------------------------------------------

# Barnet's reasons for not seeking consent, and the grounds each supports: asking would put the child at risk
# (significant harm, or a statutory duty under Children Act 1989 s47); an adult at risk of serious harm (the public
# interest in preventing it); prejudice a serious crime's detection (Crime and Disorder Act 1998 s115, or a police
# request under DPA 2018 Sch 2 para 2); unjustified delay (the harm the delay risks, or urgent treatment).
_GROUNDS_BY_NOT_SOUGHT: dict[NotSoughtReason, frozenset[LegalBasis]] = {
    NotSoughtReason.SIGNIFICANT_HARM: frozenset({LegalBasis.SIGNIFICANT_HARM, LegalBasis.STATUTORY_DUTY}),
    NotSoughtReason.SERIOUS_HARM_ADULT: frozenset({LegalBasis.SIGNIFICANT_HARM}),
    NotSoughtReason.SERIOUS_CRIME: frozenset({LegalBasis.CRIME_PREVENTION, LegalBasis.POLICE_S29}),
    NotSoughtReason.UNJUSTIFIED_DELAY: frozenset({LegalBasis.SIGNIFICANT_HARM, LegalBasis.URGENT_MEDICAL}),
}
# Grounds that come from outside the decision about consent: an order of a court, a Home Office request (NIAA 2002
# s129), a police request on the DPA form. Each may be the basis whatever the reason consent was not relied on.
_EXTERNAL_GROUNDS = frozenset({LegalBasis.COURT_ORDER, LegalBasis.HOME_OFFICE, LegalBasis.POLICE_S29})
_GROUNDS_WHEN_REFUSED = frozenset(GROUNDS)

# Who may ask on an external ground (break12b F6), by the requesting (receiving) agency's kind
# (agencies.models.AgencyKind values). The police's data protection form (DPA 2018 Sch 2 para 2, the seeds' "DPA
# s29(3) form") is a police request. A s129 request (Nationality, Immigration and Asylum Act 2002) is the Home
# Office's, which is none of the partner kinds, so it comes from an agency of kind "other". A court orders
# disclosure to a party to its proceedings: a local authority (care proceedings), the police, a youth offending
# team (youth court), or another body (kind "other": a children's guardian's service, the court itself). A school,
# a GP practice, an NHS trust, a college or a voluntary organisation never asks on these grounds.
_EXTERNAL_REQUESTERS: dict[LegalBasis, tuple[frozenset[str], str]] = {
    LegalBasis.POLICE_S29: (frozenset({"police"}), "the police"),
    LegalBasis.HOME_OFFICE: (frozenset({"other"}), "the Home Office"),
    LegalBasis.COURT_ORDER: (
        frozenset({"local_authority", "police", "youth_offending_team", "other"}),
        "a party to the court's proceedings (a local authority, the police or a youth offending team)",
    ),
}


def without_consent_errors(
    chosen: LegalBasis, *, why: str, proportionality: str, public_interest: str
) -> dict[str, str]:
    """What a share on a ground other than consent must record, by field (empty when all is said): why without
    consent, why it is proportionate (the minimum needed, and why) and the public interest that outweighs the duty
    of confidence (break12b F7: Barnet's record of the decision; Haringey 4.4; the flowchart's "is sharing
    proportionate?"). Sharing on consent is no breach of confidence, so none of these is asked then."""
    if chosen in CONSENT_BASES:
        return {}
    errors: dict[str, str] = {}
    if not why.strip():
        errors["why_without_consent"] = "Say why this is shared without consent."
    if not proportionality.strip():
        errors["proportionality"] = (
            "Say why sharing this is proportionate: what is the minimum needed, and why it is needed."
        )
    if not public_interest.strip():
        errors["public_interest"] = (
            "Say what public interest justifies sharing without consent, and how it outweighs the duty of confidence."
        )
    return errors


def requester_basis_refusal(chosen: LegalBasis, requester_kind: str) -> str | None:
    """None when an agency of `requester_kind` may be disclosed to on `chosen`; otherwise why not (only the external
    grounds depend on who asks: _EXTERNAL_REQUESTERS)."""
    rule = _EXTERNAL_REQUESTERS.get(chosen)
    if rule is None or requester_kind in rule[0]:
        return None
    return f"'{LEGAL_BASIS_LABELS[chosen]}' is a basis only for a disclosure to {rule[1]}: choose another basis."


_NOT_SOUGHT_WORDS: dict[NotSoughtReason, str] = {
    NotSoughtReason.SIGNIFICANT_HARM: "asking would place the child at increased risk of significant harm",
    NotSoughtReason.SERIOUS_HARM_ADULT: "asking would place an adult at risk of serious harm",
    NotSoughtReason.SERIOUS_CRIME: "asking would prejudice the prevention or detection of a serious crime",
    NotSoughtReason.UNJUSTIFIED_DELAY: "asking would cause an unjustified delay",
}


def legal_bases_allowed(
    *,
    basis: ConsentBasis,
    consent_form: str | None,
    not_sought_reason: str | None,
    protocol_grounds: Iterable[str],
    tiers: Iterable[str],
    requester_kind: str | None = None,
) -> frozenset[LegalBasis]:
    """The legal bases a share may rest on, given the request's consent basis (and, when given, the kind of the
    agency it is disclosed to: requester_basis_refusal).

    Consent covers it: the consent basis of its form, and nothing else (Haringey 4.4: sharing on consent is no
    breach of confidence, so no other ground is weighed). Not sought: the grounds Barnet's reason supports, plus the
    external grounds (court order, Home Office, police form). Refused: any ground (Haringey 4.5, WYCPS: consent is
    overridden only on a ground). Anything touching the detailed and sensitive tier is then limited to the grounds
    the protocol version allows without consent (Haringey 4.5 lists them)."""
    if basis == ConsentBasis.CONSENT:
        if consent_form in (ConsentFormValue.EXPLICIT_WRITTEN, ConsentFormValue.EXPLICIT_VERBAL):
            return frozenset({LegalBasis.EXPLICIT_CONSENT})
        if consent_form == ConsentFormValue.IMPLIED:
            return frozenset({LegalBasis.IMPLIED_CONSENT})
        return frozenset()
    if basis == ConsentBasis.NOT_SOUGHT:
        if not_sought_reason not in set(NotSoughtReason):
            return frozenset()
        allowed = _GROUNDS_BY_NOT_SOUGHT[NotSoughtReason(not_sought_reason)] | _EXTERNAL_GROUNDS
    else:
        allowed = _GROUNDS_WHEN_REFUSED
    if Tier.SENSITIVE in set(tiers):
        allowed = allowed & frozenset(protocol_grounds)
    if requester_kind is not None:
        allowed = frozenset(chosen for chosen in allowed if requester_basis_refusal(chosen, requester_kind) is None)
    return frozenset(allowed)


def legal_basis_refusal(
    *,
    basis: ConsentBasis,
    consent_form: str | None,
    not_sought_reason: str | None,
    protocol_grounds: Iterable[str],
    tiers: Iterable[str],
    chosen: LegalBasis,
    citation: str = "",
    requester_kind: str | None = None,
) -> str | None:
    """None when `chosen` is among legal_bases_allowed; otherwise the sentence naming the rule that refuses it.
    `citation` is the protocol's own clause for consent (ProtocolVersion.cite("consent"), e.g. " (section 4.5 of
    the Haringey ISP)"), so people are told the rule of their own protocol."""
    grounds = frozenset(protocol_grounds)
    tier_set = frozenset(tiers)
    allowed = legal_bases_allowed(
        basis=basis, consent_form=consent_form, not_sought_reason=not_sought_reason, protocol_grounds=grounds,
        tiers=tier_set,
    )  # fmt: skip
    if chosen in allowed and requester_kind is not None:
        return requester_basis_refusal(chosen, requester_kind)
    if chosen in allowed:
        return None
    label = LEGAL_BASIS_LABELS[chosen]
    if basis == ConsentBasis.CONSENT:
        if chosen in CONSENT_BASES:
            return f"The consent recorded is not {label.lower()}: share on the consent as it was given."
        return (
            "Consent covers this request, so it is shared on that consent: no other ground is needed or may be "
            f"chosen{citation}."
        )
    if chosen in CONSENT_BASES:
        return f"There is no consent to share on: choose the ground for sharing without consent{citation}."
    if basis == ConsentBasis.NOT_SOUGHT and not_sought_reason in set(NotSoughtReason):
        reason = NotSoughtReason(not_sought_reason)
        if chosen not in _GROUNDS_BY_NOT_SOUGHT[reason] | _EXTERNAL_GROUNDS:
            return (
                f"Consent was not sought because {_NOT_SOUGHT_WORDS[reason]}; that does not support sharing on the "
                f"ground '{label}'."
            )
    if Tier.SENSITIVE in tier_set and chosen not in grounds:
        return (
            f"The protocol you share under{citation} does not allow sharing detailed and sensitive information "
            f"without consent on the ground '{label}'."
        )
    return f"'{label}' is not a basis this request can be shared on."


def s29_reference_error(basis: LegalBasis, reference: str) -> str | None:
    """A police request under DPA 2018 Sch 2 para 2 (the seeds' "DPA s29(3) form") is shared only on the police's
    signed form, whose reference is recorded; no other basis carries one."""
    reference = reference.strip()
    if basis == LegalBasis.POLICE_S29:
        if not reference:
            return "Enter the reference of the police's data protection form (DPA s29(3), now DPA 2018 Sch 2 para 2)."
        if len(reference) > S29_REFERENCE_MAX:
            return f"The form reference must be {S29_REFERENCE_MAX} characters or fewer."
        if "\x00" in reference:
            return "The form reference must not contain a NUL character."
        return None
    if reference:
        return "A form reference is recorded only for a police request on the data protection form (DPA s29(3))."
    return None


def subject_told_error(told: SubjectTold, reason: str) -> str | None:
    """Haringey 4.7 and Barnet: the record says whether the child or family was told, and why not when they were
    not (including when telling them would not be safe)."""
    if told != SubjectTold.TOLD and not reason.strip():
        return "Say why the child or family was not told about this disclosure."
    return None


# --- What a request may ask for ------------------------------------------------------------------------------------

# design12 F6: a protocol names its detailed and sensitive information as free-text fields (Haringey 3.9); entries
# have categories. Each category is in scope when the protocol lists the Haringey 3.9 field it falls under. (Not
# sharing.rules.CATEGORY_FIELDS, which is the form of an entry of each category.) Concern, child protection and
# family relationship are recorded as case notes; looked-after history and the Schedule One indicator are legal
# status ("looked after, offending").
CATEGORY_FIELDS: Mapping[Category, tuple[str, ...]] = {
    Category.CONTACT: ("Type of contact", "Date of contact", "Duration of contact"),
    Category.SEN_STATEMENT: ("Special Educational Needs statement",),
    Category.SUPPORT: ("Level of support and social circumstances",),
    Category.HEALTH: ("Relevant health information",),
    Category.LEGAL_STATUS: ("Legal status (looked after, offending)",),
    Category.CASE_NOTE: ("Case notes",),
    Category.CONCERN: ("Case notes",),
    Category.FAMILY_RELATIONSHIP: ("Case notes",),
    Category.CP_REGISTRATION: ("Case notes",),
    Category.CP_MEETING: ("Case notes",),
    Category.LOOKED_AFTER_HISTORY: ("Legal status (looked after, offending)",),
    Category.SCHEDULE_ONE: ("Legal status (looked after, offending)",),
}


def _field_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def category_in_scope(category: Category, sensitive_fields: Sequence[str]) -> bool:
    """Whether the protocol's detailed and sensitive information (its fields, Haringey 3.9) covers `category`."""
    listed = {_field_key(field) for field in sensitive_fields}
    return any(_field_key(field) in listed for field in CATEGORY_FIELDS[category])


def request_scope_refusals(
    *,
    tiers: Sequence[str],
    categories: Sequence[str],
    purpose: str,
    permitted_purposes: Sequence[str],
    sensitive_fields: Sequence[str],
) -> dict[str, str]:
    """Field -> the sentence refusing it, for what a request asks that its protocol version does not allow: a purpose
    it does not permit, a tier that is not requestable, categories without the sensitive tier (or none with it),
    and a category outside the version's detailed and sensitive information (Haringey 3.8-3.9, 4.1)."""
    errors: dict[str, str] = {}
    if purpose not in permitted_purposes:
        errors["purpose"] = "The protocol does not permit sharing for this purpose: choose one of its purposes."
    known_tiers = {tier.value for tier in Tier}
    if not tiers:
        errors["tiers"] = "Choose the information you need: the minimum data, the detailed and sensitive, or both."
    elif not set(tiers) <= known_tiers or len(set(tiers)) != len(tiers):
        errors["tiers"] = "Choose the minimum data, the detailed and sensitive information, or both."
    sensitive = Tier.SENSITIVE in tiers
    known = {category.value for category in Category}
    if sensitive and not categories:
        errors["categories"] = "Choose the kinds of detailed and sensitive information you need."
    elif categories and not sensitive:
        errors["categories"] = "Kinds of information are chosen only with the detailed and sensitive information."
    elif len(categories) > CATEGORIES_MAX or len(set(categories)) != len(categories):
        errors["categories"] = "Choose each kind of information once."
    else:
        unknown = [category for category in categories if category not in known]
        outside = [
            CATEGORY_LABELS[Category(category)]
            for category in categories
            if category in known and not category_in_scope(Category(category), sensitive_fields)
        ]
        if unknown:
            errors["categories"] = "Choose kinds of information from the list."
        elif outside:
            errors["categories"] = (
                f"The protocol's detailed and sensitive information does not include: {', '.join(outside)}."
            )
    return errors


# --- The snapshot and its SHA-256 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRevision:
    """One disclosed entry at the revision disclosed: the content the recipient sees for as long as access lasts."""

    entry_id: int
    category: str
    agency_id: int
    number: int
    fields: Mapping[str, object]
    text: str
    basis: str
    is_restricted: bool
    recorded_at: datetime
    author_id: int | None


@dataclass(frozen=True)
class SnapshotHeader:
    from_agency_id: int
    to_agency_id: int
    child_id: int
    tiers: Sequence[str]
    categories: Sequence[str]
    purpose: str
    legal_basis: str
    protocol_version_id: int
    made_at: datetime


SNAPSHOT_SCHEMA = 1
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _plain(value: object, where: str) -> object:
    """A JSON value with one spelling: datetimes in UTC with microseconds and Z, dates ISO, no floats (a float has
    no single decimal form, so the hash would depend on how it was printed)."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{where}: a naive datetime has no single UTC form")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are not allowed in a disclosure snapshot")
    if isinstance(value, Mapping):
        return {str(key): _plain(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where}: {type(value).__name__} is not allowed in a disclosure snapshot")


def snapshot_document(
    header: SnapshotHeader, *, child: Mapping[str, object] | None, entries: Iterable[SnapshotRevision]
) -> dict[str, object]:
    """What was disclosed, as a plain document: the disclosure's header, the child's minimum data as disclosed (only
    when the minimum tier was), and each entry at the revision disclosed, in entry order (DESIGN 2.3: a snapshot,
    so later corrections never change what was disclosed)."""
    rows = sorted(entries, key=lambda revision: revision.entry_id)
    document: dict[str, object] = {
        "schema": SNAPSHOT_SCHEMA,
        "disclosure": {
            "from_agency_id": header.from_agency_id,
            "to_agency_id": header.to_agency_id,
            "child_id": header.child_id,
            "tiers": sorted(header.tiers),
            "categories": sorted(header.categories),
            "purpose": header.purpose,
            "legal_basis": header.legal_basis,
            "protocol_version_id": header.protocol_version_id,
            "made_at": header.made_at,
        },
        "child": dict(child) if child is not None and Tier.MINIMUM in header.tiers else None,
        "entries": [
            {
                "entry_id": row.entry_id,
                "category": row.category,
                "agency_id": row.agency_id,
                "revision": {
                    "number": row.number,
                    "fields": dict(row.fields),
                    "text": row.text,
                    "basis": row.basis,
                    "is_restricted": row.is_restricted,
                    "recorded_at": row.recorded_at,
                    "author_id": row.author_id,
                },
            }
            for row in rows
        ],
    }
    plain = _plain(document, "snapshot")
    assert isinstance(plain, dict)
    return plain


def canonical_json(document: Mapping[str, object]) -> bytes:
    """The bytes a snapshot's hash is taken over: sorted keys, no spaces, UTF-8 (the form of audit.chain's events)."""
    plain = _plain(document, "snapshot")
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def snapshot_sha256(document: Mapping[str, object]) -> str:
    """The SHA-256 of the snapshot's canonical form, in hex: stored on the disclosure and re-checked on display."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def is_sha256_hex(value: str) -> bool:
    return bool(_HEX64.match(value))


# =================================================================================================================
# After a disclosure (issue 13; docs/after-disclosure-design.md sections 3-4): onward disclosure with its lineage
# (Southampton 10-11), corrections to every recipient (Southampton 9), disputes and their register (Southampton 13).
# =================================================================================================================

# Southampton 18 item 13 forbids secondary disclosure without the originator's consent but sets no depth. Four hops
# (originator -> recipient -> three further agencies) covers every chain the seeds describe (school -> health visitor
# -> police) with room to spare, and bounds the lineage query (the database holds it too: disclosure_hop_bounded).
MAX_ONWARD_HOPS = 4
# No seed gives a dispute stage a time limit (Southampton 13's flowchart, Appendix 3, is empty). The only staged
# working-day procedure in the seeds is Haringey 6's breach steps (5, 10, 20 working days), so stage 1 (the line
# managers) gets 5 working days and stage 2 (heads of service, after their Caldicott guardian's or DPO's advice) 10.
STAGE_ONE_WORKING_DAYS = 5
STAGE_TWO_WORKING_DAYS = 10
# Southampton 13 "both agencies must record on their case files": within 5 working days of the resolution, the
# first step of the same Haringey 6 scale.
RECORD_WORKING_DAYS = 5
# Southampton 9 "the originator must decide what corrective action is needed including advising appropriate
# agencies": each recipient acknowledges within 5 working days; a further 5 and the agency's managers and its
# Caldicott guardian or DPO are told (the Haringey 6 scale again).
CORRECTION_ACK_WORKING_DAYS = 5
CORRECTION_ESCALATE_WORKING_DAYS = 5


def _day(value: date) -> str:
    """A date as people read it in a sentence: 14 December 2026."""
    return f"{value.day} {value:%B %Y}"


# --- Onward disclosure (Southampton 10-11; Southampton 18 item 13) ------------------------------------------------


class OnwardState(StrEnum):
    """An onward request's states (docs/after-disclosure-design.md 3.1)."""

    REQUESTED = "requested"
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    DISCLOSED = "disclosed"
    LAPSED = "lapsed"


class LapseReason(StrEnum):
    """Why an onward request lapsed: the agreement was not used in time, or what it rested on ended (the parent
    disclosure was revoked or its retention ended)."""

    UNUSED = "unused"
    PARENT_ENDED = "parent_ended"


ONWARD_OPEN_STATES = frozenset({OnwardState.REQUESTED, OnwardState.AGREED})
ONWARD_TERMINAL_STATES = frozenset(OnwardState) - ONWARD_OPEN_STATES
# An originator declining to let its information go further gives a reason (Buckinghamshire 5). It holds the
# information by definition, and its own designated manager is the decider, so two of a request's reasons never
# apply.
ONWARD_DECLINE_REASONS = frozenset(DeclineReason) - {DeclineReason.NOTHING_HELD, DeclineReason.MANAGER_DECLINED}

# Design 3.1. Agreement and disclosure are separate steps: the originator agrees (Southampton 10: "secondary
# disclosure can only be permitted with the agreement of the information source provider"), then the passer
# discloses within the agreement's life. Expiry and lapse are the sweep's (and a parent's revocation's). The
# database holds the same table (trigger onward_transition_allowed).
ONWARD_TRANSITIONS: Mapping[OnwardState, frozenset[OnwardState]] = {
    OnwardState.REQUESTED: frozenset(
        {OnwardState.AGREED, OnwardState.DECLINED, OnwardState.WITHDRAWN, OnwardState.EXPIRED, OnwardState.LAPSED}
    ),
    OnwardState.AGREED: frozenset({OnwardState.DISCLOSED, OnwardState.WITHDRAWN, OnwardState.LAPSED}),
    OnwardState.DECLINED: frozenset(),
    OnwardState.WITHDRAWN: frozenset(),
    OnwardState.EXPIRED: frozenset(),
    OnwardState.DISCLOSED: frozenset(),
    OnwardState.LAPSED: frozenset(),
}

_ONWARD_STATE_WORDS: dict[OnwardState, str] = {
    OnwardState.REQUESTED: "waiting for the agreement of the agency the information came from",
    OnwardState.AGREED: "agreed by the agency the information came from",
    OnwardState.DECLINED: "closed: the agency the information came from did not agree",
    OnwardState.WITHDRAWN: "withdrawn by the person who asked",
    OnwardState.EXPIRED: "closed because it was not answered in time",
    OnwardState.DISCLOSED: "closed: the information has been passed on",
    OnwardState.LAPSED: "closed: the agreement lapsed",
}

_ONWARD_TARGET_WORDS: dict[OnwardState, str] = {
    OnwardState.REQUESTED: "asked again",
    OnwardState.AGREED: "agreed",
    OnwardState.DECLINED: "declined",
    OnwardState.WITHDRAWN: "withdrawn",
    OnwardState.EXPIRED: "closed as expired",
    OnwardState.DISCLOSED: "passed on",
    OnwardState.LAPSED: "closed as lapsed",
}


def onward_transition_refusal(current: OnwardState, target: OnwardState) -> str | None:
    """None when an onward request in `current` may move to `target` (ONWARD_TRANSITIONS); otherwise the sentence
    saying why not. In particular nothing is passed on before the originator has agreed (Southampton 10)."""
    if target in ONWARD_TRANSITIONS[current]:
        return None
    if target == OnwardState.DISCLOSED and current == OnwardState.REQUESTED:
        return (
            "The agency the information came from has not agreed yet: information is passed on only with its agreement."
        )
    return f"This onward request is {_ONWARD_STATE_WORDS[current]}, so it cannot be {_ONWARD_TARGET_WORDS[target]}."


def onward_due_on(submitted_on: date, response_working_days: int, *, nation: Nation) -> date:
    """The originator answers within the protocol version's response time (Southampton 18 item 7: "respond ...
    within a reasonable time scale as agreed"), counted as for a request (request_due_on)."""
    return request_due_on(submitted_on, response_working_days, nation=nation)


def onward_expires_on(due_on: date, response_working_days: int, *, nation: Nation) -> date:
    """An unanswered onward request closes a second response time after it fell due, as an unanswered request
    does (design12 F8): the asker is told it is overdue first, and it is not left open for ever."""
    if response_working_days < 1:
        raise ValueError("a protocol's response time is at least one working day")
    return add_working_days(due_on, response_working_days, nation=nation)


def agreement_until(
    decided_at: datetime, response_working_days: int, parent_retain_until: datetime, *, nation: Nation, tz: tzinfo
) -> datetime:
    """How long the originator's agreement may be used: to the end of the working day one response time after it
    was given, in the partnership's time zone, and never after the parent disclosure's retention ends (what is
    passed on must still be held: Southampton 8). An agreement is for the need stated then, not indefinitely."""
    if decided_at.tzinfo is None or parent_retain_until.tzinfo is None:
        raise ValueError("decided_at and parent_retain_until must be aware datetimes")
    if response_working_days < 1:
        raise ValueError("a protocol's response time is at least one working day")
    local_day = decided_at.astimezone(tz).date()
    until = datetime.combine(add_working_days(local_day, response_working_days, nation=nation), time.max, tzinfo=tz)
    return min(until, parent_retain_until)


@dataclass(frozen=True)
class ParentFacts:
    """What the rules need to know of the disclosure an agency wants to pass on: plain values, no ORM.
    `revisions` maps each entry received to the revision received."""

    disclosure_id: int
    hop: int
    to_agency_id: int
    originator_agency_id: int
    tiers: frozenset[str]
    categories: frozenset[str]
    revisions: Mapping[int, int]
    live: bool
    retain_until: datetime
    # Every agency the information passed through to reach the parent's (each disclosure's from and to agency, from
    # the origin down to the parent): each holds it already (b13e).
    holders: frozenset[int] = frozenset()


def onward_scope_refusals(
    *,
    parent: ParentFacts,
    entries: Mapping[int, int],
    tiers: Sequence[str],
    categories: Sequence[str],
    to_agency_id: int,
) -> dict[str, str]:
    """Field -> the sentence refusing it, for an onward request that asks for more than the asker's agency received
    or goes where it may not (Southampton 10-11). `entries` maps entry id -> revision id asked for.

    Only what was received, at the revision received (so a correction since reaches the third agency as a
    correction, never as silently newer text); tiers and categories within the parent's; the parent still live;
    at most MAX_ONWARD_HOPS hops; never to the passer's own agency, nor back to the originator, nor to any agency it
    passed through on its way (each holds the information already: `parent.holders`)."""
    errors: dict[str, str] = {}
    if not parent.live:
        errors["parent_disclosure"] = "Your agency's access to this information has ended, so it cannot be passed on."
    elif parent.hop + 1 > MAX_ONWARD_HOPS:
        errors["parent_disclosure"] = (
            f"This information has already been passed on {parent.hop} times: it can be passed on at most "
            f"{MAX_ONWARD_HOPS} times from the agency it came from."
        )
    if not entries:
        errors["entries"] = "Choose the entries to pass on."
    elif any(parent.revisions.get(entry) != revision for entry, revision in entries.items()):
        errors["entries"] = "You can pass on only the entries your agency received, as they were when it received them."
    if not tiers:
        errors["tiers"] = "Choose the information to pass on: the minimum data, the detailed and sensitive, or both."
    elif not set(tiers) <= parent.tiers or len(set(tiers)) != len(tiers):
        errors["tiers"] = "You can pass on only the kinds of information your agency received."
    sensitive = Tier.SENSITIVE in tiers
    if sensitive and not categories:
        errors["categories"] = "Choose the kinds of detailed and sensitive information to pass on."
    elif categories and not sensitive:
        errors["categories"] = "Kinds of information are chosen only with the detailed and sensitive information."
    elif not set(categories) <= parent.categories or len(set(categories)) != len(categories):
        errors["categories"] = "You can pass on only the kinds of information your agency received."
    if to_agency_id == parent.to_agency_id:
        errors["to_agency"] = "Choose another agency: this information is already held by yours."
    elif to_agency_id == parent.originator_agency_id:
        errors["to_agency"] = "Choose another agency: this information came from that agency, which holds it already."
    elif to_agency_id in parent.holders:
        errors["to_agency"] = (
            "Choose another agency: this information reached your agency through that agency, which holds it already."
        )
    return errors


def onward_retain_until_refusal(retain_until: datetime, parent_retain_until: datetime) -> str | None:
    """An onward copy never outlives its source (Southampton 8; the database holds it too: trigger
    disclosure_onward_agreed)."""
    if retain_until > parent_retain_until:
        return (
            "Access may not last longer than your agency's own access to this information: choose a day no later "
            f"than {_day(parent_retain_until.date())}."
        )
    return None


# --- Corrections (Southampton 9) ---------------------------------------------------------------------------------


class NoticeState(StrEnum):
    """A correction notice as a recipient sees it. Only `acknowledged` is stored (acknowledged_at); overdue and
    escalated are overlays derived from the dates (design 3.2), so no sweep has to keep a state column true."""

    PENDING = "pending"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"


class InaccuracyState(StrEnum):
    """A recipient's report that an entry it received is inaccurate (Southampton 9: it "advises the originator")."""

    OPEN = "open"
    CORRECTED = "corrected"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


INACCURACY_TRANSITIONS: Mapping[InaccuracyState, frozenset[InaccuracyState]] = {
    InaccuracyState.OPEN: frozenset({InaccuracyState.CORRECTED, InaccuracyState.REJECTED, InaccuracyState.WITHDRAWN}),
    InaccuracyState.CORRECTED: frozenset(),
    InaccuracyState.REJECTED: frozenset(),
    InaccuracyState.WITHDRAWN: frozenset(),
}


def inaccuracy_transition_refusal(current: InaccuracyState, target: InaccuracyState) -> str | None:
    """None when a report in `current` may move to `target`; a report is answered once (trigger
    inaccuracy_terminal_is_final)."""
    if target in INACCURACY_TRANSITIONS[current]:
        return None
    return f"This report is already {current.value}, so it cannot be {target.value} now."


def correction_ack_due_on(issued_on: date, *, nation: Nation) -> date:
    """A recipient acknowledges a correction within CORRECTION_ACK_WORKING_DAYS working days of its issue."""
    return add_working_days(issued_on, CORRECTION_ACK_WORKING_DAYS, nation=nation)


def notice_escalate_on(ack_due_on: date, *, nation: Nation) -> date:
    """An unacknowledged correction is escalated CORRECTION_ESCALATE_WORKING_DAYS working days after it fell due."""
    return add_working_days(ack_due_on, CORRECTION_ESCALATE_WORKING_DAYS, nation=nation)


def notice_state(acknowledged: bool, ack_due_on: date, today: date, *, nation: Nation) -> NoticeState:
    """Acknowledged; else escalated after notice_escalate_on, overdue after ack_due_on, pending until then."""
    if acknowledged:
        return NoticeState.ACKNOWLEDGED
    if today > notice_escalate_on(ack_due_on, nation=nation):
        return NoticeState.ESCALATED
    if today > ack_due_on:
        return NoticeState.OVERDUE
    return NoticeState.PENDING


# --- Disputes (Southampton 13) -----------------------------------------------------------------------------------


class DisputeSubject(StrEnum):
    """What is disputed: an information request's answer, or an onward request's (design Q10)."""

    REQUEST = "request"
    ONWARD = "onward"


class DisputeGround(StrEnum):
    """Southampton 13 disputes "whether or not information should be shared": a decline, or no answer in time."""

    DECLINED = "declined"
    OVERDUE = "overdue"


class DisputeState(StrEnum):
    STAGE_ONE = "stage_one"
    STAGE_TWO = "stage_two"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class Side(StrEnum):
    """The raising side (the requesting agency) and the responding side (the agency that holds the information)."""

    RAISING = "raising"
    RESPONDING = "responding"


class Position(StrEnum):
    """A side's position, and a dispute's outcome: share or not."""

    SHARE = "share"
    NOT_SHARE = "not_share"


class AssigneeBasis(StrEnum):
    """Why a person was given a stage: Southampton 13's line manager (stage 1) or head of service (stage 2), else
    the agency's designated manager when it names none (design Q8)."""

    LINE_MANAGER = "line_manager"
    DESIGNATED_MANAGER = "designated_manager"
    HEAD_OF_SERVICE = "head_of_service"


class EscalationReason(StrEnum):
    DEADLINE_PASSED = "deadline_passed"
    POSITIONS_DIFFER = "positions_differ"


class AdviserRole(StrEnum):
    """Southampton 13: each head of service takes "advice from their Caldicott guardian or DPO"."""

    CALDICOTT_GUARDIAN = "caldicott_guardian"
    DPO = "dpo"


class DisputeEventKind(StrEnum):
    """The journey's timeline. The sweep's kinds happen once per dispute, stage and side (a partial UNIQUE)."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    POSITION = "position"
    ESCALATED = "escalated"
    ADVICE = "advice"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    REFERRED = "referred"
    RECORDED = "recorded"
    CHASED = "chased"


DISPUTE_ONCE_EVENTS = frozenset({DisputeEventKind.ESCALATED, DisputeEventKind.REFERRED, DisputeEventKind.CHASED})
DISPUTE_OPEN_STATES = frozenset({DisputeState.STAGE_ONE, DisputeState.STAGE_TWO})
DISPUTE_TERMINAL_STATES = frozenset({DisputeState.RESOLVED, DisputeState.WITHDRAWN})

# Design 3.3. A stage "moves" to itself when a position, an advice or a referral is recorded (the dispute row stays
# at its stage); a stage never goes back (the database holds both: trigger dispute_transition_allowed).
DISPUTE_TRANSITIONS: Mapping[DisputeState, frozenset[DisputeState]] = {
    DisputeState.STAGE_ONE: frozenset(
        {DisputeState.STAGE_ONE, DisputeState.STAGE_TWO, DisputeState.RESOLVED, DisputeState.WITHDRAWN}
    ),
    DisputeState.STAGE_TWO: frozenset({DisputeState.STAGE_TWO, DisputeState.RESOLVED, DisputeState.WITHDRAWN}),
    DisputeState.RESOLVED: frozenset(),
    DisputeState.WITHDRAWN: frozenset(),
}

_DISPUTE_STATE_WORDS: dict[DisputeState, str] = {
    DisputeState.STAGE_ONE: "at stage 1, with the line managers",
    DisputeState.STAGE_TWO: "at stage 2, with the heads of service",
    DisputeState.RESOLVED: "resolved",
    DisputeState.WITHDRAWN: "withdrawn",
}

_DISPUTE_TARGET_WORDS: dict[DisputeState, str] = {
    DisputeState.STAGE_ONE: "returned to stage 1",
    DisputeState.STAGE_TWO: "escalated to stage 2",
    DisputeState.RESOLVED: "resolved",
    DisputeState.WITHDRAWN: "withdrawn",
}


def dispute_transition_refusal(current: DisputeState, target: DisputeState) -> str | None:
    """None when a dispute in `current` may move to `target` (DISPUTE_TRANSITIONS); otherwise why not."""
    if target in DISPUTE_TRANSITIONS[current]:
        return None
    if current in DISPUTE_TERMINAL_STATES:
        return f"This dispute is already {_DISPUTE_STATE_WORDS[current]}: nothing more can be done to it."
    return f"This dispute is {_DISPUTE_STATE_WORDS[current]}, so it cannot be {_DISPUTE_TARGET_WORDS[target]}."


@dataclass(frozen=True)
class SubjectFacts:
    """What the eligibility rule needs of a disputed request or onward request. `state` is the subject's own state
    (State for a request, OnwardState for an onward request); `answered_on` the day it was answered, if it was."""

    kind: DisputeSubject
    state: str
    due_on: date | None
    answered_on: date | None = None


def dispute_ground(subject: SubjectFacts, today: date) -> DisputeGround | None:
    """Design Q13, "answered in time": a decline is always disputable (a decline is what Southampton 13 disputes,
    in time or not); an open request past its due date, or one closed unanswered, is disputable as overdue;
    anything shared, agreed, withdrawn or lapsed, or still in time, is not."""
    if subject.kind == DisputeSubject.REQUEST:
        declined, expired, open_states = State.DECLINED.value, State.EXPIRED.value, {s.value for s in OPEN_STATES}
    else:
        declined, expired = OnwardState.DECLINED.value, OnwardState.EXPIRED.value
        open_states = {OnwardState.REQUESTED.value}
    if subject.state == declined:
        return DisputeGround.DECLINED
    if subject.state == expired:
        return DisputeGround.OVERDUE
    if subject.state in open_states and subject.due_on is not None and today > subject.due_on:
        return DisputeGround.OVERDUE
    return None


def dispute_eligibility_refusal(subject: SubjectFacts, today: date) -> str | None:
    """None when the subject may be disputed today (dispute_ground); otherwise the sentence saying why not."""
    if dispute_ground(subject, today) is not None:
        return None
    noun = "request" if subject.kind == DisputeSubject.REQUEST else "onward request"
    open_states = (
        {s.value for s in OPEN_STATES} if subject.kind == DisputeSubject.REQUEST else {OnwardState.REQUESTED.value}
    )
    if subject.state in open_states:
        if subject.due_on is None:
            return f"This {noun} has no due date: a dispute can be raised only about a decline or a late answer."
        return f"This {noun} is due by {_day(subject.due_on)}: a dispute can be raised if it is not answered by then."
    if subject.state in (State.SHARED.value, OnwardState.AGREED.value, OnwardState.DISCLOSED.value):
        when = f" on {_day(subject.answered_on)}" if subject.answered_on is not None else ""
        within = (
            ", within its due date,"
            if subject.answered_on is not None and subject.due_on is not None and subject.answered_on <= subject.due_on
            else ""
        )
        outcome = "the information was shared" if subject.kind == DisputeSubject.REQUEST else "it was agreed"
        return f"This {noun} was answered{when}{within} and {outcome}: there is nothing to dispute."
    if subject.state == State.WITHDRAWN.value:
        return f"This {noun} was withdrawn: there is nothing to dispute."
    return f"This {noun} is closed and was not declined or left unanswered: there is nothing to dispute."


def stage_due_on(start: date, stage: int, *, nation: Nation) -> date:
    """The working day a stage must be resolved by: STAGE_ONE_WORKING_DAYS or STAGE_TWO_WORKING_DAYS after it
    started (the start day not counted)."""
    if stage == 1:
        return add_working_days(start, STAGE_ONE_WORKING_DAYS, nation=nation)
    if stage == 2:
        return add_working_days(start, STAGE_TWO_WORKING_DAYS, nation=nation)
    raise ValueError("a dispute has two stages")


def records_due_on(resolved_on: date, *, nation: Nation) -> date:
    """Both agencies record the dispute on their case files within RECORD_WORKING_DAYS of its end (Southampton 13)."""
    return add_working_days(resolved_on, RECORD_WORKING_DAYS, nation=nation)


def positions_differ(positions: Mapping[Side, Position]) -> bool:
    return len(positions) == 2 and positions[Side.RAISING] != positions[Side.RESPONDING]


def escalation_reason(
    *, stage_one_due_on: date, positions: Mapping[Side, Position], today: date
) -> EscalationReason | None:
    """Why stage 1 may go to stage 2 today, if it may: both line managers have spoken and differ, or stage 1's time
    has run out (the deadline first: it is the sweep's reason and holds whatever the positions)."""
    if today > stage_one_due_on:
        return EscalationReason.DEADLINE_PASSED
    if positions_differ(positions):
        return EscalationReason.POSITIONS_DIFFER
    return None


def escalation_refusal(*, stage_one_due_on: date, positions: Mapping[Side, Position], today: date) -> str | None:
    """Southampton 13: a dispute goes to the heads of service when the line managers cannot resolve it. Early
    escalation is refused (the database holds it too: trigger dispute_escalation_not_early)."""
    if escalation_reason(stage_one_due_on=stage_one_due_on, positions=positions, today=today) is not None:
        return None
    return (
        f"Stage 1 runs until {_day(stage_one_due_on)}: the line managers have until then to resolve it, unless both "
        "have recorded positions that differ."
    )


def stage_one_resolution(positions: Mapping[Side, Position]) -> Position | None:
    """Stage 1 resolves itself when both line managers record the same position; that position is the outcome."""
    if len(positions) == 2 and positions[Side.RAISING] == positions[Side.RESPONDING]:
        return positions[Side.RAISING]
    return None


def position_refusal(
    *, stage: int, side: Side, positions: Mapping[Side, Position], advices: frozenset[Side]
) -> str | None:
    """A side speaks once a stage; at stage 2 only after its Caldicott guardian or DPO has advised (Southampton 13:
    heads of service "each take advice ... before making a final decision")."""
    if side in positions:
        return "This side's position at this stage has already been recorded."
    if stage == 2 and side not in advices:
        return (
            "Your agency's Caldicott guardian or data protection officer must give their advice before your "
            "position is recorded."
        )
    return None


def decision_refusal(
    *, advices: frozenset[Side], positions: Mapping[Side, Position], stage_two_due_on: date, today: date
) -> str | None:
    """Stage 2 is decided by the responding agency's head of service (design Q9: the holder stays data controller,
    Southampton 10), after both agencies' advice, and after hearing the raising side's head of service unless
    stage 2's time has run out."""
    missing = [side for side in Side if side not in advices]
    if missing:
        which = "both agencies'" if len(missing) == 2 else f"the {missing[0].value} agency's"
        return f"The decision waits for {which} Caldicott guardian or data protection officer to give their advice."
    if Side.RAISING not in positions and today <= stage_two_due_on:
        return (
            "The decision waits for the requesting agency's head of service to record their position, until "
            f"{_day(stage_two_due_on)}."
        )
    return None


def referral_due(*, stage_two_due_on: date, today: date, referred: bool) -> bool:
    """A stage 2 not decided in time is referred once to the register's keepers (Southampton 13's central register
    is kept by the Children's Services Executive)."""
    return not referred and today > stage_two_due_on


# --- Lineage (Southampton 11: "record the identity of the originator") -------------------------------------------


@dataclass(frozen=True)
class LineageNode:
    """One disclosure in a lineage tree, as the lineage selector reads it: plain values, no content."""

    disclosure_id: int
    parent_id: int | None
    hop: int
    kind: str
    from_agency_id: int
    from_label: str
    to_agency_id: int
    to_label: str
    made_at: datetime
    live: bool
    entry_ids: frozenset[int] = frozenset()
    notice_state: NoticeState | None = None


def lineage_visible(nodes: Sequence[LineageNode], *, viewer_agencies: frozenset[int], full: bool) -> list[LineageNode]:
    """The part of a lineage tree a viewer may see. `full` (the originator's people and auditors, design 7): all of
    it. Anyone else: the path from the origin to each node its agencies made or received, and the subtree below
    those nodes (Southampton 11 both ways: a recipient knows where its information came from and where it went on),
    in the order given."""
    if full:
        return list(nodes)
    by_id = {node.disclosure_id: node for node in nodes}
    children: dict[int, list[int]] = {}
    for node in nodes:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.disclosure_id)
    own = [
        node.disclosure_id
        for node in nodes
        if node.to_agency_id in viewer_agencies or node.from_agency_id in viewer_agencies
    ]
    keep: set[int] = set()
    for start in own:
        current: int | None = start
        while current is not None and current in by_id and current not in keep:
            keep.add(current)
            current = by_id[current].parent_id
        stack = list(children.get(start, []))
        while stack:
            child = stack.pop()
            if child not in keep:
                keep.add(child)
                stack.extend(children.get(child, []))
        keep.add(start)
    return [node for node in nodes if node.disclosure_id in keep]


LINEAGE_BOX_WIDTH = 180
LINEAGE_BOX_HEIGHT = 48
LINEAGE_GAP_X = 60
LINEAGE_GAP_Y = 24
LINEAGE_MARGIN = 8


@dataclass(frozen=True)
class LineageBox:
    """An agency box in the lineage picture: the origin (disclosure_id None) or the receiver of one disclosure."""

    key: str
    label: str
    x: int
    y: int
    width: int
    height: int
    hop: int
    disclosure_id: int | None
    live: bool


@dataclass(frozen=True)
class LineageEdge:
    """An arrow from the giver's box to the receiver's, labelled with the day the disclosure was made."""

    disclosure_id: int
    x1: int
    y1: int
    x2: int
    y2: int
    made_at: datetime
    live: bool


@dataclass(frozen=True)
class LineagePicture:
    width: int
    height: int
    boxes: tuple[LineageBox, ...]
    edges: tuple[LineageEdge, ...]


def lineage_picture(nodes: Sequence[LineageNode]) -> LineagePicture:
    """Integer SVG geometry for a lineage tree: columns by hop (the origin agencies in column 0, each disclosure's
    receiver in column hop + 1), rows in the order given, arrows from the giver's box to the receiver's. A node
    whose parent is not among `nodes` (a part of the tree the viewer does not see) hangs from its giver's origin
    box in column 0, so the picture never invents an edge."""
    column_rows: dict[int, int] = {}
    boxes: list[LineageBox] = []
    anchor: dict[str, LineageBox] = {}

    def place(key: str, label: str, column: int, disclosure_id: int | None, live: bool) -> LineageBox:
        row = column_rows.get(column, 0)
        column_rows[column] = row + 1
        box = LineageBox(
            key=key,
            label=label,
            x=LINEAGE_MARGIN + column * (LINEAGE_BOX_WIDTH + LINEAGE_GAP_X),
            y=LINEAGE_MARGIN + row * (LINEAGE_BOX_HEIGHT + LINEAGE_GAP_Y),
            width=LINEAGE_BOX_WIDTH,
            height=LINEAGE_BOX_HEIGHT,
            hop=column,
            disclosure_id=disclosure_id,
            live=live,
        )
        boxes.append(box)
        anchor[key] = box
        return box

    present = {node.disclosure_id for node in nodes}
    edges: list[LineageEdge] = []
    for node in sorted(nodes, key=lambda n: (n.hop, n.made_at, n.disclosure_id)):
        if node.parent_id is not None and node.parent_id in present:
            giver = anchor[f"d{node.parent_id}"]
        else:
            origin_key = f"a{node.from_agency_id}"
            giver = anchor.get(origin_key) or place(origin_key, node.from_label, 0, None, True)
        receiver = place(f"d{node.disclosure_id}", node.to_label, giver.hop + 1, node.disclosure_id, node.live)
        edges.append(
            LineageEdge(
                disclosure_id=node.disclosure_id,
                x1=giver.x + giver.width,
                y1=giver.y + giver.height // 2,
                x2=receiver.x,
                y2=receiver.y + receiver.height // 2,
                made_at=node.made_at,
                live=node.live,
            )
        )
    width = max((box.x + box.width for box in boxes), default=0) + LINEAGE_MARGIN
    height = max((box.y + box.height for box in boxes), default=0) + LINEAGE_MARGIN
    return LineagePicture(width=width, height=height, boxes=tuple(boxes), edges=tuple(edges))
