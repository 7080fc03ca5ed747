"""Protocol versions never change once saved (Haringey 2.3: changes are agreed by report, so every change is a
new version). PostgreSQL refuses UPDATE and DELETE on them, whatever the code above tries."""

from django.db import migrations

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION protocols_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'protocol versions are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    "CREATE TRIGGER protocols_version_no_change BEFORE UPDATE OR DELETE ON protocols_protocolversion "
    "FOR EACH ROW EXECUTE FUNCTION protocols_version_immutable();",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS protocols_version_no_change ON protocols_protocolversion;",
    "DROP FUNCTION IF EXISTS protocols_version_immutable();",
]


class Migration(migrations.Migration):
    dependencies = [("protocols", "0001_initial")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
