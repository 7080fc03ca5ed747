"""A closed request is final (0002_triggers), but for the child's erasure: the free text typed into a request about
the child (why the requester needs to know, why it was declined or withdrawn) names the child, where they live and
what they said, and is erased with the child's record (Southampton 6, 8; break11h finding 12). The trigger lets an
UPDATE of a closed request through only inside the erasure's transaction (the flag `isp_portal.erasing`, as
sharing/migrations/0007_child_retention.py) and only when those three texts become 'Erased.' (or stay empty) and
nothing else changes: its ids, dates, agencies, codes and state are kept."""

from django.db import migrations

TERMINAL = "('shared', 'declined', 'withdrawn', 'expired')"
TEXTS = "'need_to_know' - 'decline_detail' - 'withdraw_reason'"

FORWARDS = f"""
CREATE OR REPLACE FUNCTION disclosures_request_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state IN {TERMINAL} AND NEW IS DISTINCT FROM OLD THEN
        IF coalesce(current_setting('isp_portal.erasing', true), '') = 'on'
           AND NEW.need_to_know = 'Erased.'
           AND NEW.decline_detail IN ('', 'Erased.')
           AND NEW.withdraw_reason IN ('', 'Erased.')
           AND (to_jsonb(NEW) - {TEXTS}) = (to_jsonb(OLD) - {TEXTS}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'request % is %: a closed request is final', OLD.id, OLD.state
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""

BACKWARDS = f"""
CREATE OR REPLACE FUNCTION disclosures_request_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state IN {TERMINAL} AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'request % is %: a closed request is final', OLD.id, OLD.state
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0016_after_disclosure_erasable")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
