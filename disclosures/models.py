"""Requests for information, the decision on each, designated-manager approval, and the disclosures made (DESIGN
2.3; issue 12; design12 section 2).

One state machine for the three ways a disclosure comes about: a requested share, a proactive referral and an
emergency disclosure are each an InformationRequest (`kind`); for the last two the requester is the discloser and
the request is answered as it is made. What the database holds, whatever the code above tries:

- a request's shape in each state (CHECKs named request_*), and a request that is shared, declined, withdrawn or
  expired never changes again (trigger request_terminal_is_final, migration 0002);
- one answer per request (OneToOne), never updated or deleted, nor its entries and recipients;
- a disclosure is made only for a shared request, is never updated or deleted (nor its entries, recipients and
  follow-up events), and its approver is neither the requester nor the discloser (Haringey 4.6; DESIGN 4). The
  disclosure's denormalised requester, discloser and approver are pinned to the request's own columns by composite
  foreign keys (migration 0002: Django has no composite foreign key), so the CHECK cannot be fooled by a forged
  copy;
- the snapshot of the disclosed content is never updated, and deleted only once the disclosure's retention has
  ended (design12 F7: the hash, the metadata and the disclosure log stay).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from consent.models import PURPOSE_LENGTH, ConsentNotSoughtReason
from disclosures import rules
from isp_portal import bounds, db_bounds
from protocols.models import Ground
from sharing.models.entries import CATEGORY_CHOICES


class Kind(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PROACTIVE = "proactive", "Proactive referral"
    EMERGENCY = "emergency", "Emergency disclosure"
    ONWARD = "onward", "Onward disclosure"


class State(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    SHARED = "shared", "Shared"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


class ConsentBasis(models.TextChoices):
    CONSENT = "consent", "Consent was given"
    NOT_SOUGHT = "not_sought", "Consent was not sought"
    REFUSED = "refused", "Consent was refused"


class LegalBasis(models.TextChoices):
    EXPLICIT_CONSENT = "explicit_consent", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.EXPLICIT_CONSENT]
    IMPLIED_CONSENT = "implied_consent", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.IMPLIED_CONSENT]
    SIGNIFICANT_HARM = "significant_harm", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.SIGNIFICANT_HARM]
    URGENT_MEDICAL = "urgent_medical", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.URGENT_MEDICAL]
    HOME_OFFICE = "home_office", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.HOME_OFFICE]
    COURT_ORDER = "court_order", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.COURT_ORDER]
    POLICE_S29 = "police_s29", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.POLICE_S29]
    CRIME_PREVENTION = "crime_prevention", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.CRIME_PREVENTION]
    STATUTORY_DUTY = "statutory_duty", rules.LEGAL_BASIS_LABELS[rules.LegalBasis.STATUTORY_DUTY]


class SubjectTold(models.TextChoices):
    TOLD = "told", "Yes, they were told"
    NOT_TOLD = "not_told", "No"
    NOT_SAFE = "not_safe", "No: telling them would not be safe"


class EmergencyReason(models.TextChoices):
    URGENT_MEDICAL_TREATMENT = "urgent_medical_treatment", "The child needs urgent medical treatment"
    IMMEDIATE_RISK_OF_HARM = "immediate_risk_of_harm", "The child is at immediate risk of harm"


class DeclineReason(models.TextChoices):
    NOTHING_HELD = "nothing_held", "We hold no information of this kind"
    NOT_PROPORTIONATE = "not_proportionate", "Sharing would not be proportionate"
    NO_LAWFUL_BASIS = "no_lawful_basis", "There is no lawful basis to share"
    CONSENT_REFUSED_NO_OVERRIDE = "consent_refused_no_override", "Consent was refused and no ground overrides it"
    OUTSIDE_PROTOCOL_SCOPE = "outside_protocol_scope", "The request is outside the protocol"
    MANAGER_DECLINED = "manager_declined", "The designated manager declined to approve it"
    OTHER = "other", "Another reason"


class Outcome(models.TextChoices):
    SHARE = "share", "Share"
    DECLINE = "decline", "Decline"


class FollowUp(models.TextChoices):
    REVIEWED = "reviewed", "Reviewed"
    ESCALATED = "escalated", "Escalated to the Caldicott guardian"
    REVOKED = "revoked", "Revoked"
    RETENTION_ENDED = "retention_ended", "Retention ended"


class ReviewOutcome(models.TextChoices):
    ENDORSED = "endorsed", "Endorsed"
    CONCERNS_RAISED = "concerns_raised", "Concerns raised"


class OnwardState(models.TextChoices):
    REQUESTED = "requested", "Waiting for agreement"
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    DISCLOSED = "disclosed", "Passed on"
    LAPSED = "lapsed", "Lapsed"


class LapseReason(models.TextChoices):
    UNUSED = "unused", "The agreement was not used in time"
    PARENT_ENDED = "parent_ended", "The access it rested on ended"


class InaccuracyState(models.TextChoices):
    OPEN = "open", "Open"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Not corrected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DisputeSubject(models.TextChoices):
    REQUEST = "request", "Request for information"
    ONWARD = "onward", "Onward disclosure request"


class DisputeGround(models.TextChoices):
    DECLINED = "declined", "Declined"
    OVERDUE = "overdue", "Not answered in time"


class DisputeState(models.TextChoices):
    STAGE_ONE = "stage_one", "Stage 1"
    STAGE_TWO = "stage_two", "Stage 2"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Side(models.TextChoices):
    RAISING = "raising", "Requesting agency"
    RESPONDING = "responding", "Agency holding the information"


class Position(models.TextChoices):
    SHARE = "share", "Share"
    NOT_SHARE = "not_share", "Do not share"


class AssigneeBasis(models.TextChoices):
    LINE_MANAGER = "line_manager", "Line manager"
    DESIGNATED_MANAGER = "designated_manager", "Designated manager"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"


class EscalationReason(models.TextChoices):
    DEADLINE_PASSED = "deadline_passed", "Stage 1 was not resolved in time"
    POSITIONS_DIFFER = "positions_differ", "The line managers disagreed"


class AdviserRole(models.TextChoices):
    CALDICOTT_GUARDIAN = "caldicott_guardian", "Caldicott guardian"
    DPO = "dpo", "Data protection officer"


class DisputeEventKind(models.TextChoices):
    OPENED = "opened", "Raised"
    ASSIGNED = "assigned", "Assigned"
    POSITION = "position", "Position recorded"
    ESCALATED = "escalated", "Escalated to stage 2"
    ADVICE = "advice", "Advice given"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REFERRED = "referred", "Referred to the register's keepers"
    RECORDED = "recorded", "Recorded on the case file"
    CHASED = "chased", "Chased"


# One list of values each: the pure rules and the database agree.
for _model_enum, _rule_enum in (
    (Kind, rules.Kind),
    (State, rules.State),
    (Urgency, rules.Urgency),
    (ConsentBasis, rules.ConsentBasis),
    (LegalBasis, rules.LegalBasis),
    (SubjectTold, rules.SubjectTold),
    (EmergencyReason, rules.EmergencyReason),
    (DeclineReason, rules.DeclineReason),
    (Outcome, rules.Outcome),
    (FollowUp, rules.FollowUp),
    (ReviewOutcome, rules.ReviewOutcome),
    (OnwardState, rules.OnwardState),
    (LapseReason, rules.LapseReason),
    (InaccuracyState, rules.InaccuracyState),
    (DisputeSubject, rules.DisputeSubject),
    (DisputeGround, rules.DisputeGround),
    (DisputeState, rules.DisputeState),
    (Side, rules.Side),
    (Position, rules.Position),
    (AssigneeBasis, rules.AssigneeBasis),
    (EscalationReason, rules.EscalationReason),
    (AdviserRole, rules.AdviserRole),
    (DisputeEventKind, rules.DisputeEventKind),
):
    assert {member.value for member in _model_enum} == {member.value for member in _rule_enum}, _model_enum
# The grounds are exactly the protocol's (Haringey 4.5), so a version's grounds_without_consent compares value for
# value; the reasons for not seeking consent are consent's (Barnet).
assert {ground.value for ground in Ground} == {basis.value for basis in rules.GROUNDS}
assert {reason.value for reason in ConsentNotSoughtReason} == {reason.value for reason in rules.NotSoughtReason}

TIERS = [tier.value for tier in rules.Tier]
TIER_CHOICES = [(rules.Tier.MINIMUM.value, "Minimum data"), (rules.Tier.SENSITIVE.value, "Detailed and sensitive")]
CATEGORY_VALUES = [value for value, _ in CATEGORY_CHOICES]
CONSENT_BASES = sorted(basis.value for basis in rules.CONSENT_BASES)
TERMINAL_STATES = sorted(state.value for state in rules.TERMINAL_STATES)
OPEN_STATES = sorted(state.value for state in rules.OPEN_STATES)
SENSITIVE = models.Q(tiers__contains=[rules.Tier.SENSITIVE.value])


def _tiers_and_categories(prefix: str) -> list[models.CheckConstraint]:
    """One or both requestable tiers; categories exactly when the detailed and sensitive tier is asked for."""
    return [
        models.CheckConstraint(
            condition=~models.Q(tiers=[]) & models.Q(tiers__contained_by=TIERS), name=f"{prefix}_tiers_known"
        ),
        db_bounds.list_length(prefix, "tiers", len(TIERS)),
        models.CheckConstraint(
            condition=models.Q(categories__contained_by=CATEGORY_VALUES), name=f"{prefix}_categories_known"
        ),
        db_bounds.list_length(prefix, "categories", len(CATEGORY_VALUES)),
        models.CheckConstraint(
            condition=(SENSITIVE & ~models.Q(categories=[])) | (~SENSITIVE & models.Q(categories=[])),
            name=f"{prefix}_categories_with_sensitive",
        ),
    ]


def _known(prefix: str, field: str, values: list[str], *, blank: bool = False) -> models.CheckConstraint:
    allowed = [*values, ""] if blank else values
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": allowed}), name=f"{prefix}_{field}_known")


GROUND_VALUES = [ground.value for ground in Ground]
NOT_SOUGHT_VALUES = [reason.value for reason in ConsentNotSoughtReason]


class InformationRequest(models.Model):
    """A practitioner's request for a child's information held by another agency (or, for a proactive referral or an
    emergency disclosure, the discloser's own record of sharing without one). Mutable while open; its state moves
    only as rules.TRANSITIONS allows, and a terminal state is final in the database."""

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REQUESTED)
    state = models.CharField(max_length=32, choices=State.choices, default=State.SUBMITTED)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="information_requests")
    requester = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="requests_made")
    # The receiving agency, and the agency that holds the information.
    requester_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="requests_made")
    holding_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="requests_received")
    protocol_version = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=PURPOSE_LENGTH)
    tiers = ArrayField(models.CharField(max_length=16, choices=TIER_CHOICES))
    categories = ArrayField(models.CharField(max_length=32, choices=CATEGORY_CHOICES), default=list, blank=True)
    # WYCPS: need to know.
    need_to_know = models.TextField(max_length=bounds.REASON)

    # WYCPS: the consent, or the ground for not seeking it, or the ground overriding a refusal.
    consent_basis = models.CharField(max_length=16, choices=ConsentBasis.choices)
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_sought_reason = models.CharField(max_length=32, choices=ConsentNotSoughtReason.choices, blank=True)
    override_ground = models.CharField(max_length=32, choices=Ground.choices, blank=True)

    submitted_at = models.DateTimeField(default=timezone.now)
    # The protocol version's response time in working days (rules.request_due_on); only a requested share has one.
    due_on = models.DateField(null=True, blank=True)
    # Set when answered, from rules.approval_needed.
    needs_approval = models.BooleanField(default=False)
    answered_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    approver = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=32, choices=DeclineReason.choices, blank=True)
    decline_detail = models.TextField(max_length=bounds.REASON, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(max_length=bounds.REASON, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            _known("request", "kind", [kind.value for kind in Kind]),
            _known("request", "state", [state.value for state in State]),
            _known("request", "urgency", [urgency.value for urgency in Urgency]),
            _known("request", "consent_basis", [basis.value for basis in ConsentBasis]),
            _known("request", "decline_reason", [reason.value for reason in DeclineReason], blank=True),
            models.CheckConstraint(
                condition=~models.Q(holding_agency=models.F("requester_agency")), name="request_agencies_differ"
            ),
            models.CheckConstraint(condition=~models.Q(purpose=""), name="request_has_purpose"),
            models.CheckConstraint(condition=~models.Q(need_to_know=""), name="request_has_need_to_know"),
            *_tiers_and_categories("request"),
            # WYCPS: consent stated, or the Barnet reason for not seeking it, or the ground overriding a refusal.
            models.CheckConstraint(
                condition=models.Q(
                    consent_basis="consent", consent__isnull=False, not_sought_reason="", override_ground=""
                )
                | models.Q(
                    consent_basis="not_sought",
                    consent__isnull=True,
                    not_sought_reason__in=NOT_SOUGHT_VALUES,
                    override_ground="",
                )
                | models.Q(consent_basis="refused", not_sought_reason="", override_ground__in=GROUND_VALUES),
                name="request_consent_basis_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="requested", due_on__isnull=False)
                | (~models.Q(kind="requested") & models.Q(due_on__isnull=True)),
                name="request_due_on_only_when_requested",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_by__isnull=True, answered_at__isnull=True)
                | models.Q(answered_by__isnull=False, answered_at__isnull=False),
                name="request_answer_whole",
            ),
            models.CheckConstraint(
                condition=models.Q(approver__isnull=True, approved_at__isnull=True)
                | models.Q(approver__isnull=False, approved_at__isnull=False),
                name="request_approval_whole",
            ),
            # Haringey 4.6, DESIGN 4: the approver is neither the requester nor the person who answered.
            models.CheckConstraint(
                condition=models.Q(approver__isnull=True)
                | (
                    models.Q(answered_by__isnull=False)
                    & ~models.Q(approver=models.F("requester"))
                    & ~models.Q(approver=models.F("answered_by"))
                ),
                name="request_approver_separate",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="awaiting_approval")
                | models.Q(answered_by__isnull=False, approver__isnull=True, needs_approval=True),
                name="request_awaiting_approval_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["approved", "shared"]) | models.Q(answered_by__isnull=False),
                name="request_shared_was_answered",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["approved", "shared"], needs_approval=True)
                | models.Q(approver__isnull=False),
                name="request_approved_when_needed",
            ),
            # Buckinghamshire 5: a decline is recorded with its reason.
            models.CheckConstraint(
                condition=(
                    models.Q(state="declined", declined_at__isnull=False, declined_by__isnull=False)
                    & ~models.Q(decline_reason="")
                )
                | (
                    ~models.Q(state="declined")
                    & models.Q(declined_at__isnull=True, declined_by__isnull=True, decline_reason="", decline_detail="")
                ),
                name="request_declined_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(decline_reason="other") | ~models.Q(decline_detail=""),
                name="request_other_decline_explained",
            ),
            models.CheckConstraint(
                condition=models.Q(state="withdrawn", withdrawn_at__isnull=False)
                | (~models.Q(state="withdrawn") & models.Q(withdrawn_at__isnull=True, withdraw_reason="")),
                name="request_withdrawn_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(state="expired", expired_at__isnull=False)
                | (~models.Q(state="expired") & models.Q(expired_at__isnull=True)),
                name="request_expired_shape",
            ),
            # A proactive referral or an emergency disclosure is answered by the person who makes it.
            models.CheckConstraint(
                condition=models.Q(kind="requested")
                | models.Q(answered_by__isnull=False, answered_by=models.F("requester")),
                name="request_self_answered_unless_requested",
            ),
            # Targets of the disclosure's composite foreign keys (migration 0002).
            models.UniqueConstraint(fields=["id", "requester"], name="request_id_requester"),
            models.UniqueConstraint(fields=["id", "answered_by"], name="request_id_answered_by"),
            models.UniqueConstraint(fields=["id", "approver"], name="request_id_approver"),
            # Targets of a dispute's composite foreign keys (issue 13, migration 0009).
            models.UniqueConstraint(fields=["id", "child"], name="request_id_child"),
            models.UniqueConstraint(fields=["id", "requester_agency", "holding_agency"], name="request_id_agencies"),
            db_bounds.text_length("request", "need_to_know", bounds.REASON),
            db_bounds.text_length("request", "decline_detail", bounds.REASON),
            db_bounds.text_length("request", "withdraw_reason", bounds.REASON),
            db_bounds.date_in_era("request", "due_on"),
        ]
        indexes = [
            # The holding agency's inbox and the deadline sweep: open requests by due date.
            models.Index(
                fields=["holding_agency", "state", "due_on"],
                name="request_inbox",
                condition=models.Q(state__in=["submitted", "awaiting_approval", "approved"]),
            ),
            # A designated manager's approvals, oldest first.
            models.Index(
                fields=["holding_agency", "state", "answered_at"],
                name="request_approvals",
                condition=models.Q(state="awaiting_approval"),
            ),
            models.Index(fields=["requester", "submitted_at"], name="request_outbox"),
        ]

    def __str__(self) -> str:
        return f"Request {self.pk} ({self.state})"

    @property
    def audit_label(self) -> str:
        return f"Information request {self.pk}"


class RequestAnswer(models.Model):
    """The decision on a request, as Barnet says a decision record holds it: is it confidential, what consent was
    found, the public interest and proportionality weighed, what is the minimum needed and why, why shared (and why
    without consent), what was agreed, third parties (Haringey 4.7). One per request; never changed."""

    request = models.OneToOneField(InformationRequest, on_delete=models.PROTECT, related_name="answer")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    is_confidential = models.BooleanField()
    consent_checked = models.CharField(max_length=32, blank=True)  # consent.selectors.Reason's value seen
    public_interest = models.TextField(max_length=bounds.REASON, blank=True)
    proportionality = models.TextField(max_length=bounds.REASON, blank=True)
    why_shared = models.TextField(max_length=bounds.REASON, blank=True)
    why_without_consent = models.TextField(max_length=bounds.REASON, blank=True)
    what_agreed = models.TextField(max_length=bounds.REASON, blank=True)
    third_parties = models.TextField(max_length=bounds.REASON, blank=True)
    # A share's terms.
    legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices, blank=True)
    s29_form_reference = models.CharField(max_length=rules.S29_REFERENCE_MAX, blank=True)
    subject_told = models.CharField(max_length=16, choices=SubjectTold.choices, blank=True)
    subject_not_told_reason = models.TextField(max_length=bounds.REASON, blank=True)
    onward_terms = models.TextField(max_length=bounds.REASON, blank=True)
    retain_until = models.DateTimeField(null=True, blank=True)
    emergency_reason = models.CharField(max_length=32, choices=EmergencyReason.choices, blank=True)
    answered_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            _known("answer", "outcome", [outcome.value for outcome in Outcome]),
            _known("answer", "consent_checked", list(rules.CONSENT_CHECK_VALUES), blank=True),
            _known("answer", "emergency_reason", [reason.value for reason in EmergencyReason], blank=True),
            models.CheckConstraint(
                condition=models.Q(
                    outcome="share",
                    legal_basis__in=[basis.value for basis in LegalBasis],
                    subject_told__in=[told.value for told in SubjectTold],
                    retain_until__gt=models.F("answered_at"),
                )
                | models.Q(
                    outcome="decline",
                    legal_basis="",
                    s29_form_reference="",
                    subject_told="",
                    subject_not_told_reason="",
                    onward_terms="",
                    retain_until__isnull=True,
                    emergency_reason="",
                ),
                name="answer_share_shape",
            ),
            # DPA 2018 Sch 2 para 2 (the seeds' "DPA s29(3) form"): a police request carries its form's reference.
            models.CheckConstraint(
                condition=models.Q(legal_basis="police_s29") & ~models.Q(s29_form_reference="")
                | ~models.Q(legal_basis="police_s29") & models.Q(s29_form_reference=""),
                name="answer_s29_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(subject_told__in=["", "told"]) | ~models.Q(subject_not_told_reason=""),
                name="answer_not_told_explained",
            ),
            # WYCPS: the ground for sharing without consent is stated.
            models.CheckConstraint(
                condition=models.Q(legal_basis__in=["", *CONSENT_BASES]) | ~models.Q(why_without_consent=""),
                name="answer_without_consent_explained",
            ),
            # Barnet (the record of a decision: public interest, proportionality); Haringey 4.4: a share without
            # consent records the public interest weighed and why it is proportionate (rules.without_consent_errors;
            # break12b F7). Declines have no legal basis ("").
            models.CheckConstraint(
                condition=models.Q(legal_basis__in=["", *CONSENT_BASES])
                | (~models.Q(proportionality="") & ~models.Q(public_interest="")),
                name="answer_without_consent_weighed",
            ),
            models.UniqueConstraint(fields=["id", "request"], name="answer_id_request"),
            *(
                db_bounds.text_length("answer", field, bounds.REASON)
                for field in (
                    "public_interest",
                    "proportionality",
                    "why_shared",
                    "why_without_consent",
                    "what_agreed",
                    "third_parties",
                    "subject_not_told_reason",
                    "onward_terms",
                )
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to request {self.request_id}: {self.outcome}"


class AnswerEntry(models.Model):
    """An entry the answer shares, at the revision it was answered with (the minimum needed: Barnet)."""

    answer = models.ForeignKey(RequestAnswer, on_delete=models.PROTECT, related_name="entries")
    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "entry"], name="answer_entry_once")]

    def __str__(self) -> str:
        return f"Entry {self.entry_id} in answer {self.answer_id}"


class AnswerRecipient(models.Model):
    """A named person the answer shares with; `via_team` names the team they were chosen through (design12 F5)."""

    answer = models.ForeignKey(RequestAnswer, on_delete=models.PROTECT, related_name="recipients")
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    via_team = models.CharField(max_length=bounds.NAME, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "user"], name="answer_recipient_once")]

    def __str__(self) -> str:
        return f"Recipient {self.user_id} of answer {self.answer_id}"


class Disclosure(models.Model):
    """Information disclosed: a row exists only once made, and never changes (DESIGN 2.3). What was shared, by whom,
    approved by whom, to whom, why and on which legal basis, under which protocol version, with the SHA-256 of the
    snapshot of the content as it was."""

    request = models.OneToOneField(InformationRequest, on_delete=models.PROTECT, related_name="disclosure")
    answer = models.OneToOneField(RequestAnswer, on_delete=models.PROTECT, related_name="disclosure")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="disclosures")
    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="disclosures_made")
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="disclosures_received")
    # Denormalised from the request, and pinned to it by composite foreign keys (migration 0002).
    discloser = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    tiers = ArrayField(models.CharField(max_length=16, choices=TIER_CHOICES))
    categories = ArrayField(models.CharField(max_length=32, choices=CATEGORY_CHOICES), default=list, blank=True)
    purpose = models.CharField(max_length=PURPOSE_LENGTH)
    legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices)
    s29_form_reference = models.CharField(max_length=rules.S29_REFERENCE_MAX, blank=True)
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_basis = models.CharField(max_length=16, choices=ConsentBasis.choices)
    not_sought_reason = models.CharField(max_length=32, choices=ConsentNotSoughtReason.choices, blank=True)
    override_ground = models.CharField(max_length=32, choices=Ground.choices, blank=True)
    emergency_reason = models.CharField(max_length=32, choices=EmergencyReason.choices, blank=True)
    subject_told = models.CharField(max_length=16, choices=SubjectTold.choices)
    subject_not_told_reason = models.TextField(max_length=bounds.REASON, blank=True)
    onward_terms = models.TextField(max_length=bounds.REASON, blank=True)
    retain_until = models.DateTimeField()
    protocol_version = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)
    # An emergency disclosure's review deadline (rules.review_due_at: one working day).
    review_due_at = models.DateTimeField(null=True, blank=True)
    snapshot_sha256 = models.CharField(max_length=64)
    # Issue 13 (Southampton 10-11): an onward disclosure names the disclosure it passes on, the onward request
    # recording the originator's agreement, and how many hops it is from the originator (0 for everything else).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="onward_disclosures"
    )
    onward_request = models.OneToOneField(
        "disclosures.OnwardRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="disclosure"
    )
    hop = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            _known("disclosure", "kind", [kind.value for kind in Kind]),
            # An onward disclosure, and only one, has a parent, an onward request and a hop (issue 13).
            models.CheckConstraint(
                condition=models.Q(kind="onward", parent__isnull=False, onward_request__isnull=False, hop__gt=0)
                | (~models.Q(kind="onward") & models.Q(parent__isnull=True, onward_request__isnull=True, hop=0)),
                name="disclosure_onward_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(hop__gte=0, hop__lte=rules.MAX_ONWARD_HOPS), name="disclosure_hop_bounded"
            ),
            # Design Q3: the originator's agreement stands as the approval; its decider is the approver (a composite
            # foreign key to the onward request pins it, migration 0005).
            models.CheckConstraint(
                condition=~models.Q(kind="onward") | models.Q(approver__isnull=False),
                name="disclosure_onward_approved",
            ),
            models.UniqueConstraint(fields=["id", "child"], name="disclosure_id_child"),
            models.UniqueConstraint(fields=["id", "to_agency"], name="disclosure_id_to_agency"),
            _known("disclosure", "legal_basis", [basis.value for basis in LegalBasis]),
            _known("disclosure", "consent_basis", [basis.value for basis in ConsentBasis]),
            _known("disclosure", "subject_told", [told.value for told in SubjectTold]),
            _known("disclosure", "emergency_reason", [reason.value for reason in EmergencyReason], blank=True),
            _known("disclosure", "not_sought_reason", NOT_SOUGHT_VALUES, blank=True),
            _known("disclosure", "override_ground", GROUND_VALUES, blank=True),
            *_tiers_and_categories("disclosure"),
            models.CheckConstraint(
                condition=~models.Q(from_agency=models.F("to_agency")), name="disclosure_agencies_differ"
            ),
            models.CheckConstraint(condition=~models.Q(purpose=""), name="disclosure_has_purpose"),
            # Haringey 4.6, DESIGN 4 (issue 12: "enforced ... by a database constraint"): the approver is neither the
            # discloser nor the requester. Both columns are pinned to the request by composite foreign keys.
            models.CheckConstraint(
                condition=models.Q(approver__isnull=True)
                | (~models.Q(approver=models.F("discloser")) & ~models.Q(approver=models.F("requester"))),
                name="disclosure_approver_separate",
            ),
            models.CheckConstraint(
                condition=models.Q(legal_basis__in=CONSENT_BASES, consent__isnull=False)
                | (~models.Q(legal_basis__in=CONSENT_BASES) & models.Q(consent__isnull=True))
                | (~models.Q(legal_basis__in=CONSENT_BASES) & models.Q(consent_basis="refused")),
                name="disclosure_consent_basis_has_consent",
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_basis__in=CONSENT_BASES) | models.Q(consent_basis="consent"),
                name="disclosure_consent_basis_matches",
            ),
            models.CheckConstraint(
                condition=models.Q(legal_basis="police_s29") & ~models.Q(s29_form_reference="")
                | ~models.Q(legal_basis="police_s29") & models.Q(s29_form_reference=""),
                name="disclosure_s29_reference",
            ),
            # Haringey 4.4-4.6: detailed and sensitive information without consent is never shared unapproved (an
            # emergency disclosure is reviewed afterwards instead).
            models.CheckConstraint(
                condition=~(SENSITIVE & ~models.Q(legal_basis__in=CONSENT_BASES) & ~models.Q(kind="emergency"))
                | models.Q(approver__isnull=False),
                name="disclosure_sensitive_without_consent_approved",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="emergency", review_due_at__isnull=False) & ~models.Q(emergency_reason=""))
                | (~models.Q(kind="emergency") & models.Q(review_due_at__isnull=True, emergency_reason="")),
                name="disclosure_emergency_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(subject_told="told") | ~models.Q(subject_not_told_reason=""),
                name="disclosure_not_told_explained",
            ),
            models.CheckConstraint(
                condition=models.Q(retain_until__gt=models.F("made_at")), name="disclosure_retained_after_made"
            ),
            models.CheckConstraint(
                condition=models.Q(snapshot_sha256__regex=r"^[0-9a-f]{64}$"), name="disclosure_snapshot_sha256_hex"
            ),
            models.UniqueConstraint(fields=["id", "discloser"], name="disclosure_id_discloser"),
            db_bounds.text_length("disclosure", "subject_not_told_reason", bounds.REASON),
            db_bounds.text_length("disclosure", "onward_terms", bounds.REASON),
        ]
        indexes = [
            models.Index(fields=["from_agency", "made_at"], name="disclosure_from"),
            models.Index(fields=["to_agency", "made_at"], name="disclosure_to"),
            models.Index(fields=["child", "made_at"], name="disclosure_child"),
            models.Index(fields=["retain_until"], name="disclosure_retention"),
            models.Index(fields=["review_due_at"], name="disclosure_review", condition=models.Q(kind="emergency")),
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.pk}"

    @property
    def audit_label(self) -> str:
        return f"Disclosure {self.pk}"


class DisclosureEntry(models.Model):
    """An entry disclosed, at the revision disclosed."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="entries")
    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="disclosures")
    revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "entry"], name="disclosure_entry_once"),
            # The target of the composite foreign keys of what may be passed on, corrected or reported (issue 13):
            # an entry at the revision an agency received.
            models.UniqueConstraint(fields=["disclosure", "entry", "revision"], name="disclosure_entry_revision"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.entry_id} in disclosure {self.disclosure_id}"

    @property
    def audit_label(self) -> str:
        return f"Entry {self.entry_id} in disclosure {self.disclosure_id}"


