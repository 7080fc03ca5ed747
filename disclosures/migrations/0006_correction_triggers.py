"""What PostgreSQL holds about corrections, whatever the code above tries (issue 13; Southampton 9;
docs/after-disclosure-design.md 2.2, 3.2):

- a correction is a later revision (number > 1) of the originator's own entry, one per revision, and never changes
  (trigger correction_is_later_revision; append-only);
- a correction notice exists only for an agency that received the entry, through a disclosure made to it, at an
  older revision than the correction's (composite foreign keys to the disclosure and its DisclosureEntry; trigger
  correction_notice_older_revision), so an acknowledgement is only ever by an agency that received the entry;
- a notice is never deleted; it is updated once, only to acknowledge it, by an active member of its agency
  (trigger correction_notice_ack_once);
- an inaccuracy report starts open, is made by an agency that received the entry at that revision, about the originator's entry,
  and is final once answered (composite foreign keys; triggers inaccuracy_report_shape, inaccuracy_terminal_is_final).
"""

from django.db import migrations

# (table, name, columns, referenced table, referenced columns); each referenced column list is UNIQUE.
COMPOSITE_KEYS = (
    ("disclosures_correction", "correction_revision_of_entry", "revision_id, entry_id",
     "sharing_entryrevision", "id, entry_id"),
    ("disclosures_correctionnotice", "correction_notice_entry_is_corrections", "correction_id, entry_id",
     "disclosures_correction", "id, entry_id"),
    ("disclosures_correctionnotice", "correction_notice_agency_received", "via_disclosure_id, agency_id",
     "disclosures_disclosure", "id, to_agency_id"),
    ("disclosures_correctionnotice", "correction_notice_entry_received",
     "via_disclosure_id, entry_id, received_revision_id",
     "disclosures_disclosureentry", "disclosure_id, entry_id, revision_id"),
    ("disclosures_inaccuracyreport", "inaccuracy_reporter_received", "via_disclosure_id, reporter_agency_id",
     "disclosures_disclosure", "id, to_agency_id"),
    ("disclosures_inaccuracyreport", "inaccuracy_entry_received",
     "via_disclosure_id, entry_id, received_revision_id",
     "disclosures_disclosureentry", "disclosure_id, entry_id, revision_id"),
    ("disclosures_inaccuracyreport", "inaccuracy_correction_of_entry", "correction_id, entry_id",
     "disclosures_correction", "id, entry_id"),
)  # fmt: skip

NOTICE_FIXED = "correction_id, entry_id, agency_id, via_disclosure_id, received_revision_id, ack_due_on"
REPORT_FIXED = (
    "entry_id, via_disclosure_id, received_revision_id, reporter_id, reporter_agency_id, originator_agency_id, "
    "what_is_wrong, suggested_correction, submitted_at, due_on"
)


def _row(prefix: str, columns: str) -> str:
    return "(" + ", ".join(f"{prefix}.{column.strip()}" for column in columns.split(",")) + ")"


FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION disclosures_correction_is_later_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM sharing_entryrevision r JOIN sharing_recordentry e ON e.id = r.entry_id
            WHERE r.id = NEW.revision_id AND r.entry_id = NEW.entry_id AND r.number > 1
              AND e.agency_id = NEW.originator_agency_id
        ) THEN
            RAISE EXCEPTION 'correction_is_later_revision: revision % is not a later revision of agency %''s '
                'entry %', NEW.revision_id, NEW.originator_agency_id, NEW.entry_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_correction_notice_older_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM disclosures_correction c
            JOIN sharing_entryrevision corrected ON corrected.id = c.revision_id
            JOIN sharing_entryrevision received ON received.id = NEW.received_revision_id
            WHERE c.id = NEW.correction_id AND received.number < corrected.number
        ) THEN
            RAISE EXCEPTION 'correction_notice_older_revision: agency % received revision %, not older than '
                'correction %', NEW.agency_id, NEW.received_revision_id, NEW.correction_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_correction_notice_ack_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'correction_notice_ack_once: a correction notice is never deleted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.acknowledged_at IS NOT NULL THEN
            RAISE EXCEPTION 'correction_notice_ack_once: notice % is already acknowledged', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF {_row("NEW", NOTICE_FIXED)} IS DISTINCT FROM {_row("OLD", NOTICE_FIXED)} THEN
            RAISE EXCEPTION 'correction_notice_ack_once: only the acknowledgement of notice % is ever written', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.acknowledged_by_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM agencies_membership
            WHERE user_id = NEW.acknowledged_by_id AND agency_id = NEW.agency_id AND is_active
        ) THEN
            RAISE EXCEPTION 'correction_notice_ack_once: user % is not an active member of agency %, which the '
                'notice is for', NEW.acknowledged_by_id, NEW.agency_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,  # noqa: S608 - fixed table and column names
    """
    CREATE OR REPLACE FUNCTION disclosures_inaccuracy_report_shape() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.state <> 'open' THEN
            RAISE EXCEPTION 'inaccuracy_report_shape: a report starts open, not %', NEW.state
                USING ERRCODE = 'check_violation';
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM sharing_recordentry WHERE id = NEW.entry_id AND agency_id = NEW.originator_agency_id
        ) THEN
            RAISE EXCEPTION 'inaccuracy_report_shape: entry % is not agency %''s', NEW.entry_id,
                NEW.originator_agency_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_inaccuracy_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'inaccuracy_terminal_is_final: an inaccuracy report is never deleted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.state <> 'open' AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'inaccuracy_terminal_is_final: report % is %: an answered report is final', OLD.id,
                OLD.state USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF {_row("NEW", REPORT_FIXED)} IS DISTINCT FROM {_row("OLD", REPORT_FIXED)} THEN
            RAISE EXCEPTION 'inaccuracy_terminal_is_final: what report % says never changes', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
]

TRIGGERS = (
    ("correction_is_later_revision", "BEFORE INSERT", "disclosures_correction",
     "disclosures_correction_is_later_revision"),
    ("correction_no_update_delete", "BEFORE UPDATE OR DELETE", "disclosures_correction", "disclosures_append_only"),
    ("correction_notice_older_revision", "BEFORE INSERT", "disclosures_correctionnotice",
     "disclosures_correction_notice_older_revision"),
    ("correction_notice_ack_once", "BEFORE UPDATE OR DELETE", "disclosures_correctionnotice",
     "disclosures_correction_notice_ack_once"),
    ("inaccuracy_report_shape", "BEFORE INSERT", "disclosures_inaccuracyreport",
     "disclosures_inaccuracy_report_shape"),
    ("inaccuracy_terminal_is_final", "BEFORE UPDATE OR DELETE", "disclosures_inaccuracyreport",
     "disclosures_inaccuracy_terminal_is_final"),
)  # fmt: skip
STATEMENT_TRIGGERS = (
    ("correction_no_truncate", "disclosures_correction"),
    ("correction_notice_no_truncate", "disclosures_correctionnotice"),
)


def forwards_sql() -> list[str]:
    statements = list(FUNCTIONS)
    for name, when, table, function in TRIGGERS:
        statements.append(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();")
    for name, table in STATEMENT_TRIGGERS:
        statements.append(
            f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
            "disclosures_append_only();"
        )
    for table, name, columns, target, target_columns in COMPOSITE_KEYS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({columns}) "
            f"REFERENCES {target} ({target_columns}) ON UPDATE NO ACTION ON DELETE NO ACTION;"
        )
    return statements


def backwards_sql() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};" for table, name, *_ in COMPOSITE_KEYS]
    statements += [f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, table in STATEMENT_TRIGGERS]
    statements += [f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, _, table, _ in TRIGGERS]
    statements += [
        f"DROP FUNCTION IF EXISTS {function}();"
        for function in (
            "disclosures_inaccuracy_terminal_is_final",
            "disclosures_inaccuracy_report_shape",
            "disclosures_correction_notice_ack_once",
            "disclosures_correction_notice_older_revision",
            "disclosures_correction_is_later_revision",
        )
    ]
    return statements


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0005_corrections")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
