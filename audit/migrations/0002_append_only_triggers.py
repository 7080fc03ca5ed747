"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the audit tables (DESIGN 2.6), for every role.

Only a superuser session that sets session_replication_role = replica (which skips ordinary triggers)
can get past them; the test suite does that to empty tables between transactional tests, and the
tamper test does it to prove audit_verify notices. Production connects as a non-superuser.
"""

from django.db import migrations

TABLES = ("audit_event", "audit_chain_link", "audit_seal")

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit tables are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def forwards_sql() -> list[str]:
    statements = [FUNCTION]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();"
        )
    return statements


def backwards_sql() -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    statements.append("DROP FUNCTION IF EXISTS audit_refuse_change();")
    return statements


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