class DisclosureRecipient(models.Model):
    """A named person the disclosure was made to (a team is expanded to its members when made: design12 F5)."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="recipients")
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="disclosures_received")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    via_team = models.CharField(max_length=bounds.NAME, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["disclosure", "user"], name="disclosure_recipient_once")]

    def __str__(self) -> str:
        return f"Recipient {self.user_id} of disclosure {self.disclosure_id}"


class DisclosureSnapshot(models.Model):
    """The content disclosed (rules.snapshot_document), apart from the disclosure so that it can be erased when the
    retention ends while the hash, the metadata and the log stay (design12 F7; Southampton 8). Never updated;
    deleted only after the disclosure's retain_until (trigger, migration 0002)."""

    disclosure = models.OneToOneField(Disclosure, on_delete=models.PROTECT, primary_key=True, related_name="snapshot")
    document = models.JSONField()

    def __str__(self) -> str:
        return f"Snapshot of disclosure {self.pk}"


class DisclosureEvent(models.Model):
    """What happened to a disclosure after it was made, each at most once: reviewed (an emergency disclosure, by a
    designated manager who is not the discloser), escalated (to the Caldicott guardian), revoked, retention ended. A
    disclosure's live state is derived from these rows and its retain_until, never by an UPDATE."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=FollowUp.choices)
    actor = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The disclosure's discloser, pinned to it by a composite foreign key (migration 0002), so the CHECK below holds.
    discloser = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=32, choices=ReviewOutcome.choices, blank=True)
    note = models.TextField(max_length=bounds.REASON, blank=True)

    class Meta:
        ordering = ["disclosure", "at", "id"]
        constraints = [
            _known("disclosure_event", "kind", [kind.value for kind in FollowUp]),
            models.UniqueConstraint(fields=["disclosure", "kind"], name="disclosure_event_once"),
            models.CheckConstraint(
                condition=~models.Q(kind="reviewed")
                | (
                    models.Q(actor__isnull=False, outcome__in=[outcome.value for outcome in ReviewOutcome])
                    & ~models.Q(actor=models.F("discloser"))
                ),
                name="disclosure_event_reviewed_by_another",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reviewed") | models.Q(outcome=""), name="disclosure_event_outcome_on_review"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="revoked") | (models.Q(actor__isnull=False) & ~models.Q(note="")),
                name="disclosure_event_revocation_explained",
            ),
            db_bounds.text_length("disclosure_event", "note", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of disclosure {self.disclosure_id}"


# =================================================================================================================
# After a disclosure (issue 13; docs/after-disclosure-design.md section 2). Composite foreign keys and triggers are
# in migrations 0005 (onward), 0007 (corrections) and 0009 (disputes): Django 5.2 has no composite foreign key.
# =================================================================================================================

ONWARD_STATES = [state.value for state in OnwardState]
ONWARD_OPEN = sorted(state.value for state in rules.ONWARD_OPEN_STATES)
ONWARD_DECLINE_VALUES = sorted(reason.value for reason in rules.ONWARD_DECLINE_REASONS)
DISPUTE_OPEN = sorted(state.value for state in rules.DISPUTE_OPEN_STATES)
SIDES = [side.value for side in Side]
POSITIONS = [position.value for position in Position]


class OnwardRequest(models.Model):
    """A recipient's request to pass what its agency received on to a third agency, and the originator's decision
    (Southampton 10: "secondary disclosure can only be permitted with the agreement of the information source
    provider"; Southampton 18 item 13). Mutable while open; its state moves only as rules.ONWARD_TRANSITIONS allows
    (trigger onward_transition_allowed), and only a designated manager of the originating agency decides it
    (trigger onward_decided_by_originator)."""

    state = models.CharField(max_length=16, choices=OnwardState.choices, default=OnwardState.REQUESTED)
    # What the asker's agency received; its child and its receiving agency are pinned by composite foreign keys.
    parent_disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="onward_requests")
    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="+")
    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    # The agency whose entries they are (each OnwardRequestEntry's trigger holds it).
    originator_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=PURPOSE_LENGTH)
    need_to_know = models.TextField(max_length=bounds.REASON)
    tiers = ArrayField(models.CharField(max_length=16, choices=TIER_CHOICES))
    categories = ArrayField(models.CharField(max_length=32, choices=CATEGORY_CHOICES), default=list, blank=True)
    consent_basis = models.CharField(max_length=16, choices=ConsentBasis.choices)
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_sought_reason = models.CharField(max_length=32, choices=ConsentNotSoughtReason.choices, blank=True)
    override_ground = models.CharField(max_length=32, choices=Ground.choices, blank=True)
    legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices)
    submitted_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The originator's conditions, copied into the onward disclosure's onward_terms.
    conditions = models.TextField(max_length=bounds.REASON, blank=True)
    decline_reason = models.CharField(max_length=32, choices=DeclineReason.choices, blank=True)
    decline_detail = models.TextField(max_length=bounds.REASON, blank=True)
    # rules.agreement_until: how long the agreement may be used.
    agreement_until = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(max_length=bounds.REASON, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    lapse_reason = models.CharField(max_length=16, choices=LapseReason.choices, blank=True)
    disclosed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            _known("onward", "state", ONWARD_STATES),
            _known("onward", "consent_basis", [basis.value for basis in ConsentBasis]),
            _known("onward", "legal_basis", [basis.value for basis in LegalBasis]),
            _known("onward", "decline_reason", ONWARD_DECLINE_VALUES, blank=True),
            _known("onward", "lapse_reason", [reason.value for reason in LapseReason], blank=True),
            _known("onward", "not_sought_reason", NOT_SOUGHT_VALUES, blank=True),
            _known("onward", "override_ground", GROUND_VALUES, blank=True),
            # Never to the passer's own agency, nor back to the originator (it holds the information already).
            models.CheckConstraint(
                condition=~models.Q(to_agency=models.F("from_agency"))
                & ~models.Q(to_agency=models.F("originator_agency")),
                name="onward_to_a_third_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_agency=models.F("originator_agency")), name="onward_not_from_originator"
            ),
            models.CheckConstraint(condition=~models.Q(purpose=""), name="onward_has_purpose"),
            models.CheckConstraint(condition=~models.Q(need_to_know=""), name="onward_has_need_to_know"),
            *_tiers_and_categories("onward"),
            models.CheckConstraint(
                condition=models.Q(
                    consent_basis="consent", consent__isnull=False, not_sought_reason="", override_ground=""
                )
                | models.Q(
                    consent_basis="not_sought",
                    consent__isnull=True,
                    not_sought_reason__in=NOT_SOUGHT_VALUES,
                    override_ground="",
                )
                | models.Q(consent_basis="refused", not_sought_reason="", override_ground__in=GROUND_VALUES),
                name="onward_consent_basis_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_basis__in=CONSENT_BASES) | models.Q(consent_basis="consent"),
                name="onward_consent_basis_matches",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True, decided_at__isnull=True)
                | models.Q(decided_by__isnull=False, decided_at__isnull=False),
                name="onward_decision_whole",
            ),
            # Southampton 10: the information source provider agrees, never the person asking to pass it on (one
            # person may be both a named recipient and a designated manager of the originator).
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("requester")),
                name="onward_decider_not_asker",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="requested")
                | models.Q(decided_by__isnull=True, agreement_until__isnull=True, conditions=""),
                name="onward_requested_undecided",
            ),
            # Southampton 10: passed on only on a recorded agreement, which says until when it may be used.
            models.CheckConstraint(
                condition=(~models.Q(state__in=["agreed", "disclosed"]) & ~models.Q(lapse_reason="unused"))
                | models.Q(decided_by__isnull=False, decided_at__isnull=False, agreement_until__isnull=False),
                name="onward_agreement_shape",
            ),
            # Buckinghamshire 5: a decline is recorded with its reason, by the person who decided it.
            models.CheckConstraint(
                condition=(
                    models.Q(state="declined", decided_by__isnull=False, agreement_until__isnull=True, conditions="")
                    & ~models.Q(decline_reason="")
                )
                | (~models.Q(state="declined") & models.Q(decline_reason="", decline_detail="")),
                name="onward_declined_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(decline_reason="other") | ~models.Q(decline_detail=""),
                name="onward_other_decline_explained",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="withdrawn", withdrawn_at__isnull=False) & ~models.Q(withdraw_reason=""))
                | (~models.Q(state="withdrawn") & models.Q(withdrawn_at__isnull=True, withdraw_reason="")),
                name="onward_withdrawn_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(state="expired", expired_at__isnull=False, decided_by__isnull=True)
                | (~models.Q(state="expired") & models.Q(expired_at__isnull=True)),
                name="onward_expired_shape",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="lapsed", lapsed_at__isnull=False) & ~models.Q(lapse_reason=""))
                | (~models.Q(state="lapsed") & models.Q(lapsed_at__isnull=True, lapse_reason="")),
                name="onward_lapsed_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(state="disclosed", disclosed_at__isnull=False)
                | (~models.Q(state="disclosed") & models.Q(disclosed_at__isnull=True)),
                name="onward_disclosed_shape",
            ),
            # Targets of composite foreign keys (migrations 0005, 0009).
            models.UniqueConstraint(fields=["id", "decided_by"], name="onward_id_decided_by"),
            models.UniqueConstraint(fields=["id", "parent_disclosure"], name="onward_id_parent"),
            models.UniqueConstraint(
                fields=["id", "parent_disclosure", "from_agency", "to_agency"], name="onward_id_parent_agencies"
            ),
            models.UniqueConstraint(fields=["id", "from_agency", "originator_agency"], name="onward_id_sides"),
            models.UniqueConstraint(fields=["id", "child"], name="onward_id_child"),
            db_bounds.text_length("onward", "need_to_know", bounds.REASON),
            db_bounds.text_length("onward", "conditions", bounds.REASON),
            db_bounds.text_length("onward", "decline_detail", bounds.REASON),
            db_bounds.text_length("onward", "withdraw_reason", bounds.REASON),
            db_bounds.date_in_era("onward", "due_on"),
        ]
        indexes = [
            # The originator's inbox and the sweep: open onward requests by due date.
            models.Index(
                fields=["originator_agency", "state", "due_on"],
                name="onward_inbox",
                condition=models.Q(state__in=ONWARD_OPEN),
            ),
            models.Index(fields=["from_agency", "submitted_at"], name="onward_from"),
        ]

    def __str__(self) -> str:
        return f"Onward request {self.pk}"

    @property
    def audit_label(self) -> str:
        return f"Onward request {self.pk}"


class OnwardRequestEntry(models.Model):
    """An entry an onward request asks to pass on, at the revision the asker's agency received: composite foreign
    keys pin it to the parent disclosure's own DisclosureEntry (only what was received, at the revision received),
    and a trigger to the originator's entries. Never updated or deleted."""

    onward_request = models.ForeignKey(OnwardRequest, on_delete=models.PROTECT, related_name="entries")
    parent_disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["onward_request", "entry"], name="onward_entry_once")]

    def __str__(self) -> str:
        return f"Entry {self.entry_id} in onward request {self.onward_request_id}"

    @property
    def audit_label(self) -> str:
        return f"Entry {self.entry_id} in onward request {self.onward_request_id}"


