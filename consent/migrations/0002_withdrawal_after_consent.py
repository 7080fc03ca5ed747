"""A withdrawal is dated on or after the day its consent was obtained, and a withdrawal is never changed or
removed (DESIGN 2.4: withdrawal as a dated event). The first rule spans two tables, so a CHECK cannot hold it:
a trigger refuses the row instead, whatever the code above tries."""

from django.db import migrations

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION consent_withdrawal_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            RAISE EXCEPTION 'consent withdrawals are immutable: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.withdrawn_on < (SELECT obtained_on FROM consent_consentrecord WHERE id = NEW.consent_id) THEN
            RAISE EXCEPTION 'a consent cannot be withdrawn before it was obtained'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    "CREATE TRIGGER consent_withdrawal_checked BEFORE INSERT OR UPDATE OR DELETE ON consent_consentwithdrawal "
    "FOR EACH ROW EXECUTE FUNCTION consent_withdrawal_check();",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS consent_withdrawal_checked ON consent_consentwithdrawal;",
    "DROP FUNCTION IF EXISTS consent_withdrawal_check();",
]


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_consent_records")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
