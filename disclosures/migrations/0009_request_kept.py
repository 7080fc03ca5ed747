"""A request is never deleted, whatever its state (break12b F4).

0002_triggers made a closed request final against UPDATE only: a withdrawn or expired request (no answer row pins it
through a foreign key) could still be DELETEd, and with it the record that it was asked and not shared
(Buckinghamshire 5 reports expired and declined requests as not shared). An open request is refused too: it is as
much the record of who asked for what, when and why (DESIGN 2.6), nothing in the portal deletes one (every foreign
key to it is PROTECT, and a child's record is closed, never deleted), and a request that is no longer needed is
withdrawn, which keeps it. Its answer, entries and recipients were already append-only (0002_triggers). TRUNCATE is
refused as well. Only a superuser session with session_replication_role = replica skips this (the test suite
empties tables so between transactional tests).
"""

from django.db import migrations

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION disclosures_request_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'a request for information is kept: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    "CREATE TRIGGER request_kept BEFORE DELETE ON disclosures_informationrequest "
    "FOR EACH ROW EXECUTE FUNCTION disclosures_request_kept();",
    "CREATE TRIGGER request_kept_truncate BEFORE TRUNCATE ON disclosures_informationrequest "
    "FOR EACH STATEMENT EXECUTE FUNCTION disclosures_request_kept();",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS request_kept_truncate ON disclosures_informationrequest;",
    "DROP TRIGGER IF EXISTS request_kept ON disclosures_informationrequest;",
    "DROP FUNCTION IF EXISTS disclosures_request_kept();",
]


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0008_dispute_triggers")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
