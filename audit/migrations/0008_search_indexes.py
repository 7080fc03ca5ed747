"""The indexes of the auditors' search and exports (issue 15; oversight.filters, oversight.selectors.search): every
filter leads an index whose order is (occurred_at, id) or whose rows are few, so a page of 50 is found by walking an
index backwards from the cursor, never by sorting or skipping (OFFSET) millions of rows. docs/audit-retention.md says
which index each filter uses, with the plans on 10,000,000 generated events.

On `audit_event`:
* (occurred_at, id): the keyset order itself; a date range alone, and every filter without an index of its own.
* BRIN (occurred_at): a few pages of summary for the whole table, for range scans of whole months (the exports and
  the retention archive) that would otherwise fill the cache with the btree.
* (actor_agency_id, occurred_at, id): an agency's part of the trail (an agency's reader's scope, or `agency_id`).
* (kind varchar_pattern_ops, occurred_at): `action`, exact or a prefix ("disclosure."), whatever the collation.
* (occurred_at, id) WHERE outcome <> 'success': the denials and failures, a sliver of the trail.
(`actor_id` and `child_id` lead the indexes of migration 0001.)

On `audit_disclosure_log`: (to_agency_id, occurred_at) for what an agency received, and (discloser_id,
occurred_at) for a discloser (from_agency_id, child_id, legal_basis and occurred_at lead those of migration 0004).

Built CONCURRENTLY (outside a transaction: `atomic = False`), so a live portal keeps writing its events while they
build; IF NOT EXISTS, so a build interrupted and resumed completes (an interrupted CONCURRENTLY build leaves an INVALID
index: drop it and migrate again, as docs/audit-retention.md says). On an empty database, as in the tests, each takes
milliseconds. The indexes live in SQL rather than in the models' Meta because Django cannot say a BRIN of one column
next to a btree of the same, nor an operator class with a partial condition, without another migration per change;
the model state is unchanged, so makemigrations sees nothing to do."""

from django.db import migrations

INDEXES = {
    "audit_event_at_id": "audit_event (occurred_at, id)",
    "audit_event_at_brin": "audit_event USING brin (occurred_at) WITH (pages_per_range = 64)",
    "audit_event_agency_at": "audit_event (actor_agency_id, occurred_at, id) WHERE actor_agency_id IS NOT NULL",
    "audit_event_kind_at": "audit_event (kind varchar_pattern_ops, occurred_at)",
    "audit_event_not_success_at": "audit_event (occurred_at, id) WHERE outcome <> 'success'",
    "audit_disclosure_log_to_at": "audit_disclosure_log (to_agency_id, occurred_at)",
    "audit_disclosure_log_discloser_at": "audit_disclosure_log (discloser_id, occurred_at)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0007_auditlog_append_only")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition};",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name};",
        )
        for name, definition in INDEXES.items()
    ]
