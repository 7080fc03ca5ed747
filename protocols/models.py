"""Protocols as data the portal enforces (DESIGN 2.2): versions, signatures, consultations, reviews,
partner audits and meetings.

A protocol's text and rules live in immutable versions (a PostgreSQL trigger refuses UPDATE and DELETE on
protocol versions: "any changes agreed by report", Haringey 2.3). The protocol row points at the version
in force. Signatures are per agency and version and carry over to a newly adopted version unless the
agency withdrew (Buckinghamshire 1).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from isp_portal import bounds, db_bounds
from isp_portal.wording import long_date
from protocols.rules import Response, Status, clause_citation


class ProtocolKind(models.TextChoices):
    GENERAL = "general", "General protocol"
    INDIVIDUAL = "individual", "Individual protocol (supplements a general one)"
    CODE_OF_PRACTICE = "code_of_practice", "Code of practice"


class ProtocolStatus(models.TextChoices):
    DRAFT = Status.DRAFT.value, "Draft"
    CONSULTATION = Status.CONSULTATION.value, "In consultation"
    ACTIVE = Status.ACTIVE.value, "Active"
    UNDER_REVIEW = Status.UNDER_REVIEW.value, "Under review"
    SUPERSEDED = Status.SUPERSEDED.value, "Superseded"
    RETIRED = Status.RETIRED.value, "Retired"


class Ground(models.TextChoices):
    """Grounds on which detailed and sensitive information may be disclosed without consent (Haringey 4.5;
    WYCPS grounds; DESIGN 2.3 legal bases)."""

    SIGNIFICANT_HARM = "significant_harm", "Risk of significant harm to the child, or of the child harming someone"
    URGENT_MEDICAL = "urgent_medical", "The child needs urgent medical treatment (vital interests)"
    HOME_OFFICE = "home_office", "Home Office request under s129 Nationality, Immigration and Asylum Act 2002"
    COURT_ORDER = "court_order", "Order of a court in legal proceedings"
    POLICE_S29 = "police_s29", "Police investigation, on receipt of a DPA s29(3) form"
    CRIME_PREVENTION = "crime_prevention", "Prevention or detection of crime (Crime and Disorder Act s115)"
    STATUTORY_DUTY = "statutory_duty", "A statutory duty to share (Children Act 1989 s47)"


class Tier(models.TextChoices):
    AGGREGATE = "aggregate", "Aggregate and management information"
    MINIMUM = "minimum", "Minimum data"
    SENSITIVE = "sensitive", "Detailed and sensitive information"


class AgeCondition(models.TextChoices):
    ADDITIONAL_NEEDS = "additional_needs", "Additional needs"
    CARE_LEAVER = "care_leaver", "Care leaver (previously looked after)"


# A protocol with a version in force keeps it in force while under review or while a change to it is out
# for consultation: sharing under it carries on.
IN_FORCE_STATUSES = (ProtocolStatus.ACTIVE, ProtocolStatus.UNDER_REVIEW, ProtocolStatus.CONSULTATION)


class Protocol(models.Model):
    """An information-sharing agreement among the partners: general, individual (supplementing a general
    one, Haringey 2.1) or a code of practice (Buckinghamshire 1)."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ProtocolKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="supplements")
    status = models.CharField(max_length=20, choices=ProtocolStatus.choices, default=ProtocolStatus.DRAFT)
    current_version = models.ForeignKey(
        "ProtocolVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version in force (empty until one is adopted).",
    )
    # Haringey 5.1: reviewed six months from the completion date and annually thereafter; or a fixed date
    # (Southampton 17).
    completion_date = models.DateField(null=True, blank=True)
    first_review_months = models.PositiveSmallIntegerField(null=True, blank=True, default=6)
    review_every_months = models.PositiveSmallIntegerField(null=True, blank=True, default=12)
    fixed_review_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["title"], name="protocol_title_unique"),
            models.CheckConstraint(condition=~models.Q(title=""), name="protocol_has_title"),
            models.CheckConstraint(
                condition=~models.Q(kind="individual") | models.Q(parent__isnull=False),
                name="individual_protocol_has_parent",
            ),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="protocol_not_own_parent"),
            # A general protocol stands on its own (protocols.rules.supplement_error).
            models.CheckConstraint(
                condition=~models.Q(kind="general") | models.Q(parent__isnull=True),
                name="general_protocol_has_no_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(fixed_review_date__isnull=True)
                | models.Q(first_review_months__isnull=True, review_every_months__isnull=True),
                name="protocol_one_review_schedule",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["active", "under_review"]) | models.Q(current_version__isnull=False),
                name="protocol_in_force_has_version",
            ),
            db_bounds.date_in_era("protocol", "completion_date"),
            db_bounds.date_in_era("protocol", "fixed_review_date"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        return self.title

    @property
    def is_in_force(self) -> bool:
        return self.current_version_id is not None and self.status in IN_FORCE_STATUSES

    def cite(self, key: str) -> str:
        """ " (section N of <this protocol>)" from the version in force (or the latest), for a rule it maps to
        a clause; else empty. Users are told the clause of their own protocol (issue 8, item 13)."""
        version = self.current_version
        if version is None:
            version = self.latest_version()
        return clause_citation(version.clauses or {}, key, self.title) if version is not None else ""

    def latest_version(self) -> ProtocolVersion | None:
        """The newest version: the one a new draft builds on, and the one consulted on or adopted."""
        return self.versions.order_by("-number").first()


class ProtocolVersion(models.Model):
    """One immutable version of a protocol: its text and the rules the portal enforces from it."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(max_length=bounds.PROTOCOL_TEXT)
    change_note = models.TextField(max_length=bounds.REASON)
    # Scope (Haringey 2.1; Southampton 5): children 0-18 (or 19), extended to 25 for some.
    age_min = models.PositiveSmallIntegerField(default=0)
    age_max = models.PositiveSmallIntegerField(default=18)
    extended_age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    extended_age_conditions = ArrayField(
        models.CharField(max_length=32, choices=AgeCondition.choices), default=list, blank=True
    )
    permitted_purposes = ArrayField(models.CharField(max_length=200), default=list)
    aggregate_fields = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    minimum_fields = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    sensitive_fields = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    grounds_without_consent = ArrayField(models.CharField(max_length=32, choices=Ground.choices), default=list)
    response_working_days = models.PositiveSmallIntegerField(default=10)
    retention_months = models.PositiveSmallIntegerField(default=24)
    # WYCPS "levels of information": whether practitioners of other agencies signed to this version are told which
    # kinds of information (entry categories) each agency holds about a child, without the content ("Personal:
    # information which identifies an individual as being known to an agency or service"; the register showing
    # involvement, as ContactPoint did). An agency's own entries are shown to it whatever this says.
    shows_held_categories = models.BooleanField(default=True, db_default=True)
    # Which section of this version's text states each rule the portal tells users about (keys:
    # protocols.rules.RULE_CLAUSES), so messages cite the partnership's own protocol.
    clauses = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_number_unique"),
            models.CheckConstraint(condition=~models.Q(change_note=""), name="protocol_version_has_change_note"),
            models.CheckConstraint(condition=models.Q(age_max__gt=models.F("age_min")), name="protocol_age_range"),
            models.CheckConstraint(
                condition=models.Q(extended_age_max__isnull=True) | models.Q(extended_age_max__gt=models.F("age_max")),
                name="protocol_extended_age_beyond_range",
            ),
            models.CheckConstraint(condition=models.Q(response_working_days__gte=1), name="protocol_response_days"),
            # Southampton 8: closed records are erased at the end of the retention period, so there is one, and
            # it is bounded (isp_portal.bounds.RETENTION_MONTHS_MAX; the API and the form ask the same).
            models.CheckConstraint(
                condition=models.Q(retention_months__gte=1, retention_months__lte=bounds.RETENTION_MONTHS_MAX),
                name="protocol_retention_period_bounded",
            ),
            models.CheckConstraint(condition=~models.Q(permitted_purposes=[]), name="protocol_has_purposes"),
            db_bounds.text_length("protocol_version", "text", bounds.PROTOCOL_TEXT),
            *(
                db_bounds.list_length("protocol_version", field, bounds.LIST_ITEMS)
                for field in ("permitted_purposes", "aggregate_fields", "minimum_fields", "sensitive_fields")
            ),
            db_bounds.text_length("protocol_version", "change_note", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"

    def cite(self, key: str) -> str:
        """ " (section N of <this protocol>)" for a rule this version maps to a clause; else empty."""
        return clause_citation(self.clauses or {}, key, self.protocol.title)

    @property
    def ground_labels(self) -> list[str]:
        return [Ground(ground).label for ground in self.grounds_without_consent]

    @property
    def extended_condition_labels(self) -> list[str]:
        return [AgeCondition(condition).label for condition in self.extended_age_conditions]

    @property
    def audit_label(self) -> str:
        return str(self)


class VersionAdoption(models.Model):
    """When a version was put in force, by whom, and after which consultation (append-only history)."""

    version = models.OneToOneField(ProtocolVersion, on_delete=models.PROTECT, related_name="adoption")
    adopted_at = models.DateTimeField(default=timezone.now)
    adopted_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    consultation = models.OneToOneField(
        "Consultation", null=True, blank=True, on_delete=models.PROTECT, related_name="adoption"
    )

    def __str__(self) -> str:
        return f"{self.version} adopted {self.adopted_at:%Y-%m-%d}"


class Signature(models.Model):
    """An agency's signature of a protocol version (Haringey 13). Signatures carry over to a newly adopted
    version unless the agency withdrew before adoption (Buckinghamshire 1)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="signatures")
    version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="signatures")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="signatures")
    signatory_name = models.CharField(max_length=200)
    signatory_title = models.CharField(max_length=200)
    attestation = models.TextField(max_length=bounds.REASON)
    signed_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    carried_over_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_to"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, max_length=bounds.REASON)
    withdrawn_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "version"], condition=models.Q(withdrawn_at__isnull=True), name="signature_live_once"
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawal_reason=""),
                name="signature_withdrawal_has_reason",
            ),
            models.CheckConstraint(condition=~models.Q(signatory_name=""), name="signature_has_signatory"),
            models.CheckConstraint(condition=~models.Q(attestation=""), name="signature_has_attestation"),
            db_bounds.text_length("signature", "attestation", bounds.REASON),
            db_bounds.text_length("signature", "withdrawal_reason", bounds.REASON),
        ]
        indexes = [models.Index(fields=["version", "agency"], name="signature_version_agency")]

    def __str__(self) -> str:
        return f"{self.agency} signed {self.version}"

    @property
    def audit_label(self) -> str:
        return str(self)

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class ConsultationStatus(models.TextChoices):
    OPEN = "open", "Open for responses"
    CLOSED = "closed", "Closed: waiting for the outcome"
    DECIDED = "decided", "Decided"


