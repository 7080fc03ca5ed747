"""manage.py create_partnership_admin: the first partnership admin of a new deployment.

Everyone else is then created through the portal. The new admin enrols two-factor at first sign-in.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.models import Role
from agencies.services import membership_create, user_create
from isp_portal.policy import SystemActor


class Command(BaseCommand):
    help = "Create a partnership admin (for the first sign-in of a new deployment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="full name")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            stream = getattr(self, "stdin", None)
            password = stream.readline().rstrip("\n") if stream is not None else input()
        else:
            password = getpass.getpass("Password (12+ characters, not a common one): ")
        actor = SystemActor("create_partnership_admin")
        try:
            with transaction.atomic():
                user = user_create(actor=actor, email=options["email"], full_name=options["name"], password=password)
                membership_create(actor=actor, user=user, agency=None, roles=[Role.PARTNERSHIP_ADMIN])
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
        self.stdout.write(self.style.SUCCESS(f"Partnership admin {user.email} created. Sign in to set up two-factor."))
