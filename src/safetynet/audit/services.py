"""The audit log's only writer (``audit_record``) and its checker (``audit_verify``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from safetynet.audit.models import AuditEvent, AuditHead

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
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database keeps.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str, sort_keys=True))


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
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=5000)


def audit_verify() -> VerifyResult:
    """Walk the chain from the start; stop at the first entry that does not hold."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for event in _events():
        if event.seq != expected_seq:
            return VerifyResult(checked, ChainBreak(expected_seq, f"entry {expected_seq} is missing"))
        if event.prev_hash != prev_hash:
            return VerifyResult(checked, ChainBreak(event.seq, "prev_hash does not match the entry before"))
        if event_hash(event) != event.hash:
            return VerifyResult(checked, ChainBreak(event.seq, "content does not match its hash"))
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.seq != checked:
        return VerifyResult(checked, ChainBreak(checked + 1, f"chain ends at {checked} but head says {head.seq}"))
    return VerifyResult(checked, None)
