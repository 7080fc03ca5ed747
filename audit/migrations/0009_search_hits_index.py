"""The children a search returned, findable by child (issue 15: a child's access history lists every search hit).

A search records the ids of the children it returned in its event's detail (`child_ids`, sharing.selectors.children:
child.search) rather than one event per hit, so the history finds a child's hits by containment,
`detail->'child_ids' @> '[<id>]'`, which this GIN index (jsonb_path_ops, the smaller opclass that serves @>) answers
without reading the other searches. Partial: only search events carry hits. Built CONCURRENTLY would need a migration
outside a transaction; the table is append-only and the build is a one-off at deployment.

Named 0009 and depending on 0007 (issue 15 is built in parallel: 0008 is another part's; re-chained at merge)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS audit_event_search_hits ON audit_event "
    "USING gin ((detail -> 'child_ids') jsonb_path_ops) WHERE kind = 'child.search';"
)
DROP = "DROP INDEX IF EXISTS audit_event_search_hits;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_search_indexes")]

    operations = [migrations.RunSQL(CREATE, DROP)]
