"""Consent records (DESIGN 2.4; Haringey 4.3-4.4; Barnet "Consent" and "Whose consent should be sought?";
Southampton 8, 11, 12).

A consent record says who decided (the child, or a person with parental responsibility), whether the child was
competent to decide (16 and over presumed; under 16 a recorded Fraser/Gillick assessment), in what form
(explicit written, explicit verbal, implied), what it covers (purposes of a protocol version, tiers, recipient
agencies or every signatory of the protocol), for which period, and whether it was given or refused. A
withdrawal is its own dated row (Barnet: "a person can withdraw consent at any time"); it takes effect for every
disclosure from its day on. The shape maps onto FHIR R4 Consent (consent.fhir).

Every invariant a row can hold is a CheckConstraint; the one that spans two tables (a withdrawal dated on or
after the day the consent was obtained) is a trigger (migration 0001).
"""

from __future__ import annotations

from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from isp_portal import bounds, db_bounds

# The age from which a young person is presumed competent to decide for themselves (Barnet: "A person aged 16
# or over, or a child under 16 who has the capacity to understand and make decisions, may give or refuse
# consent"). consent.rules.PRESUMED_COMPETENT_AGE is the same number; the constraints below need it here.
PRESUMED_COMPETENT_AGE = 16
PURPOSE_LENGTH = 200  # protocols.ProtocolVersion.permitted_purposes items


class GivenBy(models.TextChoices):
    CHILD = "child", "The child or young person"
    PARENT = "parent", "A person with parental responsibility"


class Competence(models.TextChoices):
    """The outcome of a Fraser/Gillick assessment (Barnet: "practitioners will need to make an assessment")."""

    COMPETENT = "competent", "Competent to decide (Fraser/Gillick competent)"
    NOT_COMPETENT = "not_competent", "Not competent to decide"


class ConsentForm(models.TextChoices):
    """Barnet: "Consent can be either explicit or implicit. Explicit consent ... in writing or verbally"."""

    EXPLICIT_WRITTEN = "explicit_written", "Explicit, in writing"
    EXPLICIT_VERBAL = "explicit_verbal", "Explicit, spoken"
    IMPLIED = "implied", "Implied"


class Decision(models.TextChoices):
    GIVEN = "given", "Consent given"
    REFUSED = "refused", "Consent refused"


class ConsentTier(models.TextChoices):
    """The tiers a consent can cover: the minimum data and the detailed and sensitive information
    (protocols.models.Tier's values). The aggregate tier is anonymised counts, never a person (WYCPS: "Only
    anonymised data will be used for planning"), so no consent is asked for it."""

    MINIMUM = "minimum", "Minimum data"
    SENSITIVE = "sensitive", "Detailed and sensitive information"


class ConsentNotSoughtReason(models.TextChoices):
    """Barnet, "Do not seek consent if any of the following apply": recorded per request by the sharing app."""

    SIGNIFICANT_HARM = "significant_harm", "Asking would place the child at increased risk of significant harm"
    SERIOUS_HARM_ADULT = "serious_harm_adult", "Asking would place an adult at risk of serious harm"
    SERIOUS_CRIME = "serious_crime", "Asking would prejudice the prevention or detection of a serious crime"
    UNJUSTIFIED_DELAY = "unjustified_delay", "Asking would cause an unjustified delay in making enquiries"


