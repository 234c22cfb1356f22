"""Entries become HMACs under a key kept outside the database, and triggers refuse UPDATE and
DELETE on the audit tables.

Entries written before this migration carried an unkeyed SHA-256; they are signed afresh, in
order, with the active key (after checking the old chain still holds, so a chain already broken
is not laundered), before the triggers go on.
"""

import datetime as dt
import hashlib
import json

from django.db import migrations, models

from safetynet.audit.triggers import triggers_create, triggers_drop


def _old_canonical(e):
    body = {
        "seq": e.seq,
        "at": e.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": e.actor_id,
        "actor": e.actor,
        "actor_role": e.actor_role,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "purpose": e.purpose,
        "data": e.data,
        "prev_hash": e.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def resign(apps, schema_editor):
    from safetynet.audit.keys import keyring
    from safetynet.audit.services import GENESIS, _canonical

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditHead")
    if not Event.objects.exists():
        return
    ring = keyring()
    prev_old, prev_new = GENESIS, GENESIS
    for e in Event.objects.order_by("seq").iterator(chunk_size=5000):
        if e.prev_hash != prev_old or hashlib.sha256(_old_canonical(e)).hexdigest() != e.hash:
            raise RuntimeError(f"audit chain already broken at entry {e.seq}; refusing to re-sign it")
        prev_old = e.hash
        e.prev_hash, e.key_id = prev_new, ring.active
        e.hash = ring.sign(ring.active, _canonical(e))
        e.save(update_fields=["prev_hash", "key_id", "hash"])
        prev_new = e.hash
    Head.objects.filter(id=1).update(hash=prev_new)


def add_triggers(apps, schema_editor):
    triggers_create(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='key_id',
            field=models.CharField(default='', max_length=16, verbose_name='密钥编号'),
        ),
        migrations.RunPython(resign, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
