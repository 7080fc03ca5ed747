"""One open involvement per agency's service whatever its capitals or spacing (issue 10, break10c finding 9).

Services are stored with their spacing tidied (sharing.rules.service_normalised) and the unique constraint is on
Lower(service). Existing rows are tidied first; of open involvements that become the same service of the same
agency for the same child, the earliest stays open and the others end today, saying why (the same end a merge of
two entries gives a duplicate: sharing.services.children.child_merge). Reversible: the old constraint comes back
(the tidied spacing and the ended duplicates stay, as they satisfy it).
"""

from __future__ import annotations

from typing import Any

import django.db.models.functions.text
from django.db import migrations, models
from django.utils import timezone


def tidy_services(apps: Any, schema_editor: Any) -> None:
    Involvement = apps.get_model("sharing", "Involvement")
    today = timezone.localdate()
    kept: dict[tuple[int, int, str], int] = {}
    for involvement in Involvement.objects.order_by("started_on", "id"):
        service = " ".join(involvement.service.split())
        changed = ["service"] if service != involvement.service else []
        involvement.service = service
        if involvement.ended_on is None:
            key = (involvement.child_id, involvement.agency_id, service.lower())
            if key in kept:
                involvement.ended_on = max(today, involvement.started_on)
                involvement.end_reason = f"A duplicate of involvement {kept[key]}, the same service, which stays open."
                changed += ["ended_on", "end_reason"]
            else:
                kept[key] = involvement.pk
        if changed:
            involvement.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0004_child_area_controlled_value"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="involvement",
            name="involvement_one_open_per_service",
        ),
        migrations.RunPython(tidy_services, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="involvement",
            constraint=models.UniqueConstraint(
                models.F("child"),
                models.F("agency"),
                django.db.models.functions.text.Lower("service"),
                condition=models.Q(("ended_on__isnull", True)),
                name="involvement_one_open_per_service",
            ),
        ),
        migrations.AddConstraint(
            model_name="involvement",
            constraint=models.CheckConstraint(
                condition=models.Q(("service__regex", "(^\\s|\\s$|\\s\\s|[\\t\\n\\r])"), _negated=True),
                name="involvement_service_spaced",
            ),
        ),
    ]
