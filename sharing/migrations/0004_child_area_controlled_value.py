"""The child's free-text `area` becomes a foreign key to agencies.Area (issue 10; WYCPS area-based access).

agencies 0010 created an area for every text of this column (and refused the ones that map to no area or to
more than one); here each child is pointed at its area by the same normalised key. Reversible: the text comes
back as the area's name.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from agencies.rules import area_name_key


def map_children(apps: Any, schema_editor: Any) -> None:
    Area = apps.get_model("agencies", "Area")
    Child = apps.get_model("sharing", "Child")
    known = {area_name_key(area.name): area.code for area in Area.objects.all()}
    for value in Child.objects.exclude(area="").values_list("area", flat=True).distinct():
        # agencies 0010 made an area for every key; a missing one is a bug, and the KeyError says so.
        Child.objects.filter(area=value).update(area_ref_id=known[area_name_key(value)])


def restore_texts(apps: Any, schema_editor: Any) -> None:
    Area = apps.get_model("agencies", "Area")
    Child = apps.get_model("sharing", "Child")
    for area in Area.objects.all():
        Child.objects.filter(area_ref_id=area.code).update(area=area.name)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0010_area_controlled_value"),
        ("sharing", "0003_name_keys_carry_the_date_of_birth"),
    ]

    operations = [
        migrations.AddField(
            model_name="child",
            name="area_ref",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="agencies.area"
            ),
        ),
        migrations.RunPython(map_children, restore_texts),
        migrations.RemoveField(model_name="child", name="area"),
        migrations.RenameField(model_name="child", old_name="area_ref", new_name="area"),
        migrations.AlterField(
            model_name="child",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="agencies.area",
            ),
        ),
    ]
