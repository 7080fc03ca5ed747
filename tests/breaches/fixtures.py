"""Breaches built through their services, so the rules, obligations and audit run (issue 14)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from breaches.models import Breach
from breaches.services.breaches import breach_report
from tests.factories import World
from tests.protocol_fixtures import protocol_in_force


def reported_breach(
    world: World,
    *,
    reporter: Any = None,
    occurred_on: date | None = None,
    identified_on: date | None = None,
    personal_data: bool = False,
    aware_at: datetime | None = None,
    description: str = "A sensitive record was emailed to the wrong school.",
) -> Breach:
    """A breach of the world's protocol by `world.other`, reported by the home agency's designated manager."""
    protocol = protocol_in_force(world)
    today = timezone.localdate()
    occurred_on = occurred_on or today - timedelta(days=3)
    identified_on = identified_on or today - timedelta(days=1)
    if personal_data and aware_at is None:
        aware_at = timezone.now() - timedelta(hours=2)
    return breach_report(
        actor=reporter or world.users["designated_manager"],
        protocol=protocol,
        alleged_agency=world.other,
        occurred_on=occurred_on,
        identified_on=identified_on,
        description=description,
        is_personal_data_breach=personal_data,
        aware_at=aware_at,
    )
