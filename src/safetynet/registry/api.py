import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from safetynet.core.masking import mask_id_number, mask_phone
from safetynet.core.pagination import BoundedLimitOffset
from safetynet.registry.models import Relationship
from safetynet.registry.selectors import (
    household_get_for_user,
    household_list_for_user,
    person_full_record,
    person_get_for_user,
    person_list_for_user,
)
from safetynet.registry.services import household_member_join, household_member_leave

router = Router()


class PersonOut(Schema):
    """A person with ID and phone numbers masked (脱敏)."""

    id: int
    name: str
    id_number: str
    phone: str
    sex: str
    birth_date: dt.date
    residence_region: str
    disability_category: str
    disability_grade: int | None
    labour_capacity: str
    health_conditions: list[str]
    masked: bool = True

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_residence_region(obj) -> str:
        return obj.residence_region.code


class PersonFullOut(PersonOut):
    """The unmasked record, returned only with a stated purpose and audited."""

    masked: bool = False

    @staticmethod
    def resolve_id_number(obj) -> str:
        return obj.id_number

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.phone


class MemberOut(Schema):
    """One dated membership row; a person who left stays listed with ``left_on``."""

    person_id: int
    name: str
    relationship: str
    joined_on: dt.date
    left_on: dt.date | None
    leave_reason: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj["name"] if isinstance(obj, dict) else obj.person.name


class HouseholdOut(Schema):
    id: int
    number: str
    region: str
    address: str
    rural: bool

    @staticmethod
    def resolve_region(obj) -> str:
        return obj["region"] if isinstance(obj, dict) else obj.region.code


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(description="成员变动历史：在册与已离开的成员，按加入日期排序")


class PurposeIn(Schema):
    # Optional in the schema so that a missing purpose is refused by the rule itself, with its
    # own code (audit.purpose_required), rather than by generic validation.
    purpose: str = Field("", max_length=200, description="查看事由（必填，至少2个字），写入审计日志")


class MemberJoinIn(Schema):
    person_id: int
    relationship: Relationship
    joined_on: dt.date


class MemberLeaveIn(Schema):
    left_on: dt.date
    reason: str = Field(..., max_length=200, description="离开原因，如 迁出、死亡、分户")


@router.get("/persons", response=list[PersonOut], summary="人员列表（身份证号、手机号脱敏）")
@paginate(BoundedLimitOffset)
def person_list(request, q: str = "", region: str | None = None):
    return person_list_for_user(user=request.user, q=q, region_code=region)


@router.get("/persons/{person_id}", response=PersonOut, summary="人员详情（脱敏）")
def person_detail(request, person_id: int):
    return person_get_for_user(user=request.user, person_id=person_id)


@router.post("/persons/{person_id}/full", response=PersonFullOut, summary="查看完整身份信息（须说明事由，留痕）")
def person_full(request, person_id: int, payload: PurposeIn):
    return person_full_record(user=request.user, person_id=person_id, purpose=payload.purpose).person


def _household_out(h, members: bool = False) -> dict:
    out = {"id": h.pk, "number": h.number, "region": h.region.code, "address": h.address, "rural": h.rural}
    if members:
        out["members"] = [
            {
                "person_id": m.person_id,
                "name": m.person.name,
                "relationship": m.relationship,
                "joined_on": m.joined_on,
                "left_on": m.left_on,
                "leave_reason": m.leave_reason,
            }
            for m in h.memberships.all()
        ]
    return out


@router.get("/households", response=list[HouseholdOut], summary="家庭列表（仅本辖区）")
@paginate(BoundedLimitOffset)
def household_list(request, region: str | None = None):
    return household_list_for_user(user=request.user, region_code=region)


@router.get("/households/{household_id}", response=HouseholdDetailOut, summary="家庭详情与成员变动历史")
def household_detail(request, household_id: int):
    return _household_out(household_get_for_user(user=request.user, household_id=household_id), members=True)


@router.post(
    "/households/{household_id}/members",
    response={201: MemberOut},
    summary="登记成员加入（街道经办、县级审批、管理员）",
)
def household_member_join_endpoint(request, household_id: int, payload: MemberJoinIn):
    membership = household_member_join(
        actor=request.user,
        household_id=household_id,
        person_id=payload.person_id,
        relationship=payload.relationship,
        joined_on=payload.joined_on,
    )
    return 201, membership


@router.post(
    "/households/{household_id}/members/{person_id}/leave",
    response=MemberOut,
    summary="登记成员离开（保留历史）",
)
def household_member_leave_endpoint(request, household_id: int, person_id: int, payload: MemberLeaveIn):
    return household_member_leave(
        actor=request.user, household_id=household_id, person_id=person_id, left_on=payload.left_on, reason=payload.reason
    )