class ConsentRecord(models.Model):
    """One decision about sharing a child's information: who made it, whether they were competent to, what it
    covers and for how long. Recorded by a practitioner of an agency involved with the child."""

    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="consents")
    recorded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    # Who decided. A parent's record names the person and their relationship; when the parents are separated,
    # whether this is the resident parent (Barnet: "if parents are separated, then this should be the resident
    # parent").
    given_by = models.CharField(max_length=8, choices=GivenBy.choices)
    parent_name = models.CharField(max_length=bounds.NAME, blank=True)
    parent_relationship = models.CharField(max_length=bounds.NAME, blank=True)
    parents_separated = models.BooleanField(default=False)
    is_resident_parent = models.BooleanField(default=False)

    # The child's completed years on the day the decision was obtained (sharing.rules.age_on), kept so the
    # competence constraints below can be held by the database.
    child_age = models.PositiveSmallIntegerField()
    # A Fraser/Gillick assessment: needed for an under-16's own decision; for a parent's decision about a
    # 16- or 17-year-old, the assessment that rebutted the presumption of competence.
    competence = models.CharField(max_length=16, choices=Competence.choices, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    assessor_name = models.CharField(max_length=bounds.NAME, blank=True)
    assessor = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    form = models.CharField(max_length=20, choices=ConsentForm.choices)
    decision = models.CharField(max_length=8, choices=Decision.choices)

    # Scope: the purposes (of the protocol version in force when it was obtained), the tiers, and either the
    # named recipient agencies or every signatory of the protocol.
    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="consents")
    protocol_version = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    purposes = ArrayField(models.CharField(max_length=PURPOSE_LENGTH))
    tiers = ArrayField(models.CharField(max_length=16, choices=ConsentTier.choices))
    all_signatories = models.BooleanField(default=False)
    recipients = models.ManyToManyField("agencies.Agency", blank=True, related_name="consents_received")

    obtained_on = models.DateField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    # Haringey 4.3: the child or guardian is told that information will be shared with the partners.
    notice_given_on = models.DateField(null=True, blank=True)
    review_due_on = models.DateField(null=True, blank=True)
    # The review date a reminder was last sent for (consent.services.consent_reviews_sweep): once each.
    review_reminded_for = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=bounds.REASON)

    class Meta:
        ordering = ["child", "-obtained_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(given_by="child", parent_name="", parent_relationship="", is_resident_parent=False)
                | (models.Q(given_by="parent") & ~models.Q(parent_name="") & ~models.Q(parent_relationship="")),
                name="consent_parent_named",
            ),
            models.CheckConstraint(
                condition=models.Q(is_resident_parent=False) | models.Q(parents_separated=True),
                name="consent_resident_parent_only_when_separated",
            ),
            # An assessment is whole or absent.
            models.CheckConstraint(
                condition=models.Q(competence="", assessed_on__isnull=True, assessor_name="", assessor__isnull=True)
                | (~models.Q(competence="") & models.Q(assessed_on__isnull=False) & ~models.Q(assessor_name="")),
                name="consent_assessment_whole",
            ),
            # A child's own decision: competent (under 16, assessed so; 16 and over, not assessed otherwise).
            models.CheckConstraint(
                condition=~models.Q(given_by="child")
                | models.Q(child_age__gte=PRESUMED_COMPETENT_AGE, competence__in=["", "competent"])
                | models.Q(child_age__lt=PRESUMED_COMPETENT_AGE, competence="competent"),
                name="consent_child_competent",
            ),
            # A parent's decision: the child not competent (under 16, not assessed competent; 16 and over, the
            # presumption rebutted by an assessment).
            models.CheckConstraint(
                condition=~models.Q(given_by="parent")
                | models.Q(child_age__lt=PRESUMED_COMPETENT_AGE, competence__in=["", "not_competent"])
                | models.Q(child_age__gte=PRESUMED_COMPETENT_AGE, competence="not_competent"),
                name="consent_parent_for_child_not_competent",
            ),
            models.CheckConstraint(
                condition=models.Q(assessed_on__isnull=True) | models.Q(assessed_on__lte=models.F("obtained_on")),
                name="consent_assessed_before_decision",
            ),
            models.CheckConstraint(condition=~models.Q(purposes=[]), name="consent_has_purposes"),
            models.CheckConstraint(condition=~models.Q(tiers=[]), name="consent_has_tiers"),
            models.CheckConstraint(
                condition=models.Q(tiers__contained_by=[tier.value for tier in ConsentTier]),
                name="consent_tiers_known",
            ),
            db_bounds.list_length("consent", "purposes", bounds.LIST_ITEMS),
            db_bounds.list_length("consent", "tiers", len(ConsentTier)),
            models.CheckConstraint(
                condition=models.Q(valid_from__gte=models.F("obtained_on")), name="consent_valid_from_obtained"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="consent_period_ordered",
            ),
            # Barnet: implied consent is where the person "has been informed about the information to be shared,
            # the purpose for sharing and that they have the right to object".
            models.CheckConstraint(
                condition=~models.Q(form="implied") | models.Q(notice_given_on__isnull=False),
                name="consent_implied_after_notice",
            ),
            models.CheckConstraint(
                condition=models.Q(review_due_on__isnull=True) | models.Q(review_due_on__gte=models.F("obtained_on")),
                name="consent_review_after_obtained",
            ),
            models.CheckConstraint(
                condition=models.Q(child_age__lte=bounds.EXTENDED_AGE_MAX), name="consent_child_age_plausible"
            ),
            db_bounds.text_length("consent", "note", bounds.REASON),
            *(
                db_bounds.date_in_era("consent", field)
                for field in (
                    "assessed_on",
                    "obtained_on",
                    "valid_from",
                    "valid_until",
                    "notice_given_on",
                    "review_due_on",
                    "review_reminded_for",
                )
            ),
        ]
        indexes = [
            models.Index(fields=["child", "-obtained_on"], name="consent_child_obtained"),
            models.Index(fields=["review_due_on"], name="consent_review_due"),
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.decision}) for child {self.child_id}"

    @property
    def audit_label(self) -> str:
        return f"consent record {self.pk} of child {self.child_id}"

    @property
    def is_given(self) -> bool:
        return self.decision == Decision.GIVEN

    def withdrawal_or_none(self) -> ConsentWithdrawal | None:
        try:
            return self.withdrawal
        except ConsentWithdrawal.DoesNotExist:
            return None

    def is_withdrawn_on(self, day: date) -> bool:
        withdrawal = self.withdrawal_or_none()
        return withdrawal is not None and withdrawal.withdrawn_on <= day


