"""A data steward's decisions on held batches (数据管理员确认/拒收), and supersession.

A landed full extract replaces the landed ones in force at or before its date; a held batch
(:mod:`~safetynet.sources.supersession`) replaces nothing until it is confirmed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.errors import NotFound, ValidationFailed
from safetynet.core.permissions import Action, require
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.errors import BatchNotHeld
from safetynet.sources.models import BatchStatus, SourceBatch


def supersede(batch: SourceBatch, source: Source) -> int:
    """A landed full extract replaces the landed ones in force at or before its date."""
    if source.mode != "snapshot":
        return 0
    return (
        SourceBatch.objects.filter(
            source=source.name, status=BatchStatus.LANDED, superseded_by__isnull=True, as_of__lte=batch.as_of
        )
        .exclude(pk=batch.pk)
        .update(superseded_by=batch)
    )


def _batch_lock(batch_id: str) -> SourceBatch:
    batch = SourceBatch.objects.select_for_update().filter(batch_id=batch_id).first()
    if batch is None:
        raise NotFound(_("未找到该数据批次"), code="source.batch_not_found", batch_id=batch_id)
    return batch


@transaction.atomic
def batch_confirm(*, batch_id: str, actor, note: str) -> SourceBatch:
    """A data steward confirms a held batch (确认生效): it lands and replaces what it would have."""
    require(actor, Action.SOURCES_BATCH_DECIDE)
    batch = _batch_lock(batch_id)
    if batch.status != BatchStatus.HELD:
        raise BatchNotHeld(_("该批次不在暂扣状态（%(s)s），无需确认") % {"s": batch.get_status_display()}, batch_id=batch_id)
    if not note.strip():
        raise ValidationFailed(_("确认暂扣批次须写明理由"), code="source.batch.note_required")
    batch.status = BatchStatus.LANDED
    batch.landed_at = timezone.now()
    batch.decided_by = actor
    batch.decided_at = batch.landed_at
    batch.decision_note = note.strip()
    batch.save(update_fields=["status", "landed_at", "decided_by", "decided_at", "decision_note", "updated_at"])
    superseded = supersede(batch, source_get(batch.source))
    audit_record(
        actor=actor,
        action="source.batch.confirm",
        target=batch,
        data={"batch": batch.batch_id, "hold_reasons": batch.hold_reasons, "superseded": superseded, "note": note},
    )
    return batch


@transaction.atomic
def batch_reject(*, batch_id: str, actor, note: str) -> SourceBatch:
    """A data steward rejects a held batch (拒收): it stays on record, read by nobody."""
    require(actor, Action.SOURCES_BATCH_DECIDE)
    batch = _batch_lock(batch_id)
    if batch.status != BatchStatus.HELD:
        raise BatchNotHeld(_("该批次不在暂扣状态（%(s)s），不能拒收") % {"s": batch.get_status_display()}, batch_id=batch_id)
    batch.status = BatchStatus.REJECTED
    batch.decided_by = actor
    batch.decided_at = timezone.now()
    batch.decision_note = note.strip()
    batch.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_record(
        actor=actor,
        action="source.batch.reject",
        target=batch,
        data={"batch": batch.batch_id, "hold_reasons": batch.hold_reasons, "note": note},
    )
    return batch
