"""The audit store. Rows here are never updated or deleted: PostgreSQL triggers refuse UPDATE, DELETE and
TRUNCATE on all three tables (migration 0002), whoever asks.

Events are inserted freely by any request. A *sealer* (audit.services.audit_seal) later chains them in
batches: it gives each event a sequence number and a link hash over the previous link, in a table of its
own, so chaining never serialises the portal and no event row is ever touched again (DESIGN 2.6).
"""

from __future__ import annotations

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
