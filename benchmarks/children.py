"""`python -m benchmarks.children --children 1000000`: fill a database's child index by bulk SQL (issue 10).

The child search and the child record must cost the same whatever the size of the index, so they are measured
against 1,000,000 children, far more than the services could create in a benchmark's time. This module writes
them with PostgreSQL's COPY instead: children with their legal names and aliases (previous and known-as names)
and every search key of each name, current and previous addresses, involvements of the agencies in the
database with their lead professionals, and record entries in every category with one or two revisions.

**The keys are the services' keys.** A search finds a child through `sharing_childnamekey` rows, so the rows
written here are computed by the same functions `sharing.services.children.name_add` calls
(`sharing.rules.name_index_keys` and `name_exact_key`), for a pool of names drawn once: keys depend only on
the name (the date of birth is a column of its own), so each name's keys are computed once and written for every
child that bears it. `tests/test_benchmarks.py` checks that generated children are found by `child_search`
exactly like children created through `child_create`.

Everything else is valid by the same rules: NHS numbers of the 999 test range with their check digit (the ones
already in the database skipped), postcodes normalised by `sharing.rules.postcode_normalised`, dates of birth in
the protocol's age scope, entry fields made by `sharing.demo.demo_fields` (checked by `entry_fields_cleaned` in
the test). The same seed and size give the same rows.

For speed on a large run (`generate`): the tables' secondary indexes and unique constraints are dropped before
the COPY and rebuilt after it (one sorted build each instead of millions of random inserts), foreign-key
triggers are skipped (`session_replication_role = replica`: the rows are consistent by construction, and the
CHECK constraints still apply), and the rows are built and copied by several processes, each for its own
chunks of children and its own id ranges. That skips the triggers keeping the aggregate tier's counts too
(sharing.models.counts), so they are counted again at the end (`count_again`, the statements of
`manage.py child_counts --rebuild`).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

SEED = 20261129
CHUNK = 10_000  # children per COPY batch; fixed, so the rows do not depend on the number of processes
# Id slots per child, so that every chunk knows its ids without asking the others (gaps are harmless).
NAMES_PER_CHILD = 3
KEYS_PER_CHILD = 200
ADDRESSES_PER_CHILD = 2
INVOLVEMENTS_PER_CHILD = 3
ENTRIES_PER_CHILD = 5
REVISIONS_PER_ENTRY = 2

# In the order their foreign keys need.
TABLES: dict[str, tuple[str, ...]] = {
    "sharing_child": (
        "id",
        "born_on",
        "gender",
        "ethnicity",
        "languages",
        "phone",
        "setting",
        "setting_name",
        "nhs_number",
        "area_id",
        "has_additional_needs",
        "is_care_leaver",
        "is_shielded",
        "created_at",
        "updated_at",
        "created_by_agency_id",
    ),
    "sharing_childname": ("id", "child_id", "kind", "given", "family", "exact_key", "recorded_at"),
    "sharing_childnamekey": ("id", "name_id", "child_id", "born_on", "key"),
    "sharing_childaddress": ("id", "child_id", "address", "postcode", "from_on", "to_on", "recorded_at"),
    "sharing_involvement": (
        "id",
        "child_id",
        "agency_id",
        "service",
        "lead_professional_id",
        "is_key_contact",
        "started_on",
        "end_reason",
        "recorded_at",
    ),
    "sharing_recordentry": (
        "id",
        "child_id",
        "agency_id",
        "category",
        "is_restricted",
        "revision_count",
        "created_at",
        "updated_at",
    ),
    "sharing_entryrevision": (
        "id",
        "entry_id",
        "number",
        "fields",
        "text",
        "basis",
        "is_restricted",
        "change_reason",
        "recorded_at",
    ),
}
SLOTS = {
    "sharing_child": 1,
    "sharing_childname": NAMES_PER_CHILD,
    "sharing_childnamekey": KEYS_PER_CHILD,
    "sharing_childaddress": ADDRESSES_PER_CHILD,
    "sharing_involvement": INVOLVEMENTS_PER_CHILD,
    "sharing_recordentry": ENTRIES_PER_CHILD,
    "sharing_entryrevision": ENTRIES_PER_CHILD * REVISIONS_PER_ENTRY,
}

# Invented names, with the spelling cases of issue 10 among them.
_GIVEN_STARTS = "Al Bel Cor Dar El Fin Gwen Hal Is Jas Kel Lor Mar Nor Or Per Quin Ros Sel Tam Ul Vel Wyn Xan Yor Zel"
_GIVEN_ENDS = "a ian ora ric wyn elle ton ard ina ius"
_FAMILY_STARTS = (
    "Ash Brack Copper Dun Elder Fern Gorse Heather Ink Kettle Lantern Moss Nettle Oak Pebble Quill Rook Salt "
    "Thistle Umber Willow Yarrow Briar Cinder Flint Hazel Marsh Reed Stone Thorn"
)
_FAMILY_ENDS = "worth by field mere wick dale ford hurst ley ton well more bridge wood combe gate holt stead brook hill"
SPELLING_CASES = (
    ("Aoife", "O\u2019Brien"),
    ("Ciarán", "O'Brien"),
    ("Łukasz", "Quillfeather"),
    ("Søren", "Thistledown"),
    ("Greta", "Strauß"),
    ("Jayden", "Smith-Jones"),
)
STREETS = ("Acorn Lane", "Beacon Road", "Cobble Street", "Dovecote Close", "Elm Row", "Fountain Walk", "Gull Way")
LANGUAGES = ("English", "Polish", "Urdu", "Somali", "Romanian", "Bengali", "Welsh", "Danish")
ETHNICITIES = ("white_british", "white_other", "asian_pakistani", "asian_indian", "black_african", "mixed_other")


@dataclass(frozen=True)
class PoolName:
    given: str
    family: str
    exact_key: str
    keys: tuple[str, ...]


def pool_name(given: str, family: str) -> PoolName:
    """A name with the keys `sharing.services.children.name_add` stores for it."""
    from sharing import rules

    given, family = given.strip(), family.strip()
    return PoolName(
        given, family, rules.name_exact_key(given, family), tuple(sorted(rules.name_index_keys(given, family)))
    )


@functools.lru_cache(maxsize=200_000)
def alias_keys(given: str, family: str, legal_family: str) -> tuple[str, ...]:
    """The keys `sharing.services.children.name_add` stores for a previous or known-as name of a child whose
    legal family name is `legal_family` (sharing.rules.alias_index_keys), cached: the pools repeat."""
    from sharing import rules

    return tuple(sorted(rules.alias_index_keys(given, family, legal_family)))


def name_pool(size: int, seed: int = SEED) -> list[PoolName]:
    """`size` distinct invented names (given, family; some families hyphenated), the spelling cases first."""
    rng = random.Random(seed)
    given = [start + end for start in _GIVEN_STARTS.split() for end in _GIVEN_ENDS.split()]
    family = [start + end for start in _FAMILY_STARTS.split() for end in _FAMILY_ENDS.split()]
    chosen: dict[tuple[str, str], None] = dict.fromkeys(SPELLING_CASES)
    while len(chosen) < size:
        surname = rng.choice(family)
        if rng.random() < 0.08:
            surname = f"{surname}-{rng.choice(family)}"
        elif rng.random() < 0.03:
            surname = f"O'{surname}"
        chosen.setdefault((rng.choice(given), surname), None)
    return [pool_name(g, f) for g, f in list(chosen)[:size]]


def postcode_pool(size: int, seed: int = SEED) -> list[str]:
    from sharing import rules

    rng = random.Random(seed + 1)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    found: dict[str, None] = {}
    while len(found) < size:
        raw = f"{rng.choice(('NB', 'EV', 'NR', 'WB'))}{rng.randint(1, 60)} {rng.randint(0, 9)}"
        found[rules.postcode_normalised(raw + rng.choice(letters) + rng.choice(letters))] = None
    return list(found)


def nhs_pool(taken: Iterable[str], limit: int) -> list[str]:
    """The first `limit` valid NHS numbers of the 999 test range not in `taken`, in order (there are about
    909,000)."""
    from sharing import rules

    used = set(taken)
    numbers = []
    for prefix in range(999_000_000, 1_000_000_000):
        first = str(prefix)
        check = rules.nhs_check_digit(first)
        if check is not None and f"{first}{check}" not in used:
            numbers.append(f"{first}{check}")
            if len(numbers) >= limit:
                break
    return numbers


def entry_pool(today: date, per_category: int = 40, seed: int = SEED) -> dict[str, list[tuple[str, str]]]:
    """For each category, valid structured fields (as JSON) and texts to draw entries from."""
    from sharing.demo import demo_fields
    from sharing.rules import Category

    rng = random.Random(seed + 2)
    pool: dict[str, list[tuple[str, str]]] = {}
    for category in Category:
        rows = []
        for _ in range(per_category):
            values, text = demo_fields(category, rng, today)
            rows.append((json.dumps(values), text or "Recorded for the benchmark."))
        pool[category.value] = rows
    return pool


@dataclass
class Plan:
    """What every chunk shares: where each table's ids start, today, the agencies and the pools."""

    seed: int
    today: date
    now: str
    bases: dict[str, int]
    # (agency id, service, lead professional membership ids)
    agencies: list[tuple[int, str, tuple[int, ...]]]
    names: list[PoolName]
    known_as: list[PoolName]
    postcodes: list[str]
    nhs_numbers: list[str]
    entries: dict[str, list[tuple[str, str]]]
    # The GSS code of each agency's area (agencies.Area), by the agencies' order; a child takes its recording
    # agency's, as child_create does for a child recorded without one. COPY's \N where the agency has none.
    areas: list[str] = field(default_factory=list)


