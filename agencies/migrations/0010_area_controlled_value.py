"""Local-authority areas become one controlled value (issue 10; WYCPS area-based access).

The agency's and the child's free-text `area` become foreign keys to `Area` (keyed by its ONS GSS code). The
distinct texts of both tables are normalised (agencies.rules.area_mapping: trimmed, case-folded, "London Borough
of X" / "X Council" / "X City Council" → X) and each becomes one area, with a placeholder code E99xxxxxx that no
real area has (the partnership admins may then set the real ones: docs/areas.md). A text naming no area or more
than one is refused, listing each with its row count, before anything changes. The child's column is mapped by
sharing 0004. Reversible: the texts come back as the areas' names.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

from agencies.rules import area_mapping, area_name_key, area_refusal_message

PLACEHOLDER_PREFIX = "E99"


def _counts(model: Any) -> dict[str, int]:
    return dict(model.objects.values_list("area").annotate(rows=Count("pk")).values_list("area", "rows"))


def create_areas(apps: Any, schema_editor: Any) -> None:
    Area = apps.get_model("agencies", "Area")
    Agency = apps.get_model("agencies", "Agency")
    Child = apps.get_model("sharing", "Child")
    counts: dict[str, int] = {}
    for model in (Agency, Child):
        for value, rows in _counts(model).items():
            counts[value] = counts.get(value, 0) + rows
    mapping = area_mapping(counts)
    if mapping.refused:
        raise RuntimeError(area_refusal_message(mapping.refused))
    known = {area_name_key(area.name): area.code for area in Area.objects.all()}
    used = [
        int(code[3:])
        for code in Area.objects.filter(code__startswith=PLACEHOLDER_PREFIX).values_list("code", flat=True)
    ]
    serial = max(used, default=0)
    for key, name in sorted(mapping.names.items()):
        if key not in known:
            serial += 1
            known[key] = Area.objects.create(code=f"{PLACEHOLDER_PREFIX}{serial:06d}", name=name).code
    for value, key in mapping.keys.items():
        Agency.objects.filter(area=value).update(area_ref_id=known[key])


def restore_texts(apps: Any, schema_editor: Any) -> None:
    Agency = apps.get_model("agencies", "Agency")
    for agency in Agency.objects.exclude(area_ref=None).select_related("area_ref"):
        Agency.objects.filter(pk=agency.pk).update(area=agency.area_ref.name)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0009_membership_auditor_not_admin"),
        ("sharing", "0003_name_keys_carry_the_date_of_birth"),
    ]

    operations = [
        migrations.CreateModel(
            name="Area",
            fields=[
                ("code", models.CharField(max_length=9, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(Lower("name"), name="area_name_unique_ci"),
                    models.CheckConstraint(condition=models.Q(code__regex="^[EWSN][0-9]{8}$"), name="area_code_gss"),
                    models.CheckConstraint(condition=models.Q(name="", _negated=True), name="area_name_not_empty"),
                ],
            },
        ),
        migrations.AddField(
            model_name="agency",
            name="area_ref",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agencies.area",
            ),
        ),
        migrations.RunPython(create_areas, restore_texts),
        migrations.RemoveField(model_name="agency", name="area"),
        migrations.RenameField(model_name="agency", old_name="area_ref", new_name="area"),
        migrations.AlterField(
            model_name="agency",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agencies",
                to="agencies.area",
            ),
        ),
    ]