class Correction(models.Model):
    """A correction of a disclosed entry (Southampton 9): a new revision of it, issued by its agency, told to every
    agency that received an older revision. Immutable; one per revision; the revision is a later one of the same
    entry, and the entry is the originator's (triggers, migration 0007)."""

    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="corrections")
    revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")
    originator_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    # None when the system issued it (an import, a sweep's catch-up).
    issued_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    # The revision's change reason: what changed and why, never the content.
    summary = models.TextField(max_length=bounds.REASON)
    ack_due_on = models.DateField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["revision"], name="correction_one_per_revision"),
            models.UniqueConstraint(fields=["id", "entry"], name="correction_id_entry"),
            models.CheckConstraint(condition=~models.Q(summary=""), name="correction_has_summary"),
            db_bounds.text_length("correction", "summary", bounds.REASON),
            db_bounds.date_in_era("correction", "ack_due_on"),
        ]

    def __str__(self) -> str:
        return f"Correction {self.pk}"

    @property
    def audit_label(self) -> str:
        return f"Correction {self.pk}"


class CorrectionNotice(models.Model):
    """A correction told to one agency that received the entry, and its acknowledgement (Southampton 9). Composite
    foreign keys pin the agency to a disclosure it received and the entry to that disclosure at an older revision,
    so a notice, hence an acknowledgement, exists only for an agency that received the entry. Only the
    acknowledgement is ever written after insert, once (trigger correction_notice_ack_once)."""

    correction = models.ForeignKey(Correction, on_delete=models.PROTECT, related_name="notices")
    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    # The latest disclosure through which the agency received the entry, and the revision it received.
    via_disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="+")
    received_revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")
    ack_due_on = models.DateField()
    acknowledged_by = models.ForeignKey(
        "agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(max_length=bounds.REASON, blank=True)
    # When the corrections sweep chased the notice (past ack_due_on) and escalated it (past
    # rules.notice_escalate_on): each happens once, by a guarded UPDATE (migration 0011; design 3.2, 6.2).
    chased_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ack_due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["correction", "agency"], name="correction_notice_once"),
            models.CheckConstraint(
                condition=models.Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True, action_taken="")
                | (models.Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False) & ~models.Q(action_taken="")),
                name="correction_notice_ack_whole",
            ),
            db_bounds.text_length("correction_notice", "action_taken", bounds.REASON),
            db_bounds.date_in_era("correction_notice", "ack_due_on"),
        ]
        indexes = [
            models.Index(
                fields=["agency", "ack_due_on"],
                name="correction_notice_pending",
                condition=models.Q(acknowledged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Correction notice {self.pk}"

    @property
    def audit_label(self) -> str:
        return f"Correction notice {self.pk}"


class InaccuracyReport(models.Model):
    """A recipient's report that an entry it received is inaccurate (Southampton 9: it "advises the originator"),
    and the originator's answer: corrected (linked to the correction), rejected with a reason, or withdrawn. Final
    once answered (trigger inaccuracy_terminal_is_final)."""

    entry = models.ForeignKey("sharing.RecordEntry", on_delete=models.PROTECT, related_name="+")
    via_disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="+")
    received_revision = models.ForeignKey("sharing.EntryRevision", on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    reporter_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    originator_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    what_is_wrong = models.TextField(max_length=bounds.REASON)
    suggested_correction = models.TextField(max_length=bounds.REASON, blank=True)
    state = models.CharField(max_length=16, choices=InaccuracyState.choices, default=InaccuracyState.OPEN)
    submitted_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(max_length=bounds.REASON, blank=True)
    correction = models.ForeignKey(Correction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # When the sweep told the originator the report was overdue (once: a guarded UPDATE, as a notice's chased_at).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            _known("inaccuracy", "state", [state.value for state in InaccuracyState]),
            models.CheckConstraint(
                condition=~models.Q(reporter_agency=models.F("originator_agency")), name="inaccuracy_agencies_differ"
            ),
            models.CheckConstraint(condition=~models.Q(what_is_wrong=""), name="inaccuracy_says_what_is_wrong"),
            models.CheckConstraint(
                condition=models.Q(state="corrected", correction__isnull=False)
                | (~models.Q(state="corrected") & models.Q(correction__isnull=True)),
                name="inaccuracy_corrected_shape",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="rejected") & ~models.Q(reject_reason=""))
                | (~models.Q(state="rejected") & models.Q(reject_reason="")),
                name="inaccuracy_rejected_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=["corrected", "rejected"], decided_by__isnull=False, decided_at__isnull=False
                )
                | (
                    ~models.Q(state__in=["corrected", "rejected"])
                    & models.Q(decided_by__isnull=True, decided_at__isnull=True)
                ),
                name="inaccuracy_decision_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(state="withdrawn", withdrawn_at__isnull=False)
                | (~models.Q(state="withdrawn") & models.Q(withdrawn_at__isnull=True)),
                name="inaccuracy_withdrawn_shape",
            ),
            db_bounds.text_length("inaccuracy", "what_is_wrong", bounds.REASON),
            db_bounds.text_length("inaccuracy", "suggested_correction", bounds.REASON),
            db_bounds.text_length("inaccuracy", "reject_reason", bounds.REASON),
            db_bounds.date_in_era("inaccuracy", "due_on"),
        ]
        indexes = [
            models.Index(
                fields=["originator_agency", "due_on"], name="inaccuracy_open", condition=models.Q(state="open")
            ),
            models.Index(fields=["reporter_agency", "submitted_at"], name="inaccuracy_reporter"),
        ]

    def __str__(self) -> str:
        return f"Inaccuracy report {self.pk}"

    @property
    def audit_label(self) -> str:
        return f"Inaccuracy report {self.pk}"


