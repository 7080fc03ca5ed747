"""A name correction follows its name to the child its entry was merged into (t13h F1): child_merge moves them from
now on; this moves those left on merged-away entries by merges made before. `merged_into` always names the
survivor (child_merge repoints earlier merges), so one statement moves each to where its name now is."""

from django.db import migrations

FORWARD = """
UPDATE sharing_childnamecorrection AS correction
   SET child_id = child.merged_into_id
  FROM sharing_child AS child
 WHERE correction.child_id = child.id AND child.merged_into_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [("sharing", "0015_child_name_correction")]

    # Not undone: which entry a correction was recorded on is in the child.update audit event and the merge's
    # `moved` list; moving it back would hide it from the record its name is on.
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
