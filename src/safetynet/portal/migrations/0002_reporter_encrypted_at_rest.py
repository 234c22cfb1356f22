"""A complaint's reporter (name and phone) is sealed at rest (core.fields); existing clear values
are sealed here."""

import safetynet.core.fields
from django.db import migrations


def seal_existing(apps, schema_editor):
    from safetynet.core.fields import reseal_column

    for column in ("reporter_name", "reporter_phone"):
        reseal_column(table="portal_complaint", pk="id", column=column, purpose=f"portal.complaint.{column}",
                      using=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='complaint',
            name='reporter_name',
            field=safetynet.core.fields.EncryptedCharField(blank=True, max_length=64, purpose='portal.complaint.reporter_name', verbose_name='反映人姓名'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='reporter_phone',
            field=safetynet.core.fields.EncryptedCharField(blank=True, max_length=20, purpose='portal.complaint.reporter_phone', verbose_name='反映人电话'),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
    ]
