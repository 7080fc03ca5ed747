"""The daily expiry sweep: ICO registrations (Haringey 4.1-4.2), information-sharing training
(Buckinghamshire 4) and security-document grants (Haringey 7.2).

Set-based: a handful of statements however many agencies and people there are. Each reminder has a key
that names the expiry date and the band (60, 30, 7 days, or lapsed), so running the sweep twice, or
missing a day, sends each reminder exactly once, and a renewal (a new expiry date) starts afresh.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Q

from agencies import rules
from agencies.models import Agency, AgencyStatus, Membership, Role, TrainingRecord
from agencies.services.documents import access_grants_expire
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.wording import long_date, possessive


@dataclass(frozen=True)
class SweepResult:
    ico_reminders: int
    training_reminders: int
    grants_expired: int


def _admins_by_agency(agency_ids: set[int]) -> dict[int, list[int]]:
    admins: dict[int, list[int]] = defaultdict(list)
    rows = Membership.objects.filter(
        agency_id__in=agency_ids, is_active=True, roles__contains=[Role.AGENCY_ADMIN], user__is_system=False
    ).values_list("agency_id", "user_id")
    for agency_id, user_id in rows:
        admins[agency_id].append(user_id)
    return admins


def _when(band: int, expires_on: date) -> str:
    return "has lapsed" if band == 0 else f"expires on {long_date(expires_on)} (in {band} days or fewer)"


def _ico_drafts(today: date) -> list[NotificationDraft]:
    horizon = today + timedelta(days=rules.REMINDER_DAYS[0])
    agencies = list(
        Agency.objects.filter(
            status=AgencyStatus.ACTIVE,
            ico_registration_expires_on__isnull=False,
            ico_registration_expires_on__lte=horizon,
        ).values_list("pk", "name", "ico_registration_expires_on")
    )
    admins = _admins_by_agency({pk for pk, _, _ in agencies})
    partnership_admins = list(
        Membership.objects.filter(
            agency__isnull=True, is_active=True, roles__contains=[Role.PARTNERSHIP_ADMIN]
        ).values_list("user_id", flat=True)
    )
    drafts = []
    for pk, name, expires_on in agencies:
        assert expires_on is not None  # filtered above
        band = rules.reminder_band(expires_on, today)
        if band is None:
            continue
        subject = f"{name}: ICO registration {_when(band, expires_on)}"
        body = f"The Data Protection (ICO) registration of {name} {_when(band, expires_on)}. " + (
            "Until a renewed registration is recorded, the agency cannot send or receive information."
            if band == 0
            else "Renew it with the ICO and record the new expiry date on the agency's page."
        )
        recipients = admins.get(pk, []) + (partnership_admins if band == 0 else [])
        for user_id in dict.fromkeys(recipients):
            drafts.append(
                NotificationDraft(
                    user_id, f"ico:{pk}:{expires_on.isoformat()}:{band}", subject, body, f"/agencies/{pk}/"
                )
            )
    return drafts


def _training_drafts(today: date) -> list[NotificationDraft]:
    horizon = today + timedelta(days=rules.REMINDER_DAYS[0])
    latest = (
        TrainingRecord.objects.filter(course__is_information_sharing=True, completed_on__lte=today)
        .values("user_id")
        .annotate(latest=Max("expires_on"), open_ended=Count("pk", filter=Q(expires_on__isnull=True)))
        .filter(open_ended=0, latest__lte=horizon)
    )
    expiring = {row["user_id"]: row["latest"] for row in latest}
    if not expiring:
        return []
    memberships = list(
        Membership.objects.filter(user_id__in=expiring, is_active=True, agency__isnull=False).values_list(
            "user_id", "agency_id", "user__full_name"
        )
    )
    admins = _admins_by_agency({agency_id for _, agency_id, _ in memberships})
    drafts = []
    for user_id, agency_id, full_name in memberships:
        expires_on = expiring[user_id]
        band = rules.reminder_band(expires_on, today)
        if band is None:
            continue
        key = f"training:{user_id}:{expires_on.isoformat()}:{band}"
        drafts.append(
            NotificationDraft(
                user_id,
                key,
                f"Your information-sharing training {_when(band, expires_on)}",
                # Buckinghamshire 4: accreditation before access.
                "Without valid information-sharing training you cannot open child records. Book a course and "
                "ask your agency admin to record it.",
                "/",
            )
        )
        for admin_id in admins.get(agency_id, []):
            if admin_id != user_id:
                drafts.append(
                    NotificationDraft(
                        admin_id,
                        key,
                        f"{possessive(full_name)} information-sharing training {_when(band, expires_on)}",
                        f"{full_name} will not be able to open child records once it lapses, until new training "
                        "is recorded.",
                        f"/agencies/{agency_id}/training/",
                    )
                )
    return drafts


def expiry_reminders_send(*, today: date) -> SweepResult:
    """Raise every reminder due today (idempotent) and expire security-document grants."""
    ico = notify_many(_ico_drafts(today))
    training = notify_many(_training_drafts(today))
    grants = access_grants_expire(today=today)
    return SweepResult(ico_reminders=ico, training_reminders=training, grants_expired=grants)
