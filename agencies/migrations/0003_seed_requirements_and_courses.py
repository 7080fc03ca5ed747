"""Seed the signatory requirements (Southampton 18) and the recognised training courses."""

from django.db import migrations

from agencies.reference_data import ensure_reference_data


def seed(apps, schema_editor):
    ensure_reference_data(
        apps.get_model("agencies", "SignatoryRequirement"), apps.get_model("agencies", "TrainingCourse")
    )


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_registry_training_documents_checklist")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
