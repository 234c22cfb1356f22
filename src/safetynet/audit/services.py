"""The audit log's only writer (``audit_record``), its checkpoints and its checker (``audit_verify``).

Each entry's ``hash`` is an HMAC-SHA256, under a key kept outside the database (``audit.keys``),
of every other field including the previous entry's hash and the signing key's id. The head is
exported now and then as a signed checkpoint file (``audit.checkpoints``), and verification
compares the chain with every checkpoint, so neither recomputing the chain nor cutting its end
goes unseen by someone who holds only the database.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from safetynet.audit.checkpoints import Checkpoint, checkpoint_write, checkpoints_read
from safetynet.audit.keys import KeyRing, keyring, keyring_rotate
from safetynet.audit.models import AuditEvent, AuditHead
from safetynet.core.crypto import data_ring_rotate
from safetynet.core.fields import reseal_all

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "purpose": event.purpose,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "key_id": event.key_id,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent, ring: KeyRing | None = None) -> str | None:
    """The entry's HMAC under the key it names, or ``None`` when that key is not in the ring."""
    ring = ring or keyring()
    if ring.key(event.key_id) is None:
        return None
    return ring.sign(event.key_id, _canonical(event))


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database keeps.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str, sort_keys=True))


# When this process last wrote a checkpoint (interval checkpoints are taken on commit), and
# whether it has appended entries since.
_last_checkpoint = {"at": 0.0, "written": False}


def _checkpoint_due(seq: int) -> bool:
    every = int(getattr(settings, "SAFETYNET_AUDIT_CHECKPOINT_EVERY", 0) or 0)
    seconds = float(getattr(settings, "SAFETYNET_AUDIT_CHECKPOINT_SECONDS", 0) or 0)
    if every and seq % every == 0:
        return True
    return bool(seconds) and time.monotonic() - _last_checkpoint["at"] >= seconds


@transaction.atomic
def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    purpose: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records, so both
    commit or neither does. ``actor`` is a user, or ``None`` for the system."""
    ring = keyring()
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor=getattr(actor, "username", "") or ("system" if actor is None else str(actor)),
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        purpose=purpose,
        data=_json_safe(data or {}),
        prev_hash=head.hash,
        key_id=ring.active,
    )
    event.hash = ring.sign(ring.active, _canonical(event))
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    _last_checkpoint["written"] = True
    if _checkpoint_due(event.seq):
        _last_checkpoint["at"] = time.monotonic()
        transaction.on_commit(audit_checkpoint)
    return event


def audit_checkpoint() -> Checkpoint | None:
    """Export the committed chain head as a signed checkpoint, unless the newest checkpoint
    already records it. Run after every batch (the ``safetynet`` command does) and on an interval."""
    head = AuditHead.objects.filter(id=1).values_list("seq", "hash").first()
    if head is None or head[0] == 0:
        return None
    seq, head_hash = head
    existing, _ = checkpoints_read()
    if existing and existing[-1].seq == seq and existing[-1].hash == head_hash:
        return existing[-1]
    _last_checkpoint["at"] = time.monotonic()
    return checkpoint_write(seq=seq, hash=head_hash)


def audit_checkpoint_if_written() -> Checkpoint | None:
    """A checkpoint at the end of a batch run, if the run appended to the chain."""
    if not _last_checkpoint["written"]:
        return None
    _last_checkpoint["written"] = False
    return audit_checkpoint()


def audit_key_rotate(*, actor: Any | None) -> AuditEvent:
    """Make a fresh key the signing key; the rotation itself is the first entry it signs, and
    a checkpoint follows at once."""
    old, new = keyring_rotate()
    event = audit_record(actor=actor, action="audit.key_rotate", data={"old_key_id": old, "new_key_id": new})
    audit_checkpoint()
    return event


def data_key_rotate(*, actor: Any | None) -> AuditEvent:
    """A fresh data-encryption key, then every sealed value re-encrypted under it (in one
    transaction with its audit entry: a crash leaves the old key's values, which still open)."""
    old, new = data_ring_rotate()
    with transaction.atomic():
        counts = reseal_all()
        event = audit_record(actor=actor, action="keys.data_rotate",
                             data={"old_key_id": old, "new_key_id": new, "resealed": counts})
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=5000)


def audit_verify() -> VerifyResult:
    """Walk the chain from the start and hold it against every checkpoint; stop at the first
    entry that does not hold and name it."""
    ring = keyring()
    checkpoints, bad = checkpoints_read()
    if bad:
        return VerifyResult(0, ChainBreak(0, f"checkpoint {bad[0].path.name}: {bad[0].reason}"))
    by_seq: dict[int, list[Checkpoint]] = {}
    for cp in checkpoints:
        by_seq.setdefault(cp.seq, []).append(cp)
    last = checkpoints[-1] if checkpoints else None
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for event in _events():
        if event.seq != expected_seq:
            return VerifyResult(checked, ChainBreak(expected_seq, f"entry {expected_seq} is missing"), last)
        if event.prev_hash != prev_hash:
            return VerifyResult(checked, ChainBreak(event.seq, "prev_hash does not match the entry before"), last)
        expected = event_hash(event, ring)
        if expected is None:
            return VerifyResult(
                checked, ChainBreak(event.seq, f"signed with a key not in the key ring ({event.key_id!r})"), last
            )
        if expected != event.hash:
            return VerifyResult(checked, ChainBreak(event.seq, "content does not match its HMAC"), last)
        for cp in by_seq.get(event.seq, ()):
            if cp.hash != event.hash:
                return VerifyResult(
                    checked,
                    ChainBreak(event.seq, f"differs from checkpoint {cp.path.name} taken at {cp.at}"),
                    last,
                )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if last is not None and last.seq > checked:
        return VerifyResult(
            checked,
            ChainBreak(
                checked + 1,
                f"chain ends at entry {checked} but checkpoint {last.path.name} taken at {last.at}"
                f" recorded entry {last.seq}: entries were removed",
            ),
            last,
        )
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != checked or (checked and head.hash != prev_hash)):
        return VerifyResult(checked, ChainBreak(checked + 1, f"chain ends at {checked} but head says {head.seq}"), last)
    return VerifyResult(checked, None, last)
