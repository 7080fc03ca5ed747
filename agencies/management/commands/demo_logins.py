"""manage.py demo_logins: print the URL and the demo sign-ins (`make run` calls this)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.demo import LOGIN_KEYS, LOGIN_LABELS, PEOPLE, demo_email
from isp_portal.demo_context import DEMO_API_TOKEN, DEMO_PASSWORD, DemoModeOff, demo_mode_required


class Command(BaseCommand):
    help = "Print the portal's URL and the demo users to sign in as."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_mode_required("Printing the demo sign-ins")
        except DemoModeOff as error:
            raise CommandError(str(error)) from None
        url = options["url"]
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"ISP Portal is running at {url}"))
        out("")
        out("Demo sign-ins (every demo user has the same password):")
        for spec in PEOPLE:
            if spec["key"] in LOGIN_KEYS:
                label = LOGIN_LABELS.get(spec["key"], spec["key"].replace("_", " "))
                out(f"  {label:<20} {demo_email(spec['name'])}")
        out(f"  password             {DEMO_PASSWORD}")
        out("Sharing: the school's DSL asks social care; the practitioner answers; the designated manager approves.")
        out("Two-factor: the code page shows the current code in demo mode (never in production).")
        out(f"API: curl -H 'Authorization: Bearer {DEMO_API_TOKEN}' {url}api/v1/me/")
        out("")
