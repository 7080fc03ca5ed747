"""Rows for the children API (issue 10): the child index, involvements, entries and revisions.

The World's two agencies may share here (tests.sharing.fixtures.sharing_world): home's practitioner and designated
manager use the index for home, "other_agency" (a police officer) for the other agency; home's agency admin
does not practise, so the index does not exist for them (404 on a child, 403 on searching it); a partnership admin
sees a child's minimum data and merges, never content; an auditor sees an entry's revisions without content and
no child. "token" (register:read, people:read) reaches no child; "children_token" (children:write, records:write)
acts for home like its practitioners, but sees no restricted entry. Every child a row writes to is new, so each
principal's request meets the same state."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sharing.models import Child, RecordEntry
from sharing.services import MinimumData, child_create, entry_record
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.sharing.fixtures import PURPOSE, fresh, sharing_world

_serial = itertools.count(1)
READ = {"X-Purpose": PURPOSE}
LETTERS = "bcdfghjklmnpqrstvwxz"


def _word(number: int) -> str:
    """A made-up name word for `number` (no two numbers give names that sound alike on the same birthday)."""
    letters = ""
    while True:
        number, digit = divmod(number, len(LETTERS))
        letters += LETTERS[digit] + "a"
        if not number:
            return letters.capitalize()


def planted_child(world: World) -> Child:
    """A new child recorded by home's practitioner, born on a day of its own (so no likely match), with an
    address that began a year ago."""
    sharing_world(world)
    number = next(_serial)
    return child_create(
        actor=fresh(world.users["practitioner"]),
        agency=world.home,
        given="Matrix",
        family=_word(number),
        data=MinimumData(born_on=date(2012, 1, 1) + timedelta(days=number), area="E99000001"),  # Northbridge
        service="Children's social care",
        address="1 Matrix Road, Northbridge",
        postcode="N1 9GU",
        address_from=date.today() - timedelta(days=365),
    )


def closed_child(world: World) -> Child:
    """A new child, its record closed by a partnership admin (break11d finding 11: reopening it)."""
    from sharing.services.retention import child_close

    return child_close(
        actor=fresh(world.users["partnership_admin"]),
        child=planted_child(world),
        reason="Closed in error: the date of birth was wrong.",
    )


def reopen_kwargs(world: World) -> dict[str, Any]:
    """A new closed record for each principal's reopening, so each meets a closed record."""
    return {"pk": closed_child(world).pk}


def aggregate_setup(world: World) -> dict[str, Any]:
    """The index and today's snapshot of the counts (tests.cases.sharing.aggregate_setup)."""
    from tests.cases.sharing import aggregate_setup as taken

    return taken(world)


def reopen_body(world: World) -> dict[str, Any]:
    return {"reason": "Closed on a wrong date of birth: the young person is 17."}


def planted_entry(world: World, *, restricted: bool = False) -> RecordEntry:
    return entry_record(
        actor=fresh(world.users["practitioner"]),
        child=planted_child(world),
        agency=world.home,
        category="case_note",
        fields={},
        text="A case note",
        basis="fact",
        restricted=restricted,
    )


def child(world: World) -> dict[str, Any]:
    return {"pk": planted_child(world).pk}


def involvement(world: World) -> dict[str, Any]:
    return {"pk": planted_child(world).involvements.get().pk}


def entry(world: World) -> dict[str, Any]:
    return {"pk": planted_entry(world).pk}


def restricted_entry(world: World) -> dict[str, Any]:
    return {"pk": planted_entry(world, restricted=True).pk}


def new_child_body(world: World) -> dict[str, Any]:
    sharing_world(world)
    number = next(_serial)
    return {
        "agency": world.home.pk,
        "given": "Created",
        "family": _word(number),
        "born_on": (date(2010, 1, 1) + timedelta(days=number)).isoformat(),
        "service": "Early help",
    }


def search_body(world: World) -> dict[str, Any]:
    sharing_world(world)
    return {"name": "Matrix"}


def match_body(world: World) -> dict[str, Any]:
    sharing_world(world)
    return {"given": "Matrix", "family": "Ba", "born_on": "2012-01-02"}


def name_body(world: World) -> dict[str, Any]:
    return {"kind": "known_as", "given": "Mattie", "family": ""}


def address_body(world: World) -> dict[str, Any]:
    return {"address": "2 New Road, Northbridge", "postcode": "SW1A 1AA"}


def involvement_body(world: World) -> dict[str, Any]:
    return {"agency": world.home.pk, "service": f"Service {next(_serial)}"}


def entry_body(world: World) -> dict[str, Any]:
    return {"agency": world.home.pk, "category": "case_note", "text": "Seen at school", "basis": "fact"}


def revision_body(world: World) -> dict[str, Any]:
    return {"text": "Seen at school, with mum", "basis": "fact", "reason": "Mum was there too"}


def shielded(world: World) -> dict[str, Any]:
    """A new child shielded by home's practitioner."""
    from sharing.services import child_shield

    made = planted_child(world)
    child_shield(actor=fresh(world.users["practitioner"]), child=made, agency=world.home, reason="Fled abuse")
    return {"pk": made.pk}


