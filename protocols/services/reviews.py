"""Reviews and their implementation plans (Haringey 5.1-5.5), partner audits (5.7-5.13), and the sweep
that reminds everyone of review and action deadlines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, Membership, Role, User
from audit.services import audit_record
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import require
from isp_portal.wording import long_date
from protocols import rules
from protocols.models import (
    ActionStatus,
    AuditExtract,
    ExtractResponse,
    Meeting,
    Protocol,
    ProtocolAudit,
    Review,
    ReviewAction,
    ReviewStatus,
)
from protocols.policy import require_acting_for


def _next_meeting_after(day: date) -> date | None:
    meeting = Meeting.objects.filter(held_on__gte=day).order_by("held_on").first()
    return meeting.held_on if meeting else None


@transaction.atomic
def review_complete(
    *, actor: Any, review: Review, findings: str, completed_on: date, officers: Iterable[User] = ()
) -> Review:
    """Record a review's written findings. The report is due at the next partners' meeting or a calendar
    month later, whichever is sooner (Haringey 5.3); the next review is scheduled (5.1)."""
    review = Review.objects.select_for_update().select_related("protocol").get(pk=review.pk)
    require(actor, "complete", review)
    errors = {}
    if not findings.strip():
        # Haringey 5.3: findings are reported in writing.
        errors["findings"] = "Write the review's findings: they are reported to the partners in writing."
    implausible = rules.review_completion_error(completed_on, review.protocol.completion_date, timezone.localdate())
    if implausible:
        errors["completed_on"] = implausible
    if errors:
        raise ValidationError(errors)
    officers = list(officers)
    if officers:
        review.officers.add(*officers)
    review.findings = findings.strip()
    review.completed_on = completed_on
    review.report_due_on = rules.report_due(completed_on, _next_meeting_after(completed_on))
    review.status = ReviewStatus.COMPLETED
    review.save(update_fields=["findings", "completed_on", "report_due_on", "status"])
    protocol = review.protocol
    if protocol.completion_date is not None:
        schedule = rules.ReviewSchedule(
            protocol.first_review_months, protocol.review_every_months, protocol.fixed_review_date
        )
        due = rules.next_review_due(schedule, protocol.completion_date, review.number)
        if due is not None and not protocol.reviews.filter(number=review.number + 1).exists():
            Review.objects.create(protocol=protocol, number=review.number + 1, due_on=due)
    audit_record(
        kind="review.complete",
        actor=actor,
        target=review,
        detail={"report_due_on": review.report_due_on.isoformat(), "officers": [o.pk for o in officers]},
    )
    return review


@transaction.atomic
def review_action_add(
    *, actor: Any, review: Review, description: str, owner_agency: Agency, due_on: date
) -> ReviewAction:
    """Add an action to a review's implementation plan (Haringey 5.4-5.5)."""
    require(actor, "add_action", review)
    errors = {}
    if not description.strip():
        errors["description"] = "Describe the action."
    if due_on < timezone.localdate():
        errors["due_on"] = "The due date must be today or later."
    if errors:
        raise ValidationError(errors)
    action = ReviewAction.objects.create(
        review=review, description=description.strip(), owner_agency=owner_agency, due_on=due_on
    )
    audit_record(kind="review.action_add", actor=actor, target=action, detail={"owner_agency": owner_agency.pk})
    return action


@transaction.atomic
def review_action_update(*, actor: Any, action: ReviewAction, status: str, note: str = "") -> ReviewAction:
    action = ReviewAction.objects.select_for_update().get(pk=action.pk)
    require(actor, "update", action)
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose the action's status."})
    if status == ActionStatus.CANCELLED and not note.strip():
        raise ValidationError({"note": "Say why the action is cancelled."})
    action.status = status
    action.completed_on = timezone.localdate() if status == ActionStatus.DONE else None
    action.note = note.strip() or action.note
    action.save(update_fields=["status", "completed_on", "note"])
    audit_record(kind="review.action_update", actor=actor, target=action, detail={"status": status})
    return action


# --- Partner audits (Haringey 5.7-5.13) ------------------------------------------------------------------