class ConsentWithdrawal(models.Model):
    """The withdrawal of a consent (Barnet: "A person can withdraw consent at any time"), from `withdrawn_on`
    for every disclosure on or after that day. Its own row: the record stays as it was, readable with it."""

    consent = models.OneToOneField(ConsentRecord, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_on = models.DateField()
    reason = models.TextField(max_length=bounds.REASON)
    recorded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="consent_withdrawal_has_reason"),
            db_bounds.text_length("consent_withdrawal", "reason", bounds.REASON),
            db_bounds.date_in_era("consent_withdrawal", "withdrawn_on"),
        ]

    def __str__(self) -> str:
        return f"Withdrawal of consent {self.consent_id} on {self.withdrawn_on}"

    @property
    def audit_label(self) -> str:
        return f"withdrawal of consent record {self.consent_id}"


class ConsentReview(models.Model):
    """A review of a consent (Barnet: "Consent needs to be kept under active review"): when, by whom, what was
    found, and the next review date it set."""

    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    note = models.TextField(max_length=bounds.REASON)
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consent", "-reviewed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(note=""), name="consent_review_has_note"),
            models.CheckConstraint(
                condition=models.Q(next_review_on__isnull=True) | models.Q(next_review_on__gt=models.F("reviewed_on")),
                name="consent_review_next_later",
            ),
            db_bounds.text_length("consent_review", "note", bounds.REASON),
            db_bounds.date_in_era("consent_review", "reviewed_on"),
            db_bounds.date_in_era("consent_review", "next_review_on"),
        ]

    def __str__(self) -> str:
        return f"Review of consent {self.consent_id} on {self.reviewed_on}"

    @property
    def audit_label(self) -> str:
        return f"review of consent record {self.consent_id}"


class EvidenceKind(models.TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG image"
    JPEG = "image/jpeg", "JPEG image"


class ConsentEvidence(models.Model):
    """The signed form or a photograph of it: a PDF or an image, judged by its content (isp_portal.uploads and
    consent.rules.image_problem), stored under PRIVATE_MEDIA_ROOT with a random name like the agencies'
    security documents, and served only through the policy."""

    consent = models.OneToOneField(ConsentRecord, on_delete=models.PROTECT, related_name="evidence")
    stored_name = models.CharField(max_length=100, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=32, choices=EvidenceKind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="consent_evidence_not_empty"),
            models.CheckConstraint(
                condition=models.Q(content_type__in=[kind.value for kind in EvidenceKind]),
                name="consent_evidence_kind_known",
            ),
            models.CheckConstraint(condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="consent_evidence_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.content_type})"

    @property
    def audit_label(self) -> str:
        return f"evidence of consent record {self.consent_id}"
