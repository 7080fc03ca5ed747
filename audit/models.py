"""The audit store. Rows here are never updated or deleted: PostgreSQL triggers refuse UPDATE, DELETE and
TRUNCATE on all three tables (migration 0002), whoever asks.

Events are inserted freely by any request. A *sealer* (audit.services.audit_seal) later chains them in
batches: it gives each event a sequence number and a link hash over the previous link, in a table of its
own, so chaining never serialises the portal and no event row is ever touched again (DESIGN 2.6).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Func

from isp_portal import bounds, db_bounds


class CurrentTransactionId(Func):
    """The inserting transaction's 64-bit id (pg_current_xact_id). The sealer uses it to know when every
    transaction that could still add an event below its watermark has finished."""

    template = "(pg_current_xact_id()::text::bigint)"
    output_field = models.BigIntegerField()

    def __init__(self) -> None:
        super().__init__()


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class AuditEvent(models.Model):
    """One thing that happened: a view, a search, a disclosure, a sign-in, a denial (DESIGN 2.6).

    Who (actor, their agency and role, denormalised so later changes to users never rewrite history), when
    (UTC), what (object type, id, a non-sensitive label, and the child concerned), why (purpose), the
    outcome, and where from (IP, request id). Labels never carry the content of sensitive entries.
    """

    occurred_at = models.DateTimeField()
    txid = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)
    kind = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=254, blank=True)
    actor_agency_id = models.BigIntegerField(null=True)
    actor_agency_label = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=200, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    child_id = models.BigIntegerField(null=True)
    purpose = models.TextField(blank=True, max_length=bounds.REASON)
    ip = models.GenericIPAddressField(null=True)
    request_id = models.UUIDField(null=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_event"
        indexes = [
            models.Index(fields=["txid"], name="audit_event_txid"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_event_actor"),
            models.Index(
                fields=["child_id", "occurred_at"],
                name="audit_event_child",
                condition=models.Q(child_id__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind=""), name="audit_event_kind_not_empty"),
            db_bounds.text_length("audit_event", "purpose", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind} by {self.actor_label or 'anonymous'}"


class AuditChainLink(models.Model):
    """An event's place in the chain: sequence number, the previous link's hash, the event's own SHA-256
    over its canonical form, and this link's hash over all three. Written only by the sealer.

    The chain cannot fork: the sequence number is the key, and no two links may claim the same
    predecessor (unique previous hash) or the same event."""

    seq = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="link")
    prev_hash = models.CharField(max_length=64, unique=True)
    event_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "audit_chain_link"
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_chain_link_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditSeal(models.Model):
    """One sealing batch: the links it added (first_seq..last_seq), the head hash after it, and the
    transaction-id watermark below which every event is now chained."""

    sealed_at = models.DateTimeField()
    first_seq = models.BigIntegerField(unique=True)
    last_seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    watermark_txid = models.BigIntegerField()
    event_count = models.IntegerField()

    class Meta:
        db_table = "audit_seal"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_seq__gte=models.F("first_seq")), name="audit_seal_range_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(event_count=models.F("last_seq") - models.F("first_seq") + 1),
                name="audit_seal_count_matches_range",
            ),
        ]

    def __str__(self) -> str:
        return f"seal {self.first_seq}..{self.last_seq} {self.head_hash[:12]}"


class LogKind(models.TextChoices):
    """What a disclosure-log row records: the disclosure made, and each follow-up (issue 12)."""

    MADE = "made", "Made"
    REVIEWED = "reviewed", "Reviewed"
    ESCALATED = "escalated", "Escalated"
    REVOKED = "revoked", "Revoked"
    RETENTION_ENDED = "retention_ended", "Retention ended"
    # Issue 13 (Southampton 9): a disclosed entry was corrected and the recipient told.
    CORRECTED = "corrected", "Corrected"


class DisclosureLogEntry(models.Model):
    """The disclosure log (DESIGN 2.6): each disclosure, and each thing that happens to it, written denormalised in
    the same transaction as the disclosure, so the auditors' exports read this table alone and no domain table
    (the audit app imports none). Plain ids and labels, no foreign key, no content: what was shared is named by
    entry ids and revision numbers, and its snapshot by its SHA-256. Append-only like the other audit tables
    (migration 0004); `event_id` is the audit event of the same transaction, whose detail carries this row's
    SHA-256 (audit.services.disclosure_log_sha256), so the sealed chain covers the log."""

    occurred_at = models.DateTimeField()
    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=LogKind.choices)
    # Who did a follow-up (a reviewer, a revoker); empty for what a sweep did.
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=254, blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    disclosure_id = models.BigIntegerField()
    request_id = models.BigIntegerField()
    disclosure_kind = models.CharField(max_length=16)
    child_id = models.BigIntegerField()
    from_agency_id = models.BigIntegerField()
    from_agency_label = models.CharField(max_length=200)
    discloser_id = models.BigIntegerField()
    discloser_label = models.CharField(max_length=254)
    discloser_role = models.CharField(max_length=200, blank=True)
    approver_id = models.BigIntegerField(null=True)
    approver_label = models.CharField(max_length=254, blank=True)
    requester_id = models.BigIntegerField()
    requester_label = models.CharField(max_length=254)
    to_agency_id = models.BigIntegerField()
    to_agency_label = models.CharField(max_length=200)
    recipients = models.JSONField(default=list)  # [{"user_id", "label", "via_team"}]
    tiers = ArrayField(models.CharField(max_length=16))
    categories = ArrayField(models.CharField(max_length=32), default=list)
    entries = models.JSONField(default=list)  # [{"entry_id", "revision"}]
    purpose = models.TextField(max_length=bounds.REASON)
    legal_basis = models.CharField(max_length=32)
    s29_form_reference = models.CharField(max_length=64, blank=True)
    consent_record_id = models.BigIntegerField(null=True)
    consent_basis = models.CharField(max_length=16)
    not_sought_reason = models.CharField(max_length=32, blank=True)
    override_ground = models.CharField(max_length=32, blank=True)
    emergency_reason = models.CharField(max_length=32, blank=True)
    subject_told = models.CharField(max_length=16)
    retain_until = models.DateTimeField()
    protocol_version_id = models.BigIntegerField()
    protocol_version_label = models.CharField(max_length=200)
    snapshot_sha256 = models.CharField(max_length=64)
    made_at = models.DateTimeField()
    # Issue 13 (Southampton 11): an onward disclosure names the disclosure it passed on and the onward request
    # recording the originator's agreement, so the log alone follows information from hop to hop.
    parent_disclosure_id = models.BigIntegerField(null=True)
    onward_request_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "audit_disclosure_log"
        indexes = [
            models.Index(fields=["occurred_at"], name="audit_disclosure_log_at"),
            models.Index(fields=["child_id", "occurred_at"], name="audit_disclosure_log_child"),
            models.Index(fields=["from_agency_id", "occurred_at"], name="audit_disclosure_log_from"),
            models.Index(fields=["legal_basis", "occurred_at"], name="audit_disclosure_log_basis"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[kind.value for kind in LogKind]), name="audit_disclosure_log_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(snapshot_sha256__regex=r"^[0-9a-f]{64}$"),
                name="audit_disclosure_log_sha256_hex",
            ),
            db_bounds.text_length("audit_disclosure_log", "purpose", bounds.REASON),
            db_bounds.list_length("audit_disclosure_log", "tiers", 2),
            db_bounds.list_length("audit_disclosure_log", "categories", bounds.LIST_ITEMS),
            # An onward disclosure's row names both its parent and its onward request; no other row names either.
            models.CheckConstraint(
                condition=models.Q(
                    disclosure_kind="onward", parent_disclosure_id__isnull=False, onward_request_id__isnull=False
                )
                | (
                    ~models.Q(disclosure_kind="onward")
                    & models.Q(parent_disclosure_id__isnull=True, onward_request_id__isnull=True)
                ),
                name="audit_disclosure_log_lineage_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} disclosure {self.disclosure_id} {self.kind}"


class AnchorTrigger(models.TextChoices):
    BEAT = "beat", "The daily run"
    COMMAND = "command", "manage.py audit_verify"


class AuditAnchor(models.Model):
    """One verification of the whole chain and the head it found (DESIGN 2.6, issue 15).

    Written by every run of `manage.py audit_verify` and by the daily run in beat, and mailed to the partnership's
    auditors, so the head hash and sequence number also live outside the database: someone able to rewrite the
    chain and its seals consistently is still caught against the mailed anchors (`audit_verify --anchor`), and
    against these rows while they stand. Append-only like the other audit tables (migration 0006)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=AnchorTrigger.choices)
    ok = models.BooleanField()
    # The newest link that verified: the head when ok, the last good link before the break when not.
    head_seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    links_checked = models.BigIntegerField()
    anchors_checked = models.IntegerField(default=0)
    problem = models.TextField(blank=True, max_length=bounds.REASON)
    bad_seq = models.BigIntegerField(null=True)
    bad_event_id = models.BigIntegerField(null=True)
    mailed_to = models.IntegerField(default=0)  # how many addresses the anchor was sent to

    class Meta:
        db_table = "audit_anchor"
        indexes = [models.Index(fields=["finished_at"], name="audit_anchor_finished")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(head_hash__regex=r"^[0-9a-f]{64}$"), name="audit_anchor_hash_hex"
            ),
            models.CheckConstraint(
                condition=models.Q(head_seq__gte=0, links_checked__gte=0, anchors_checked__gte=0, mailed_to__gte=0),
                name="audit_anchor_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")), name="audit_anchor_finished_after_start"
            ),
            # A run either verified (no problem) or names what it found.
            models.CheckConstraint(
                condition=models.Q(ok=True, problem="") | models.Q(ok=False) & ~models.Q(problem=""),
                name="audit_anchor_ok_or_problem",
            ),
            models.CheckConstraint(
                condition=models.Q(trigger__in=[trigger.value for trigger in AnchorTrigger]),
                name="audit_anchor_trigger_known",
            ),
            db_bounds.text_length("audit_anchor", "problem", bounds.REASON),
        ]

    def __str__(self) -> str:
        state = "intact" if self.ok else "BROKEN"
        return f"anchor #{self.head_seq} {self.head_hash[:12]} ({state}, {self.finished_at:%Y-%m-%d %H:%M})"
