"""Issue 12: sanctions agreed after a breach (Haringey 6.6), read by agencies.policy.sharing_refusal so that a
suspension is enforced by the access policy, not just written down (DESIGN 2.5)."""

import datetime

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0010_area_controlled_value"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgencySanction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("sensitive_tier", "The detailed and sensitive tier"),
                            ("protocol", "The whole protocol"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "direction",
                    models.CharField(
                        choices=[("send", "Sending"), ("receive", "Receiving"), ("both", "Sending and receiving")],
                        max_length=16,
                    ),
                ),
                ("from_on", models.DateField()),
                ("until_on", models.DateField(blank=True, null=True)),
                ("reason", models.TextField(max_length=2000)),
                ("breach_reference", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="sanctions", to="agencies.agency"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["agency", "-from_on", "-id"],
                "indexes": [models.Index(fields=["agency", "from_on"], name="agency_sanction_agency_from")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("scope__in", ["sensitive_tier", "protocol"])),
                        name="agency_sanction_scope_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("direction__in", ["send", "receive", "both"])),
                        name="agency_sanction_direction_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("until_on__isnull", True), ("until_on__gt", models.F("from_on")), _connector="OR"
                        ),
                        name="agency_sanction_until_after_from",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True), name="agency_sanction_has_reason"
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("reason"), 2000
                        ),
                        name="agency_sanction_reason_length",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("from_on__isnull", True),
                            models.Q(
                                ("from_on__gte", datetime.date(2000, 1, 1)),
                                ("from_on__lte", datetime.date(2099, 12, 31)),
                            ),
                            _connector="OR",
                        ),
                        name="agency_sanction_from_on_plausible",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("until_on__isnull", True),
                            models.Q(
                                ("until_on__gte", datetime.date(2000, 1, 1)),
                                ("until_on__lte", datetime.date(2099, 12, 31)),
                            ),
                            _connector="OR",
                        ),
                        name="agency_sanction_until_on_plausible",
                    ),
                ],
            },
        ),
    ]
