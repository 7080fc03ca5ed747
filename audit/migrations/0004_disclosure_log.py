"""The disclosure log (issue 12; DESIGN 2.6): a table of the audit store, append-only like the others (the triggers of
migration 0002, with the same function)."""

import django.contrib.postgres.fields
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_bounded_text_and_plausible_dates"),
    ]

    operations = [
        migrations.CreateModel(
            name="DisclosureLogEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("occurred_at", models.DateTimeField()),
                ("event_id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("made", "Made"),
                            ("reviewed", "Reviewed"),
                            ("escalated", "Escalated"),
                            ("revoked", "Revoked"),
                            ("retention_ended", "Retention ended"),
                        ],
                        max_length=16,
                    ),
                ),
                ("actor_id", models.BigIntegerField(null=True)),
                ("actor_label", models.CharField(blank=True, max_length=254)),
                ("outcome", models.CharField(blank=True, max_length=32)),
                ("disclosure_id", models.BigIntegerField()),
                ("request_id", models.BigIntegerField()),
                ("disclosure_kind", models.CharField(max_length=16)),
                ("child_id", models.BigIntegerField()),
                ("from_agency_id", models.BigIntegerField()),
                ("from_agency_label", models.CharField(max_length=200)),
                ("discloser_id", models.BigIntegerField()),
                ("discloser_label", models.CharField(max_length=254)),
                ("discloser_role", models.CharField(blank=True, max_length=200)),
                ("approver_id", models.BigIntegerField(null=True)),
                ("approver_label", models.CharField(blank=True, max_length=254)),
                ("requester_id", models.BigIntegerField()),
                ("requester_label", models.CharField(max_length=254)),
                ("to_agency_id", models.BigIntegerField()),
                ("to_agency_label", models.CharField(max_length=200)),
                ("recipients", models.JSONField(default=list)),
                (
                    "tiers",
                    django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=16), size=None),
                ),
                (
                    "categories",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=32), default=list, size=None
                    ),
                ),
                ("entries", models.JSONField(default=list)),
                ("purpose", models.TextField(max_length=2000)),
                ("legal_basis", models.CharField(max_length=32)),
                ("s29_form_reference", models.CharField(blank=True, max_length=64)),
                ("consent_record_id", models.BigIntegerField(null=True)),
                ("consent_basis", models.CharField(max_length=16)),
                ("not_sought_reason", models.CharField(blank=True, max_length=32)),
                ("override_ground", models.CharField(blank=True, max_length=32)),
                ("emergency_reason", models.CharField(blank=True, max_length=32)),
                ("subject_told", models.CharField(max_length=16)),
                ("retain_until", models.DateTimeField()),
                ("protocol_version_id", models.BigIntegerField()),
                ("protocol_version_label", models.CharField(max_length=200)),
                ("snapshot_sha256", models.CharField(max_length=64)),
                ("made_at", models.DateTimeField()),
            ],
            options={
                "db_table": "audit_disclosure_log",
                "indexes": [
                    models.Index(fields=["occurred_at"], name="audit_disclosure_log_at"),
                    models.Index(fields=["child_id", "occurred_at"], name="audit_disclosure_log_child"),
                    models.Index(fields=["from_agency_id", "occurred_at"], name="audit_disclosure_log_from"),
                    models.Index(fields=["legal_basis", "occurred_at"], name="audit_disclosure_log_basis"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("kind__in", ["made", "reviewed", "escalated", "revoked", "retention_ended"])
                        ),
                        name="audit_disclosure_log_kind_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("snapshot_sha256__regex", "^[0-9a-f]{64}$")),
                        name="audit_disclosure_log_sha256_hex",
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("purpose"), 2000
                        ),
                        name="audit_disclosure_log_purpose_length",
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            models.Func(models.F("tiers"), function="cardinality", output_field=models.IntegerField()),
                            2,
                        ),
                        name="audit_disclosure_log_tiers_items",
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            models.Func(
                                models.F("categories"), function="cardinality", output_field=models.IntegerField()
                            ),
                            50,
                        ),
                        name="audit_disclosure_log_categories_items",
                    ),
                ],
            },
        ),
        migrations.RunSQL(
            [
                "CREATE TRIGGER audit_disclosure_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_disclosure_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
                "CREATE TRIGGER audit_disclosure_log_no_truncate BEFORE TRUNCATE ON audit_disclosure_log "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
            ],
            [
                "DROP TRIGGER IF EXISTS audit_disclosure_log_no_update_delete ON audit_disclosure_log;",
                "DROP TRIGGER IF EXISTS audit_disclosure_log_no_truncate ON audit_disclosure_log;",
            ],
        ),
    ]