class Outcome(models.TextChoices):
    ADOPTED = "adopted", "Adopted"
    REJECTED = "rejected", "Rejected"


class Consultation(models.Model):
    """A proposed version circulated to every signatory agency with a response deadline; at the deadline
    non-responders are recorded as deemed assent (Buckinghamshire 1-2)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="consultations")
    proposed_version = models.OneToOneField(ProtocolVersion, on_delete=models.PROTECT, related_name="consultation")
    previous_status = models.CharField(max_length=20, choices=ProtocolStatus.choices)
    opened_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField()
    deadline = models.DateField()
    quorum_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True, max_length=bounds.REASON)
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol"],
                condition=~models.Q(status="decided"),
                name="consultation_one_undecided_per_protocol",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opened_on")), name="consultation_deadline_later"
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__isnull=True)
                | models.Q(quorum_percent__gte=1, quorum_percent__lte=100),
                name="consultation_quorum_percent",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="decided") | ~models.Q(outcome=""), name="consultation_decided_has_outcome"
            ),
            db_bounds.text_length("consultation", "outcome_note", bounds.REASON),
            db_bounds.date_in_era("consultation", "opened_on"),
            db_bounds.date_in_era("consultation", "deadline"),
        ]

    def __str__(self) -> str:
        return f"Consultation on {self.proposed_version}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ConsultationResponse(models.Model):
    """One circulated agency's answer: agree, object, comment, or (at the deadline) deemed assent."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="responses")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="consultation_responses")
    response = models.CharField(
        max_length=16,
        choices=[(value.value, value.value.replace("_", " ").capitalize()) for value in Response],
        default=Response.PENDING.value,
    )
    comment = models.TextField(blank=True, max_length=bounds.REASON)
    responded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "agency"], name="consultation_response_once"),
            models.CheckConstraint(
                condition=models.Q(response="pending") | models.Q(responded_at__isnull=False),
                name="consultation_response_dated",
            ),
            db_bounds.text_length("consultation_response", "comment", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.response}"

    @property
    def audit_label(self) -> str:
        return f"response of {self.agency} to consultation {self.consultation_id}"


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"


