"""The oversight part of the demo partnership (issue 15). Each part seeds its own rows (idempotent)."""

from __future__ import annotations

from isp_portal.demo_context import DemoContext


def seed(demo: DemoContext) -> None:
    from oversight import demo_exports

    demo_exports.seed(demo)
