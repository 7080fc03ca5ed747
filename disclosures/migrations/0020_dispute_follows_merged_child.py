"""A dispute follows a merge to the kept child, whatever its state, while its request stays as it was made (issue
13; design12 5.2; DESIGN 2.3). A merge moves a duplicate's open requests to the kept child, and a dispute over one
moved with it (the composite foreign key dispute_request_child cascaded, migration 0015); a dispute over a closed
request - a decline, the usual case - stayed with the merged-away child, since a closed request never changes, so its
pages showed it on an entry that is no longer a record. The dispute's child is now the child its subject (request or
onward request) is about, or the child that child was merged into: "the child the record now holds". A foreign key
cannot say "or", so the composite keys dispute_request_child and dispute_onward_child become the trigger
dispute_child_follows_subject (on insert, and on any change of the child or the subject):

- dispute_child_follows_subject: the dispute's child is its subject's child when that child was not merged, and the
  child it was merged into when it was (sharing_child.merged_into names the survivor, never another merged-away
  entry: sharing.services.children.child_merge);
- dispute_transition_allowed: the child may change only to the child the old child was merged into (the merge marks
  the duplicate merged before its receivers run, so this is what disclosures.receivers.move_open_requests_on_merge
  does), even on a closed dispute; nothing else of what was raised ever changes, as migration 0015 (and the erasure
  of 0016/0018, kept as it was);
- dispute_follow_up_child: a follow-up request is about the dispute's child, or a child merged into it (a closed
  follow-up stays on the merged-away child, as every closed request does; migration 0019 allowed the other way
  round, a dispute left on the merged-away child).

The disputes already left on a merged-away child move to the child it was merged into, here."""

from importlib import import_module

from django.db import migrations

_0008 = import_module("disclosures.migrations.0008_dispute_triggers")
_0015 = import_module("disclosures.migrations.0015_dispute_follows_merged_request")
_0016 = import_module("disclosures.migrations.0016_after_disclosure_erasable")
_0018 = import_module("disclosures.migrations.0018_after_disclosure_texts_erasable")
_0019 = import_module("disclosures.migrations.0019_dispute_follow_up_survivor")

FOLLOWS_REQUEST = """    IF NEW.child_id IS DISTINCT FROM OLD.child_id AND (
        NEW.request_id IS NULL
        OR NEW.child_id IS DISTINCT FROM (SELECT child_id FROM disclosures_informationrequest WHERE id = NEW.request_id)
    ) THEN
        RAISE EXCEPTION 'dispute_transition_allowed: dispute % follows only its request''s child',
            OLD.register_number USING ERRCODE = 'insufficient_privilege';
    END IF;
"""
FOLLOWS_MERGE = """    IF NEW.child_id IS DISTINCT FROM OLD.child_id
       AND NEW.child_id IS DISTINCT FROM (SELECT merged_into_id FROM sharing_child WHERE id = OLD.child_id) THEN
        RAISE EXCEPTION 'dispute_transition_allowed: dispute % moves only to the child its child was merged into',
            OLD.register_number USING ERRCODE = 'insufficient_privilege';
    END IF;
"""
# A closed dispute that only moved (the check above it refuses any other change) is let through here: migration 0015
# went on to its state check, which refused "resolved to resolved", so a closed dispute could never move. Any other
# UPDATE of a closed dispute, even one changing nothing, is refused as before.
CLOSED_FINAL = """        RAISE EXCEPTION 'dispute_transition_allowed: dispute % is %: a closed dispute is final',
            OLD.register_number, OLD.state USING ERRCODE = 'insufficient_privilege';
    END IF;
"""
CLOSED_MOVED = f"""{CLOSED_FINAL}    IF OLD.state IN {_0008.DISPUTE_TERMINAL} AND NEW.child_id IS DISTINCT FROM OLD.child_id THEN
        RETURN NEW;
    END IF;
"""
if FOLLOWS_REQUEST not in _0015.FUNCTION or CLOSED_FINAL not in _0015.FUNCTION:
    raise RuntimeError("migration 0015's dispute_transition_allowed is not the one this migration amends")
