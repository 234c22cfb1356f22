"""REST endpoints of the resource network (/api/v1/resources). Thin: parse, call one service or
selector; typed refusals become ``{"code","message","details"}`` with a 4xx."""

import datetime as dt
from typing import Annotated

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from safetynet.resources import selectors, services
from safetynet.resources.models import Need, Package, Referral, ResourceChange

router = Router()

#: Ids and counts as the database stores them (64-bit): a larger number is refused with a 422.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]


class ResourceOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    provider: str
    provider_kind: str
    service_area: str
    unit_cost_fen: int
    capacity: int
    capacity_left: int
    budget_fen: int | None
    budget_left_fen: int | None
    meets: dict
    conditions: list
    exclusive_with: list[str]
    requires: list[str]


def _resource_out(row) -> dict:
    r = row.resource
    return {"id": r.pk, "code": r.code, "name": r.name, "kind": r.kind, "provider": r.provider.code,
            "provider_kind": r.provider.kind, "service_area": r.service_area.code, "unit_cost_fen": r.unit_cost_fen,
            "capacity": r.capacity, "capacity_left": row.capacity_left, "budget_fen": r.budget_fen,
            "budget_left_fen": row.budget_left_fen, "meets": r.meets, "conditions": r.conditions,
            "exclusive_with": sorted(x.code for x in r.exclusive_with.all()),
            "requires": sorted(x.code for x in r.requires.all())}


class ConditionIn(Schema):
    variable: str
    op: str
    value: Annotated[float, Field(allow_inf_nan=False)]


class ResourceIn(Schema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    description: str | None = None
    unit: str | None = None
    unit_cost_fen: Count | None = None
    capacity: Count | None = None
    budget_fen: Count | None = None
    service_area: str | None = None
    meets: dict[str, Count] | None = None
    conditions: list[ConditionIn] | None = None
    exclusive_with: list[str] | None = None
    requires: list[str] | None = None
    accept_days: Count | None = None
    deliver_days: Count | None = None
    status: str | None = None


class ProposeIn(Schema):
    provider_id: Id
    resource_id: Id | None = None
    data: ResourceIn


class ChangeOut(Schema):
    id: int
    provider_id: int
    resource_id: int | None
    status: str
    data: dict
    review_note: str
    created_at: dt.datetime


class ReviewIn(Schema):
    approve: bool
    note: str = ""


class NeedOut(Schema):
    id: int
    household_id: int
    category: str
    severity: int
    source: str
    source_ref: str
    explanation: str
    status: str


class NeedIn(Schema):
    category: str
    severity: Count
    explanation: str


class PackageOut(Schema):
    id: int
    number: str
    household_id: int
    period: dt.date
    status: str
    need_met: float
    greedy_need_met: float
    need_total: float
    bound: float
    gap: float
    method: str
    seconds: float
    resources: list[str]
    explanation: dict

    @staticmethod
    def resolve_resources(obj: Package) -> list[str]:
        return sorted(i.resource.code for i in obj.items.select_related("resource"))


class AdjustIn(Schema):
    add: list[Id] = []
    remove: list[Id] = []


class ReferralOut(Schema):
    id: int
    number: str
    household_id: int
    resource: str
    provider: str
    status: str
    accept_due: dt.datetime
    deliver_due: dt.datetime | None
    decline_reason: str
    outcome: str
    outcome_note: str
    escalated_at: dt.datetime | None
    words: str

    @staticmethod
    def resolve_resource(obj: Referral) -> str:
        return obj.resource.code

    @staticmethod
    def resolve_provider(obj: Referral) -> str:
        return obj.resource.provider.code

    @staticmethod
    def resolve_words(obj: Referral) -> str:
        return selectors.referral_plain_words(obj)


class ReasonIn(Schema):
    reason: str


class NoteIn(Schema):
    note: str = ""


class OutcomeIn(Schema):
    outcome: str
    note: str = ""


@router.get("/catalogue", response=list[ResourceOut], summary="救助资源目录（含本月剩余名额和预算）")
def catalogue(request, provider_id: Id | None = None):
    return [_resource_out(row) for row in selectors.catalogue_for_user(user=request.user, provider_id=provider_id)]


@router.post("/changes", response={201: ChangeOut}, summary="提出资源新增或修改（部门资源须双人复核）")
def resource_propose(request, payload: ProposeIn):
    data = payload.data.dict(exclude_none=True)
    change = services.resource_propose(provider_id=payload.provider_id, resource_id=payload.resource_id, data=data,
                                       actor=request.user)
    return 201, change


@router.get("/changes", response=list[ChangeOut], summary="待复核的资源变更")
def changes_pending(request):
    return list(selectors.changes_pending_for_user(user=request.user))


@router.post("/changes/{change_id}/review", response=ChangeOut, summary="复核资源变更")
def change_review(request, change_id: Id, payload: ReviewIn) -> ResourceChange:
    return services.resource_change_review(change_id=change_id, approve=payload.approve, note=payload.note,
                                           actor=request.user)


@router.get("/households/{household_id}/needs", response=list[NeedOut], summary="家庭需求画像（未满足的需求及来源）")
def needs(request, household_id: Id) -> list[Need]:
    return [n for c in selectors.needs_profile(user=request.user, household_id=household_id) for n in c.needs]


@router.post("/households/{household_id}/needs/refresh", response=dict, summary="重新识别家庭需求")
def needs_refresh(request, household_id: Id):
    return services.needs_refresh(household_id=household_id, actor=request.user)


@router.post("/households/{household_id}/needs", response={201: NeedOut}, summary="登记走访发现的需求")
def need_record(request, household_id: Id, payload: NeedIn):
    return 201, services.need_record(household_id=household_id, category=payload.category,
                                     severity=payload.severity, explanation=payload.explanation, actor=request.user)


@router.post("/households/{household_id}/package", response={201: PackageOut}, summary="生成本月救助包建议")
def package_propose(request, household_id: Id):
    return 201, services.package_propose(household_id=household_id, actor=request.user)


@router.get("/households/{household_id}/package", response={200: PackageOut, 204: None},
            summary="本月的救助包")
def package_current(request, household_id: Id):
    package = selectors.package_current(user=request.user, household_id=household_id)
    return (200, package) if package else (204, None)


@router.post("/packages/{package_id}/adjust", response=PackageOut, summary="调整救助包")
def package_adjust(request, package_id: Id, payload: AdjustIn):
    return services.package_adjust(package_id=package_id, actor=request.user, add=payload.add, remove=payload.remove)


@router.post("/packages/{package_id}/accept", response=PackageOut, summary="确认救助包并转介")
def package_accept(request, package_id: Id):
    return services.package_accept(package_id=package_id, actor=request.user)


@router.get("/referrals", response=list[ReferralOut], summary="转介（员工：本辖区；提供方：本单位；群众：本户）")
@paginate(LimitOffsetPagination)
def referrals(request, status: str | None = None, household_id: Id | None = None):
    return selectors.referrals_for_user(user=request.user, status=status, household_id=household_id)


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="转介详情")
def referral_detail(request, referral_id: Id):
    return selectors.referral_get_for_user(user=request.user, referral_id=referral_id)


