"""Agency phone numbers in E.164 (issue 8 item 15): numbers typed before were kept as typed. A number that
libphonenumber cannot read as a real one is left as it is, for its agency's admin to correct."""

from typing import Any

import phonenumbers
from django.db import migrations


def normalise(apps: Any, schema_editor: Any) -> None:
    Agency = apps.get_model("agencies", "Agency")
    for agency in Agency.objects.exclude(phone="").only("pk", "phone"):
        try:
            number = phonenumbers.parse(agency.phone, "GB")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 != agency.phone:
                Agency.objects.filter(pk=agency.pk).update(phone=e164)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0005_bounded_text_and_plausible_dates")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