TRANSITION = _0016._with_erasure(
    _0015.FUNCTION.replace(FOLLOWS_REQUEST, FOLLOWS_MERGE).replace(CLOSED_FINAL, CLOSED_MOVED),
    "disclosures_dispute",
    _0018.DISPUTE_COLUMNS,
)
TRANSITION_BEFORE = _0016._with_erasure(_0015.FUNCTION, "disclosures_dispute", _0018.DISPUTE_COLUMNS)

FOLLOWS_SUBJECT = """
CREATE OR REPLACE FUNCTION disclosures_dispute_child_follows_subject() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about bigint;
    now_held bigint;
BEGIN
    IF NEW.request_id IS NOT NULL THEN
        SELECT child_id INTO about FROM disclosures_informationrequest WHERE id = NEW.request_id;
    ELSE
        SELECT child_id INTO about FROM disclosures_onwardrequest WHERE id = NEW.onward_request_id;
    END IF;
    SELECT coalesce(merged_into_id, id) INTO now_held FROM sharing_child WHERE id = about;
    IF now_held IS NULL OR NEW.child_id IS DISTINCT FROM now_held THEN
        RAISE EXCEPTION 'dispute_child_follows_subject: dispute % is about the child its request is about, or the '
            'child that child was merged into (child %), not child %', NEW.register_number, now_held, NEW.child_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
"""  # noqa: S608 - fixed table and column names

FOLLOW_UP = """
CREATE OR REPLACE FUNCTION disclosures_dispute_follow_up_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about bigint;
BEGIN
    IF NEW.follow_up_request_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT child_id INTO about FROM disclosures_informationrequest WHERE id = NEW.follow_up_request_id;
    IF about IS DISTINCT FROM NEW.child_id
       AND NEW.child_id IS DISTINCT FROM (SELECT merged_into_id FROM sharing_child WHERE id = about) THEN
        RAISE EXCEPTION 'dispute_follow_up_child: dispute %''s follow-up request is about its child, or a child '
            'merged into it', NEW.register_number USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
"""

COMPOSITE_KEYS = [key for key in _0008.COMPOSITE_KEYS if key[1] in ("dispute_request_child", "dispute_onward_child")]
# The disputes left on a merged-away child (before this migration) follow it to the child it was merged into.
MOVE_LEFT_BEHIND = (
    "UPDATE disclosures_dispute d SET child_id = c.merged_into_id FROM sharing_child c "
    "WHERE c.id = d.child_id AND c.merged_into_id IS NOT NULL;"
)

FORWARD = [
    *(f"ALTER TABLE disclosures_dispute DROP CONSTRAINT {name};" for _table, name, *_ in COMPOSITE_KEYS),
    TRANSITION,
    FOLLOW_UP,
    MOVE_LEFT_BEHIND,
    FOLLOWS_SUBJECT,
    "CREATE TRIGGER dispute_child_follows_subject BEFORE INSERT OR UPDATE OF child_id, request_id, onward_request_id "
    "ON disclosures_dispute FOR EACH ROW EXECUTE FUNCTION disclosures_dispute_child_follows_subject();",
]
# Backwards: a dispute moved to a kept child cannot go back under the composite keys (its closed request stays on
# the merged-away child), so this reverses only a database where no dispute has moved.
REVERSE = [
    "DROP TRIGGER dispute_child_follows_subject ON disclosures_dispute;",
    "DROP FUNCTION disclosures_dispute_child_follows_subject();",
    _0019.FUNCTION,
    TRANSITION_BEFORE,
    "ALTER TABLE disclosures_dispute ADD CONSTRAINT dispute_request_child FOREIGN KEY (request_id, child_id) "
    "REFERENCES disclosures_informationrequest (id, child_id) ON UPDATE CASCADE ON DELETE NO ACTION;",
    "ALTER TABLE disclosures_dispute ADD CONSTRAINT dispute_onward_child FOREIGN KEY (onward_request_id, child_id) "
    "REFERENCES disclosures_onwardrequest (id, child_id) ON UPDATE NO ACTION ON DELETE NO ACTION;",
]


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0019_dispute_follow_up_survivor"), ("sharing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