@transaction.atomic
def protocol_audit_create(
    *,
    actor: Any,
    protocol: Protocol,
    auditing_agency: Agency,
    scope: str,
    notice_given_on: date,
    starts_on: date,
    responses_due_on: date,
) -> ProtocolAudit:
    """Give notice of an audit of the protocol by a partner: the scope in writing, starting no sooner
    than a month after the notice (Haringey 5.9)."""
    require(actor, "audit", protocol)
    # On behalf of an agency the actor may act for: the page offers exactly these (acting_agencies).
    require_acting_for(actor, auditing_agency, "audit")
    errors = {}
    if not scope.strip():
        # Haringey 5.9: one month's notice in writing of the scope.
        errors["scope"] = "Describe the scope of the audit: partners are given it in writing."
    earliest = rules.earliest_audit_start(notice_given_on)
    if starts_on < earliest:
        errors["starts_on"] = (
            f"With notice given on {long_date(notice_given_on)}, the audit cannot start before {long_date(earliest)}."
        )
    if notice_given_on > timezone.localdate():
        errors["notice_given_on"] = "Notice is given today or was given in the past."
    if responses_due_on <= starts_on:
        errors["responses_due_on"] = "Responses are due after the audit starts."
    if errors:
        raise ValidationError(errors)
    audit = ProtocolAudit.objects.create(
        protocol=protocol,
        auditing_agency=auditing_agency,
        scope=scope.strip(),
        notice_given_on=notice_given_on,
        starts_on=starts_on,
        responses_due_on=responses_due_on,
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(kind="protocol_audit.notice", actor=actor, target=audit, detail={"starts_on": starts_on.isoformat()})
    return audit


@transaction.atomic
def audit_extract_share(
    *, actor: Any, audit: ProtocolAudit, title: str, text: str, named_agencies: Iterable[Agency]
) -> AuditExtract:
    """Share a draft extract with the partners it names, and only them (Haringey 5.10)."""
    require(actor, "share_extract", audit)
    named = list(named_agencies)
    errors = {}
    if not title.strip() or not text.strip():
        errors["text"] = "Give the extract a title and its text."
    if not named:
        errors["named_agencies"] = "Choose the partners the extract names: only they will see it."
    if errors:
        raise ValidationError(errors)
    extract = AuditExtract.objects.create(audit=audit, title=title.strip(), text=text.strip())
    extract.named_agencies.set(named)
    audit_record(kind="protocol_audit.extract", actor=actor, target=extract, detail={"named": [a.pk for a in named]})
    admins = Membership.objects.filter(
        agency__in=named, is_active=True, roles__contains=[Role.AGENCY_ADMIN], user__is_system=False
    ).values_list("user_id", flat=True)
    notify_many(
        NotificationDraft(
            user_id,
            f"extract:{extract.pk}",
            f"A draft audit extract names your agency: respond by {long_date(audit.responses_due_on)}",
            f"{audit.auditing_agency} is auditing {audit.protocol} and has shared a draft extract that names "
            "your agency.",
            f"/audit-extracts/{extract.pk}/",
        )
        for user_id in admins
    )
    return extract


@transaction.atomic
def extract_respond(*, actor: Any, extract: AuditExtract, agency: Agency, text: str) -> ExtractResponse:
    """A named partner responds to a draft extract within the agreed time (Haringey 5.11)."""
    require(actor, "respond", extract)
    require(actor, "sign_protocols", agency)  # the responding admin acts for this agency
    if not extract.named_agencies.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": f"The extract does not name {agency}."})
    if timezone.localdate() > extract.audit.responses_due_on:
        raise ValidationError({"text": f"Responses were due by {long_date(extract.audit.responses_due_on)}."})
    if not text.strip():
        raise ValidationError({"text": "Write your agency's response."})
    try:
        with transaction.atomic():
            response = ExtractResponse.objects.create(
                extract=extract, agency=agency, text=text.strip(), responded_by=actor
            )
    except IntegrityError:
        raise ValidationError({"text": f"{agency} has already responded to this extract."}) from None
    audit_record(kind="protocol_audit.respond", actor=actor, target=extract, detail={"agency": agency.pk})
    return response


# --- The sweep ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSweepResult:
    review_reminders: int
    action_reminders: int


def reviews_sweep(*, today: date) -> ReviewSweepResult:
    """Remind partnership admins (and review officers) 3 months, 1 month and 1 week before a review is
    due and when it is overdue; remind owning agencies' admins of overdue actions. Idempotent: each
    reminder's key names the review or action and the reminder."""
    admins = list(
        Membership.objects.filter(
            agency__isnull=True, is_active=True, roles__contains=[Role.PARTNERSHIP_ADMIN]
        ).values_list("user_id", flat=True)
    )
    horizon = today + timedelta(days=rules.REVIEW_REMINDERS[0][1])
    reviews = list(
        Review.objects.filter(status=ReviewStatus.SCHEDULED, due_on__lte=horizon)
        .select_related("protocol__current_version")
        .prefetch_related("officers")
    )
    drafts = []
    for review in reviews:
        label = rules.review_reminder(review.due_on, today)
        if label is None:
            continue
        subject = (
            f"Review {review.number} of {review.protocol} is overdue (it was due {long_date(review.due_on)})"
            if label == "overdue"
            else f"Review {review.number} of {review.protocol} is due on {long_date(review.due_on)} ({label} to go)"
        )
        recipients = dict.fromkeys([*admins, *(officer.pk for officer in review.officers.all())])
        for user_id in recipients:
            drafts.append(
                NotificationDraft(
                    user_id,
                    f"review:{review.pk}:{label}",
                    subject,
                    # Haringey 5.1: reviewed six months from completion and annually thereafter.
                    "The protocol is reviewed on the schedule the partners agreed"
                    f"{review.protocol.cite('review')}: record the review's findings when it is done.",
                    f"/reviews/{review.pk}/",
                )
            )
    review_count = notify_many(drafts)
    overdue = list(
        ReviewAction.objects.filter(status=ActionStatus.OPEN, due_on__lt=today).select_related(
            "review__protocol__current_version"
        )
    )
    owner_admins: dict[int, list[int]] = {}
    for agency_id, user_id in Membership.objects.filter(
        agency_id__in={action.owner_agency_id for action in overdue},
        is_active=True,
        roles__contains=[Role.AGENCY_ADMIN],
        user__is_system=False,
    ).values_list("agency_id", "user_id"):
        owner_admins.setdefault(agency_id, []).append(user_id)
    action_drafts = [
        NotificationDraft(
            user_id,
            f"review-action:{action.pk}:overdue",
            f"An action from review {action.review.number} of {action.review.protocol} is overdue",
            # Haringey 5.5: partners action the implementation plan within the approved time scale.
            f"{action.description} (due {long_date(action.due_on)}). Partners carry out the implementation plan "
            f"within the agreed time{action.review.protocol.cite('implementation_plan')}.",
            f"/reviews/{action.review_id}/",
        )
        for action in overdue
        for user_id in dict.fromkeys([*owner_admins.get(action.owner_agency_id, []), *admins])
    ]
    return ReviewSweepResult(review_reminders=review_count, action_reminders=notify_many(action_drafts))
