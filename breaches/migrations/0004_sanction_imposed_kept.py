from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("breaches", "0003_hearings_stage_forward_and_sanction_direction"),
    ]

    operations = [
        # Haringey 6.6: a sanction drafted in deliberation may be removed before the decision
        # (breaches.services.hearings.hearing_sanction_remove); once the decision has imposed it, it stays.
        migrations.RunSQL(
            sql="""
CREATE FUNCTION breaches_sanction_imposed_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.imposed_at IS NOT NULL THEN
    RAISE EXCEPTION 'sanction decision %: imposed by the decision, it is never removed', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER breaches_sanction_imposed_kept BEFORE DELETE ON breaches_sanctiondecision
  FOR EACH ROW EXECUTE FUNCTION breaches_sanction_imposed_kept();
""",
            reverse_sql="""
DROP TRIGGER IF EXISTS breaches_sanction_imposed_kept ON breaches_sanctiondecision;
DROP FUNCTION IF EXISTS breaches_sanction_imposed_kept();
""",
        ),
    ]
