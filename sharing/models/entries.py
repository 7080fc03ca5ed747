"""Record entries (the detailed and sensitive tier: Haringey 3.9; WYCPS), their immutable revisions, and the
grants that open an entry to someone outside the originating agency (written by the disclosures of the next
issue; read by sharing.policy.may_read_entry)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from isp_portal import bounds, db_bounds
from sharing.rules import CATEGORY_LABELS, Category

CATEGORY_CHOICES = [(category.value, CATEGORY_LABELS[category]) for category in Category]


class Basis(models.TextChoices):
    """Barnet, good practice in recording: say whether it is fact or opinion."""

    FACT = "fact", "Fact"
    OPINION = "opinion", "Professional opinion"


class RecordEntry(models.Model):
    """Information an agency holds about a child, in one category. Its content is in its revisions; the entry
    carries what the policy decides on (originating agency, category, restricted) so a list of a child's
    entries is filtered without reading any content."""

    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="entries")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="record_entries")
    category = models.CharField(max_length=32, choices=CATEGORY_CHOICES)
    # WYCPS restricted indicators; Barnet: victim information kept apart from anything a perpetrator could reach.
    # The latest revision's mark (sharing.rules.entry_is_restricted).
    is_restricted = models.BooleanField(default=False)
    revision_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["child", "category", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=[c.value for c in Category]), name="entry_category_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(category=Category.SCHEDULE_ONE.value) | models.Q(is_restricted=True),
                name="entry_schedule_one_restricted",
            ),
        ]
        indexes = [models.Index(fields=["child", "agency", "category"], name="entry_child_agency_category")]

    def __str__(self) -> str:
        return f"{CATEGORY_LABELS[Category(self.category)]} entry {self.pk}"

    @property
    def audit_label(self) -> str:
        # The category is not content, but the child is named only by id.
        return f"{self.category} entry {self.pk} of child {self.child_id}"

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[Category(self.category)]


class EntryRevision(models.Model):
    """One version of an entry's content. Never changed or deleted (a PostgreSQL trigger refuses it): a
    correction is a new revision, and the earlier ones stay readable to auditors and the originating agency
    (DESIGN 2.3; Southampton 9)."""

    entry = models.ForeignKey(RecordEntry, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    fields = models.JSONField(default=dict, blank=True)
    text = models.TextField(max_length=bounds.LONG_TEXT, blank=True)
    basis = models.CharField(max_length=16, choices=Basis.choices)
    is_restricted = models.BooleanField(default=False)
    change_reason = models.TextField(max_length=bounds.REASON, blank=True)
    author = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entry", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="entry_revision_number_unique"),
            # So a row naming a revision and its entry can hold, by a composite foreign key, that the revision is
            # of that entry (EntryGrant.revision; the disclosures' entries).
            models.UniqueConstraint(fields=["id", "entry"], name="entry_revision_id_entry_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="entry_revision_numbered_from_one"),
            models.CheckConstraint(condition=models.Q(basis__in=Basis.values), name="entry_revision_basis_known"),
            models.CheckConstraint(
                condition=models.Q(number=1) | ~models.Q(change_reason=""), name="entry_revision_change_has_reason"
            ),
            db_bounds.text_length("entry_revision", "text", bounds.LONG_TEXT),
            db_bounds.text_length("entry_revision", "change_reason", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of entry {self.entry_id}"

    @property
    def audit_label(self) -> str:
        return str(self)


class EntryGrant(models.Model):
    """Opens one entry's content to one person of another agency until `expires_at` (DESIGN 3.2: the named
    recipients of a disclosure see the entries disclosed until it expires). The disclosures of the next issue
    write these rows; sharing.policy.may_read_entry reads them. A grant counts only while its person is still
    an active member of `agency`, and stops at once when revoked.

    A grant that names a `revision` opens that revision only, never a later one: a correction made after a
    disclosure is not disclosed by it (DESIGN 2.3, Southampton 9: what was shared is what was disclosed). The
    database holds that the revision is of the grant's entry (a composite foreign key, migration 0011). A grant
    without one (given before disclosures named revisions) opens the entry's latest revision, as before.
    `disclosure_id` names the disclosure that gave it, so revoking the disclosure ends exactly its grants; it is
    not a foreign key because the disclosures app sits above sharing (a FK would make the migrations cyclic)."""

    entry = models.ForeignKey(RecordEntry, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="entry_grants")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="entry_grants")
    purpose = models.TextField(max_length=bounds.REASON)
    granted_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revision = models.ForeignKey(EntryRevision, null=True, blank=True, on_delete=models.PROTECT, related_name="grants")
    disclosure_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="entry_grant_expires_after_granted"
            ),
            models.CheckConstraint(
                condition=models.Q(disclosure_id__isnull=True) | models.Q(disclosure_id__gt=0),
                name="entry_grant_disclosure_id_positive",
            ),
            models.CheckConstraint(condition=~models.Q(purpose=""), name="entry_grant_has_purpose"),
            db_bounds.text_length("entry_grant", "purpose", bounds.REASON),
        ]
        indexes = [
            models.Index(
                fields=["user", "entry", "expires_at"],
                name="entry_grant_live",
                condition=models.Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} open to user {self.user_id} until {self.expires_at:%Y-%m-%d}"

    @property
    def audit_label(self) -> str:
        return str(self)