SERVICES = ("Children's social care", "Public protection", "Health visiting", "Pastoral care", "Family support")


def make_plan(
    cursor: Any, children: int, *, seed: int = SEED, pool_size: int = 60_000, log: Callable[[str], None] = print
) -> Plan:
    """Read where the ids start, the agencies and their people, and the NHS numbers taken; build the pools."""
    from django.utils import timezone

    bases = {}
    for table in TABLES:
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        bases[table] = int(cursor.fetchone()[0])
    cursor.execute(
        "SELECT a.id, coalesce(array_agg(m.id ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL), '{}'), a.area_id "
        "FROM agencies_agency a LEFT JOIN agencies_membership m ON m.agency_id = a.id AND m.is_active "
        "GROUP BY a.id ORDER BY a.id"
    )
    rows = cursor.fetchall()
    agencies = [(row[0], SERVICES[index % len(SERVICES)], tuple(row[1])) for index, row in enumerate(rows)]
    areas = [row[2] or "\\N" for row in rows]
    if not agencies:
        raise RuntimeError("the database has no agencies: run seed_demo first")
    cursor.execute("SELECT nhs_number FROM sharing_child WHERE nhs_number LIKE '999%%'")
    taken = [row[0] for row in cursor.fetchall()]
    started = time.monotonic()
    names = name_pool(pool_size, seed)
    given = sorted({name.given for name in names})
    known_as = [pool_name(name[:4], "") for name in given]
    log(f"name pool: {len(names):,} names and their keys in {time.monotonic() - started:.1f}s")
    today = timezone.localdate()
    return Plan(
        seed=seed,
        today=today,
        now=timezone.now().isoformat(),
        bases=bases,
        agencies=agencies,
        names=names,
        known_as=known_as,
        postcodes=postcode_pool(max(pool_size // 2, 100), seed),
        nhs_numbers=nhs_pool(taken, children),
        entries=entry_pool(today, seed=seed),
        areas=areas,
    )


def _text(value: str) -> str:
    """A value in COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def chunk_rows(plan: Plan, start: int, stop: int) -> dict[str, list[str]]:
    """The rows (COPY text lines) of children `start` to `stop - 1` of the plan, for every table."""
    rng = random.Random(plan.seed * 1_000_003 + start)
    out: dict[str, list[str]] = {table: [] for table in TABLES}
    child_rows, name_rows, key_rows = out["sharing_child"], out["sharing_childname"], out["sharing_childnamekey"]
    address_rows, involvement_rows = out["sharing_childaddress"], out["sharing_involvement"]
    entry_rows, revision_rows = out["sharing_recordentry"], out["sharing_entryrevision"]
    b = plan.bases
    now, today = plan.now, plan.today
    categories = list(plan.entries)
    for number in range(start, stop):
        child_id = b["sharing_child"] + number
        if rng.random() < 0.03:
            years, leaver = rng.randint(20, 24), True
        else:
            years, leaver = rng.randint(0, 18), False
        born = today - timedelta(days=years * 365 + rng.randint(0, 364))
        born_text = born.isoformat()
        setting = "under_fives" if years < 5 else "school" if years < 16 else "college" if years < 19 else "none"
        setting_name = {"school": "Riverside Primary School", "college": "Northbridge College"}.get(setting, "")
        nhs = "\\N"
        if number % 8:
            position = number - number // 8 - 1
            if position < len(plan.nhs_numbers):
                nhs = plan.nhs_numbers[position]
        agency_index = rng.randrange(len(plan.agencies))
        area = plan.areas[agency_index] if plan.areas else "\\N"
        languages = "{" + ",".join(rng.sample(LANGUAGES, 1 if rng.random() < 0.8 else 2)) + "}"
        child_rows.append(
            f"{child_id}\t{born_text}\t{rng.choice(('female', 'male', 'another', 'not_known'))}\t"
            f"{rng.choice(ETHNICITIES)}\t{languages}\t\t{setting}\t{setting_name}\t{nhs}\t{area}\t"
            f"{'t' if rng.random() < 0.08 else 'f'}\t{'t' if leaver else 'f'}\tf\t{now}\t{now}\t"
            f"{plan.agencies[agency_index][0]}"
        )
        # Names: the legal one, and for some children a previous name or a name they are known by.
        names = [("legal", plan.names[rng.randrange(len(plan.names))])]
        if rng.random() < 0.1:
            names.append(("previous", plan.names[rng.randrange(len(plan.names))]))
        if rng.random() < 0.1:
            names.append(("known_as", plan.known_as[rng.randrange(len(plan.known_as))]))
        key_id = b["sharing_childnamekey"] + number * KEYS_PER_CHILD
        for slot, (kind, name) in enumerate(names):
            name_id = b["sharing_childname"] + number * NAMES_PER_CHILD + slot
            name_rows.append(
                f"{name_id}\t{child_id}\t{kind}\t{_text(name.given)}\t{_text(name.family)}\t"
                f"{_text(name.exact_key)}\t{now}"
            )
            for key in name.keys if kind == "legal" else alias_keys(name.given, name.family, names[0][1].family):
                key_rows.append(f"{key_id}\t{name_id}\t{child_id}\t{born_text}\t{_text(key)}")
                key_id += 1
        if key_id > b["sharing_childnamekey"] + (number + 1) * KEYS_PER_CHILD:
            raise RuntimeError("a child's names have more keys than KEYS_PER_CHILD")
        # The current address, and for some a previous one.
        moved = born + timedelta(days=rng.randint(0, max(0, (today - born).days)))
        address_id = b["sharing_childaddress"] + number * ADDRESSES_PER_CHILD
        street = f"{rng.randint(1, 200)} {rng.choice(STREETS)}, Northbridge"
        address_rows.append(
            f"{address_id}\t{child_id}\t{street}\t{rng.choice(plan.postcodes)}\t{moved.isoformat()}\t\\N\t{now}"
        )
        if moved > born and rng.random() < 0.25:
            address_rows.append(
                f"{address_id + 1}\t{child_id}\t{street}\t{rng.choice(plan.postcodes)}\t{born_text}\t"
                f"{(moved - timedelta(days=1)).isoformat()}\t{now}"
            )
        # Involvements: the recording agency, and often one or two more.
        involved = [agency_index]
        for _ in range(rng.choice((0, 1, 1, 2))):
            other = rng.randrange(len(plan.agencies))
            if other not in involved:
                involved.append(other)
        for slot, index in enumerate(involved):
            agency_id, service, leads = plan.agencies[index]
            lead = str(leads[rng.randrange(len(leads))]) if leads and rng.random() < 0.7 else "\\N"
            key_contact = "t" if lead != "\\N" and rng.random() < 0.3 else "f"
            started = born + timedelta(days=rng.randint(0, max(0, (today - born).days)))
            involvement_rows.append(
                f"{b['sharing_involvement'] + number * INVOLVEMENTS_PER_CHILD + slot}\t{child_id}\t{agency_id}\t"
                f"{_text(service)}\t{lead}\t{key_contact}\t{started.isoformat()}\t\t{now}"
            )
        # Entries by the involved agencies, in every category; a quarter corrected by a second revision.
        for slot in range(rng.choice((0, 1, 2, 2, 3, 4))):
            entry_id = b["sharing_recordentry"] + number * ENTRIES_PER_CHILD + slot
            category = categories[rng.randrange(len(categories))]
            restricted = category == "schedule_one" or rng.random() < 0.1
            revisions = 2 if rng.random() < 0.25 else 1
            flag = "t" if restricted else "f"
            entry_rows.append(
                f"{entry_id}\t{child_id}\t{plan.agencies[rng.choice(involved)][0]}\t{category}\t{flag}\t"
                f"{revisions}\t{now}\t{now}"
            )
            choices = plan.entries[category]
            for revision in range(1, revisions + 1):
                fields, text = choices[rng.randrange(len(choices))]
                reason = "Corrected after checking the case record." if revision > 1 else ""
                revision_id = b["sharing_entryrevision"] + (entry_id - b["sharing_recordentry"]) * 2 + revision - 1
                revision_rows.append(
                    f"{revision_id}\t{entry_id}\t{revision}\t{_text(fields)}\t{_text(text)}\t"
                    f"{'fact' if rng.random() < 0.7 else 'opinion'}\t{flag}\t{reason}\t{now}"
                )
    return out


def write_chunk(cursor: Any, plan: Plan, start: int, stop: int) -> dict[str, int]:
    """COPY children `start` to `stop - 1` through `cursor` (a psycopg2 cursor); return the rows per table."""
    counts = {}
    for table, rows in chunk_rows(plan, start, stop).items():
        if rows:
            buffer = io.StringIO("\n".join(rows) + "\n")
            cursor.copy_expert(f"COPY {table} ({', '.join(TABLES[table])}) FROM STDIN", buffer)
        counts[table] = len(rows)
    return counts


def finish(cursor: Any) -> None:
    """Move each table's id sequence past the ids written."""
    for table in TABLES:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")


def count_again(cursor: Any) -> None:
    """Count the aggregate tier's kept counts (sharing.models.counts) again, in one transaction of `cursor`'s
    connection (autocommit): the copy skipped the triggers that keep them."""
    from sharing.services.counts import REBUILD_STATEMENTS

    cursor.execute("BEGIN")
    for statement in REBUILD_STATEMENTS:
        cursor.execute(statement)
    cursor.execute("COMMIT")


# --- A large run: several processes, indexes rebuilt once ------------------------------------------------------

_PLAN: Plan | None = None
_URL = ""
_CONNECTION: Any = None


def _worker_chunk(bounds: tuple[int, int]) -> dict[str, int]:
    import psycopg2

    global _CONNECTION
    assert _PLAN is not None
    if _CONNECTION is None:
        _CONNECTION = psycopg2.connect(_URL)
        with _CONNECTION.cursor() as cursor:
            # Skip the foreign-key triggers: the rows are consistent by construction (CHECKs still apply).
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
    with _CONNECTION.cursor() as cursor:
        counts = write_chunk(cursor, _PLAN, *bounds)
    _CONNECTION.commit()
    return counts


def _drop_secondary_indexes(cursor: Any) -> list[str]:
    """Drop the big tables' unique constraints and indexes other than the primary keys; return how to rebuild.
    A unique constraint a foreign key refers to stays (e.g. entry_revision_id_entry_unique, which a grant's
    composite key to its revision needs: sharing/0011): dropping it would drop the foreign key too."""
    tables = list(TABLES)
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
        [tables],
    )
    constraints = cursor.fetchall()
    rebuild = [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in constraints]
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + rebuild


def generate(
    database_url: str,
    children: int,
    *,
    workers: int = 2,
    seed: int = SEED,
    pool_size: int = 60_000,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Add `children` children to the database at `database_url` (migrated, with agencies); return the figures:
    rows per table and seconds per phase."""
    import psycopg2

    from sharing.selectors.aggregate import KEPT_COUNTS

    global _PLAN, _URL
    started = time.monotonic()
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    figures: dict[str, Any] = {"children": children, "workers": workers}
    with connection.cursor() as cursor:
        plan = make_plan(cursor, children, seed=seed, pool_size=pool_size, log=log)
        figures["plan_seconds"] = round(time.monotonic() - started, 1)
        log(f"plan ready in {figures['plan_seconds']}s; dropping the secondary indexes")
        rebuild = _drop_secondary_indexes(cursor)
    _PLAN, _URL = plan, database_url
    chunks = [(start, min(start + CHUNK, children)) for start in range(0, children, CHUNK)]
    totals = dict.fromkeys(TABLES, 0)
    copying = time.monotonic()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for done, counts in enumerate(pool.imap_unordered(_worker_chunk, chunks), start=1):
                for table, count in counts.items():
                    totals[table] += count
                if done % 10 == 0 or done == len(chunks):
                    log(f"  {done * CHUNK:,} children copied ({time.monotonic() - copying:.0f}s)")
    finally:
        figures["copy_seconds"] = round(time.monotonic() - copying, 1)
        indexing = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for statement in rebuild:
                log(f"  rebuilding: {statement[:100]}")
                cursor.execute(statement)
            finish(cursor)
        figures["index_seconds"] = round(time.monotonic() - indexing, 1)
    counting = time.monotonic()
    with connection.cursor() as cursor:
        count_again(cursor)
    figures["count_seconds"] = round(time.monotonic() - counting, 1)
    analysing = time.monotonic()
    with connection.cursor() as cursor:
        for table in (*TABLES, *KEPT_COUNTS):
            cursor.execute(f"VACUUM ANALYZE {table}")
    figures["analyse_seconds"] = round(time.monotonic() - analysing, 1)
    connection.close()
    figures["rows"] = totals
    figures["seconds"] = round(time.monotonic() - started, 1)
    log(f"{children:,} children in {figures['seconds']}s: " + ", ".join(f"{t[8:]} {n:,}" for t, n in totals.items()))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.children", description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()
    figures = generate(args.database, args.children, workers=args.workers, seed=args.seed)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
