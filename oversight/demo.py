"""The oversight part of the demo partnership (issue 15): the audit store's past year (demo_volume), then one finished
export of it for the demo auditor (demo_exports). Each part seeds its own rows (idempotent)."""

from __future__ import annotations

from isp_portal.demo_context import DemoContext


def seed(demo: DemoContext) -> None:
    from oversight import demo_exports, demo_volume

    demo_volume.seed(demo)
    demo_exports.seed(demo)
