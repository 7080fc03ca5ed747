"""API tokens get scopes (least privilege), a required expiry of at most a year, who revoked them and when
they were last used (issue 8, item 3). Tokens made before this keep working only as read-only tokens of the
register, expiring a year after they were made (or now, if older): their owners make new ones with the
scopes they need."""

import datetime

import django.contrib.postgres.fields
import django.db.models.deletion
import django.db.models.expressions
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def bound_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("agencies", "ApiToken")
    now = django.utils.timezone.now()
    for token in ApiToken.objects.all():
        token.scopes = ["register:read"]
        limit = token.created_at + datetime.timedelta(days=365)
        if token.expires_at is None or token.expires_at > limit:
            token.expires_at = max(limit, token.created_at + datetime.timedelta(seconds=1))
        if token.revoked_at is None and token.expires_at <= now:
            token.revoked_at = now
        token.save(update_fields=["scopes", "expires_at", "revoked_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0006_normalise_agency_phone_numbers"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.RemoveConstraint(
            model_name="apitoken",
            name="api_token_expires_after_creation",
        ),
        migrations.AddField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("register:read", "Read the register"),
                        ("people:read", "Read people"),
                        ("people:admin", "Administer people"),
                        ("training:write", "Record training"),
                        ("requests:write", "Raise and answer requests"),
                    ],
                    max_length=32,
                ),
                default=list,
                size=None,
            ),
        ),
        migrations.RunPython(bound_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("register:read", "Read the register"),
                        ("people:read", "Read people"),
                        ("people:admin", "Administer people"),
                        ("training:write", "Record training"),
                        ("requests:write", "Raise and answer requests"),
                    ],
                    max_length=32,
                ),
                size=None,
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(("expires_at__gt", models.F("created_at"))), name="api_token_expires_after_creation"
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "expires_at__lte",
                        django.db.models.expressions.CombinedExpression(
                            models.F("created_at"), "+", models.Value(datetime.timedelta(days=366))
                        ),
                    )
                ),
                name="api_token_expires_within_a_year",
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "scopes__contained_by",
                        ["register:read", "people:read", "people:admin", "training:write", "requests:write"],
                    ),
                    models.Q(("scopes", []), _negated=True),
                ),
                name="api_token_scopes_known",
            ),
        ),
    ]
