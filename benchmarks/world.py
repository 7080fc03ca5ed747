"""`python -m benchmarks.world`: build the HTTP benchmark's world in its scratch database; print it as JSON.

The demo partnership (`seed_demo`: agencies, people, protocols, checklists) gives the pages realistic
content; on top of it, one benchmark user per role is created through the services, with a random password
and a random two-factor key that only this run knows (never the published demo credentials). The harness
signs them in over HTTP like a person would.

A later scenario that needs another role adds it to ROLES; one that needs another object adds a line to
`_ids` and names the id in its path (benchmarks/http_pages.py).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from typing import Any

# Who each benchmark user is: role -> (roles of the membership, whether it is an agency membership).
ROLES: dict[str, tuple[list[str], bool]] = {
    "agency_admin": (["agency_admin"], True),
    "practitioner": (["practitioner"], True),
    "partnership_admin": (["partnership_admin"], False),
}


def _ids() -> dict[str, int]:
    """The objects the scenarios' paths point at: the agency the benchmark users belong to, and its protocol."""
    from agencies.models import Membership
    from protocols.models import Protocol, ProtocolStatus

    admin = Membership.objects.filter(roles__contains=["agency_admin"], agency__isnull=False, is_active=True)
    agency_id = admin.order_by("agency_id").values_list("agency_id", flat=True).first()
    protocol = Protocol.objects.filter(status=ProtocolStatus.ACTIVE).order_by("pk").first()
    protocol = protocol or Protocol.objects.order_by("pk").first()
    assert agency_id is not None and protocol is not None, "seed_demo made no agency admin or no protocol"
    return {"agency": agency_id, "protocol": protocol.pk}


def build() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import transaction

    from agencies.models import Agency, Role, TrainingCourse
    from agencies.services import membership_create, training_record_create, user_create
    from isp_portal.policy import SystemActor
    from isp_portal.signin import device_register

    call_command("seed_demo", "--if-empty", verbosity=0)
    ids = _ids()
    actor = SystemActor("benchmark")
    agency = Agency.objects.get(pk=ids["agency"])
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("pk").first()
    users: dict[str, dict[str, str]] = {}
    with transaction.atomic():
        for role, (roles, in_agency) in ROLES.items():
            email = f"bench.{role.replace('_', '-')}.{secrets.token_hex(4)}@bench.invalid"
            password = secrets.token_urlsafe(24)
            key_hex = secrets.token_hex(20)
            user = user_create(actor=actor, email=email, full_name=f"Bench {role.replace('_', ' ')}", password=password)
            device_register(actor=actor, user=user, key_hex=key_hex)
            membership_create(
                actor=actor, user=user, agency=agency if in_agency else None, roles=[Role(r) for r in roles]
            )
            if in_agency and course is not None:
                from django.utils import timezone

                training_record_create(
                    actor=actor,
                    user=user,
                    course=course,
                    agency=agency,
                    completed_on=timezone.localdate(),
                    evidence="Benchmark",
                )
            users[role] = {"email": email, "password": password, "key_hex": key_hex}
    return {"ids": ids, "users": users}


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()
    world = build()
    # The last line of the output (seed_demo prints its own progress before it).
    sys.stdout.write("\n" + json.dumps(world) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
