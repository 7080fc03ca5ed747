"""What PostgreSQL holds about disputes, whatever the code above tries (issue 13; Southampton 13;
docs/after-disclosure-design.md 2.3, 3.3):

- a dispute is about its subject's child, between its subject's two agencies (composite foreign keys), and is on
  the register from its first row (register_number from a sequence, migration 0008);
- it starts at stage 1 and moves only along rules.DISPUTE_TRANSITIONS, its stage never goes back, a resolved or withdrawn dispute never
  changes, and what was raised (and an escalation, once made) never changes (trigger dispute_transition_allowed);
- it is never escalated early: for a passed deadline, the escalation is after stage 1's due day in the partnership's
  time zone; for differing positions, both line managers recorded positions that differ; stage 1 resolves only on
  two equal positions; stage 2 is resolved only after both sides' advice, by a stage-2 assignee of the responding
  side (trigger dispute_escalation_not_early);
- a position is by the person the stage went to for that side (composite foreign key to DisputeAssignee), at the
  dispute's current stage, and at stage 2 after that side's advice (trigger dispute_position_in_turn);
- advice is by that side's agency's Caldicott guardian or DPO, at stage 2 (trigger dispute_advice_by_adviser);
- a case-file record is by that side's agency, once the dispute has ended (trigger dispute_record_after_end);
- assignees, positions, advice, records and events are append-only; a dispute is never deleted.
"""

from django.db import migrations

# The partnership's time zone (settings.TIME_ZONE): a stage's due day is a local day.
PARTNERSHIP_TZ = "Europe/London"
DISPUTE_TERMINAL = "('resolved', 'withdrawn')"
# rules.DISPUTE_TRANSITIONS, as (from, to) pairs (tests/disclosures/test_after_constraints.py checks they agree).
DISPUTE_PAIRS = (
    "('stage_one','stage_one'), ('stage_one','stage_two'), ('stage_one','resolved'), ('stage_one','withdrawn'), "
    "('stage_two','stage_two'), ('stage_two','resolved'), ('stage_two','withdrawn')"
)
RAISED = (
    "register_number, subject_kind, request_id, onward_request_id, ground, child_id, raising_agency_id, "
    "responding_agency_id, raised_by_id, raising_practitioner_id, responding_practitioner_id, grounds, "
    "impact_so_far, opened_at, stage_one_due_on"
)
ESCALATION = "escalated_at, escalated_by_id, escalation_reason, stage_two_due_on"

APPEND_ONLY = (
    "disclosures_disputeassignee",
    "disclosures_disputeposition",
    "disclosures_disputeadvice",
    "disclosures_disputerecord",
    "disclosures_disputeevent",
)

# (table, name, columns, referenced table, referenced columns); each referenced column list is UNIQUE.
COMPOSITE_KEYS = (
    ("disclosures_dispute", "dispute_request_child", "request_id, child_id",
     "disclosures_informationrequest", "id, child_id"),
    ("disclosures_dispute", "dispute_onward_child", "onward_request_id, child_id",
     "disclosures_onwardrequest", "id, child_id"),
    ("disclosures_dispute", "dispute_request_sides", "request_id, raising_agency_id, responding_agency_id",
     "disclosures_informationrequest", "id, requester_agency_id, holding_agency_id"),
    ("disclosures_dispute", "dispute_onward_sides", "onward_request_id, raising_agency_id, responding_agency_id",
     "disclosures_onwardrequest", "id, from_agency_id, originator_agency_id"),
    ("disclosures_dispute", "dispute_follow_up_child", "follow_up_request_id, child_id",
     "disclosures_informationrequest", "id, child_id"),
    ("disclosures_disputeposition", "dispute_position_by_assignee", "dispute_id, stage, side, author_id",
     "disclosures_disputeassignee", "dispute_id, stage, side, user_id"),
)  # fmt: skip


def _row(prefix: str, columns: str) -> str:
    return "(" + ", ".join(f"{prefix}.{column.strip()}" for column in columns.split(",")) + ")"


FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION disclosures_dispute_transition_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'dispute_transition_allowed: a dispute is never deleted (it is on the register)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'INSERT' THEN
            IF NEW.state <> 'stage_one' OR NEW.stage <> 1 THEN
                RAISE EXCEPTION 'dispute_transition_allowed: a dispute starts at stage 1, not %', NEW.state
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF OLD.state IN {DISPUTE_TERMINAL} AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'dispute_transition_allowed: dispute % is %: a closed dispute is final',
                OLD.register_number, OLD.state USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (OLD.state, NEW.state) NOT IN ({DISPUTE_PAIRS}) THEN
            RAISE EXCEPTION 'dispute_transition_allowed: dispute % cannot move from % to %',
                OLD.register_number, OLD.state, NEW.state USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.stage < OLD.stage THEN
            RAISE EXCEPTION 'dispute_transition_allowed: dispute % cannot go back to stage %',
                OLD.register_number, NEW.stage USING ERRCODE = 'check_violation';
        END IF;
        IF {_row("NEW", RAISED)} IS DISTINCT FROM {_row("OLD", RAISED)} THEN
            RAISE EXCEPTION 'dispute_transition_allowed: what dispute % raised never changes', OLD.register_number
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (OLD.escalated_at IS NOT NULL AND {_row("NEW", ESCALATION)} IS DISTINCT FROM {_row("OLD", ESCALATION)})
           OR (OLD.referred_at IS NOT NULL AND NEW.referred_at IS DISTINCT FROM OLD.referred_at) THEN
            RAISE EXCEPTION 'dispute_transition_allowed: the escalation and referral of dispute % never change',
                OLD.register_number USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_dispute_escalation_not_early() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        positions integer;
        distinct_positions integer;
        outcomes integer;
    BEGIN
        IF OLD.state IN {DISPUTE_TERMINAL} THEN
            RETURN NEW;  -- dispute_transition_allowed refuses any change to a closed dispute
        END IF;
        IF OLD.state = 'stage_one' AND NEW.state = 'stage_two' THEN
            IF NEW.escalation_reason = 'deadline_passed'
               AND (NEW.escalated_at AT TIME ZONE '{PARTNERSHIP_TZ}')::date <= OLD.stage_one_due_on THEN
                RAISE EXCEPTION 'dispute_escalation_not_early: stage 1 of dispute % runs until %',
                    OLD.register_number, OLD.stage_one_due_on USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.escalation_reason = 'positions_differ' THEN
                SELECT count(*), count(DISTINCT position) INTO positions, distinct_positions
                FROM disclosures_disputeposition WHERE dispute_id = OLD.id AND stage = 1;
                IF positions <> 2 OR distinct_positions <> 2 THEN
                    RAISE EXCEPTION 'dispute_escalation_not_early: the stage 1 positions of dispute % do not differ',
                        OLD.register_number USING ERRCODE = 'check_violation';
                END IF;
            END IF;
        END IF;
        IF NEW.state = 'resolved' AND OLD.state <> 'resolved' THEN
            IF NEW.stage = 1 THEN
                SELECT count(*), count(*) FILTER (WHERE position = NEW.outcome) INTO positions, outcomes
                FROM disclosures_disputeposition WHERE dispute_id = OLD.id AND stage = 1;
                IF positions <> 2 OR outcomes <> 2 THEN
                    RAISE EXCEPTION 'dispute_escalation_not_early: stage 1 of dispute % resolves only when both line '
                        'managers agree on its outcome', OLD.register_number USING ERRCODE = 'check_violation';
                END IF;
            ELSE
                IF (SELECT count(*) FROM disclosures_disputeadvice WHERE dispute_id = OLD.id) <> 2 THEN
                    RAISE EXCEPTION 'dispute_escalation_not_early: dispute % is decided only after both sides'' '
                        'advice', OLD.register_number USING ERRCODE = 'check_violation';
                END IF;
                IF NOT EXISTS (
                    SELECT 1 FROM disclosures_disputeassignee
                    WHERE dispute_id = OLD.id AND stage = 2 AND side = 'responding' AND user_id = NEW.decided_by_id
                ) THEN
                    RAISE EXCEPTION 'dispute_escalation_not_early: user % is not a stage 2 assignee of the '
                        'responding side of dispute %', NEW.decided_by_id, OLD.register_number
                        USING ERRCODE = 'check_violation';
                END IF;
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$;
    """,  # noqa: S608 - fixed table and column names
    """
    CREATE OR REPLACE FUNCTION disclosures_dispute_position_in_turn() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM disclosures_dispute
            WHERE id = NEW.dispute_id AND stage = NEW.stage AND state IN ('stage_one', 'stage_two')
        ) THEN
            RAISE EXCEPTION 'dispute_position_in_turn: dispute % is not open at stage %', NEW.dispute_id, NEW.stage
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.stage = 2 AND NOT EXISTS (
            SELECT 1 FROM disclosures_disputeadvice WHERE dispute_id = NEW.dispute_id AND side = NEW.side
        ) THEN
            RAISE EXCEPTION 'dispute_position_in_turn: the % side of dispute % has no advice yet', NEW.side,
                NEW.dispute_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_dispute_advice_by_adviser() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM disclosures_dispute d JOIN agencies_membership m
              ON m.agency_id = CASE WHEN NEW.side = 'raising' THEN d.raising_agency_id ELSE d.responding_agency_id END
            WHERE d.id = NEW.dispute_id AND d.state = 'stage_two' AND m.user_id = NEW.adviser_id AND m.is_active
              AND CASE NEW.adviser_role WHEN 'caldicott_guardian' THEN m.is_caldicott_guardian
                                        ELSE m.is_data_protection_officer END
        ) THEN
            RAISE EXCEPTION 'dispute_advice_by_adviser: user % is not the % of the % side of dispute % at stage 2',
                NEW.adviser_id, NEW.adviser_role, NEW.side, NEW.dispute_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_dispute_record_after_end() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM disclosures_dispute
            WHERE id = NEW.dispute_id AND state IN {DISPUTE_TERMINAL}
              AND NEW.agency_id = CASE WHEN NEW.side = 'raising' THEN raising_agency_id ELSE responding_agency_id END
        ) THEN
            RAISE EXCEPTION 'dispute_record_after_end: dispute % has not ended, or agency % is not its % side',
                NEW.dispute_id, NEW.agency_id, NEW.side USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,  # noqa: S608 - fixed table and column names
]