@router.post("/referrals/{referral_id}/accept", response=ReferralOut, summary="接收转介")
def referral_accept(request, referral_id: Id):
    return services.referral_accept(referral_id=referral_id, actor=request.user)


@router.post("/referrals/{referral_id}/decline", response=ReferralOut, summary="婉拒转介（须说明理由）")
def referral_decline(request, referral_id: Id, payload: ReasonIn):
    return services.referral_decline(referral_id=referral_id, actor=request.user, reason=payload.reason)


@router.post("/referrals/{referral_id}/deliver", response=ReferralOut, summary="登记已提供")
def referral_deliver(request, referral_id: Id, payload: NoteIn):
    return services.referral_deliver(referral_id=referral_id, actor=request.user, note=payload.note)


@router.post("/referrals/{referral_id}/outcome", response=ReferralOut, summary="反馈结果（需求已解决则关闭需求）")
def referral_outcome(request, referral_id: Id, payload: OutcomeIn):
    return services.referral_record_outcome(referral_id=referral_id, actor=request.user, outcome=payload.outcome,
                                            note=payload.note)


class DistrictNeedOut(Schema):
    district: str
    name: str
    weighted_unmet: dict[str, float]


@router.get("/dashboard", response=list[DistrictNeedOut], summary="救助资源看板：各区县各类未满足需求（按严重程度加权）")
def dashboard(request):
    data = selectors.dashboard_for_user(user=request.user)
    return [{"district": code, "name": row["name"], "weighted_unmet": row["categories"]}
            for code, row in data["by_district"].items()]
