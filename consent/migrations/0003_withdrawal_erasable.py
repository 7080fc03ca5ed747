"""A withdrawal stays immutable (0002) with one sanctioned exception, the same as entry revisions'
(sharing/migrations/0007): the erasure of a closed record's content at the end of its retention period
(Southampton 6, 8; sharing.services.retention.child_erase, consent.services.consents_erase). That path sets the
transaction-local flag `isp_portal.erasing`, and even then the trigger lets an UPDATE through only when it replaces
the free-text reason with 'Erased.' (a withdrawal always has a reason: consent_withdrawal_has_reason) and changes
nothing else, of a consent whose child is closed. DELETE is refused always."""

from django.db import migrations

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION consent_withdrawal_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND coalesce(current_setting('isp_portal.erasing', true), '') = 'on'
           AND NEW.reason = 'Erased.'
           AND NEW.id = OLD.id AND NEW.consent_id = OLD.consent_id AND NEW.withdrawn_on = OLD.withdrawn_on
           AND NEW.recorded_by_id IS NOT DISTINCT FROM OLD.recorded_by_id
           AND NEW.recorded_by_agency_id IS NOT DISTINCT FROM OLD.recorded_by_agency_id
           AND NEW.recorded_at = OLD.recorded_at
           AND EXISTS (SELECT 1 FROM consent_consentrecord r JOIN sharing_child c ON c.id = r.child_id
                       WHERE r.id = NEW.consent_id AND c.closed_on IS NOT NULL)
        THEN
            RETURN NEW;
        END IF;
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
]
BACKWARDS = [
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
]


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_withdrawal_after_consent"), ("sharing", "0009_retention_dates_plausible")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
