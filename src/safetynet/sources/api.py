import datetime as dt
import tempfile
from pathlib import Path

from django.conf import settings
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.core.permissions import Action, require
from safetynet.sources import selectors
from safetynet.sources.services import source_ingest
from safetynet.sources.stewardship import batch_confirm, batch_reject

router = Router()


class HoldReasonOut(Schema):
    code: str
    message: str


class BatchOut(Schema):
    batch_id: str
    source: str
    file_name: str
    as_of: dt.date
    received: int
    accepted: int
    quarantined: int
    superseded_by: str | None
    created_at: dt.datetime
    status: str
    hold_reasons: list[HoldReasonOut]
    duplicates: int
    conflicts: int
    extra_columns: list[str]

    @staticmethod
    def resolve_superseded_by(obj) -> str | None:
        return obj.superseded_by.batch_id if obj.superseded_by_id else None


class IngestOut(Schema):
    batch_id: str
    source: str
    status: str
    held: bool
    hold_reasons: list[HoldReasonOut]
    received: int
    accepted: int
    quarantined: int
    duplicates: int
    conflicts: int
    extra_columns: list[str]
    as_of: dt.date
    duplicate: bool


class DecisionIn(Schema):
    note: str = ""


class SourceOut(Schema):
    name: str
    title: str
    owner: str
    legal_basis: str
    cadence: str
    mode: str
    batches: int
    latest_batch: str | None


class QuarantineReasonOut(Schema):
    reason_code: str
    n: int


class BatchDetailOut(BatchOut):
    quarantine_by_reason: list[QuarantineReasonOut]


@router.post(
    "/{source}/batches",
    response={201: IngestOut, 202: IngestOut, 200: IngestOut},
    summary="推送部门数据批次（CSV/Parquet/JSONL）",
    description="201 入库；202 已接收但暂扣待数据管理员确认（hold_reasons 说明原因）；200 同一文件已接收过。"
    "文件超过上限时 413。",
)
def batch_push(request, source: str, file: UploadedFile = File(...), as_of: dt.date | None = Form(None)):
    require(request.user, Action.SOURCES_SUBMIT)
    suffix = Path(file.name or "").suffix.lower()
    on_disk = getattr(file, "temporary_file_path", None)
    if on_disk is not None and Path(on_disk()).suffix.lower() == suffix:
        # Django streamed the upload to a temporary file already (CappedUploadHandler capped it).
        result = source_ingest(source_name=source, path=on_disk(), actor=request.user, as_of=as_of, file_name=file.name)
    else:
        tmp_dir = Path(settings.LAKE_DIR) / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=tmp_dir, suffix=suffix, delete=False) as fh:
            for chunk in file.chunks():
                fh.write(chunk)
            path = Path(fh.name)
        try:
            result = source_ingest(source_name=source, path=path, actor=request.user, as_of=as_of, file_name=file.name)
        finally:
            path.unlink(missing_ok=True)
    return (200 if result.duplicate else 202 if result.held else 201), result.as_dict()


@router.post("/batches/{batch_id}/confirm", response=BatchOut, summary="确认暂扣批次生效（数据管理员）")
def batch_confirm_endpoint(request, batch_id: str, payload: DecisionIn):
    return batch_confirm(batch_id=batch_id, actor=request.user, note=payload.note)


@router.post("/batches/{batch_id}/reject", response=BatchOut, summary="拒收暂扣批次（数据管理员）")
def batch_reject_endpoint(request, batch_id: str, payload: DecisionIn):
    return batch_reject(batch_id=batch_id, actor=request.user, note=payload.note)


@router.get("", response=list[SourceOut], summary="数据源目录与最新批次")
def source_list(request):
    return [
        {
            "name": o.source.name,
            "title": o.source.title,
            "owner": o.source.owner,
            "legal_basis": o.source.legal_basis,
            "cadence": o.source.cadence,
            "mode": o.source.mode,
            "batches": o.batches,
            "latest_batch": o.latest.batch_id if o.latest else None,
        }
        for o in selectors.source_overview_for_user(user=request.user)
    ]


@router.get("/batches", response=list[BatchOut], summary="数据批次列表")
@paginate(BoundedLimitOffset)
def batch_list(request, source: str | None = None):
    return selectors.batch_list_for_user(user=request.user, source=source)


@router.get("/batches/{batch_id}", response=BatchDetailOut, summary="数据批次与隔离原因统计")
def batch_detail(request, batch_id: str):
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    batch.quarantine_by_reason = selectors.quarantine_summary(batch=batch)
    return batch
