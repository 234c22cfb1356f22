"""Bank files and return files sealed at rest: each file's bytes copied into a sealed column,
then the clear column dropped."""

from django.db import migrations

import safetynet.core.fields


def seal_files(apps, schema_editor):
    from safetynet.core import crypto

    conn = schema_editor.connection
    qn = conn.ops.quote_name
    for table, purpose in (("payments_bankfile", "payments.bankfile.content"),
                           ("payments_returnfile", "payments.returnfile.content")):
        with conn.cursor() as cur:
            cur.execute(f"SELECT id, {qn('content')} FROM {qn(table)}")
            rows = [(crypto.seal_bytes(bytes(content), purpose=purpose), pk) for pk, content in cur.fetchall()]
            cur.executemany(f"UPDATE {qn(table)} SET {qn('sealed')} = %s WHERE id = %s", rows)


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_encrypted_at_rest'),
    ]

    operations = [
        migrations.AddField(
            model_name='bankfile', name='sealed',
            field=safetynet.core.fields.EncryptedBinaryField(null=True, purpose='payments.bankfile.content'),
        ),
        migrations.AddField(
            model_name='returnfile', name='sealed',
            field=safetynet.core.fields.EncryptedBinaryField(null=True, purpose='payments.returnfile.content'),
        ),
        migrations.RunPython(seal_files, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name='bankfile', name='content'),
        migrations.RemoveField(model_name='returnfile', name='content'),
        migrations.RenameField(model_name='bankfile', old_name='sealed', new_name='content'),
        migrations.RenameField(model_name='returnfile', old_name='sealed', new_name='content'),
        migrations.AlterField(
            model_name='bankfile', name='content',
            field=safetynet.core.fields.EncryptedBinaryField(purpose='payments.bankfile.content', verbose_name='内容'),
        ),
        migrations.AlterField(
            model_name='returnfile', name='content',
            field=safetynet.core.fields.EncryptedBinaryField(purpose='payments.returnfile.content', verbose_name='内容'),
        ),
    ]