def change_body(world: World) -> dict[str, Any]:
    return {"gender": "female", "languages": ["English", "Polish"]}


def shield_body(world: World) -> dict[str, Any]:
    return {"agency": world.home.pk, "reason": "The family fled abuse"}


def merge_body(world: World) -> dict[str, Any]:
    # The planted child's date of birth differs: the merge is confirmed (finding 15 of issue 10).
    return {"merge": planted_child(world).pk, "reason": "The same child, entered twice", "confirm": True}


def end_body(world: World) -> dict[str, Any]:
    return {"reason": "Case closed"}


# Who reaches a child, and who may change it (an involved agency: home).
INDEX_USERS = {"practitioner": 200, "designated_manager": 200, "other_agency": 200, "children_token": 200}
# Every member of a signatory agency that may share, auditors, and a token with children:read (or a scope implying it).
AGGREGATE_READERS = {**INDEX_USERS, "agency_admin": 200, "auditor": 200}
HOME_WRITERS = {"practitioner": 201, "designated_manager": 201, "children_token": 201}


def table(default: int, **overrides: int) -> dict[str, int]:
    """Everyone signed in gets `default` unless named; the suspended agency's admin too (no index for them), and
    the partnership admin without valid training: the training gate keeps the index from them (Buckinghamshire 4;
    sharing.policy.merges_index), so a child is out of their scope (404) and a search refused (403)."""
    overrides.setdefault("suspended", default)
    overrides.setdefault("untrained_partnership_admin", default)
    return api_signed_in(default, **overrides)


def write_table(default: int, **overrides: int) -> dict[str, int]:
    """A write: a token whose scopes do not reach it is refused for its scopes (403) before any id is looked up,
    whatever the id (issue 8: the token gate asks first, so nothing leaks about what exists)."""
    overrides.setdefault("token", 403)
    overrides.setdefault("people_token", 403)
    return table(default, **overrides)


