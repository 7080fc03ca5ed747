"""Meetings of the partners: attendees, agenda (reviews to report), minutes and their circulation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Membership, Role, User
from audit.services import audit_record
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import require
from protocols.models import AgendaItem, Meeting, Review


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    title: str,
    held_on: date,
    location: str = "",
    attendee_agencies: Iterable[Agency] = (),
    attendees: Iterable[User] = (),
    agenda: Iterable[tuple[str, Review | None]] = (),
) -> Meeting:
    """Arrange a meeting of the partners with its agenda (partnership admins). A review on the agenda is
    where its findings are reported (Haringey 5.3).

    The minutes are circulated to the attendees and the attending agencies' admins (Haringey 6.6)."""
    require(actor, "create", Meeting)
    attendee_agencies, attendees = list(attendee_agencies), list(attendees)
    errors = {}
    if not title.strip():
        errors["title"] = "Give the meeting a title."
    if not attendee_agencies and not attendees:
        errors["attendee_agencies"] = "Choose the agencies attending: the minutes are circulated to them."
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        title=title.strip(),
        held_on=held_on,
        location=location.strip(),
        created_by=actor if isinstance(actor, User) else None,
    )
    meeting.attendee_agencies.set(attendee_agencies)
    meeting.attendees.set(attendees)
    items = [
        AgendaItem(meeting=meeting, position=index, title=item_title.strip(), review=review)
        for index, (item_title, review) in enumerate(agenda, start=1)
        if item_title.strip()
    ]
    AgendaItem.objects.bulk_create(items)
    audit_record(kind="meeting.create", actor=actor, target=meeting, detail={"agenda_items": len(items)})
    return meeting


@transaction.atomic
def meeting_record_minutes(*, actor: Any, meeting: Meeting, minutes: str) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    require(actor, "change", meeting)
    if meeting.minutes_circulated_on is not None:
        raise ValidationError({"minutes": "The minutes have been circulated; they can no longer change."})
    if not minutes.strip():
        raise ValidationError({"minutes": "Write the minutes."})
    if meeting.held_on > timezone.localdate():
        raise ValidationError({"minutes": "The meeting has not happened yet."})
    meeting.minutes = minutes.strip()
    meeting.save(update_fields=["minutes"])
    audit_record(kind="meeting.minutes", actor=actor, target=meeting)
    return meeting


@transaction.atomic
def meeting_circulate_minutes(*, actor: Any, meeting: Meeting, circulated_on: date | None = None) -> Meeting:
    """Circulate the minutes (the date is recorded; attendees are notified). Reviews on the agenda count
    as reported at this meeting."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    require(actor, "circulate", meeting)
    circulated_on = circulated_on or timezone.localdate()
    errors = {}
    if not meeting.minutes:
        errors["minutes"] = "Record the minutes before circulating them."
    if meeting.minutes_circulated_on is not None:
        errors["minutes"] = "The minutes have already been circulated."
    if circulated_on < meeting.held_on or circulated_on > timezone.localdate():
        errors["circulated_on"] = "The date must be between the meeting and today."
    # The minutes go to the people who attended and to the admins of the agencies that attended: a
    # meeting with nobody recorded as attending has nobody to circulate them to.
    recipients = _minutes_recipients(meeting)
    if not recipients and "minutes" not in errors:
        errors["attendees"] = "Record which agencies attended before circulating the minutes: they go to them."
    if errors:
        raise ValidationError(errors)
    meeting.minutes_circulated_on = circulated_on
    meeting.save(update_fields=["minutes_circulated_on"])
    Review.objects.filter(agenda_items__meeting=meeting, reported_at__isnull=True).update(reported_at=meeting)
    audit_record(kind="meeting.circulate", actor=actor, target=meeting)
    notify_many(
        NotificationDraft(
            user_id,
            f"meeting:{meeting.pk}:minutes",
            f"Minutes of {meeting.title} circulated",
            f"The minutes of {meeting} have been circulated.",
            f"/meetings/{meeting.pk}/",
        )
        for user_id in recipients
    )
    return meeting


def _minutes_recipients(meeting: Meeting) -> list[int]:
    """The people the minutes go to: the attendees, and the active admins of the attending agencies."""
    admins = Membership.objects.filter(
        agency__in=meeting.attendee_agencies.all(),
        is_active=True,
        roles__contains=[Role.AGENCY_ADMIN],
        user__is_system=False,
    ).values_list("user_id", flat=True)
    return list(dict.fromkeys([*meeting.attendees.values_list("pk", flat=True), *admins]))
