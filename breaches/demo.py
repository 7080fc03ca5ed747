"""The breaches part of the demo partnership (issue 14): a breach at each stage, one overdue, one reportable to the
ICO, one whose meeting is in deliberation with the agency in breach recused, one sanction in force, an indemnity
notice. Each part of the procedure seeds its own rows (idempotent), in this order."""

from __future__ import annotations

from isp_portal.demo_context import DemoContext


def seed(demo: DemoContext) -> None:
    from breaches import demo_hearings, demo_indemnity, demo_reports

    demo_reports.seed(demo)
    demo_hearings.seed(demo)
    demo_indemnity.seed(demo)
