"""A dispute's follow-up request is about the child the record now holds (break13e F10; design Q14, design12 5.2).

A dispute about a declined request stays with that request's child when a merge moves the child's entries to the
kept child (a closed request never changes), so a "share" outcome made its follow-up about the merged-away child,
whose entries had moved: nobody could ever answer it. The follow-up is now made about the child the dispute's child
was merged into, when it was, so the composite foreign key dispute_follow_up_child (the follow-up's child is the
dispute's child) becomes a trigger of the same name allowing exactly that: the dispute's child, or the child it was
merged into. A later merge moves an open follow-up with the child's other open requests (disclosures.receivers),
which the foreign key refused."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION disclosures_dispute_follow_up_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about bigint;
BEGIN
    IF NEW.follow_up_request_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT child_id INTO about FROM disclosures_informationrequest WHERE id = NEW.follow_up_request_id;
    IF about IS DISTINCT FROM NEW.child_id
       AND about IS DISTINCT FROM (SELECT merged_into_id FROM sharing_child WHERE id = NEW.child_id) THEN
        RAISE EXCEPTION 'dispute_follow_up_child: dispute %''s follow-up request is about its child, or the child it '
            'was merged into', NEW.register_number USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
"""

FORWARD = [
    "ALTER TABLE disclosures_dispute DROP CONSTRAINT dispute_follow_up_child;",
    FUNCTION,
    "CREATE TRIGGER dispute_follow_up_child BEFORE INSERT OR UPDATE OF follow_up_request_id, child_id "
    "ON disclosures_dispute FOR EACH ROW EXECUTE FUNCTION disclosures_dispute_follow_up_child();",
]
REVERSE = [
    "DROP TRIGGER dispute_follow_up_child ON disclosures_dispute;",
    "DROP FUNCTION disclosures_dispute_follow_up_child();",
    "ALTER TABLE disclosures_dispute ADD CONSTRAINT dispute_follow_up_child FOREIGN KEY (follow_up_request_id, "
    "child_id) REFERENCES disclosures_informationrequest (id, child_id) ON UPDATE NO ACTION ON DELETE NO ACTION;",
]


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0018_after_disclosure_texts_erasable"), ("sharing", "0001_initial")]

    operations = [migrations.RunSQL("\n".join(FORWARD), "\n".join(REVERSE))]
