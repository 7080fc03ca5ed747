"""manage.py seed_demo: a believable partnership to try the portal with (idempotent).

Each app contributes its part in a `demo.py` module with a `seed(demo)` function, run in INSTALLED_APPS
order (lowest layer first), all through the apps' services so that rules and audit apply. Running it again
changes nothing that exists.

Demo data carries published credentials (the demo password, API token and two-factor keys), so the command
refuses to run unless demo mode is on (DESIGN 4); production settings refuse demo mode.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from isp_portal.demo_context import DemoContext, DemoModeOff, demo_mode_required


class Command(BaseCommand):
    help = "Create (or complete) the demo partnership: agencies, one user per role, and each app's demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any agency already exists")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_mode_required("manage.py seed_demo")
        except DemoModeOff as error:
            raise CommandError(str(error)) from None
        demo = DemoContext()
        if options["if_empty"] and apps.get_model("agencies", "Agency").objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                module.seed(demo)
                self.stdout.write(f"  {config.verbose_name}: {demo.summary.pop(config.name, 'ready')}")
        self.stdout.write(self.style.SUCCESS("Demo partnership ready."))