class Review(models.Model):
    """A review of a protocol (Haringey 5.1-5.5): due date from the schedule, officers, written findings,
    the report deadline (5.3) and an implementation plan."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="reviews")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.SCHEDULED)
    officers = models.ManyToManyField("agencies.User", blank=True, related_name="protocol_reviews")
    findings = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    completed_on = models.DateField(null=True, blank=True)
    report_due_on = models.DateField(null=True, blank=True)
    reported_at = models.ForeignKey(
        "Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews_reported"
    )

    class Meta:
        ordering = ["protocol", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="review_number_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="completed")
                | (models.Q(completed_on__isnull=False, report_due_on__isnull=False) & ~models.Q(findings="")),
                name="review_completed_has_findings",
            ),
            db_bounds.text_length("review", "findings", bounds.LONG_TEXT),
            db_bounds.date_in_era("review", "due_on"),
            db_bounds.date_in_era("review", "completed_on"),
            db_bounds.date_in_era("review", "report_due_on"),
        ]

    def __str__(self) -> str:
        return f"Review {self.number} of {self.protocol}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ReviewAction(models.Model):
    """One action of a review's implementation plan (Haringey 5.4-5.5)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(max_length=bounds.REQUIREMENT)
    owner_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="review_actions")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=bounds.REASON)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(description=""), name="review_action_has_description"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_on__isnull=False),
                name="review_action_done_dated",
            ),
            db_bounds.text_length("review_action", "description", bounds.REQUIREMENT),
            db_bounds.text_length("review_action", "note", bounds.REASON),
            db_bounds.date_in_era("review_action", "due_on"),
            db_bounds.date_in_era("review_action", "completed_on"),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def audit_label(self) -> str:
        return f"action {self.pk} of {self.review}"