REGISTER_SEQUENCE = "disclosures_dispute_register_seq"


class Dispute(models.Model):
    """A dispute about whether information should be shared (Southampton 13): a decline or an overdue answer, raised
    by the requesting side; stage 1 with both practitioners' line managers, stage 2 with the heads of service after
    their Caldicott guardian's or DPO's advice; outcome, reason and impact recorded by both agencies. Every dispute
    is on the central register from its first row: `register_number` comes from a database sequence (DR-000123).
    Its state moves only as rules.DISPUTE_TRANSITIONS allows, never early (triggers, migration 0009)."""

    register_number = models.BigIntegerField(
        unique=True,
        editable=False,
        db_default=models.Func(
            models.Value(REGISTER_SEQUENCE), function="nextval", output_field=models.BigIntegerField()
        ),
    )
    subject_kind = models.CharField(max_length=8, choices=DisputeSubject.choices)
    request = models.ForeignKey(
        InformationRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    onward_request = models.ForeignKey(
        OnwardRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    ground = models.CharField(max_length=16, choices=DisputeGround.choices)
    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="+")
    # The requesting agency, and the agency holding the information; pinned to the subject's by composite keys.
    raising_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    responding_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    raising_practitioner = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    # Who declined or answered; None when nobody answered.
    responding_practitioner = models.ForeignKey(
        "agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grounds = models.TextField(max_length=bounds.REASON)
    impact_so_far = models.TextField(max_length=bounds.REASON, blank=True)
    state = models.CharField(max_length=16, choices=DisputeState.choices, default=DisputeState.STAGE_ONE)
    stage = models.PositiveSmallIntegerField(default=1)
    opened_at = models.DateTimeField(default=timezone.now)
    stage_one_due_on = models.DateField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    # None when the sweep escalated it.
    escalated_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    escalation_reason = models.CharField(max_length=16, choices=EscalationReason.choices, blank=True)
    stage_two_due_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Position.choices, blank=True)
    outcome_reason = models.TextField(max_length=bounds.REASON, blank=True)
    resolved_stage = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # None when stage 1 resolved itself (both line managers agreed).
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    records_due_on = models.DateField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(max_length=bounds.REASON, blank=True)
    # Stage 2 overran: told to the register's keepers, once.
    referred_at = models.DateTimeField(null=True, blank=True)
    # Design Q14: a resolution "share" on a declined request opens a follow-up request for the holder to answer.
    follow_up_request = models.OneToOneField(
        InformationRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="dispute_follow_up"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            _known("dispute", "subject_kind", [kind.value for kind in DisputeSubject]),
            _known("dispute", "ground", [ground.value for ground in DisputeGround]),
            _known("dispute", "state", [state.value for state in DisputeState]),
            _known("dispute", "escalation_reason", [reason.value for reason in EscalationReason], blank=True),
            _known("dispute", "outcome", POSITIONS, blank=True),
            models.CheckConstraint(
                condition=models.Q(subject_kind="request", request__isnull=False, onward_request__isnull=True)
                | models.Q(subject_kind="onward", request__isnull=True, onward_request__isnull=False),
                name="dispute_subject_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(raising_agency=models.F("responding_agency")), name="dispute_agencies_differ"
            ),
            models.CheckConstraint(condition=~models.Q(grounds=""), name="dispute_has_grounds"),
            models.CheckConstraint(condition=models.Q(stage__in=[1, 2]), name="dispute_stage_known"),
            # Stage 1 has never been escalated; stage 2 always has, with its reason and deadline.
            models.CheckConstraint(
                condition=models.Q(
                    stage=1,
                    escalated_at__isnull=True,
                    escalated_by__isnull=True,
                    escalation_reason="",
                    stage_two_due_on__isnull=True,
                )
                | (
                    models.Q(stage=2, escalated_at__isnull=False, stage_two_due_on__isnull=False)
                    & ~models.Q(escalation_reason="")
                ),
                name="dispute_stage_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="stage_one") | models.Q(stage=1), name="dispute_stage_one_shape"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="stage_two") | models.Q(stage=2), name="dispute_stage_two_shape"
            ),
            # Southampton 13: the outcome and its reason are recorded, with when the case-file records are due.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        state="resolved",
                        resolved_at__isnull=False,
                        records_due_on__isnull=False,
                        resolved_stage=models.F("stage"),
                    )
                    & ~models.Q(outcome="")
                    & ~models.Q(outcome_reason="")
                )
                | (
                    ~models.Q(state="resolved")
                    & models.Q(
                        outcome="",
                        outcome_reason="",
                        resolved_stage__isnull=True,
                        resolved_at__isnull=True,
                        decided_by__isnull=True,
                    )
                ),
                name="dispute_resolved_shape",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="withdrawn", withdrawn_at__isnull=False) & ~models.Q(withdraw_reason=""))
                | (~models.Q(state="withdrawn") & models.Q(withdrawn_at__isnull=True, withdraw_reason="")),
                name="dispute_withdrawn_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["resolved", "withdrawn"]) | models.Q(records_due_on__isnull=True),
                name="dispute_records_due_when_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(referred_at__isnull=True) | models.Q(stage=2), name="dispute_referred_at_stage_two"
            ),
            models.CheckConstraint(
                condition=models.Q(follow_up_request__isnull=True)
                | models.Q(state="resolved", outcome="share", subject_kind="request"),
                name="dispute_follow_up_on_share",
            ),
            # One open dispute per subject.
            models.UniqueConstraint(
                fields=["request"], name="dispute_open_per_request", condition=models.Q(state__in=DISPUTE_OPEN)
            ),
            models.UniqueConstraint(
                fields=["onward_request"], name="dispute_open_per_onward", condition=models.Q(state__in=DISPUTE_OPEN)
            ),
            db_bounds.text_length("dispute", "grounds", bounds.REASON),
            db_bounds.text_length("dispute", "impact_so_far", bounds.REASON),
            db_bounds.text_length("dispute", "outcome_reason", bounds.REASON),
            db_bounds.text_length("dispute", "withdraw_reason", bounds.REASON),
            db_bounds.date_in_era("dispute", "stage_one_due_on"),
            db_bounds.date_in_era("dispute", "stage_two_due_on"),
            db_bounds.date_in_era("dispute", "records_due_on"),
        ]
        indexes = [
            models.Index(
                fields=["state", "stage_one_due_on"],
                name="dispute_stage_one_due",
                condition=models.Q(state="stage_one"),
            ),
            models.Index(
                fields=["state", "stage_two_due_on"],
                name="dispute_stage_two_due",
                condition=models.Q(state="stage_two"),
            ),
            models.Index(fields=["raising_agency", "opened_at"], name="dispute_raising"),
            models.Index(fields=["responding_agency", "opened_at"], name="dispute_responding"),
            models.Index(fields=["opened_at"], name="dispute_register"),
        ]

    def __str__(self) -> str:
        return self.register_label

    @property
    def register_label(self) -> str:
        return f"DR-{self.register_number:06d}"

    @property
    def audit_label(self) -> str:
        return f"Dispute {self.register_label}"


