"""An entry's revisions never change once saved (DESIGN 2.3: a correction creates a new revision and the old
one stays readable). PostgreSQL refuses UPDATE and DELETE on them, whatever the code above tries."""

from django.db import migrations

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION sharing_revision_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'entry revisions are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    "CREATE TRIGGER sharing_revision_no_change BEFORE UPDATE OR DELETE ON sharing_entryrevision "
    "FOR EACH ROW EXECUTE FUNCTION sharing_revision_immutable();",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS sharing_revision_no_change ON sharing_entryrevision;",
    "DROP FUNCTION IF EXISTS sharing_revision_immutable();",
]


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
