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
