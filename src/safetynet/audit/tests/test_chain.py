"""The chain holds against someone who can write to the database but holds neither the key nor
the checkpoint storage: each rewrite attack is carried out on the test database (a copy) with
the triggers dropped, as a database administrator could, and verify names where it happened."""

import hashlib
import hmac
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from safetynet.audit import keys
from safetynet.audit.checkpoints import checkpoint_dir
from safetynet.audit.models import AuditEvent, AuditHead
from safetynet.audit.services import (
    GENESIS,
    _canonical,
    audit_checkpoint,
    audit_checkpoint_if_written,
    audit_key_rotate,
    audit_record,
    audit_verify,
)
from safetynet.audit.triggers import triggers_create, triggers_drop

TABLE = AuditEvent._meta.db_table
HEAD = AuditHead._meta.db_table
REFUSED = (IntegrityError, InternalError, ProgrammingError)


@pytest.fixture(autouse=True)
def own_key(settings, tmp_path):
    settings.SAFETYNET_AUDIT_KEY_FILE = tmp_path / "keys" / "audit.json"
    settings.SAFETYNET_AUDIT_KEYS = None
    yield
    keys.keyring_forget()


@pytest.fixture
def as_dba():
    """Lift the append-only triggers for the attack, as a database administrator could."""
    triggers_drop(connection)
    yield
    triggers_create(connection)


def _chain(n: int, action: str = "test.event") -> None:
    for i in range(n):
        audit_record(actor=None, action=action, target_type="x", target_id=i, data={"i": i, "名": "张三"})


