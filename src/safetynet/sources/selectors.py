"""Reads of the data hub: the catalogue with its latest batches, batches and their quality.

Source batches are city-wide departmental data, not region records: who may see them is
decided by the permission table (``Action.SOURCES_READ``), and quarantined rows show identifiers masked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from safetynet.core.errors import NotFound
from safetynet.core.permissions import Action, require
from safetynet.sources.catalogue import Source, catalogue
from safetynet.sources.models import BatchStatus, LinkReview, LinkReviewStatus, QuarantinedRow, SourceBatch


@dataclass(frozen=True)
class SourceOverview:
    source: Source
    batches: int
    latest: SourceBatch | None


def catalogue_sources() -> dict[str, Source]:
    """The source catalogue (declared once, in ``catalogue.yaml``), for other apps (the demo writes
    its extracts from it)."""
    return catalogue()


def source_overview_for_user(*, user) -> list[SourceOverview]:
    require(user, Action.SOURCES_READ)
    counts = dict(SourceBatch.objects.values_list("source").annotate(n=Count("id")).values_list("source", "n"))
    latest: dict[str, SourceBatch] = {}
    in_force = SourceBatch.objects.filter(superseded_by__isnull=True, status=BatchStatus.LANDED)
    for batch in in_force.order_by("source", "-as_of", "-created_at"):
        latest.setdefault(batch.source, batch)
    return [SourceOverview(s, counts.get(name, 0), latest.get(name)) for name, s in catalogue().items()]


def batch_list_for_user(*, user, source: str | None = None) -> QuerySet[SourceBatch]:
    require(user, Action.SOURCES_READ)
    qs = SourceBatch.objects.select_related("submitted_by", "superseded_by")
    return qs.filter(source=source) if source else qs


def batch_get_for_user(*, user, batch_id: str) -> SourceBatch:
    batch = batch_list_for_user(user=user).filter(batch_id=batch_id).first()
    if batch is None:
        raise NotFound("未找到该数据批次", code="source.batch_not_found", batch_id=batch_id)
    return batch


def quarantine_summary(*, batch: SourceBatch) -> list[dict]:
    """How many rows each reason quarantined, most frequent first (数据质量)."""
    return list(
        QuarantinedRow.objects.filter(batch=batch)
        .values("reason_code")
        .annotate(n=Count("id"))
        .order_by("-n", "reason_code")
    )


def batches_held_for_user(*, user) -> QuerySet[SourceBatch]:
    """Held batches waiting for a data steward (暂扣待确认), oldest first."""
    require(user, Action.SOURCES_READ)
    return SourceBatch.objects.filter(status=BatchStatus.HELD).order_by("created_at")


def quarantine_rows(*, batch: SourceBatch, reason_code: str | None = None) -> QuerySet[QuarantinedRow]:
    qs = QuarantinedRow.objects.filter(batch=batch)
    return qs.filter(reason_code=reason_code) if reason_code else qs


def link_reviews_pending_for_user(*, user) -> QuerySet[LinkReview]:
    """The clerical review queue: rows whose uncertain link waits for a person's decision."""
    require(user, Action.SOURCES_LINK_REVIEW)
    return (
        LinkReview.objects.filter(status=LinkReviewStatus.PENDING)
        .select_related("batch", "candidate")
        .order_by("batch__as_of", "batch_id", "row_number")
    )
