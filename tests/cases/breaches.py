"""Rows for the breach pages (issue 14; Haringey 6.1-6.2; UK GDPR art. 33).

Each row plants its own breach through the services (tests.breaches.fixtures.reported_breach): reported by home's
designated manager against the other agency (the police). Who sees it (breaches.policy.breach_scope): its reporter,
those who speak for home (its designated manager and agency admin), the partnership admins and the partnership
auditor; home's practitioner, the police's practitioner (who does not speak for it), the suspended agency (no
partner) and nobody-in-particular meet a 404. Home notifies the partners (6.1): its designated manager and admin; the
report (6.2) and the ICO steps are the police's (the partnership admins may complete any step), so home's speakers
and the auditor meet a 403 naming the rule. Anyone who may report (practitioners, designated managers, admins) opens
the form; auditors and people without a role meet a 403. HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from breaches.services.breaches import breach_ico_decide
from tests.breaches.fixtures import reported_breach
from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case, only
from tests.protocol_fixtures import protocol_in_force

SEES = {"designated_manager": 200, "agency_admin": 200, "partnership_admin": 200, "auditor": 200,
        "untrained_partnership_admin": 200}  # fmt: skip
# In scope, but not their step: 403 naming the rule.
REFUSED = {"designated_manager": 403, "agency_admin": 403, "auditor": 403}
REPORTERS = {"practitioner": 200, "designated_manager": 200, "agency_admin": 200, "partnership_admin": 200,
             "other_agency": 200, "suspended": 200, "untrained_partnership_admin": 200}  # fmt: skip


def with_status(table: dict[str, int], status: int) -> dict[str, int]:
    return {principal: status if got == 200 else got for principal, got in table.items()}


def breach(world: World) -> dict[str, Any]:
    return {"pk": reported_breach(world).pk}


def personal(world: World) -> dict[str, Any]:
    """A personal-data breach, the agency in breach aware two hours ago: the ICO decision is open."""
    return {"pk": reported_breach(world, personal_data=True, aware_at=timezone.now() - timedelta(hours=2)).pk}


def reportable(world: World) -> dict[str, Any]:
    """A personal-data breach the partnership admins decided is reportable: the ICO notification is open."""
    found = reported_breach(world, personal_data=True, aware_at=timezone.now() - timedelta(hours=2))
    breach_ico_decide(actor=world.users["partnership_admin"], breach=found, reportable=True, reason="Risk.")
    return {"pk": found.pk}


def lists(world: World) -> dict[str, Any]:
    reported_breach(world)
    return {}


def _date(name: str, value: date) -> dict[str, str]:
    return {f"{name}_day": str(value.day), f"{name}_month": str(value.month), f"{name}_year": str(value.year)}


def answers(world: World) -> dict[str, Any]:
    return {
        "protocol": str(protocol_in_force(world).pk), "alleged_agency": str(world.other.pk),
        **_date("occurred_on", date(2026, 8, 20)), **_date("identified_on", date(2026, 8, 21)),
        "description": "Sent to the wrong school.", "is_personal_data_breach": "no",
    }  # fmt: skip


def ico_told(world: World) -> dict[str, Any]:
    now = timezone.localtime(timezone.now() - timedelta(minutes=30))
    return {**_date("notified_on", now.date()), "notified_time": f"{now:%H:%M}", "reference": "ICO-1"}


CASES = [
    # Every signed-in person opens the list (theirs may be empty): the session and principal, the breaches.
    Case("breach-list", only({}, otherwise=200, anonymous=302, token=302), kwargs=lists, queries=2),
    Case("breach-new", html(REPORTERS, otherwise=403), queries=3),
    Case(
        "breach-new",
        html({**with_status(REPORTERS, 302), "suspended": 200}, otherwise=403),
        method="post",
        data=answers,
        note="checked: on to check your answers (the suspended agency signed no protocol: an error on the form)",
        queries=6,
    ),
    # No draft in the session: back to the form.
    Case("breach-new-check", html(with_status(REPORTERS, 302), otherwise=403), queries=1),
    Case(
        "breach-new-check",
        html(with_status(REPORTERS, 302), otherwise=403),
        method="post",
        data=lambda world: {"draft": "0" * 32},
        note="confirmed without a draft",
        queries=1,
    ),
    Case("breach-detail", html(SEES, otherwise=404), kwargs=breach, queries=5),
    Case("breach-reported", html(SEES, otherwise=404), kwargs=breach, queries=2),
    Case("breach-timeline", html(SEES, otherwise=404), kwargs=breach, queries=5),
    Case(
        "breach-notify-partners",
        html({**REFUSED, **SEES, "auditor": 403}, otherwise=404),
        kwargs=breach,
        queries=4,
    ),
    Case(
        "breach-notify-partners",
        html({**with_status(SEES, 302), "auditor": 403}, otherwise=404),
        method="post",
        kwargs=breach,
        data=lambda world: {"note": ""},
        queries=15,
    ),
    Case("breach-report", html({**SEES, **REFUSED}, otherwise=404), kwargs=breach, queries=4),
    Case(
        "breach-report",
        html({**with_status(SEES, 302), **REFUSED}, otherwise=404),
        method="post",
        kwargs=breach,
        data=lambda world: {"report": "Recalled the e-mail; retrained the officer."},
        queries=15,
    ),
    Case("breach-ico-decision", html({**SEES, **REFUSED}, otherwise=404), kwargs=personal, queries=4),
    Case(
        "breach-ico-decision",
        html({}, otherwise=404),
        kwargs=breach,
        note="not a personal-data breach: no such step (as missing)",
        queries=0,
    ),
    Case(
        "breach-ico-decision",
        html({**with_status(SEES, 302), **REFUSED}, otherwise=404),
        method="post",
        kwargs=personal,
        data=lambda world: {"reportable": "yes", "reason": "Health data of a child."},
        queries=15,
    ),
    Case("breach-ico-notification", html({**SEES, **REFUSED}, otherwise=404), kwargs=reportable, queries=4),
    Case(
        "breach-ico-notification",
        html({**with_status(SEES, 302), **REFUSED}, otherwise=404),
        method="post",
        kwargs=reportable,
        data=ico_told,
        queries=13,
    ),
]