def _rewrite_from(seq: int, sign) -> None:
    """Recompute prev_hash and hash of every entry from ``seq`` on with ``sign``, and move the
    head: what an attacker with the database alone can do."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS
    last = None
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        new_hash = sign(_canonical(event))
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, new_hash, event.seq])
        prev, last = new_hash, event.seq
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {HEAD} SET seq = %s, hash = %s WHERE id = 1", [last, prev])


@pytest.mark.django_db
def test_untouched_chain_verifies_against_its_checkpoint():
    _chain(5)
    cp = audit_checkpoint()
    result = audit_verify()
    assert result.ok, result.first_break
    assert result.checked == 5
    assert result.checkpoint == cp and cp.seq == 5
    assert {e.key_id for e in AuditEvent.objects.all()} == {keys.keyring().active}


@pytest.mark.django_db
def test_entries_are_hmacs_not_plain_hashes():
    _chain(1)
    event = AuditEvent.objects.get(seq=1)
    assert event.hash != hashlib.sha256(_canonical(event)).hexdigest()
    key = keys.keyring().key(event.key_id)
    assert event.hash == hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET purpose = 'x' WHERE seq = 1",
        f"DELETE FROM {TABLE} WHERE seq = 2",
        f"DELETE FROM {HEAD}",
        f"UPDATE {HEAD} SET seq = 1",
    ],
)
def test_the_database_refuses_rewriting_the_audit_tables(sql):
    _chain(2)
    with pytest.raises(REFUSED, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    assert AuditEvent.objects.filter(seq=1, purpose="").exists()
    assert AuditEvent.objects.count() == 2
    assert AuditHead.objects.get(id=1).seq == 2


@pytest.mark.django_db
def test_the_head_still_moves_forward_under_the_triggers():
    _chain(3)
    assert AuditHead.objects.get(id=1).seq == 3
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_row_edited_behind_the_apps_back_is_named_by_verify(as_dba):
    _chain(5)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET purpose = %s WHERE seq = 3", ["改了"])
    result = audit_verify()
    assert not result.ok
    assert result.first_break.seq == 3
    with pytest.raises(CommandError, match="第 3 条"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_truncation_with_the_head_moved_back_is_caught_by_the_checkpoint(as_dba):
    # given six entries and a checkpoint of the head
    _chain(6)
    audit_checkpoint()
    # when the last two are deleted and the head is moved back to entry 4
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq > 4")
        cur.execute(f"UPDATE {HEAD} SET seq = 4, hash = (SELECT hash FROM {TABLE} WHERE seq = 4) WHERE id = 1")
    # then the chain itself is consistent, but the checkpoint names what is missing
    result = audit_verify()
    assert not result.ok
    assert result.first_break.seq == 5
    assert "recorded entry 6" in result.first_break.reason
    with pytest.raises(CommandError, match="第 5 条"):
        call_command("audit", "verify")


@pytest.mark.django_db
@pytest.mark.parametrize("forger", ["plain sha256", "own key"])
def test_recomputing_the_chain_after_an_edit_is_caught(as_dba, forger):
    # given ten entries
    _chain(10)
    # when entry 4's data is edited and every hash from there on recomputed
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET data = %s WHERE seq = 4", [json.dumps({"i": 99})])
    attacker_key = b"k" * 32
    sign = {
        "plain sha256": lambda body: hashlib.sha256(body).hexdigest(),
        "own key": lambda body: hmac.new(attacker_key, body, hashlib.sha256).hexdigest(),
    }[forger]
    _rewrite_from(4, sign)
    # then verify names entry 4: without the key no recomputation holds
    result = audit_verify()
    assert result.first_break.seq == 4
    assert "HMAC" in result.first_break.reason


@pytest.mark.django_db
def test_deleting_a_view_full_entry_and_renumbering_is_caught(as_dba):
    # given a chain in which entry 3 records someone viewing a full record, and a checkpoint
    _chain(2)
    audit_record(actor=None, action="person.view_full", target_type="registry.person", target_id=7, purpose="查")
    _chain(4)
    audit_checkpoint()
    # when that entry is deleted, the ones after are renumbered and the chain recomputed
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE action = 'person.view_full'")
        for seq in range(4, 8):
            cur.execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])
    _rewrite_from(3, lambda body: hashlib.sha256(body).hexdigest())
    # then verify fails at entry 3
    result = audit_verify()
    assert not result.ok
    assert result.first_break.seq == 3
    assert not AuditEvent.objects.filter(action="person.view_full").exists()


@pytest.mark.django_db
def test_renumbering_without_recomputing_is_caught_even_without_checkpoint(as_dba):
    _chain(5)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
        for seq in range(3, 6):
            cur.execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])
        cur.execute(f"UPDATE {HEAD} SET seq = 4 WHERE id = 1")
    result = audit_verify()
    assert result.first_break.seq == 2


@pytest.mark.django_db
def test_a_forged_checkpoint_is_refused():
    _chain(3)
    cp = audit_checkpoint()
    doc = json.loads(cp.path.read_text())
    doc["seq"] = 2
    forged = checkpoint_dir() / "000000000002-forged.json"
    forged.write_text(json.dumps(doc))
    result = audit_verify()
    assert not result.ok
    assert "forged" in result.first_break.reason and "signature" in result.first_break.reason


@pytest.mark.django_db
def test_checkpoints_are_written_once_and_read_only():
    _chain(2)
    first = audit_checkpoint()
    assert audit_checkpoint() == first  # nothing new: no second file
    _chain(1)
    second = audit_checkpoint()
    assert second.seq == 3 and second.path != first.path
    assert sorted(p.name for p in checkpoint_dir().iterdir()) == sorted([first.path.name, second.path.name])
    assert first.path.stat().st_mode & 0o222 == 0


@pytest.mark.django_db
def test_a_batch_run_ends_with_a_checkpoint():
    audit_checkpoint_if_written()  # forget what earlier tests wrote in this process
    assert audit_checkpoint_if_written() is None
    _chain(2)
    cp = audit_checkpoint_if_written()
    assert cp is not None and cp.seq == 2


@pytest.mark.django_db
def test_rotating_the_key_keeps_old_entries_verifiable():
    # given entries signed with the first key
    _chain(3)
    old = keys.keyring().active
    # when the key is rotated and more entries follow
    event = audit_key_rotate(actor=None)
    _chain(2)
    # then the rotation is recorded, later entries carry the new key id, and all of it verifies
    new = keys.keyring().active
    assert new != old and event.data == {"old_key_id": old, "new_key_id": new}
    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == [old] * 3 + [new] * 3
    assert audit_verify().ok
    # and without the old key the old entries can no longer be vouched for
    keys.keyring_forget()
    ring = json.loads(keys._key_file().read_text())
    del ring["keys"][old]
    keys._key_file().write_text(json.dumps(ring))
    keys.keyring_forget()
    result = audit_verify()
    assert result.first_break.seq == 1 and "key ring" in result.first_break.reason


@pytest.mark.django_db
def test_verify_command_reports_the_checkpoint():
    _chain(2)
    audit_checkpoint()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "共 2 条" in out.getvalue() and "检查点" in out.getvalue()
