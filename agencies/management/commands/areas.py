"""manage.py areas: list, add and recode the partnership's local-authority areas (WYCPS area-based access).

    manage.py areas                           # every area: code and name
    manage.py areas add E09000014 Haringey    # a new area
    manage.py areas recode E99000001 E09000014  # the real GSS code in place of a placeholder (docs/areas.md)

Run by a partnership admin on the server; the audit trail records it as the system.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Area
from agencies.services import area_create, area_recode
from isp_portal.policy import SystemActor


class Command(BaseCommand):
    help = "List, add or recode local-authority areas."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "add", "recode"], default="list")
        parser.add_argument("values", nargs="*", help="add: CODE NAME...; recode: OLD NEW")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("manage.py areas")
        values = options["values"]
        try:
            if options["action"] == "add":
                if len(values) < 2:
                    raise CommandError("Give the GSS code and the name: areas add E09000014 Haringey")
                area = area_create(actor=actor, code=values[0], name=" ".join(values[1:]))
                self.stdout.write(f"Added {area.code} {area.name}")
            elif options["action"] == "recode":
                if len(values) != 2:
                    raise CommandError("Give the old and the new code: areas recode E99000001 E09000014")
                old = Area.objects.filter(code=values[0].strip().upper()).first()
                if old is None:
                    raise CommandError(f"No area has the code {values[0]}.")
                area = area_recode(actor=actor, area=old, code=values[1])
                self.stdout.write(f"{area.name} is now {area.code}")
            else:
                for code, name in Area.objects.order_by("name").values_list("code", "name"):
                    self.stdout.write(f"{code}  {name}")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