TRIGGERS = (
    ("dispute_transition_allowed", "BEFORE INSERT OR UPDATE OR DELETE", "disclosures_dispute",
     "disclosures_dispute_transition_allowed"),
    ("dispute_escalation_not_early", "BEFORE UPDATE", "disclosures_dispute",
     "disclosures_dispute_escalation_not_early"),
    ("dispute_position_in_turn", "BEFORE INSERT", "disclosures_disputeposition",
     "disclosures_dispute_position_in_turn"),
    ("dispute_advice_by_adviser", "BEFORE INSERT", "disclosures_disputeadvice",
     "disclosures_dispute_advice_by_adviser"),
    ("dispute_record_after_end", "BEFORE INSERT", "disclosures_disputerecord",
     "disclosures_dispute_record_after_end"),
)  # fmt: skip


def forwards_sql() -> list[str]:
    statements = list(FUNCTIONS)
    for name, when, table, function in TRIGGERS:
        statements.append(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();")
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION disclosures_append_only();"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION disclosures_append_only();"
        )
    for table, name, columns, target, target_columns in COMPOSITE_KEYS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({columns}) "
            f"REFERENCES {target} ({target_columns}) ON UPDATE NO ACTION ON DELETE NO ACTION;"
        )
    return statements


def backwards_sql() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};" for table, name, *_ in COMPOSITE_KEYS]
    for table in APPEND_ONLY:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    statements += [f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, _, table, _ in TRIGGERS]
    statements += [
        f"DROP FUNCTION IF EXISTS {function}();"
        for function in (
            "disclosures_dispute_record_after_end",
            "disclosures_dispute_advice_by_adviser",
            "disclosures_dispute_position_in_turn",
            "disclosures_dispute_escalation_not_early",
            "disclosures_dispute_transition_allowed",
        )
    ]
    return statements


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0007_disputes")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
