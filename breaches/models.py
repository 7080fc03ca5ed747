"""Breaches of protocol (Haringey 6, Southampton 13; DESIGN 2.5) and indemnity notices (Haringey 11.1).

A breach case holds what was reported; each deadline it sets is an Obligation row with its anchor, due time, state
and a completion time that is frozen once recorded (a trigger refuses to change it). The partners' meeting about a
breach is a Hearing: the agency in breach presents, withdraws while the others deliberate and draft sanctions, and is
recalled and told (Haringey 6.4-6.5). Sanctions agreed there take effect through agencies.AgencySanction (the one
question sharing asks) and agencies' retraining requirements.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from breaches import rules
from isp_portal import bounds, db_bounds
from isp_portal.wording import long_date

BREACH_SEQUENCE = "breaches_breach_register_seq"


class ObligationKind(models.TextChoices):
    NOTIFY_PARTNERS = "notify_partners", "Notify the other partner agencies"
    BREACH_REPORT = "breach_report", "Breach report with the actions taken"
    PARTNERS_MEETING = "partners_meeting", "Partners' meeting held"
    MINUTES_CIRCULATED = "minutes_circulated", "Minutes with agreed actions and sanctions circulated"
    ICO_DECISION = "ico_decision", "Decide whether the ICO must be told"
    ICO_NOTIFIED = "ico_notified", "Notify the Information Commissioner's Office"
    INDEMNITY_RESPONSE = "indemnity_response", "Answer the indemnity notice in writing"


class ObligationState(models.TextChoices):
    OPEN = "open", "Open"
    OVERDUE = "overdue", "Overdue"
    DONE = "done", "Done"


assert {k.value for k in ObligationKind} == {k.value for k in rules.ObligationKind}
assert {s.value for s in ObligationState} == {s.value for s in rules.ObligationState}


class Breach(models.Model):
    """A reported breach of a protocol by one agency (Haringey 6; DESIGN 2.5). Every breach is on the central
    register (Southampton 13) from its first row: `register_number` comes from a database sequence (BR-000123)."""

    register_number = models.BigIntegerField(
        unique=True,
        editable=False,
        db_default=models.Func(
            models.Value(BREACH_SEQUENCE), function="nextval", output_field=models.BigIntegerField()
        ),
    )
    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="breaches")
    # The protocol version in force when the breach was reported (what the partners had signed).
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    alleged_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="breaches_alleged")
    # None when a partnership admin (no agency) reported it.
    reporting_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="breaches_reported"
    )
    reported_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    occurred_on = models.DateField()
    identified_on = models.DateField()
    description = models.TextField(max_length=bounds.LONG_TEXT)
    children = models.ManyToManyField("sharing.Child", blank=True, related_name="+")
    # UK GDPR art. 33: a personal-data breach likely to result in a risk to people's rights and freedoms.
    is_personal_data_breach = models.BooleanField(default=False)
    # When the controller became aware of it (art. 33(1)'s 72 hours run from here); for personal-data breaches.
    aware_at = models.DateTimeField(null=True, blank=True)
    # The ICO decision (art. 33(5): document the facts, effects and remedial action, and the decision).
    ico_reportable = models.BooleanField(null=True, blank=True)
    ico_decided_by = models.ForeignKey(
        "agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ico_decided_at = models.DateTimeField(null=True, blank=True)
    ico_decision_reason = models.TextField(blank=True, max_length=bounds.REASON)
    ico_notified_at = models.DateTimeField(null=True, blank=True)
    ico_reference = models.CharField(max_length=64, blank=True)
    # Art. 33(1): a notification made after 72 hours "shall be accompanied by reasons for the delay".
    ico_delay_reason = models.TextField(blank=True, max_length=bounds.REASON)
    # Haringey 6.2: the agency in breach's report "with details of the breach and any resulting actions taken".
    report = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    report_submitted_by = models.ForeignKey(
        "agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_submitted_at = models.DateTimeField(null=True, blank=True)
    nation = models.CharField(max_length=32, default="england-and-wales")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(identified_on__gte=models.F("occurred_on")), name="breach_identified_after_occurred"
            ),
            models.CheckConstraint(
                condition=models.Q(is_personal_data_breach=False) | models.Q(aware_at__isnull=False),
                name="breach_personal_data_has_awareness",
            ),
            models.CheckConstraint(
                condition=models.Q(ico_reportable__isnull=True)
                | (
                    models.Q(is_personal_data_breach=True)
                    & models.Q(ico_decided_by__isnull=False)
                    & models.Q(ico_decided_at__isnull=False)
                    & ~models.Q(ico_decision_reason="")
                ),
                name="breach_ico_decision_recorded",
            ),
            models.CheckConstraint(
                condition=models.Q(ico_notified_at__isnull=True) | models.Q(ico_reportable=True),
                name="breach_ico_notified_only_if_reportable",
            ),
            models.CheckConstraint(condition=~models.Q(description=""), name="breach_has_description"),
            models.CheckConstraint(
                condition=(models.Q(report_submitted_at__isnull=True) & models.Q(report=""))
                | (
                    models.Q(report_submitted_at__isnull=False)
                    & models.Q(report_submitted_by__isnull=False)
                    & ~models.Q(report="")
                ),
                name="breach_report_whole",
            ),
            db_bounds.text_length("breach", "report", bounds.LONG_TEXT),
            models.CheckConstraint(
                condition=models.Q(nation__in=["england-and-wales", "scotland", "northern-ireland"]),
                name="breach_nation_known",
            ),
            db_bounds.text_length("breach", "description", bounds.LONG_TEXT),
            db_bounds.text_length("breach", "ico_decision_reason", bounds.REASON),
            db_bounds.text_length("breach", "ico_delay_reason", bounds.REASON),
            db_bounds.date_in_era("breach", "occurred_on"),
            db_bounds.date_in_era("breach", "identified_on"),
        ]
        indexes = [
            models.Index(fields=["alleged_agency", "occurred_on"], name="breach_alleged_occurred"),
            models.Index(fields=["occurred_on"], name="breach_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.alleged_agency} ({long_date(self.occurred_on)})"

    @property
    def reference(self) -> str:
        return f"BR-{self.register_number:06d}" if self.register_number else "BR-(new)"

    @property
    def audit_label(self) -> str:
        return f"breach {self.reference}"


class IndemnityNotice(models.Model):
    """Written notice of an indemnity event (Haringey 11.1(a)): the suffering partner tells the alleged contributor
    (and the Council, unless it is either) of a claim it may contribute to. The alleged contributor answers in
    writing within four days (11.1(b)): an Obligation of kind indemnity_response, swept like the others."""

    # The protocol the information was shared under (11.1: "information subject to the general and individual
    # protocols"): both parties signed it, and the Council told is its local-authority signatory.
    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="indemnity_notices")
    suffering_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    contributor_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    # The Council, told as well unless it is the suffering partner or the alleged contributor (11.1(a)).
    council_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    breach = models.ForeignKey(
        Breach, null=True, blank=True, on_delete=models.PROTECT, related_name="indemnity_notices"
    )
    details = models.TextField(max_length=bounds.LONG_TEXT)
    sent_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    responded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(suffering_agency=models.F("contributor_agency")),
                name="indemnity_contributor_is_another",
            ),
            models.CheckConstraint(condition=~models.Q(details=""), name="indemnity_has_details"),
            models.CheckConstraint(
                condition=(models.Q(responded_at__isnull=True) & models.Q(response=""))
                | (
                    models.Q(responded_at__isnull=False) & ~models.Q(response="") & models.Q(responded_by__isnull=False)
                ),
                name="indemnity_response_whole",
            ),
            db_bounds.text_length("indemnity_notice", "details", bounds.LONG_TEXT),
            db_bounds.text_length("indemnity_notice", "response", bounds.LONG_TEXT),
            # 11.1(a): the Council is told "provided the Council is neither the Suffering Partner nor an Alleged
            # Contributor".
            models.CheckConstraint(
                condition=models.Q(council_agency__isnull=True)
                | (
                    ~models.Q(council_agency=models.F("suffering_agency"))
                    & ~models.Q(council_agency=models.F("contributor_agency"))
                ),
                name="indemnity_council_is_a_third_party",
            ),
        ]
        indexes = [
            models.Index(fields=["contributor_agency", "sent_at"], name="indemnity_contributor_sent"),
            models.Index(fields=["suffering_agency", "sent_at"], name="indemnity_suffering_sent"),
        ]

    def __str__(self) -> str:
        return f"Indemnity notice {self.pk} to {self.contributor_agency}"

    @property
    def audit_label(self) -> str:
        return f"indemnity notice {self.pk}"


class Obligation(models.Model):
    """One deadline of a breach (or of an indemnity notice): its anchor, due time, state, who is responsible, and
    the completion time, frozen once recorded (trigger `obligation_completion_frozen`; a late completion stays late).

    `due_at` is the moment it passes (the end of the due day, London time, for the working-day steps; 72 elapsed
    hours for the ICO). The sweep reminds at `remind_at` and `remind_again_at` and escalates once when overdue;
    each of those is stamped on the row in the statement that decides it, so beat running twice, or two workers,
    send each once (DESIGN 3.3)."""

    # No index of their own: the partial unique indexes (breach, kind) and (indemnity_notice, kind) lead with them.
    breach = models.ForeignKey(
        Breach, null=True, blank=True, on_delete=models.PROTECT, related_name="obligations", db_index=False
    )
    indemnity_notice = models.ForeignKey(
        IndemnityNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="obligations", db_index=False
    )
    kind = models.CharField(max_length=32, choices=ObligationKind.choices)
    # What the clock runs from, in words and as a date/time (e.g. "breach identified", 2026-12-18).
    anchor = models.CharField(max_length=64)
    anchor_at = models.DateTimeField()
    due_on = models.DateField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=ObligationState.choices, default=ObligationState.OPEN)
    # The agency responsible; None when the partnership (its admins) is.
    responsible_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remind_at = models.DateTimeField()
    remind_again_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminded_again_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Never looked up by the person (people are deactivated, never deleted), so no index to write on completion.
    completed_by = models.ForeignKey(
        "agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    completion_note = models.TextField(blank=True, max_length=bounds.REASON)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ObligationKind.values), name="obligation_kind_known"),
            models.CheckConstraint(condition=models.Q(state__in=ObligationState.values), name="obligation_state_known"),
            models.CheckConstraint(
                condition=(models.Q(breach__isnull=False) & models.Q(indemnity_notice__isnull=True))
                | (models.Q(breach__isnull=True) & models.Q(indemnity_notice__isnull=False)),
                name="obligation_of_breach_or_notice",
            ),
            models.CheckConstraint(
                condition=models.Q(indemnity_notice__isnull=True) | models.Q(kind="indemnity_response"),
                name="obligation_notice_kind",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="done") & models.Q(completed_at__isnull=False))
                | (~models.Q(state="done") & models.Q(completed_at__isnull=True)),
                name="obligation_done_has_completion",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("anchor_at")), name="obligation_due_after_anchor"
            ),
            models.UniqueConstraint(
                fields=["breach", "kind"], condition=models.Q(breach__isnull=False), name="obligation_once_per_breach"
            ),
            models.UniqueConstraint(
                fields=["indemnity_notice", "kind"],
                condition=models.Q(indemnity_notice__isnull=False),
                name="obligation_once_per_notice",
            ),
            db_bounds.text_length("obligation", "completion_note", bounds.REASON),
            db_bounds.date_in_era("obligation", "due_on"),
        ]
        indexes = [
            # The sweep's three questions, each over open obligations only. The predicates name `state` alone, not the
            # reminder stamps: a reminder then changes no indexed column, so its stamp is a HOT update in place (with
            # the table's fillfactor, migration 0005), which made the stamp of 100,000 rows 4x faster (p14s).
            models.Index(fields=["remind_at"], name="obligation_remind_due", condition=models.Q(state="open")),
            models.Index(
                fields=["remind_again_at"], name="obligation_remind_again_due", condition=models.Q(state="open")
            ),
            models.Index(fields=["due_at"], name="obligation_overdue", condition=models.Q(state="open")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (due {long_date(self.due_on)})"

    @property
    def audit_label(self) -> str:
        owner = f"breach {self.breach_id}" if self.breach_id else f"indemnity notice {self.indemnity_notice_id}"
        return f"obligation {self.kind} of {owner}"


class HearingStage(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PRESENTED = "presented", "Report presented"
    DELIBERATING = "deliberating", "In deliberation (agency in breach withdrawn)"
    DECIDED = "decided", "Decision recorded"
    TOLD = "told", "Agency in breach recalled and told"


class Hearing(models.Model):
    """The breach as an agenda item of a partners' meeting (Haringey 6.3-6.5): the agency in breach presents its
    report, then withdraws; while it is withdrawn (deliberating) its users cannot see the deliberation notes, draft
    sanctions or votes (breaches.policy); the decision is recorded; the agency is recalled and told, at `told_at`."""

    breach = models.OneToOneField(Breach, on_delete=models.PROTECT, related_name="hearing")
    meeting = models.ForeignKey("protocols.Meeting", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=16, choices=HearingStage.choices, default=HearingStage.SCHEDULED)
    presented_at = models.DateTimeField(null=True, blank=True)
    withdrew_at = models.DateTimeField(null=True, blank=True)
    deliberation_notes = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    decision = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField(null=True, blank=True)
    told_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(stage__in=HearingStage.values), name="hearing_stage_known"),
            models.CheckConstraint(
                condition=models.Q(decided_at__isnull=True)
                | (~models.Q(decision="") & models.Q(decided_by__isnull=False)),
                name="hearing_decision_whole",
            ),
            models.CheckConstraint(
                condition=models.Q(told_at__isnull=True) | models.Q(decided_at__isnull=False),
                name="hearing_told_after_decision",
            ),
            # Each stage carries the times of the stages it passed (the trigger breaches_hearing_forward keeps
            # the stage moving forward only and those times, once set, unchanged).
            models.CheckConstraint(
                condition=models.Q(stage="scheduled") | models.Q(presented_at__isnull=False),
                name="hearing_presented_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=["scheduled", "presented"]) | models.Q(withdrew_at__isnull=False),
                name="hearing_deliberating_has_withdrawal",
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=["scheduled", "presented", "deliberating"])
                | models.Q(decided_at__isnull=False),
                name="hearing_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=(models.Q(stage="told") & models.Q(told_at__isnull=False) & models.Q(told_by__isnull=False))
                | (~models.Q(stage="told") & models.Q(told_at__isnull=True)),
                name="hearing_told_whole",
            ),
            db_bounds.text_length("hearing", "deliberation_notes", bounds.LONG_TEXT),
            db_bounds.text_length("hearing", "decision", bounds.LONG_TEXT),
        ]

    def __str__(self) -> str:
        return f"Hearing of {self.breach}"

    @property
    def audit_label(self) -> str:
        return f"hearing of breach {self.breach_id}"

    @property
    def recused(self) -> bool:
        """Whether the agency in breach is withdrawn: from its withdrawal until the decision is recorded."""
        return self.withdrew_at is not None and self.decided_at is None


class SanctionKind(models.TextChoices):
    FORMAL_WARNING = "formal_warning", "Formal warning"
    RETRAINING = "retraining", "Retraining required"
    SUSPENSION_SENSITIVE = "suspension_sensitive", "Suspension from the sensitive tier"
    SUSPENSION_PROTOCOL = "suspension_protocol", "Suspension from the protocol"


class SanctionDecision(models.Model):
    """A sanction drafted in deliberation and, once the decision is recorded, imposed (Haringey 6.4-6.6). Imposing
    a suspension inserts an agencies.AgencySanction (enforced by the question sharing asks); imposing retraining
    requires the named users' training again. `agency_sanction` links the row that enforces it."""

    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(max_length=32, choices=SanctionKind.choices)
    # For a suspension: sending, receiving or both (agencies.SanctionDirection); blank for the others.
    direction = models.CharField(max_length=16, blank=True)
    from_on = models.DateField(null=True, blank=True)
    until_on = models.DateField(null=True, blank=True)
    reason = models.TextField(max_length=bounds.REASON)
    users = models.ManyToManyField("agencies.User", blank=True, related_name="+")
    drafted_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    imposed_at = models.DateTimeField(null=True, blank=True)
    agency_sanction = models.OneToOneField(
        "agencies.AgencySanction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SanctionKind.values), name="sanction_decision_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(until_on__isnull=True)
                | (models.Q(from_on__isnull=False) & models.Q(until_on__gt=models.F("from_on"))),
                name="sanction_decision_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["suspension_sensitive", "suspension_protocol"])
                | models.Q(from_on__isnull=False),
                name="sanction_decision_suspension_has_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["suspension_sensitive", "suspension_protocol"])
                    & models.Q(direction__in=["send", "receive", "both"])
                )
                | (~models.Q(kind__in=["suspension_sensitive", "suspension_protocol"]) & models.Q(direction="")),
                name="sanction_decision_direction_of_suspension",
            ),
            # An imposed suspension is enforced by the agencies.AgencySanction it inserted (DESIGN 2.5).
            models.CheckConstraint(
                condition=models.Q(imposed_at__isnull=True)
                | ~models.Q(kind__in=["suspension_sensitive", "suspension_protocol"])
                | models.Q(agency_sanction__isnull=False),
                name="sanction_decision_imposed_suspension_enforced",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="sanction_decision_has_reason"),
            db_bounds.text_length("sanction_decision", "reason", bounds.REASON),
            db_bounds.date_in_era("sanction_decision", "from_on"),
            db_bounds.date_in_era("sanction_decision", "until_on"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def audit_label(self) -> str:
        return f"sanction decision {self.pk} ({self.kind})"


class VoteChoice(models.TextChoices):
    FOR = "for", "For"
    AGAINST = "against", "Against"
    ABSTAIN = "abstain", "Abstain"


class HearingVote(models.Model):
    """One partner agency's vote on the proposed decision, cast in deliberation (never the agency in breach)."""

    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="votes")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=VoteChoice.choices)
    cast_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hearing", "agency"], name="hearing_vote_once_per_agency"),
            models.CheckConstraint(condition=models.Q(choice__in=VoteChoice.values), name="hearing_vote_choice_known"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_choice_display()}"
