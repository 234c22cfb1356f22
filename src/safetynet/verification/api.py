import datetime as dt

from django.http import HttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset, ObjectId
from safetynet.verification import selectors, services
from safetynet.verification.pdf import report_pdf

router = Router()


class AuthorisationIn(Schema):
    household_id: int
    signed_by_id: int
    person_ids: list[int]
    sources: list[str]
    signed_on: dt.date
    valid_until: dt.date
    document_sha256: str = ""


class AuthorisationOut(Schema):
    id: int
    household_id: int
    signed_by_id: int
    person_ids: list[int]
    sources: list[str]
    signed_on: dt.date
    valid_until: dt.date

    @staticmethod
    def resolve_person_ids(obj) -> list[int]:
        return sorted(p.pk for p in obj.persons.all())


class RunIn(Schema):
    purpose: str
    on: dt.date | None = None
    sources: list[str] | None = None


class ReportSummaryOut(Schema):
    id: int
    household_id: int
    on: dt.date
    purpose: str
    income_per_head: float
    created_at: dt.datetime


class ReportOut(ReportSummaryOut):
    result: dict


class CrossRegionIn(Schema):
    household_id: int
    to_region_code: str
    id_number: str
    name: str
    items: list[str]
    reason: str


class CrossRegionAnswerIn(Schema):
    status: str
    response: dict


class CrossRegionOut(Schema):
    id: int
    from_region: str
    to_region: str
    household_id: int
    name: str
    items: list[str]
    reason: str
    due_on: dt.date
    status: str
    response: dict | None

    @staticmethod
    def resolve_from_region(obj) -> str:
        return obj.from_region.code

    @staticmethod
    def resolve_to_region(obj) -> str:
        return obj.to_region.code


@router.post("/authorisations", response={201: AuthorisationOut}, summary="登记授权书")
def authorisation_create(request, payload: AuthorisationIn):
    return 201, services.authorisation_record(actor=request.user, **payload.dict())


@router.get("/authorisations", response=list[AuthorisationOut], summary="授权书列表（仅本辖区）")
@paginate(BoundedLimitOffset)
def authorisation_list(request, household_id: ObjectId | None = None):
    return selectors.authorisation_list_for_user(user=request.user, household_id=household_id).prefetch_related(
        "persons"
    )


@router.post("/households/{household_id}/reports", response={201: ReportOut}, summary="核对一户（须有授权书）")
def report_create(request, household_id: int, payload: RunIn):
    return 201, services.verification_run(actor=request.user, household_id=household_id, **payload.dict())


@router.get("/reports", response=list[ReportSummaryOut], summary="核对报告列表（仅本辖区）")
@paginate(BoundedLimitOffset)
def report_list(request, household_id: ObjectId | None = None):
    return selectors.report_list_for_user(user=request.user, household_id=household_id)


@router.get(
    "/reports/{report_id}",
    response=ReportOut,
    summary="核对报告（每项事实注明来源、批次与行；证件号码脱敏，说明事由可查看完整号码，查阅留痕）",
)
def report_detail(request, report_id: int, purpose: str = Query("", max_length=200)):
    return selectors.report_read_for_user(user=request.user, report_id=report_id, channel="api", purpose=purpose)


@router.get("/reports/{report_id}/pdf", summary="核对报告PDF（查阅留痕）", response={200: None})
def report_detail_pdf(request, report_id: int, purpose: str = Query("", max_length=200)):
    report = selectors.report_read_for_user(user=request.user, report_id=report_id, channel="pdf", purpose=purpose)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="verification-report-{report.pk}.pdf"'
    return response


@router.post("/cross-region", response={201: CrossRegionOut}, summary="发起跨区域协查")
def cross_region_create(request, payload: CrossRegionIn):
    return 201, services.cross_region_request_create(actor=request.user, **payload.dict())


@router.get("/cross-region", response=list[CrossRegionOut], summary="跨区域协查（发出与收到）")
@paginate(BoundedLimitOffset)
def cross_region_list(request, incoming: bool | None = None):
    return selectors.cross_region_list_for_user(user=request.user, incoming=incoming)


@router.get("/cross-region/{request_id}", response=CrossRegionOut, summary="协查详情")
def cross_region_detail(request, request_id: int):
    return selectors.cross_region_request_get_for_user(user=request.user, request_id=request_id)


@router.post("/cross-region/{request_id}/answer", response=CrossRegionOut, summary="回复协查")
def cross_region_answer(request, request_id: int, payload: CrossRegionAnswerIn):
    return services.cross_region_request_answer(actor=request.user, request_id=request_id, **payload.dict())