class ProtocolAudit(models.Model):
    """An audit of the protocol by a partner (Haringey 5.7-5.13): scope in writing, a month's notice."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="audits")
    auditing_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="protocol_audits")
    scope = models.TextField(max_length=bounds.LONG_TEXT)
    notice_given_on = models.DateField()
    starts_on = models.DateField()
    responses_due_on = models.DateField()
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(scope=""), name="protocol_audit_has_scope"),
            models.CheckConstraint(
                condition=models.Q(responses_due_on__gt=models.F("starts_on")),
                name="protocol_audit_responses_after_start",
            ),
            db_bounds.text_length("protocol_audit", "scope", bounds.LONG_TEXT),
            db_bounds.date_in_era("protocol_audit", "notice_given_on"),
            db_bounds.date_in_era("protocol_audit", "starts_on"),
            db_bounds.date_in_era("protocol_audit", "responses_due_on"),
        ]

    def __str__(self) -> str:
        return f"Audit of {self.protocol} by {self.auditing_agency}"

    @property
    def audit_label(self) -> str:
        return str(self)


class AuditExtract(models.Model):
    """A draft report extract, shared only with the partners it names (Haringey 5.10)."""

    audit = models.ForeignKey(ProtocolAudit, on_delete=models.PROTECT, related_name="extracts")
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=bounds.LONG_TEXT)
    named_agencies = models.ManyToManyField("agencies.Agency", related_name="audit_extracts")
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [db_bounds.text_length("audit_extract", "text", bounds.LONG_TEXT)]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        return f"extract {self.pk} of {self.audit}"


class ExtractResponse(models.Model):
    """A named partner's response to a draft extract, due by the agreed date (Haringey 5.11)."""

    extract = models.ForeignKey(AuditExtract, on_delete=models.PROTECT, related_name="responses")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="extract_responses")
    text = models.TextField(max_length=bounds.LONG_TEXT)
    responded_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["extract", "agency"], name="extract_response_once"),
            db_bounds.text_length("extract_response", "text", bounds.LONG_TEXT),
        ]

    def __str__(self) -> str:
        return f"{self.agency} on {self.extract}"


class Meeting(models.Model):
    """A meeting of the partners: attendees, agenda (reviews, breach cases later), minutes, circulation."""

    title = models.CharField(max_length=200)
    held_on = models.DateField()
    location = models.CharField(max_length=200, blank=True)
    attendee_agencies = models.ManyToManyField("agencies.Agency", blank=True, related_name="meetings")
    attendees = models.ManyToManyField("agencies.User", blank=True, related_name="meetings_attended")
    minutes = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    minutes_circulated_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes_circulated_on__isnull=True) | ~models.Q(minutes=""),
                name="meeting_circulated_minutes_exist",
            ),
            models.CheckConstraint(
                condition=models.Q(minutes_circulated_on__isnull=True)
                | models.Q(minutes_circulated_on__gte=models.F("held_on")),
                name="meeting_minutes_after_meeting",
            ),
            db_bounds.text_length("meeting", "minutes", bounds.LONG_TEXT),
            db_bounds.date_in_era("meeting", "held_on"),
            db_bounds.date_in_era("meeting", "minutes_circulated_on"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({long_date(self.held_on)})"

    @property
    def audit_label(self) -> str:
        return str(self)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    review = models.ForeignKey(Review, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items")
    notes = models.TextField(blank=True, max_length=bounds.REASON)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique"),
            db_bounds.text_length("agenda_item", "notes", bounds.REASON),
        ]

    def __str__(self) -> str:
        return self.title
