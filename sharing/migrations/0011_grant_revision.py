"""Issue 12: a grant given by a disclosure opens exactly the revision disclosed (EntryGrant.revision) and names its
disclosure (EntryGrant.disclosure_id, no foreign key: disclosures sits above sharing). UNIQUE(id, entry) on
EntryRevision lets a row naming a revision and its entry hold, by a composite foreign key, that the revision is of
that entry: EntryGrant's here, the disclosures' entries later. Existing grants name no revision and keep opening
the latest one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0010_area_controlled_value"),
        ("sharing", "0010_child_closing_date"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="entrygrant",
            name="disclosure_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="entrygrant",
            name="revision",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="grants",
                to="sharing.entryrevision",
            ),
        ),
        migrations.AddConstraint(
            model_name="entrygrant",
            constraint=models.CheckConstraint(
                condition=models.Q(("disclosure_id__isnull", True), ("disclosure_id__gt", 0), _connector="OR"),
                name="entry_grant_disclosure_id_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="entryrevision",
            constraint=models.UniqueConstraint(fields=("id", "entry"), name="entry_revision_id_entry_unique"),
        ),
        migrations.RunSQL(
            "ALTER TABLE sharing_entrygrant ADD CONSTRAINT entry_grant_revision_of_entry "
            "FOREIGN KEY (revision_id, entry_id) REFERENCES sharing_entryrevision (id, entry_id) "
            "DEFERRABLE INITIALLY DEFERRED",
            "ALTER TABLE sharing_entrygrant DROP CONSTRAINT entry_grant_revision_of_entry",
        ),
    ]
