"""Every free-text column of this app about the child is erased with the child's record (Southampton 6, 8: "deleted
beyond recovery" at the end of the retention period; disclosures.services.erasure.ERASABLE_TEXTS, b13e). 0016 let
through the erasure of corrections', inaccuracy reports' and disputes' first texts; this migration does the same
for the rest, with the same sanctioned exception (the transaction-local flag `isp_portal.erasing`, set only by the
erasure): a dispute's outcome reason and withdrawal reason; its positions' notes, its advice, its case-file records
and its events' notes (append-only otherwise); an onward request's need to know, conditions, decline detail and
withdrawal reason (final once closed otherwise); a correction notice's action taken (written once otherwise); a
disclosure's and its answer's decision record and a disclosure event's note (immutable otherwise). Even then an
UPDATE goes through only when each of those texts stays as it was or becomes exactly 'Erased.' and nothing else
changes; every other UPDATE (and every DELETE) is refused as before, with the same message."""

from importlib import import_module

from django.db import migrations

_0004 = import_module("disclosures.migrations.0004_onward_triggers")
_0006 = import_module("disclosures.migrations.0006_correction_triggers")
_0016 = import_module("disclosures.migrations.0016_after_disclosure_erasable")

ERASING = _0016.ERASING

# A row trigger for the append-only and immutable tables: TG_ARGV[0] is the refusal ('append_only' or 'immutable',
# the messages of disclosures_append_only and disclosures_refuse_change), the rest the columns that may be erased.
TEXT_ERASABLE = f"""
CREATE OR REPLACE FUNCTION disclosures_text_erasable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    texts text[] := TG_ARGV[1:TG_NARGS - 1];
BEGIN
    IF TG_OP = 'UPDATE' AND {ERASING}
       AND (to_jsonb(NEW) - texts) = (to_jsonb(OLD) - texts)
       AND NOT EXISTS (
           SELECT 1 FROM unnest(texts) AS t(name)
           WHERE (to_jsonb(NEW) ->> t.name) IS DISTINCT FROM (to_jsonb(OLD) ->> t.name)
             AND (to_jsonb(NEW) ->> t.name) IS DISTINCT FROM 'Erased.'
       ) THEN
        RETURN NEW;
    END IF;
    IF TG_ARGV[0] = 'append_only' THEN
        RAISE EXCEPTION '%: rows are append-only: % refused', TG_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'made disclosures and answers are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""  # noqa: S608 - fixed table and column names
# (table, refusal, the function it had, the columns erased).
GENERIC = (
    ("disclosures_disputeposition", "append_only", "disclosures_append_only", ("note",)),
    ("disclosures_disputeadvice", "append_only", "disclosures_append_only", ("advice",)),
    ("disclosures_disputerecord", "append_only", "disclosures_append_only", ("process_followed", "reason", "impact")),
    ("disclosures_disputeevent", "append_only", "disclosures_append_only", ("note",)),
    ("disclosures_disclosureevent", "immutable", "disclosures_refuse_change", ("note",)),
    (
        "disclosures_requestanswer", "immutable", "disclosures_refuse_change",
        (
            "public_interest", "proportionality", "why_shared", "why_without_consent", "what_agreed", "third_parties",
            "subject_not_told_reason", "onward_terms",
        ),
    ),
    ("disclosures_disclosure", "immutable", "disclosures_refuse_change", ("subject_not_told_reason", "onward_terms")),
)  # fmt: skip


def _triggers(*, erasable: bool) -> list[str]:
    """Each table's row trigger pointed at disclosures_text_erasable (or, backwards, at the function it had)."""
    statements = []
    for table, refusal, old, columns in GENERIC:
        name = f"{table}_no_update_delete"
        call = "disclosures_text_erasable(" + ", ".join(f"'{v}'" for v in (refusal, *columns)) + ")"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table};",
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION "
            f"{call if erasable else old + '()'};",
        ]
    return statements


ONWARD_FUNCTION = _0004.FUNCTIONS[1]
NOTICE_FUNCTION = next(f for f in _0006.FUNCTIONS if "disclosures_correction_notice_ack_once()" in f)
DISPUTE_FUNCTION = _0016.DISPUTE_FUNCTION
ONWARD_COLUMNS = {"need_to_know": False, "conditions": True, "decline_detail": True, "withdraw_reason": True}
NOTICE_COLUMNS = {"action_taken": True}
DISPUTE_COLUMNS = {**_0016.DISPUTE_COLUMNS, "outcome_reason": True, "withdraw_reason": True}


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0017_request_erasure")]

    operations = [
        migrations.RunSQL(
            [
                TEXT_ERASABLE,
                *_triggers(erasable=True),
                _0016._with_erasure(ONWARD_FUNCTION, "disclosures_onwardrequest", ONWARD_COLUMNS),
                _0016._with_erasure(NOTICE_FUNCTION, "disclosures_correctionnotice", NOTICE_COLUMNS),
                _0016._with_erasure(DISPUTE_FUNCTION, "disclosures_dispute", DISPUTE_COLUMNS),
            ],
            [
                *_triggers(erasable=False),
                "DROP FUNCTION IF EXISTS disclosures_text_erasable();",
                ONWARD_FUNCTION,
                NOTICE_FUNCTION,
                _0016._with_erasure(DISPUTE_FUNCTION, "disclosures_dispute", _0016.DISPUTE_COLUMNS),
            ],
        )
    ]
