"""What PostgreSQL holds about onward disclosure, whatever the code above tries (issue 13; Southampton 10-11 and
18 item 13; docs/after-disclosure-design.md 2.1, 3.1):

- an onward request starts as requested and moves only along rules.ONWARD_TRANSITIONS, a closed one never changes, its terms never change
  once submitted and its decision never changes once made (trigger onward_transition_allowed);
- only an active designated manager of the originating agency decides it (trigger onward_decided_by_originator);
- it asks only for entries its agency received, at the revision received, and only the originator's (composite
  foreign keys to the parent's DisclosureEntry; trigger onward_entry_from_originator); its entries never change;
- its parent disclosure was received by the passing agency, about the same child (composite foreign keys);
- an onward disclosure is inserted only for an onward request already `disclosed` on a live agreement, one hop
  below a live parent, about the same child, retained no longer than the parent (trigger disclosure_onward_agreed),
  and carries exactly the entries and revisions agreed (trigger disclosure_entry_onward_agreed); its parent,
  passing and receiving agencies and approver are the onward request's own (composite foreign keys: the approver of
  an onward disclosure is the originator's decider).

So no code path writes an onward disclosure without the originator's recorded agreement. Errors name the trigger;
immutability is `insufficient_privilege`, a shape rule `check_violation` (as migration 0002).
"""

from django.db import migrations

ONWARD_TERMINAL = "('declined', 'withdrawn', 'expired', 'disclosed', 'lapsed')"
# rules.ONWARD_TRANSITIONS, as (from, to) pairs (tests/disclosures/test_after_constraints.py checks they agree).
ONWARD_PAIRS = (
    "('requested','agreed'), ('requested','declined'), ('requested','withdrawn'), ('requested','expired'), "
    "('requested','lapsed'), ('agreed','disclosed'), ('agreed','withdrawn'), ('agreed','lapsed')"
)
# The columns an onward request is submitted with: its terms never change.
TERMS = (
    "parent_disclosure_id, child_id, from_agency_id, originator_agency_id, to_agency_id, requester_id, purpose, "
    "need_to_know, tiers, categories, consent_basis, consent_id, not_sought_reason, override_ground, legal_basis, "
    "submitted_at, due_on"
)
DECISION = "decided_by_id, decided_at, conditions, decline_reason, decline_detail, agreement_until"


def _row(prefix: str, columns: str) -> str:
    return "(" + ", ".join(f"{prefix}.{column.strip()}" for column in columns.split(",")) + ")"


# (table, name, columns, referenced table, referenced columns); each referenced column list is UNIQUE.
COMPOSITE_KEYS = (
    ("disclosures_onwardrequest", "onward_parent_is_about_child", "parent_disclosure_id, child_id",
     "disclosures_disclosure", "id, child_id"),
    ("disclosures_onwardrequest", "onward_parent_received_by_from", "parent_disclosure_id, from_agency_id",
     "disclosures_disclosure", "id, to_agency_id"),
    ("disclosures_onwardrequestentry", "onward_entry_parent_is_requests", "onward_request_id, parent_disclosure_id",
     "disclosures_onwardrequest", "id, parent_disclosure_id"),
    ("disclosures_onwardrequestentry", "onward_entry_was_received", "parent_disclosure_id, entry_id, revision_id",
     "disclosures_disclosureentry", "disclosure_id, entry_id, revision_id"),
    ("disclosures_disclosure", "disclosure_onward_is_requests",
     "onward_request_id, parent_id, from_agency_id, to_agency_id",
     "disclosures_onwardrequest", "id, parent_disclosure_id, from_agency_id, to_agency_id"),
    ("disclosures_disclosure", "disclosure_onward_approver_decided", "onward_request_id, approver_id",
     "disclosures_onwardrequest", "id, decided_by_id"),
)  # fmt: skip

FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION disclosures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%: rows are append-only: % refused', TG_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    f"""
    CREATE OR REPLACE FUNCTION disclosures_onward_transition_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.state <> 'requested' THEN
                RAISE EXCEPTION 'onward_transition_allowed: an onward request starts as requested, not %', NEW.state
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF OLD.state IN {ONWARD_TERMINAL} AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'onward_transition_allowed: onward request % is %: a closed onward request is final',
                OLD.id, OLD.state USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.state <> OLD.state AND (OLD.state, NEW.state) NOT IN ({ONWARD_PAIRS}) THEN
            RAISE EXCEPTION 'onward_transition_allowed: onward request % cannot move from % to %',
                OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
        END IF;
        IF {_row("NEW", TERMS)} IS DISTINCT FROM {_row("OLD", TERMS)} THEN
            RAISE EXCEPTION 'onward_transition_allowed: the terms of onward request % never change', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.decided_by_id IS NOT NULL AND {_row("NEW", DECISION)} IS DISTINCT FROM {_row("OLD", DECISION)} THEN
            RAISE EXCEPTION 'onward_transition_allowed: onward request % is decided: the decision never changes',
                OLD.id USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_onward_decided_by_originator() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.decided_by_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM agencies_membership m
            WHERE m.user_id = NEW.decided_by_id AND m.agency_id = NEW.originator_agency_id AND m.is_active
              AND 'designated_manager' = ANY (m.roles)
        ) THEN
            RAISE EXCEPTION 'onward_decided_by_originator: user % is not a designated manager of agency %, the '
                'originator of onward request %', NEW.decided_by_id, NEW.originator_agency_id, NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_onward_entry_from_originator() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM sharing_recordentry e JOIN disclosures_onwardrequest o ON o.id = NEW.onward_request_id
            WHERE e.id = NEW.entry_id AND e.agency_id = o.originator_agency_id
        ) THEN
            RAISE EXCEPTION 'onward_entry_from_originator: entry % is not the originating agency''s entry of onward '
                'request %', NEW.entry_id, NEW.onward_request_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_onward_agreed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        onward disclosures_onwardrequest%ROWTYPE;
        parent disclosures_disclosure%ROWTYPE;
    BEGIN
        IF NEW.kind <> 'onward' THEN
            RETURN NEW;
        END IF;
        SELECT * INTO onward FROM disclosures_onwardrequest WHERE id = NEW.onward_request_id;
        IF NOT FOUND OR onward.state <> 'disclosed' THEN
            RAISE EXCEPTION 'disclosure_onward_agreed: onward request % is not disclosed: nothing is passed on '
                'without the originator''s agreement', NEW.onward_request_id USING ERRCODE = 'check_violation';
        END IF;
        IF onward.agreement_until IS NULL OR onward.agreement_until <= now() THEN
            RAISE EXCEPTION 'disclosure_onward_agreed: the agreement of onward request % is not live',
                NEW.onward_request_id USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO parent FROM disclosures_disclosure WHERE id = NEW.parent_id;
        IF NOT FOUND OR NEW.hop <> parent.hop + 1 OR NEW.child_id <> parent.child_id THEN
            RAISE EXCEPTION 'disclosure_onward_agreed: an onward disclosure is one hop below its parent %, about '
                'the same child', NEW.parent_id USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.retain_until > parent.retain_until THEN
            RAISE EXCEPTION 'disclosure_onward_agreed: an onward copy is never retained longer than its parent %',
                NEW.parent_id USING ERRCODE = 'check_violation';
        END IF;
        IF parent.retain_until <= now() OR EXISTS (
            SELECT 1 FROM disclosures_disclosureevent
            WHERE disclosure_id = parent.id AND kind IN ('revoked', 'retention_ended')
        ) THEN
            RAISE EXCEPTION 'disclosure_onward_agreed: parent disclosure % is revoked or past its retention',
                NEW.parent_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION disclosures_entry_onward_agreed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        agreed_request bigint;
    BEGIN
        SELECT onward_request_id INTO agreed_request FROM disclosures_disclosure WHERE id = NEW.disclosure_id;
        IF agreed_request IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM disclosures_onwardrequestentry
            WHERE onward_request_id = agreed_request AND entry_id = NEW.entry_id AND revision_id = NEW.revision_id
        ) THEN
            RAISE EXCEPTION 'disclosure_entry_onward_agreed: entry % at revision % was not agreed in onward '
                'request %', NEW.entry_id, NEW.revision_id, agreed_request USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$;
    """,
]

TRIGGERS = (
    ("onward_transition_allowed", "BEFORE INSERT OR UPDATE", "disclosures_onwardrequest",
     "disclosures_onward_transition_allowed"),
    ("onward_decided_by_originator", "BEFORE INSERT OR UPDATE OF decided_by_id", "disclosures_onwardrequest",
     "disclosures_onward_decided_by_originator"),
    ("onward_entry_from_originator", "BEFORE INSERT", "disclosures_onwardrequestentry",
     "disclosures_onward_entry_from_originator"),
    ("onward_entry_no_update_delete", "BEFORE UPDATE OR DELETE", "disclosures_onwardrequestentry",
     "disclosures_append_only"),
    ("disclosure_onward_agreed", "BEFORE INSERT", "disclosures_disclosure", "disclosures_onward_agreed"),
    ("disclosure_entry_onward_agreed", "BEFORE INSERT", "disclosures_disclosureentry",
     "disclosures_entry_onward_agreed"),
)  # fmt: skip
STATEMENT_TRIGGERS = (("onward_entry_no_truncate", "disclosures_onwardrequestentry"),)


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
            "disclosures_entry_onward_agreed",
            "disclosures_onward_agreed",
            "disclosures_onward_entry_from_originator",
            "disclosures_onward_decided_by_originator",
            "disclosures_onward_transition_allowed",
            "disclosures_append_only",
        )
    ]
    return statements


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0003_onward")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
