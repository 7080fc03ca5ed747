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

With `--disclosures N` the world also holds, under `disclosures`, what benchmarks/disclosure_path.py needs: N
children recorded by children's social care with a case note each, the two agencies, the purpose, and a fresh
password and two-factor key for each of the path's three demo people (`disclosure_world`).
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


# The disclosure path's three people (agencies.demo.PEOPLE keys): the school's safeguarding lead asks, children's
# social care's social worker answers, its designated manager approves (benchmarks/disclosure_path.py).
ASKER, ANSWERER, MANAGER = "school_dsl", "practitioner", "designated_manager"


def credentials(actor: Any, user: Any) -> dict[str, str]:
    """A random password and a fresh two-factor key for a demo person, which only this run knows: the servers run
    outside demo mode, where the published demo password and keys open nothing. The key replaces the person's
    devices (sign-in asks the first confirmed one). Benchmark set-up in a scratch database: no service changes
    another person's password, so it is set on the model."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from isp_portal.signin import device_register

    password, key_hex = secrets.token_urlsafe(24), secrets.token_hex(20)
    user.set_password(password)
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    device_register(actor=actor, user=user, key_hex=key_hex)
    return {"email": user.email, "password": password, "key_hex": key_hex}


def disclosure_world(cases: int) -> dict[str, Any]:
    """For the disclosure path: the three demo people (signed in by the harness with `credentials`), the two
    agencies, the purpose the protocol version they share permits first, and `cases` children recorded by
    children's social care, each with a case note (one per simulated user, so no two wait for the same entry's
    lock), made through the services. The demo partnership must be seeded."""
    from datetime import date

    from django.db import transaction

    from agencies.demo import AGENCIES, DEMO_AREAS, PEOPLE, demo_email
    from agencies.models import Agency, User
    from disclosures.services.checks import shared_version
    from isp_portal.policy import SystemActor
    from sharing.services import MinimumData, PossibleDuplicates, entry_record
    from sharing.services.children import child_create

    names = {spec["key"]: spec["name"] for spec in PEOPLE}
    people = {key: User.objects.get(email=demo_email(names[key])) for key in (ASKER, ANSWERER, MANAGER)}
    agencies = {spec["key"]: spec["name"] for spec in AGENCIES}
    council = Agency.objects.get(name=agencies["council"])
    school = Agency.objects.get(name=agencies["riverside"])
    version = shared_version(school, council)
    assert version is not None, "the demo school and children's social care share no protocol"
    social_worker = people[ANSWERER]
    made: list[tuple[int, int]] = []
    with transaction.atomic():
        for case in range(cases):
            data = MinimumData(
                born_on=date(2016, 1 + case % 12, 1 + case % 28), setting="school", area=DEMO_AREAS["Northbridge"]
            )
            considered: list[int] = []
            while True:
                try:
                    # No lead professional: the request goes to the designated managers (request_submit).
                    child = child_create(
                        actor=social_worker, agency=council, given="Bench", family=f"Pathworker {case:02d}",
                        data=data, service="Children's social care", address=f"{case + 1} Bench Road, Northbridge",
                        postcode="N1 9GU", considered=considered,
                    )  # fmt: skip
                    break
                except PossibleDuplicates as duplicates:  # another case's child: a different child
                    considered += [match.child_id for match in duplicates.matches]
            entry = entry_record(
                actor=social_worker, child=child, agency=council, category="case_note", fields={},
                text="The child was seen with a bruise; the mother's partner is known to the police.", basis="fact",
            )  # fmt: skip
            made.append((child.pk, entry.pk))
        actor = SystemActor("benchmark")
        users = {key: credentials(actor, person) for key, person in people.items()}
    return {
        "people": {key: person.pk for key, person in people.items()},
        "users": users,
        "council": council.pk,
        "school": school.pk,
        "purpose": version.permitted_purposes[0],
        "cases": made,
    }


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
    parser.add_argument(
        "--disclosures", type=int, default=0, help="the disclosure path's world, with this many children asked about"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()
    world = build(args.children)
    if args.disclosures:
        world["disclosures"] = disclosure_world(args.disclosures)
    # The last line of the output (seed_demo prints its own progress before it).
    sys.stdout.write("\n" + json.dumps(world) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
