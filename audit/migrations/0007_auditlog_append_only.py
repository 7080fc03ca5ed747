"""django-auditlog's change history (`auditlog_logentry`) is append-only too (issue 15; DESIGN 2.6).

The same triggers as migration 0002: PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the table, for every role
but a superuser session that skips ordinary triggers (session_replication_role = replica). Consequences, on purpose:

* `manage.py auditlogflush` (django-auditlog's own clean-up, with or without --before-date) is refused: the
  change history is kept for the audit data's retention period, never flushed.
* Anything that would make PostgreSQL rewrite a log entry is refused with it: deleting a user (the entry's actor
  is SET_NULL) or a content type (CASCADE). The portal deactivates people and never deletes them.
"""

from django.db import migrations

TRIGGERS = [
    "CREATE TRIGGER auditlog_logentry_no_update_delete BEFORE UPDATE OR DELETE ON auditlog_logentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    "CREATE TRIGGER auditlog_logentry_no_truncate BEFORE TRUNCATE ON auditlog_logentry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
]
DROP = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_update_delete ON auditlog_logentry;",
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_truncate ON auditlog_logentry;",
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_verification_anchor"),
        # The table's last schema change: the triggers go on the table as it stands.
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunSQL(TRIGGERS, DROP)]