CASES: list[Case] = [
    # --- The child index ----------------------------------------------------------------------------------------
    Case(
        "api-child-list",
        table(403, **HOME_WRITERS),
        method="post",
        data=new_child_body,
        json=True,
        headers=READ,
        note="adding a child (others: not their agency, or no index)",
        queries=20,  # with the savepoint around the child's INSERT (the NHS number's unique constraint)
    ),
    Case(
        "api-child-search",
        table(403, **INDEX_USERS, partnership_admin=200),
        method="post",
        data=search_body,
        json=True,
        headers=READ,
        queries=4,
    ),
    Case(
        "api-child-match",
        table(403, **INDEX_USERS, partnership_admin=200),
        method="post",
        data=match_body,
        json=True,
        headers=READ,
        queries=5,
    ),
    Case(
        "api-child-detail",
        table(404, **INDEX_USERS, partnership_admin=200),
        kwargs=child,
        headers=READ,
        queries=8,
    ),
    Case(
        "api-child-detail",
        write_table(
            404, practitioner=200, designated_manager=200, children_token=200, partnership_admin=403, other_agency=403
        ),
        method="patch",
        kwargs=child,
        data=change_body,
        json=True,
        note="an involved agency changes the fields sent",
        # +1 since the area became a controlled value: the child's area code is checked, the stored one included.
        queries=14,
    ),
    Case(
        "api-child-shield",
        write_table(
            404, practitioner=200, designated_manager=200, children_token=200, partnership_admin=403, other_agency=403
        ),
        method="post",
        kwargs=child,
        data=shield_body,
        json=True,
        note="an involved agency shields the child",
        queries=13,
    ),
    Case(
        "api-child-unshield",
        write_table(404, designated_manager=200, practitioner=403, children_token=403, partnership_admin=403),
        method="post",
        kwargs=shielded,
        data=end_body,
        json=True,
        note="a designated manager of the shielding agency, in person; the police do not reach the child",
        queries=10,
    ),
    Case(
        "api-child-names",
        write_table(404, **HOME_WRITERS, partnership_admin=403, other_agency=403),
        method="post",
        kwargs=child,
        data=name_body,
        json=True,
        note="an involved agency adds an alias",
        # The legal family name the alias's keys combine with; +1 (break10g finding 4): the child's row locked
        # and read afresh, so a name added while the child is merged is refused, not left on the duplicate.
        queries=12,
    ),
    Case(
        "api-child-addresses",
        write_table(404, **HOME_WRITERS, partnership_admin=403, other_agency=403),
        method="post",
        kwargs=child,
        data=address_body,
        json=True,
        queries=12,  # +1 (break10g finding 4): the child's row locked and read afresh (a merge under way)
    ),
    Case(
        "api-child-involvements",
        write_table(404, **HOME_WRITERS, partnership_admin=403, other_agency=403),
        method="post",
        kwargs=child,
        data=involvement_body,
        json=True,
        note="for home (another agency may not add home's)",
        # +1: involvement_add locks the child and checks the shield on the locked row; +1: it reads whom of the
        # other agencies involved to tell (none here, so no notice is written).
        queries=12,
    ),
    Case(
        "api-child-entries",
        write_table(404, **HOME_WRITERS, partnership_admin=403, other_agency=403),
        method="post",
        kwargs=child,
        data=entry_body,
        json=True,
        queries=12,  # +1 (break10g finding 4): the child's row locked and read afresh (a merge under way)
    ),
    # Reopening a closed record (break11d finding 11): whoever may close one, a partnership admin in person.
    Case(
        "api-child-reopen",
        write_table(
            404,
            practitioner=403,
            designated_manager=403,
            other_agency=403,
            children_token=403,
            partnership_admin=200,
        ),
        method="post",
        kwargs=reopen_kwargs,
        data=reopen_body,
        json=True,
        note="a closed record reopened, with a reason",
        # The token or session, the child (policy), then the service as on the page (sharing.services.retention
        # .child_reopen, with the reopening's row), with no message stored.
        queries=16,
    ),
    Case(
        "api-child-reopen",
        write_table(
            404,
            practitioner=403,
            designated_manager=403,
            other_agency=403,
            children_token=403,
            partnership_admin=400,
        ),
        method="post",
        kwargs=reopen_kwargs,
        data=lambda world: {"reason": "   "},
        json=True,
        note="no reason: 400 naming reason",
    ),
    Case(
        "api-child-merge",
        write_table(
            404,
            practitioner=403,
            designated_manager=403,
            other_agency=403,
            children_token=403,
            partnership_admin=200,
        ),
        method="post",
        kwargs=child,
        data=merge_body,
        json=True,
        # +1: the merged entry's open involvements, read to tell a shielding agency which agencies a merge brings
        # onto its shielded child (none here: neither entry is shielded, so no notice is sent).
        # +1 (issue 10, break10c): entries merged earlier into the merged one are repointed to the survivor.
        # +1 (issue 11, break11 finding 1): the duplicate's consent decisions, read to move them (none here).
        # +1 (issue 12): the duplicate's open requests follow the kept child (disclosures.receivers; none here).
        # -1 (break10g finding 5): both entries locked in one statement, in the order of their ids.
        # +1 (b13g): the duplicate's disputes, whatever their state, follow it to the kept child (none here).
        # +2 (t13h F1): the duplicate's name corrections read for `moved` and moved with its names (none here).
        queries=36,
    ),
    # --- Involvements -------------------------------------------------------------------------------------------
    Case(
        "api-involvement-end",
        write_table(
            404, practitioner=200, designated_manager=200, children_token=200, partnership_admin=403, other_agency=403
        ),
        method="post",
        kwargs=involvement,
        data=end_body,
        json=True,
        queries=9,
        note="home's involvement",
    ),
    # --- Entries ------------------------------------------------------------------------------------------------
    Case(
        "api-entry-detail",
        table(404, practitioner=200, designated_manager=200, children_token=200, auditor=200, other_agency=403),
        kwargs=entry,
        headers=READ,
        note="home's case note: content for home, held for the police, history without content for auditors",
        queries=5,
    ),
    Case(
        "api-entry-detail",
        table(404, auditor=200),
        kwargs=restricted_entry,
        headers=READ,
        note="a restricted entry exists only for authorised staff (none here) and auditors",
        queries=4,
    ),
    Case(
        "api-entry-revisions",
        table(404, practitioner=200, designated_manager=200, children_token=200, auditor=200, other_agency=403),
        kwargs=entry,
        headers=READ,
        queries=5,
    ),
    Case(
        "api-entry-revisions",
        write_table(404, **HOME_WRITERS, auditor=403, other_agency=403),
        method="post",
        kwargs=entry,
        data=revision_body,
        json=True,
        note="a correction by the recording agency",
        # +1 (issue 13): whether any agency received an older revision, so a correction is told (Southampton 9).
        queries=10,
    ),
    # --- The aggregate tier (issue 11) ---------------------------------------------------------------------------
    Case(
        "api-child-aggregate",
        table(403, **AGGREGATE_READERS),
        kwargs=aggregate_setup,
        data=lambda world: {"rows": "area", "columns": "gender"},
        # The token or session, the agencies' signatures, today's snapshot of the counts, the one grouped
        # statement over it, the audit event.
        queries=5,
    ),
    Case(
        "api-child-aggregate",
        table(403, **dict.fromkeys(AGGREGATE_READERS, 400)),
        kwargs=lambda world: sharing_world(world) and {},
        data=lambda world: {"rows": "gender", "columns": "gender"},
        note="the same dimension twice: 400 naming columns",
    ),
    # --- Leaving the scope and retention (issue 11; Southampton 8, 11): partnership admins only -------------------
    Case(
        "api-child-retention",
        table(403, partnership_admin=200),
        kwargs=lambda world: sharing_world(world) and {},
        note="index numbers, dates and rules of the records past the age scope, closed or erased",
        # The token or session, the sizes, the bounded rows (one UNION), the audit event.
        queries=4,
    ),
]
