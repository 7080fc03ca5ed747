"""The after-disclosure records stay immutable (0006, 0008, 0015) with one sanctioned exception, the same as entry
revisions' (sharing/migrations/0007) and consent withdrawals' (consent/migrations/0003): the erasure of a closed
record's content at the end of its retention period (Southampton 6, 8; sharing.services.retention.child_erase ->
disclosures.services.erasure.after_disclosure_erase, break13 F4). That path sets the transaction-local flag
`isp_portal.erasing`, and even then each trigger lets an UPDATE through only when it replaces the free text with
'Erased.' (or leaves a blank one blank) and changes nothing else: a correction's summary (of an entry whose child is
closed), an inaccuracy report's what-is-wrong, suggested correction and reject reason, a dispute's grounds and
impact so far."""

from importlib import import_module

from django.db import migrations

_0006 = import_module("disclosures.migrations.0006_correction_triggers")
_0015 = import_module("disclosures.migrations.0015_dispute_follows_merged_request")

ERASING = "coalesce(current_setting('isp_portal.erasing', true), '') = 'on'"


def _erased(column: str, *, blank: bool) -> str:
    allowed = "('Erased.', '')" if blank else "('Erased.')"
    return f"(NEW.{column} IS NOT DISTINCT FROM OLD.{column} OR NEW.{column} IN {allowed})"


def _erasure_branch(columns: dict[str, bool], extra: str = "TRUE") -> str:
    """An UPDATE, under the erasure flag, that changes only `columns`, each to 'Erased.' (or blank when it may be
    blank): returned as it is, before the trigger's own refusals."""
    copy = "\n".join(f"        kept.{column} := OLD.{column};" for column in columns)
    shapes = " AND ".join(_erased(column, blank=blank) for column, blank in columns.items())
    return f"""
    IF TG_OP = 'UPDATE' AND {ERASING} THEN
        kept := NEW;
{copy}
        IF kept IS NOT DISTINCT FROM OLD AND {shapes} AND {extra} THEN
            RETURN NEW;
        END IF;
    END IF;"""


CHILD_CLOSED = (
    "EXISTS (SELECT 1 FROM sharing_recordentry e JOIN sharing_child c ON c.id = e.child_id "
    "WHERE e.id = NEW.entry_id AND c.closed_on IS NOT NULL)"
)
CORRECTION = f"""
CREATE OR REPLACE FUNCTION disclosures_correction_erasable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept disclosures_correction;
BEGIN
    {_erasure_branch({"summary": False}, CHILD_CLOSED)}
    RAISE EXCEPTION '%: rows are append-only: % refused', TG_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""  # noqa: S608 - fixed table and column names
CORRECTION_TRIGGER = [
    "DROP TRIGGER IF EXISTS correction_no_update_delete ON disclosures_correction;",
    "CREATE TRIGGER correction_no_update_delete BEFORE UPDATE OR DELETE ON disclosures_correction "
    "FOR EACH ROW EXECUTE FUNCTION disclosures_correction_erasable();",
]
CORRECTION_BACK = [
    "DROP TRIGGER IF EXISTS correction_no_update_delete ON disclosures_correction;",
    "CREATE TRIGGER correction_no_update_delete BEFORE UPDATE OR DELETE ON disclosures_correction "
    "FOR EACH ROW EXECUTE FUNCTION disclosures_append_only();",
    "DROP FUNCTION IF EXISTS disclosures_correction_erasable();",
]


def _with_erasure(function: str, table: str, columns: dict[str, bool]) -> str:
    """`function` (a CREATE OR REPLACE of a row trigger on `table`) with the erasure branch first."""
    declare = f"    kept {table};\n"
    if "DECLARE\n" in function:
        function = function.replace("DECLARE\n", "DECLARE\n" + declare, 1)
    else:
        function = function.replace("BEGIN", "DECLARE\n" + declare + "BEGIN", 1)
    return function.replace("BEGIN", "BEGIN" + _erasure_branch(columns), 1)


REPORT_COLUMNS = {"what_is_wrong": False, "suggested_correction": True, "reject_reason": True}
DISPUTE_COLUMNS = {"grounds": False, "impact_so_far": True}
REPORT_FUNCTION = _0006.FUNCTIONS[-1]
DISPUTE_FUNCTION = _0015.FUNCTION


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0015_dispute_follows_merged_request")]

    operations = [
        migrations.RunSQL(
            [
                CORRECTION,
                *CORRECTION_TRIGGER,
                _with_erasure(REPORT_FUNCTION, "disclosures_inaccuracyreport", REPORT_COLUMNS),
                _with_erasure(DISPUTE_FUNCTION, "disclosures_dispute", DISPUTE_COLUMNS),
            ],
            [*CORRECTION_BACK, REPORT_FUNCTION, DISPUTE_FUNCTION],
        )
    ]
