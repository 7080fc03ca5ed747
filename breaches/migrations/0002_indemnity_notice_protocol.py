"""An indemnity notice names the protocol the information was shared under (Haringey 11.1), whose local-authority
signatory is the Council told; the Council is never either party (11.1(a)). No notice exists before this migration,
so the column is added NOT NULL."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0012_head_of_service"),
        ("breaches", "0001_breaches"),
        ("protocols", "0007_version_retention_bounded"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="indemnitynotice",
            name="protocol",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="indemnity_notices", to="protocols.protocol"
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="indemnitynotice",
            index=models.Index(fields=["contributor_agency", "sent_at"], name="indemnity_contributor_sent"),
        ),
        migrations.AddIndex(
            model_name="indemnitynotice",
            index=models.Index(fields=["suffering_agency", "sent_at"], name="indemnity_suffering_sent"),
        ),
        migrations.AddConstraint(
            model_name="indemnitynotice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("council_agency__isnull", True),
                    models.Q(
                        models.Q(("council_agency", models.F("suffering_agency")), _negated=True),
                        models.Q(("council_agency", models.F("contributor_agency")), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="indemnity_council_is_a_third_party",
            ),
        ),
    ]
