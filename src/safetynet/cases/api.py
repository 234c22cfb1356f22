"""REST endpoints for cases (/api/v1/cases). Thin: parse, call one service or selector, shape.

No ``from __future__ import annotations`` here: ninja reads a paginated view's parameter types
through ``@paginate``'s wrapper, whose module globals are ninja's, so a string annotation such as
``"Status | None"`` would resolve to ``ninja.responses.Status`` (or not at all).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Body, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status as Reply

from safetynet.cases import selectors, services
from safetynet.cases.actions import CaseAction, case_act
from safetynet.cases.attachments import attachment_upload
from safetynet.cases.models import Programme, Status
from safetynet.core.masking import mask_id_number, redact_data, redact_figures
from safetynet.core.pagination import BoundedLimitOffset

router = Router()


class CaseIn(Schema):
    programme: str
    channel: str
    household_id: int
    applicant_id: int
    proxy_mandate_id: int | None = None
    source_ref: str = ""
    emergency: bool = False
    amount_requested: Decimal | None = None
    description: str = ""


class CaseOut(Schema):
    id: int
    programme: str
    channel: str
    status: str
    status_label: str
    region: str
    household_id: int
    applicant_name: str
    applicant_id_number: str
    due_at: dt.datetime | None
    overdue: bool
    amount_monthly: Decimal | None
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(Status(obj.status).label)

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region.code

    @staticmethod
    def resolve_applicant_name(obj) -> str:
        return obj.applicant.name

    @staticmethod
    def resolve_applicant_id_number(obj) -> str:
        return mask_id_number(obj.applicant.id_number)

    @staticmethod
    def resolve_overdue(obj) -> bool:
        from django.utils import timezone

        return bool(obj.is_open and obj.due_at and obj.due_at < timezone.now())


class TransitionOut(Schema):
    seq: int
    from_status: str
    to_status: str
    actor: str
    actor_role: str
    reason: str
    data: dict[str, Any]
    late: bool
    at: dt.datetime

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor) if obj.actor else "system"

    @staticmethod
    def resolve_reason(obj, context) -> str:
        return obj.reason if selectors.sees_figures(context["request"].user) else redact_figures(obj.reason)

    @staticmethod
    def resolve_data(obj, context) -> dict[str, Any]:
        return obj.data if selectors.sees_figures(context["request"].user) else redact_data(obj.data)


class VisitOut(Schema):
    id: int
    visited_on: dt.date
    findings: dict[str, Any]
    notes: str


class ObjectionOut(Schema):
    id: int
    raised_by: str
    content: str
    received_at: dt.datetime
    resolution: str
    resolved_at: dt.datetime | None


class NoticeOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    masked_name: str
    masked_id_number: str
    text: str
    objections: list[ObjectionOut]

    @staticmethod
    def resolve_objections(obj) -> list:
        return list(obj.objections.all())


class AttachmentOut(Schema):
    id: int
    kind: str
    original_name: str
    sha256: str
    size: int
    content_type: str


class CaseDetailOut(CaseOut):
    description: str
    pending_decision: dict[str, Any]
    timeline: list[TransitionOut]
    visits: list[VisitOut]
    notices: list[NoticeOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_pending_decision(obj, context) -> dict[str, Any]:
        if selectors.sees_figures(context["request"].user):
            return obj.pending_decision
        return redact_data(obj.pending_decision)

    @staticmethod
    def resolve_timeline(obj) -> list:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_visits(obj) -> list:
        return list(obj.visits.all())

    @staticmethod
    def resolve_notices(obj) -> list:
        return list(obj.notices.all())

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class ProgressEntryOut(Schema):
    at: dt.datetime
    step: str
    text: str
    reason: str


class ProgressOut(Schema):
    case_id: int
    programme: str
    step: str
    where: str
    next_step: str
    due_date: dt.date | None
    overdue: bool
    reasons: list[str]
    how_to_appeal: str
    amount_monthly: str | None
    history: list[ProgressEntryOut]


class VisitIn(Schema):
    visited_on: dt.date
    findings: dict[str, Any]
    notes: str = ""
    complete: bool = True


class ObjectionIn(Schema):
    content: str
    raised_by: str = ""


class ResolutionIn(Schema):
    resolution: str


class ConfirmIn(Schema):
    confirm: bool
    reason: str
    gradual: bool = False
    grace_months: int | None = None


class ReasonIn(Schema):
    reason: str


class AppealDecisionIn(Schema):
    rereview: bool
    reason: str


class MandateIn(Schema):
    grantor_id: int
    proxy_name: str
    relationship: str
    valid_until: dt.date
    proxy_user_id: int | None = None
    programmes: list[str] = []
    evidence_id: int | None = None


class MandateOut(Schema):
    id: int
    grantor_id: int
    proxy_name: str
    relationship: str
    valid_until: dt.date
    programmes: list[str]


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] | None = None


class QueuePagination(BoundedLimitOffset):
    """Bounded limit and offset (an unbounded offset was a 500), and counts at most ``COUNT_CAP``
    rows: a queue of 100,000 open cases needs "1000+", not an exact count that costs more than
    the page itself."""

    COUNT_CAP = 1000

    def _items_count(self, queryset) -> int:
        return queryset.order_by()[: self.COUNT_CAP].count()


#: A full 12-digit region code (区划代码): the queue filters by a region's subtree, not a prefix.
REGION_CODE_PATTERN = r"^[0-9]{12}$"

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut}


@router.post("", response={200: CaseOut, 201: CaseOut, **ERRORS}, summary="提交救助申请（Idempotency-Key 防重复）")
def case_submit(request, payload: CaseIn):
    result = services.case_submit(
        actor=request.user, idempotency_key=request.headers.get("Idempotency-Key") or None, **payload.dict()
    )
    return Reply(201 if result.created else 200, result.case)


@router.get("/queue", response={200: list[CaseOut], **ERRORS},
            summary="待办队列（本辖区、本角色，超期优先；总数最多计到1000）")
@paginate(QueuePagination)
def case_queue(request, programme: Programme | None = None, status: Status | None = None,
               region: str | None = Query(None, pattern=REGION_CODE_PATTERN), overdue: bool = False):
    # ``programme`` and ``status`` are typed by their choices: anything else is a 422 naming the
    # field, never a silently empty queue.
    return selectors.case_queue_for_user(user=request.user, programme=programme, status=status, region_code=region,
                                         overdue_only=overdue)


@router.get("/breaches", response={200: list[CaseOut], **ERRORS}, summary="超期未办结案件（监督；总数最多计到1000）")
@paginate(QueuePagination)
def case_breaches(request):
    return selectors.deadline_breaches_for_user(user=request.user)


# Registered before ``/{case_id}``: that path takes any segment, so a later ``/mandates``
# would be matched by it and answered 405 (GET only there).
@router.post("/mandates", response={201: MandateOut, **ERRORS}, summary="登记代办委托")
def mandate_create(request, payload: MandateIn):
    return Reply(201, services.mandate_record(actor=request.user, **payload.dict()))


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="案件详情与流转记录")
def case_detail(request, case_id: int):
    return selectors.case_get_for_user(user=request.user, case_id=case_id)


@router.get("/{case_id}/progress", response={200: ProgressOut, **ERRORS}, summary="办理进度（申请人/代办人）")
def case_progress(request, case_id: int):
    return selectors.case_progress_for_applicant(user=request.user, case_id=case_id)


@router.post("/{case_id}/actions", response={200: CaseOut, **ERRORS},
             summary="办理操作（受理、核对、审批、复核、暂停、退出……，每种操作只带自己的字段）")
def case_action(request, case_id: int, payload: Body[CaseAction]):
    return case_act(case_id=case_id, actor=request.user, action=payload)


@router.post("/{case_id}/visits", response={201: VisitOut, **ERRORS}, summary="记录入户调查")
def case_visit(request, case_id: int, payload: VisitIn):
    return Reply(201, services.case_record_visit(case_id=case_id, actor=request.user, **payload.dict()))


@router.post("/{case_id}/notice", response={201: NoticeOut, **ERRORS}, summary="发起公示（姓名、证件号脱敏）")
def case_notice(request, case_id: int):
    return Reply(201, services.case_open_notice(case_id=case_id, actor=request.user))


@router.post("/{case_id}/objections", response={201: ObjectionOut, **ERRORS}, summary="登记公示异议")
def case_objection(request, case_id: int, payload: ObjectionIn):
    return Reply(201, services.case_record_objection(case_id=case_id, actor=request.user, **payload.dict()))


@router.post("/objections/{objection_id}/resolve", response={200: ObjectionOut, **ERRORS}, summary="处理公示异议")
def objection_resolve(request, objection_id: int, payload: ResolutionIn):
    return services.case_resolve_objection(objection_id=objection_id, actor=request.user,
                                           resolution=payload.resolution)


@router.post("/{case_id}/decision-confirmation", response={200: CaseOut, **ERRORS},
             summary="人工确认或推翻数据结论（须署名并说明理由）")
def case_confirm(request, case_id: int, payload: ConfirmIn):
    return services.case_confirm_data_decision(case_id=case_id, actor=request.user, **payload.dict())


@router.post("/{case_id}/appeals", response={201: dict, **ERRORS}, summary="申请复查")
def case_appeal(request, case_id: int, payload: ReasonIn):
    appeal = services.case_appeal(case_id=case_id, actor=request.user, reason=payload.reason)
    return Reply(201, {"id": appeal.pk, "against_status": appeal.against_status})


@router.post("/{case_id}/appeal-decision", response={200: CaseOut, **ERRORS}, summary="复查决定")
def case_appeal_decision(request, case_id: int, payload: AppealDecisionIn):
    return services.case_decide_appeal(case_id=case_id, actor=request.user, **payload.dict())


@router.post("/{case_id}/attachments", response={201: AttachmentOut, **ERRORS},
             summary="上传申请材料（PDF/JPG/PNG，≤10MB，SHA-256 校验）")
def case_attachment(request, case_id: int, file: File[UploadedFile], kind: Form[str] = "",
                    sha256: Form[str] = ""):
    att = attachment_upload(case_id=case_id, actor=request.user, stream=file.file, original_name=file.name or "",
                            declared_type=file.content_type or "", declared_sha256=sha256, kind=kind)
    return Reply(201, att)
