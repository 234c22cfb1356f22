"""ID numbers, phones and addresses encrypted at rest, with blind indexes for exact lookups.
Existing clear values are sealed here (core.fields.reseal_column); the unique constraint moves
to the index once it is filled."""

from django.db import migrations

import safetynet.core.fields


def seal_existing(apps, schema_editor):
    from safetynet.core.fields import reseal_column

    conn = schema_editor.connection
    reseal_column(table="registry_person", pk="id", column="id_number", purpose="registry.person.id_number",
                  index_column="id_number_index", kind="id", using=conn)
    reseal_column(table="registry_person", pk="id", column="phone", purpose="registry.person.phone",
                  index_column="phone_index", kind="phone", using=conn)
    reseal_column(table="registry_household", pk="id", column="address", purpose="registry.household.address",
                  using=conn)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0002_support_obligation'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='id_number_index',
            field=safetynet.core.fields.BlindIndexField(kind='id', source='id_number'),
        ),
        migrations.AddField(
            model_name='person',
            name='phone_index',
            field=safetynet.core.fields.BlindIndexField(db_index=True, kind='phone', source='phone'),
        ),
        migrations.AlterField(
            model_name='household',
            name='address',
            field=safetynet.core.fields.EncryptedCharField(blank=True, max_length=200, purpose='registry.household.address', verbose_name='住址'),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number',
            field=safetynet.core.fields.EncryptedCharField(index='id_number_index', max_length=18, purpose='registry.person.id_number', verbose_name='身份证号码'),
        ),
        migrations.AlterField(
            model_name='person',
            name='phone',
            field=safetynet.core.fields.EncryptedCharField(blank=True, index='phone_index', max_length=20, purpose='registry.person.phone', verbose_name='手机号'),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='person',
            name='id_number_index',
            field=safetynet.core.fields.BlindIndexField(kind='id', source='id_number', unique=True),
        ),
    ]
