"""What apps' demo seeders share: the system actor they act as, and what earlier apps created."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from isp_portal.policy import SystemActor

# Every demo person signs in with this password (it passes the password rules) and, in demo mode, sees
# their two-factor code on the sign-in page.
DEMO_PASSWORD = "Northbridge-demo-2026-partnership"  # noqa: S105 - published demo password
DEMO_EMAIL_DOMAIN = "northbridge.example"
# A fixed API token for the demo council's case-management system, so the README can show a curl call.
DEMO_API_TOKEN = "isp_demo-northbridge-council-case-system-token-0000000000"  # noqa: S105 - published demo token


@dataclass
class DemoContext:
    actor: SystemActor = field(default_factory=lambda: SystemActor("seed_demo"))
    objects: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
