"""Training records (Buckinghamshire 4: accreditation before access to any child record)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies import rules
from agencies.identity import identity_changed
from agencies.models import Agency, Membership, TrainingCourse, TrainingRecord, User
from agencies.policy import PARTNERSHIP_TRAINING, acts_as, forget_training
from agencies.services.people import PrivilegeRefused, audits_refusals
from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.wording import long_date

# A person's information-sharing training opens child records to them (the training gate, agencies.policy), so
# recording it widens their access: nobody records their own (DESIGN 4, as for roles and flags); another admin
# of their agency or a partnership admin does.
OWN_TRAINING = (
    "You cannot record your own training: it opens child records to you, so another admin of your agency or a "
    "partnership admin must record it."
)


def _is_self(actor: Any, user: User) -> bool:
    # The person, or a token they made, or the token's own system account (agencies.policy.acts_as).
    return acts_as(actor, user.pk)


def _training_agency(user: User, agency: Agency | None) -> Agency | None:
    """The agency whose admins answer for this person's training: the one given, or their only one; None for a
    person of the partnership itself (a partnership admin or auditor, with no agency), whose training a
    partnership admin records: the training gate holds for them too (Buckinghamshire 4)."""
    memberships = Membership.objects.filter(user=user, is_active=True, agency__isnull=False).select_related("agency")
    if agency is not None:
        if not memberships.filter(agency=agency).exists():
            raise ValidationError({"user": f"{user} is not an active member of {agency}."})
        return agency
    first = memberships.order_by("created_at").first()
    if first is None or first.agency is None:
        if Membership.objects.filter(user=user, is_active=True, agency__isnull=True).exists():
            return None
        raise ValidationError({"user": f"{user} is not an active member of any agency."})
    return first.agency


def _require_records_training(actor: Any, agency: Agency | None) -> None:
    """The agency's admins record its people's training; a partnership admin records the partnership's own
    (agencies.policy.PARTNERSHIP_TRAINING: one rule for the service, the page and the API)."""
    require(actor, "manage_training", agency if agency is not None else PARTNERSHIP_TRAINING)


@audits_refusals
@transaction.atomic
def training_record_create(
    *,
    actor: Any,
    user: User,
    course: TrainingCourse,
    completed_on: date,
    expires_on: date | None = None,
    evidence: str = "",
    agency: Agency | None = None,
) -> TrainingRecord:
    """Record that a member completed a course (their agency's admins, or a partnership admin). Without an
    expiry date, the course's validity period sets one."""
    agency = _training_agency(user, agency)
    _require_records_training(actor, agency)
    if _is_self(actor, user):
        raise PrivilegeRefused({"user": OWN_TRAINING}, target=agency, action="training.record")
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if not course.is_active:
        errors["course"] = f"{course} is no longer a recognised course."
    if expires_on is None:
        expires_on = rules.training_expiry(completed_on, course.validity_months)
    for problem in rules.training_date_problems(completed_on, expires_on, today):
        errors[problem.value.split(" ", 1)[0]] = rules.TRAINING_DATE_MESSAGES[problem]
    if TrainingRecord.objects.filter(user=user, course=course, completed_on=completed_on).exists():
        errors["completed_on"] = f"{user} already has {course} recorded on {long_date(completed_on)}."
    if errors:
        raise ValidationError(errors)
    record = TrainingRecord.objects.create(
        user=user,
        course=course,
        completed_on=completed_on,
        expires_on=expires_on,
        evidence=evidence.strip(),
        recorded_by=actor if isinstance(actor, User) else None,
    )
    audit_record(kind="training.record", actor=actor, target=record, detail={"course": course.name, "user_id": user.pk})
    forget_training(user)
    return record


@transaction.atomic
def training_records_import(*, actor: Any, agency: Agency, csv_text: str) -> list[TrainingRecord]:
    """Import training records for an agency's members from CSV, all or nothing.

    Every bad row is reported with its line number (rules.parse_training_csv for the format, plus: the
    person must be an active member of the agency, the course must be recognised, no duplicates). If any
    row is bad nothing is imported."""
    require(actor, "manage_training", agency)
    today = timezone.localdate()
    rows, errors = rules.parse_training_csv(csv_text, today)
    members = {
        membership.user.email: membership.user
        for membership in Membership.objects.filter(agency=agency, is_active=True).select_related("user")
    }
    courses = {course.name.lower(): course for course in TrainingCourse.objects.filter(is_active=True)}
    seen: set[tuple[str, int, date]] = set()
    prepared: list[TrainingRecord] = []
    existing = set(
        TrainingRecord.objects.filter(user__in=members.values()).values_list("user__email", "course_id", "completed_on")
    )
    for row in rows:
        problems = []
        user = members.get(row.email)
        course = courses.get(row.course.lower())
        if user is None:
            problems.append(f"{row.email} is not an active member of {agency}")
        elif _is_self(actor, user):
            problems.append(OWN_TRAINING[0].lower() + OWN_TRAINING[1:].rstrip("."))
        if course is None:
            problems.append(f"{row.course!r} is not a recognised course")
        if user is not None and course is not None:
            key = (row.email, course.pk, row.completed_on)
            if key in seen:
                problems.append("the same record appears twice in the file")
            elif key in existing:
                problems.append("this record is already in the portal")
            seen.add(key)
        if problems:
            errors.append(rules.RowError(row.line, "; ".join(problems)))
            continue
        assert user is not None and course is not None
        prepared.append(
            TrainingRecord(
                user=user,
                course=course,
                completed_on=row.completed_on,
                expires_on=row.expires_on or rules.training_expiry(row.completed_on, course.validity_months),
                evidence=row.evidence,
                recorded_by=actor if isinstance(actor, User) else None,
            )
        )
    if errors:
        errors.sort(key=lambda error: error.line)
        raise ValidationError({"file": [str(error) for error in errors]})
    created = TrainingRecord.objects.bulk_create(prepared)
    # bulk_create bypasses django-auditlog, so the import writes its own audit event (DESIGN 2.6).
    audit_record(
        kind="training.import",
        actor=actor,
        target=agency,
        detail={"records": len(created), "users": sorted({record.user_id for record in created})},
    )
    for record in created:
        forget_training(record.user)
    for user_id in {record.user_id for record in created}:
        identity_changed(user_id)  # bulk_create sends no signal: the cached training validity is stale
    return created
