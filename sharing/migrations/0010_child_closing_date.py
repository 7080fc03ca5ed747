"""Break11 finding 11: a record past the age scope with nothing to keep it is not closed the day its lead
professionals are told to record a consent: it is closed on `closes_on`, a grace period later, unless an extending
condition or the young person's consent is recorded meanwhile; and the leads are told weeks ahead
(`scope_warned_on`, once) (Southampton 11; sharing.services.retention)."""

import datetime

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0010_area_controlled_value"),
        ("protocols", "0007_version_retention_bounded"),
        ("sharing", "0009_retention_dates_plausible"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="child",
            name="closes_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="child",
            name="scope_warned_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("closes_on__isnull", True),
                    models.Q(("closed_on__isnull", True), ("kept_under", ""), ("scope_flagged_on__isnull", False)),
                    _connector="OR",
                ),
                name="child_closing_date_only_when_pending",
            ),
        ),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("closes_on__isnull", True),
                    models.Q(
                        ("closes_on__gte", datetime.date(2000, 1, 1)), ("closes_on__lte", datetime.date(2099, 12, 31))
                    ),
                    _connector="OR",
                ),
                name="child_closes_on_plausible",
            ),
        ),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("scope_warned_on__isnull", True),
                    models.Q(
                        ("scope_warned_on__gte", datetime.date(2000, 1, 1)),
                        ("scope_warned_on__lte", datetime.date(2099, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="child_scope_warned_on_plausible",
            ),
        ),
    ]
