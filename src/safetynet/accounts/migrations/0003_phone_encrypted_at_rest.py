"""A staff account's phone is sealed at rest (core.fields); existing clear values are sealed here."""

import safetynet.core.fields
from django.db import migrations


def seal_existing(apps, schema_editor):
    from safetynet.core.fields import reseal_column

    reseal_column(table="accounts_user", pk="id", column="phone", purpose="accounts.user.phone",
                  using=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_apitoken'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='phone',
            field=safetynet.core.fields.EncryptedCharField(blank=True, max_length=20, purpose='accounts.user.phone', verbose_name='手机号'),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
    ]
