"""`python -m benchmarks.world`: build the HTTP benchmark's world in its scratch database; print it as JSON.

The demo partnership (`seed_demo`: agencies, people, protocols, checklists) gives the pages realistic
content; on top of it, one benchmark user per role is created through the services, with a random password
and a random two-factor key that only this run knows (never the published demo credentials). The harness
signs them in over HTTP like a person would.

A later scenario that needs another role adds it to ROLES; one that needs another object adds a line to
`_ids` and names the id in its path (benchmarks/http_pages.py).

With `--children N` the child index is filled first with N generated children (benchmarks/children.py, bulk
COPY; without it, the demo's 210 children serve), and the world names a child for the record page
(`ids["child"]`) and the searches the child-search scenario sends (`searches`: criteria that find children by
name, name and date of birth, NHS number and postcode).
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


def child_ids(agency_id: int) -> dict[str, int]:
    """The child whose record page is measured: the one of the child index with most entries held by the
    benchmark users' agency (so the page shows content, not only what is held)."""
    from isp_portal.rows import fetch

    rows = fetch(
        "SELECT e.child_id FROM sharing_recordentry e JOIN sharing_child c ON c.id = e.child_id "
        "WHERE e.agency_id = %s AND NOT c.is_shielded AND c.merged_into_id IS NULL "
        "GROUP BY e.child_id ORDER BY count(*) DESC, e.child_id LIMIT 1",
        [agency_id],
    )
    return {"child": rows[0][0]} if rows else {}


SEARCHES_PER_KIND = 25


def child_searches(count: int = SEARCHES_PER_KIND, seed: int = 10) -> list[dict[str, str]]:
    """Searches a practitioner would type, each finding at least one child: by full name (as written, words
    swapped, lower case), by name and date of birth, by NHS number (with spaces), by postcode (compact, lower
    case). Drawn from evenly spaced children so the index is read in many places."""
    import random

    from isp_portal.rows import fetch

    rows = fetch(
        "SELECT c.id, n.given, n.family, c.born_on, c.nhs_number, a.postcode FROM sharing_child c "
        "JOIN sharing_childname n ON n.child_id = c.id AND n.kind = 'legal' "
        "LEFT JOIN sharing_childaddress a ON a.child_id = c.id AND a.to_on IS NULL "
        "WHERE NOT c.is_shielded AND c.merged_into_id IS NULL "
        "AND c.id IN (SELECT generate_series(min(id), max(id), greatest((max(id) - min(id)) / %s, 1)) "
        "FROM sharing_child) ORDER BY c.id",
        [count * 4],
    )
    rng = random.Random(seed)
    searches: list[dict[str, str]] = []
    for index, (_pk, given, family, born_on, nhs_number, postcode) in enumerate(rows):
        kind = index % 4
        if kind == 0:
            name = rng.choice((f"{given} {family}", f"{family} {given}", f"{given} {family}".lower()))
            searches.append({"name": name})
        elif kind == 1:
            searches.append({"name": f"{given} {family}", "born_on": born_on.isoformat()})
        elif kind == 2 and nhs_number:
            searches.append({"nhs_number": f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"})
        elif postcode:
            searches.append({"postcode": postcode.replace(" ", "").lower()})
    return searches


def build(children: int = 0) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import transaction

    from agencies.models import Agency, Role, TrainingCourse
    from agencies.services import membership_create, training_record_create, user_create
    from isp_portal.policy import SystemActor
    from isp_portal.signin import device_register

    call_command("seed_demo", "--if-empty", verbosity=0)
    ids = _ids()
    if children:
        from django.conf import settings

        from benchmarks.children import generate

        database = settings.DATABASES["default"]
        url = os.environ.get("DATABASE_URL") or (
            f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        )
        generate(url, children, log=lambda message: print(message, file=sys.stderr, flush=True))
    # Without generated children the demo's 210 serve (the statement counts are compared across sizes).
    ids.update(child_ids(ids["agency"]))
    searches = child_searches()
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
    return {"ids": ids, "users": users, "searches": searches}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.world")
    parser.add_argument("--children", type=int, default=0, help="fill the child index with this many children")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()
    world = build(args.children)
    # The last line of the output (seed_demo prints its own progress before it).
    sys.stdout.write("\n" + json.dumps(world) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
