"""Name keys carry their child's date of birth, so a search by name and date of birth reads only the keys of
children born that day; and pair keys (two units of a name) join the single ones (sharing.rules)."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sharing", "0002_entry_revisions_immutable")]

    operations = [
        migrations.AddField(model_name="childnamekey", name="born_on", field=models.DateField(null=True)),
        migrations.RunSQL(
            "UPDATE sharing_childnamekey k SET born_on = c.born_on FROM sharing_child c WHERE c.id = k.child_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(model_name="childnamekey", name="born_on", field=models.DateField()),
        migrations.AlterField(model_name="childnamekey", name="key", field=models.CharField(max_length=164)),
        migrations.RemoveIndex(model_name="childnamekey", name="child_name_key_lookup"),
        migrations.AddIndex(
            model_name="childnamekey",
            index=models.Index(fields=["key", "born_on", "name", "child"], name="child_name_key_lookup"),
        ),
        migrations.RemoveConstraint(model_name="childnamekey", name="child_name_key_kind"),
        migrations.AddConstraint(
            model_name="childnamekey",
            constraint=models.CheckConstraint(
                condition=models.Q(("key__regex", "^(t|p|i|tt|pp|ti|pi):.")), name="child_name_key_kind"
            ),
        ),
        migrations.AddConstraint(
            model_name="childnamekey",
            constraint=models.CheckConstraint(
                condition=models.Q(("born_on__isnull", True))
                | models.Q(("born_on__gte", datetime.date(1990, 1, 1)), ("born_on__lte", datetime.date(2099, 12, 31))),
                name="child_name_key_born_on_plausible",
            ),
        ),
    ]