class DisputeAssignee(models.Model):
    """Who a stage went to for one side, fixed when the stage starts (design 5). Insert-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="assignees")
    stage = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=16, choices=Side.choices)
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=32, choices=AssigneeBasis.choices)

    class Meta:
        ordering = ["dispute", "stage", "side", "id"]
        constraints = [
            _known("dispute_assignee", "side", SIDES),
            _known("dispute_assignee", "basis", [basis.value for basis in AssigneeBasis]),
            models.CheckConstraint(condition=models.Q(stage__in=[1, 2]), name="dispute_assignee_stage_known"),
            models.UniqueConstraint(fields=["dispute", "stage", "side", "user"], name="dispute_assignee_once"),
        ]

    def __str__(self) -> str:
        return f"Assignee {self.user_id} of dispute {self.dispute_id}"

    @property
    def audit_label(self) -> str:
        return f"Stage {self.stage} {self.side} assignee of dispute {self.dispute_id}"


class DisputePosition(models.Model):
    """A side's position at a stage, by the person the stage went to for that side (a composite foreign key to
    DisputeAssignee). Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="positions")
    stage = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=16, choices=Side.choices)
    author = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    position = models.CharField(max_length=16, choices=Position.choices)
    note = models.TextField(max_length=bounds.REASON)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dispute", "stage", "at", "id"]
        constraints = [
            _known("dispute_position", "side", SIDES),
            _known("dispute_position", "position", POSITIONS),
            models.CheckConstraint(condition=models.Q(stage__in=[1, 2]), name="dispute_position_stage_known"),
            models.CheckConstraint(condition=~models.Q(note=""), name="dispute_position_has_note"),
            models.UniqueConstraint(fields=["dispute", "stage", "side"], name="dispute_position_once"),
            db_bounds.text_length("dispute_position", "note", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"Stage {self.stage} {self.side} position on dispute {self.dispute_id}"

    @property
    def audit_label(self) -> str:
        return f"Stage {self.stage} {self.side} position on dispute {self.dispute_id}"


class DisputeAdvice(models.Model):
    """Southampton 13: a side's Caldicott guardian's or DPO's advice at stage 2, before its head of service decides.
    The adviser holds that flag in that side's agency, and the dispute is at stage 2 (trigger). Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="advices")
    side = models.CharField(max_length=16, choices=Side.choices)
    adviser = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    adviser_role = models.CharField(max_length=32, choices=AdviserRole.choices)
    advice = models.TextField(max_length=bounds.REASON)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dispute", "at", "id"]
        constraints = [
            _known("dispute_advice", "side", SIDES),
            _known("dispute_advice", "adviser_role", [role.value for role in AdviserRole]),
            models.CheckConstraint(condition=~models.Q(advice=""), name="dispute_advice_has_advice"),
            models.UniqueConstraint(fields=["dispute", "side"], name="dispute_advice_once"),
            db_bounds.text_length("dispute_advice", "advice", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.side} advice on dispute {self.dispute_id}"

    @property
    def audit_label(self) -> str:
        return f"{self.get_side_display()} advice on dispute {self.dispute_id}"


class DisputeRecord(models.Model):
    """Southampton 13 "both agencies must record on their case files the process followed, the reason information
    was not shared and the impact": one per side, once the dispute has ended (trigger). Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="records")
    side = models.CharField(max_length=16, choices=Side.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    process_followed = models.TextField(max_length=bounds.REASON)
    reason = models.TextField(max_length=bounds.REASON)
    impact = models.TextField(max_length=bounds.REASON)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dispute", "at", "id"]
        constraints = [
            _known("dispute_record", "side", SIDES),
            models.CheckConstraint(
                condition=~models.Q(process_followed="") & ~models.Q(reason="") & ~models.Q(impact=""),
                name="dispute_record_complete",
            ),
            models.UniqueConstraint(fields=["dispute", "side"], name="dispute_record_once"),
            db_bounds.text_length("dispute_record", "process_followed", bounds.REASON),
            db_bounds.text_length("dispute_record", "reason", bounds.REASON),
            db_bounds.text_length("dispute_record", "impact", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.side} record of dispute {self.dispute_id}"

    @property
    def audit_label(self) -> str:
        return f"{self.get_side_display()} record of dispute {self.dispute_id}"


class DisputeEvent(models.Model):
    """The dispute journey's timeline. The sweep's kinds (escalated, referred, chased) happen once per dispute,
    stage and side. Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=DisputeEventKind.choices)
    stage = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=16, choices=Side.choices, blank=True)
    # None for what a sweep did.
    actor = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=bounds.REASON, blank=True)

    class Meta:
        ordering = ["dispute", "at", "id"]
        constraints = [
            _known("dispute_event", "kind", [kind.value for kind in DisputeEventKind]),
            _known("dispute_event", "side", SIDES, blank=True),
            models.CheckConstraint(condition=models.Q(stage__in=[1, 2]), name="dispute_event_stage_known"),
            models.UniqueConstraint(
                fields=["dispute", "kind", "stage", "side"],
                name="dispute_event_sweep_once",
                condition=models.Q(kind__in=sorted(kind.value for kind in rules.DISPUTE_ONCE_EVENTS)),
            ),
            db_bounds.text_length("dispute_event", "note", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on dispute {self.dispute_id}"

    @property
    def audit_label(self) -> str:
        return f"{self.get_kind_display()} on dispute {self.dispute_id}"
