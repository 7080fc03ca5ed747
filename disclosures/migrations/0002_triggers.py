"""What PostgreSQL holds about requests and disclosures, whatever the code above tries (DESIGN 2.3, 3.1; issue 12):

- a request that is shared, declined, withdrawn or expired never changes again (so never both shared and declined);
- an answer, its entries and recipients, and a disclosure, its entries, recipients and follow-up events are never
  updated or deleted (the pattern of audit/migrations/0002_append_only_triggers.py);
- a disclosure is inserted only for a request already shared;
- a disclosure's snapshot is never updated, and deleted only once its retention has ended (design12 F7);
- a disclosure's requester, discloser and approver are its request's, and a follow-up's discloser is its
  disclosure's: composite foreign keys (Django 5.2 has none), so the CHECKs that the approver is neither the
  requester nor the discloser, and that an emergency disclosure is reviewed by someone else, cannot be fooled by a
  forged copy; and a disclosure's answer is its request's answer.

Only a superuser session with session_replication_role = replica skips these triggers (the test suite does, to
empty tables between transactional tests).
"""

from django.db import migrations

TERMINAL = "('shared', 'declined', 'withdrawn', 'expired')"

IMMUTABLE_TABLES = (
    "disclosures_requestanswer",
    "disclosures_answerentry",
    "disclosures_answerrecipient",
    "disclosures_disclosure",
    "disclosures_disclosureentry",
    "disclosures_disclosurerecipient",
    "disclosures_disclosureevent",
)

# (table, name, columns, referenced table, referenced columns); the referenced columns are UNIQUE (the models'
# request_id_requester, request_id_answered_by, request_id_approver, answer_id_request, disclosure_id_discloser).
COMPOSITE_KEYS = (
    ("disclosures_disclosure", "disclosure_requester_is_requests", "request_id, requester_id",
     "disclosures_informationrequest", "id, requester_id"),
    ("disclosures_disclosure", "disclosure_discloser_answered", "request_id, discloser_id",
     "disclosures_informationrequest", "id, answered_by_id"),
    ("disclosures_disclosure", "disclosure_approver_is_requests", "request_id, approver_id",
     "disclosures_informationrequest", "id, approver_id"),
    ("disclosures_disclosure", "disclosure_answer_is_requests", "answer_id, request_id",
     "disclosures_requestanswer", "id, request_id"),
    ("disclosures_disclosureevent", "disclosure_event_discloser_is_disclosures", "disclosure_id, discloser_id",
     "disclosures_disclosure", "id, discloser_id"),
)  # fmt: skip

FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION disclosures_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'made disclosures and answers are immutable: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_request_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.state IN {TERMINAL} AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'request % is %: a closed request is final', OLD.id, OLD.state
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_needs_shared_request() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM disclosures_informationrequest WHERE id = NEW.request_id AND state = 'shared'
        ) THEN
            RAISE EXCEPTION 'request % is not shared: no disclosure is made for it', NEW.request_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_snapshot_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'a disclosure snapshot is immutable: UPDATE refused'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (
            SELECT 1 FROM disclosures_disclosure WHERE id = OLD.disclosure_id AND retain_until >= now()
        ) THEN
            RAISE EXCEPTION 'the snapshot of disclosure % is kept until its retention ends', OLD.disclosure_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END;
    $$;
    """,
]


def forwards_sql() -> list[str]:
    statements = list(FUNCTIONS)
    statements.append(
        "CREATE TRIGGER request_terminal_is_final BEFORE UPDATE ON disclosures_informationrequest "
        "FOR EACH ROW EXECUTE FUNCTION disclosures_request_terminal_is_final();"
    )
    for table in IMMUTABLE_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION disclosures_refuse_change();"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION disclosures_refuse_change();"
        )
    statements.append(
        "CREATE TRIGGER disclosure_needs_shared_request BEFORE INSERT ON disclosures_disclosure "
        "FOR EACH ROW EXECUTE FUNCTION disclosures_needs_shared_request();"
    )
    statements.append(
        "CREATE TRIGGER disclosure_snapshot_kept BEFORE UPDATE OR DELETE ON disclosures_disclosuresnapshot "
        "FOR EACH ROW EXECUTE FUNCTION disclosures_snapshot_kept();"
    )
    for table, name, columns, target, target_columns in COMPOSITE_KEYS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({columns}) "
            f"REFERENCES {target} ({target_columns}) ON UPDATE NO ACTION ON DELETE NO ACTION;"
        )
    return statements


def backwards_sql() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};" for table, name, *_ in COMPOSITE_KEYS]
    statements.append("DROP TRIGGER IF EXISTS disclosure_snapshot_kept ON disclosures_disclosuresnapshot;")
    statements.append("DROP TRIGGER IF EXISTS disclosure_needs_shared_request ON disclosures_disclosure;")
    for table in IMMUTABLE_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    statements.append("DROP TRIGGER IF EXISTS request_terminal_is_final ON disclosures_informationrequest;")
    for function in (
        "disclosures_snapshot_kept",
        "disclosures_needs_shared_request",
        "disclosures_request_terminal_is_final",
        "disclosures_refuse_change",
    ):
        statements.append(f"DROP FUNCTION IF EXISTS {function}();")
    return statements


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
