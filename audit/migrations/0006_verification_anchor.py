"""The verification anchors (issue 15): one row per run of the chain verification, append-only like the
other audit tables (the triggers of migration 0002)."""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_disclosure_log_lineage"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField()),
                (
                    "trigger",
                    models.CharField(
                        choices=[("beat", "The daily run"), ("command", "manage.py audit_verify")], max_length=16
                    ),
                ),
                ("ok", models.BooleanField()),
                ("head_seq", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("links_checked", models.BigIntegerField()),
                ("anchors_checked", models.IntegerField(default=0)),
                ("problem", models.TextField(blank=True, max_length=2000)),
                ("bad_seq", models.BigIntegerField(null=True)),
                ("bad_event_id", models.BigIntegerField(null=True)),
                ("mailed_to", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "audit_anchor",
                "indexes": [models.Index(fields=["finished_at"], name="audit_anchor_finished")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("head_hash__regex", "^[0-9a-f]{64}$")), name="audit_anchor_hash_hex"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("anchors_checked__gte", 0),
                            ("head_seq__gte", 0),
                            ("links_checked__gte", 0),
                            ("mailed_to__gte", 0),
                        ),
                        name="audit_anchor_counts_not_negative",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("finished_at__gte", models.F("started_at"))),
                        name="audit_anchor_finished_after_start",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("ok", True), ("problem", "")),
                            models.Q(("ok", False), models.Q(("problem", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="audit_anchor_ok_or_problem",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("trigger__in", ["beat", "command"])), name="audit_anchor_trigger_known"
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("problem"), 2000
                        ),
                        name="audit_anchor_problem_length",
                    ),
                ],
            },
        ),
        migrations.RunSQL(
            [
                "CREATE TRIGGER audit_anchor_no_update_delete BEFORE UPDATE OR DELETE ON audit_anchor "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
                "CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
            ],
            [
                "DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON audit_anchor;",
                "DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON audit_anchor;",
            ],
        ),
    ]
