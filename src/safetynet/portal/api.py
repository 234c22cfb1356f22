"""Public API under ``/api/v1/public/``: anonymous, rate-limited per client, bounded inputs.

Self-check, policy answers, service windows, complaints (file, track), transparency aggregates
and the running 公示 list. The staff side of complaints (queue, answer, statistics) is under
``/api/v1/public/staff/`` and needs a login like every other staff endpoint.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from safetynet.portal.models import Category, ComplaintStatus, Outcome
from safetynet.portal.policy.search import MAX_QUESTION, policy_answer
from safetynet.portal.selectors import (
    complaint_queue_for_user,
    complaint_statistics_for_user,
    complaint_track,
    region_public_get,
    window_nearest,
)
from safetynet.portal.selfcheck import (
    MAX_AGE,
    MAX_COUNT,
    MAX_MEMBERS,
    MemberAnswer,
    SelfCheckAnswers,
    selfcheck_evaluate,
)
from safetynet.portal.services import complaint_answer, complaint_file, complaint_start
from safetynet.portal.throttle import throttle
from safetynet.portal.transparency.selectors import (
    MAX_MONTHS,
    aggregate_tables,
    data_dictionary,
    licence,
    months_available,
    notices_current,
    open_data_rows,
    parse_month,
)

router = Router(auth=None)
staff_router = Router()

Money = Decimal


class MemberIn(Schema):
    age: int = Field(ge=0, le=MAX_AGE)
    disability_grade: int = Field(0, ge=0, le=4, description="0 无；1–4 残疾等级")
    serious_illness: bool = False
    wage_income: Money = Field(Decimal(0), ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    business_income: Money = Field(Decimal(0), ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    property_income: Money = Field(Decimal(0), ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    transfer_income: Money = Field(Decimal(0), ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    other_income: Money = Field(Decimal(0), ge=0, le=1_000_000, max_digits=9, decimal_places=2)


class SelfCheckIn(Schema):
    region_code: str = Field(min_length=12, max_length=12, pattern=r"^\d{12}$")
    rural: bool | None = Field(None, description="不填则按所选区划的城乡属性")
    members: list[MemberIn] = Field(min_length=1, max_length=MAX_MEMBERS)
    deposits: Money = Field(Decimal(0), ge=0, le=100_000_000, max_digits=12, decimal_places=2)
    vehicles: int = Field(0, ge=0, le=MAX_COUNT)
    dwellings: int = Field(1, ge=0, le=MAX_COUNT)
    medical_expenses_12m: Money = Field(Decimal(0), ge=0, le=10_000_000, max_digits=11, decimal_places=2)
    education_expenses_12m: Money = Field(Decimal(0), ge=0, le=10_000_000, max_digits=11, decimal_places=2)
    hardship: Literal["none", "serious_illness", "accident", "expense_shock", "other"] = "none"
    has_capable_supporter: bool = True


class ReasonOut(Schema):
    passed: bool
    text: str
    reference: str


class ProgrammeOut(Schema):
    programme: str
    name: str
    plain: str
    eligible: bool
    rough_amount: Decimal
    one_off: bool
    summary: str
    reasons: list[ReasonOut]
    references: list[str]


class WindowOut(Schema):
    name: str
    address: str
    phone: str
    hours: str
    region_name: str
    registered: bool


class HowToApplyOut(Schema):
    online: str
    window: WindowOut
    proxy: str
    phone: str


class SelfCheckOut(Schema):
    month: dt.date
    household_size: int
    dibao_standard: Decimal
    rough_monthly_total: Decimal
    programmes: list[ProgrammeOut]
    how_to_apply: HowToApplyOut
    stored: bool = Field(False, description="测算不保存任何信息")
    notice: str


def how_to_apply(region) -> dict:
    window = window_nearest(region=region)
    return {
        "online": "登录后在“在线申请”（/cases/apply/）提交",
        "window": window.__dict__,
        "proxy": "本人不便的，可委托亲属或村（社区）工作人员代办，需带委托书",
        "phone": f"拨打 {window.phone} 咨询，或请工作人员上门受理",
    }


@router.post("/self-check", response=SelfCheckOut, summary="自助测算（不登录，不保存）")
def self_check(request, payload: SelfCheckIn):
    throttle(request, "selfcheck")
    region = region_public_get(code=payload.region_code)
    answers = SelfCheckAnswers(
        region_code=region.code,
        rural=(not region.urban) if payload.rural is None else payload.rural,
        members=tuple(
            MemberAnswer(
                age=m.age,
                disability_grade=m.disability_grade,
                serious_illness=m.serious_illness,
                incomes={
                    k: getattr(m, k)
                    for k in ("wage_income", "business_income", "property_income", "transfer_income", "other_income")
                },
            )
            for m in payload.members
        ),
        deposits=payload.deposits,
        vehicles=payload.vehicles,
        dwellings=payload.dwellings,
        medical_expenses_12m=payload.medical_expenses_12m,
        education_expenses_12m=payload.education_expenses_12m,
        hardship=payload.hardship,
        has_capable_supporter=payload.has_capable_supporter,
    )
    result = selfcheck_evaluate(answers=answers, on=timezone.localdate())
    return {
        "month": result.month,
        "household_size": result.household_size,
        "dibao_standard": result.dibao_standard,
        "rough_monthly_total": result.rough_monthly_total,
        "programmes": [p.__dict__ | {"reasons": [r.__dict__ for r in p.reasons]} for p in result.programmes],
        "how_to_apply": how_to_apply(region),
        "notice": "测算结果仅供参考，以经济状况核对和审批结果为准；本次填写的信息未被保存。",
    }


class QuestionIn(Schema):
    question: str = Field(min_length=1, max_length=MAX_QUESTION)


class PassageOut(Schema):
    document: str
    document_number: str
    article: str
    effective: dt.date
    text: str
    citation: str
    score: float


class AnswerOut(Schema):
    question: str
    found: bool
    answer: str
    passages: list[PassageOut]
    contacts: str


@router.post("/policy/answers", response=AnswerOut, summary="政策问答（附条文出处）")
def policy_ask(request, payload: QuestionIn):
    throttle(request, "policy")
    result = policy_answer(question=payload.question)
    return {
        "question": result.question,
        "found": result.found,
        "answer": result.answer,
        "passages": [
            {
                "document": p.article.doc_title,
                "document_number": p.article.doc_number,
                "article": p.article.no,
                "effective": p.article.effective,
                "text": p.article.text,
                "citation": p.citation,
                "score": round(p.score, 3),
            }
            for p in result.passages
        ],
        "contacts": "" if result.found else "没有找到相关条文：请拨打 12345 或到所在乡镇（街道）便民服务中心社会救助窗口咨询。",
    }


@router.get("/windows/{region_code}", response=WindowOut, summary="就近办事窗口")
def window(request, region_code: str):
    throttle(request, "windows")
    return window_nearest(region=region_public_get(code=region_code[:12])).__dict__


class ComplaintIn(Schema):
    category: Category
    region_code: str = Field(min_length=12, max_length=12, pattern=r"^\d{12}$")
    subject: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=5, max_length=2000)
    anonymous: bool = True
    reporter_name: str = Field("", max_length=64)
    reporter_phone: str = Field("", max_length=20)


class ComplaintFiledOut(Schema):
    number: str
    due_at: dt.datetime
    handling_region: str


class StepOut(Schema):
    at: dt.datetime
    text: str


class TrackingOut(Schema):
    number: str
    kind: str
    category: str
    status: str
    status_code: str
    filed_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    handling_region: str
    outcome: str
    reply: str
    answered_at: dt.datetime | None
    steps: list[StepOut]


@router.post("/complaints", response={201: ComplaintFiledOut}, summary="投诉举报（可匿名，可附 PDF/JPG/PNG）")
def complaint_create(request, payload: Form[ComplaintIn], attachment: File[UploadedFile] = None):
    throttle(request, "complaint_file")
    complaint = complaint_file(
        category=payload.category,
        region_code=payload.region_code,
        subject=payload.subject,
        body=payload.body,
        anonymous=payload.anonymous,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        attachment=attachment,
    )
    return Status(201, {
        "number": complaint.number,
        "due_at": complaint.due_at,
        "handling_region": complaint.handling_region.name,
    })


@router.get("/complaints/{number}", response=TrackingOut, summary="凭受理编号查询进度和结果")
def complaint_tracking(request, number: str):
    throttle(request, "complaint_track")
    view = complaint_track(number=number)
    return view.__dict__ | {"steps": [{"at": s.at, "text": s.text} for s in view.steps]}


class CellOut(Schema):
    month: str
    region_code: str
    region_name: str
    programme: str
    programme_name: str
    households: int | None
    persons: int | None
    amount_yuan: str | None
    suppressed: bool


class AggregatesOut(Schema):
    k: int
    months: list[str]
    licence: dict
    dictionary: list[dict]
    rows: list[CellOut]


@router.get("/transparency/aggregates", response=AggregatesOut, summary="救助对象统计（小单元格抑制）")
def aggregates(request, month: str | None = Query(None, max_length=7), months: int = Query(1, ge=1, le=MAX_MONTHS)):
    throttle(request, "transparency")
    last = parse_month(month)
    chosen = months_available(today=last, count=months)
    tables = aggregate_tables(months=chosen)
    return {
        "k": tables[0].k,
        "months": [f"{m:%Y-%m}" for m in chosen],
        "licence": licence(),
        "dictionary": data_dictionary(),
        "rows": open_data_rows(tables),
    }


class NoticeOut(Schema):
    masked_name: str
    masked_id_number: str
    programme: str
    region_name: str
    text: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class NoticesOut(Schema):
    date: dt.date
    items: list[NoticeOut]


@router.get("/notices", response=NoticesOut, summary="正在公示的名单（已脱敏）")
def notices(request):
    throttle(request, "transparency")
    return {"date": timezone.localdate(), "items": [n.__dict__ for n in notices_current()]}


# --- staff: the complaint queue (login required) ---------------------------------------------


class QueueItemOut(Schema):
    id: int
    number: str
    kind: str
    category: str
    subject: str
    status: str
    due_at: dt.datetime
    escalation_level: int
    handling_region: str


@staff_router.get("/complaints", response=list[QueueItemOut], summary="投诉举报办理队列")
def staff_queue(request, status: ComplaintStatus | None = None, limit: int = Query(50, ge=1, le=200)):
    qs = complaint_queue_for_user(user=request.user, status=status)
    return [
        {
            "id": c.pk,
            "number": c.number,
            "kind": c.kind,
            "category": c.category,
            "subject": c.subject,
            "status": c.status,
            "due_at": c.due_at,
            "escalation_level": c.escalation_level,
            "handling_region": c.handling_region.name,
        }
        for c in qs[:limit]
    ]


class AnswerIn(Schema):
    outcome: Outcome
    reply: str = Field(min_length=1, max_length=2000)


class ComplaintStateOut(Schema):
    number: str
    status: str
    outcome: str


@staff_router.post("/complaints/{complaint_id}/start", response=ComplaintStateOut, summary="开始办理")
def staff_start(request, complaint_id: int):
    c = complaint_start(complaint_id=complaint_id, actor=request.user)
    return {"number": c.number, "status": c.status, "outcome": c.outcome}


@staff_router.post("/complaints/{complaint_id}/answer", response=ComplaintStateOut, summary="答复办结")
def staff_answer(request, complaint_id: int, payload: AnswerIn):
    c = complaint_answer(complaint_id=complaint_id, actor=request.user, outcome=payload.outcome, reply=payload.reply)
    return {"number": c.number, "status": c.status, "outcome": c.outcome}


class RegionCountOut(Schema):
    region: str
    label: str
    total: int
    open: int
    overdue: int


class StatisticsOut(Schema):
    total: int
    open: int
    overdue: int
    answered: int
    answered_late: int
    escalated: int
    mean_days_to_answer: float | None
    by_category: list[dict]
    by_outcome: list[dict]
    items: list[RegionCountOut] = Field(description="按承办区划")


@staff_router.get("/complaints-statistics", response=StatisticsOut, summary="投诉举报统计（按承办区划等）")
def staff_statistics(request):
    stats = complaint_statistics_for_user(user=request.user)
    return {**stats.__dict__, "items": stats.by_region}
