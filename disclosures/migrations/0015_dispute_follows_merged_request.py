"""A dispute follows its request's child when a merge moves the request (break13 F3; design12 5.2: a merge moves a
duplicate's open requests to the kept child). The composite foreign key dispute_request_child now cascades the
request's child_id to the disputes naming it, in the merge's own statement, and dispute_transition_allowed lets
exactly that change through - the child a dispute is about may change only to its request's child - while what was
raised otherwise never changes and a closed dispute is otherwise final (as migration 0008)."""

from importlib import import_module

from django.db import migrations

_0008 = import_module("disclosures.migrations.0008_dispute_triggers")
DISPUTE_TERMINAL = _0008.DISPUTE_TERMINAL
DISPUTE_PAIRS = _0008.DISPUTE_PAIRS
ESCALATION = _0008.ESCALATION
_row = _0008._row
RAISED = ", ".join(column.strip() for column in _0008.RAISED.split(",") if column.strip() != "child_id")

FUNCTION = f"""
CREATE OR REPLACE FUNCTION disclosures_dispute_transition_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unmoved disclosures_dispute;
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
    IF NEW.child_id IS DISTINCT FROM OLD.child_id AND (
        NEW.request_id IS NULL
        OR NEW.child_id IS DISTINCT FROM (SELECT child_id FROM disclosures_informationrequest WHERE id = NEW.request_id)
    ) THEN
        RAISE EXCEPTION 'dispute_transition_allowed: dispute % follows only its request''s child',
            OLD.register_number USING ERRCODE = 'insufficient_privilege';
    END IF;
    unmoved := NEW;
    unmoved.child_id := OLD.child_id;
    IF OLD.state IN {DISPUTE_TERMINAL} AND unmoved IS DISTINCT FROM OLD THEN
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
"""  # noqa: S608 - fixed table and column names

CASCADE = [
    "ALTER TABLE disclosures_dispute DROP CONSTRAINT dispute_request_child;",
    "ALTER TABLE disclosures_dispute ADD CONSTRAINT dispute_request_child FOREIGN KEY (request_id, child_id) "
    "REFERENCES disclosures_informationrequest (id, child_id) ON UPDATE CASCADE ON DELETE NO ACTION;",
]
NO_CASCADE = [
    "ALTER TABLE disclosures_dispute DROP CONSTRAINT dispute_request_child;",
    "ALTER TABLE disclosures_dispute ADD CONSTRAINT dispute_request_child FOREIGN KEY (request_id, child_id) "
    "REFERENCES disclosures_informationrequest (id, child_id) ON UPDATE NO ACTION ON DELETE NO ACTION;",
]


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0014_onward_decider_not_asker")]

    operations = [migrations.RunSQL([FUNCTION, *CASCADE], [_0008.FUNCTIONS[0], *NO_CASCADE])]
