"""Rules API: decide for a household's facts, read parameters with their history, and
maker-checker parameter changes. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.core.permissions import Action, require
from safetynet.rules.facts import HouseholdFacts, MemberFacts, SupporterFacts
from safetynet.rules.parameter_admin import (
    parameter_change_approve,
    parameter_change_propose,
    parameter_change_reject,
)
from safetynet.rules.selectors import parameter_change_list_for_user, parameter_list
from safetynet.rules.services import decide_household

router = Router()


class SupporterIn(Schema):
    relation: str
    household_income: float
    household_size: int = 1
    lives_with: bool = False
    name: str = ""


class MemberIn(Schema):
    birth_date: dt.date
    relationship: str = "other"
    joined_on: dt.date | None = None
    left_on: dt.date | None = None
    disability_grade: int = 0
    labour_capacity: str = "full"
    self_care: str = "full"
    serious_illness: bool = False
    has_capable_supporter: bool = False
    supporters: list[SupporterIn] = []
    own_medical_expenses_12m: float = 0
    died_on: dt.date | None = None
    wage_income: float = 0
    business_income: float = 0
    property_income: float = 0
    transfer_income: float = 0
    other_income: float = 0
    name: str = ""


class HouseholdIn(Schema):
    on: dt.date
    region_code: str
    members: list[MemberIn]
    rural: bool = False
    deposits: float = 0
    vehicles: int = 0
    dwellings: int = 1
    business_registrations: int = 0
    medical_expenses_12m: float = 0
    education_expenses_12m: float = 0
    dibao_current_amount: float = 0
    gradual_exit_months_used: int = 0
    temporary_case: str = "none"


class ParameterChangeIn(Schema):
    path: str
    region_code: str
    effective_from: dt.date
    value: float
    reference: str
    reason: str = ""


class DecisionNoteIn(Schema):
    note: str = ""


class ParameterChangeOut(Schema):
    id: int
    path: str
    region_code: str
    effective_from: dt.date
    value: float
    reference: str
    reason: str
    status: str
    proposed_by: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region.code

    @staticmethod
    def resolve_proposed_by(obj) -> str:
        return obj.proposed_by.username

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return obj.decided_by.username if obj.decided_by_id else None


@router.post("/decide", response=dict[str, Any], summary="按家庭事实核算各项救助资格与金额（含理由）")
def decide(request, payload: HouseholdIn):
    require(request.user, Action.RULES_DECIDE)
    data = payload.dict()
    on = data.pop("on")
    members = tuple(
        MemberFacts(**{**m, "supporters": tuple(SupporterFacts(**s) for s in m.get("supporters", []))})
        for m in data.pop("members")
    )
    facts = HouseholdFacts(members=members, **data)
    return decide_household(household=facts, on=on).as_dict()


@router.get("/parameters", response=list[dict[str, Any]], summary="参数及其各区划的历史取值")
def parameters(request, on: dt.date | None = None):
    require(request.user, Action.RULES_PARAMETERS_READ)
    return parameter_list(on=on or dt.date.today())


@router.get("/parameter-changes", response=list[ParameterChangeOut], summary="参数调整（本区划及下级）")
@paginate(BoundedLimitOffset)
def change_list(request, status: str | None = None):
    return parameter_change_list_for_user(user=request.user, status=status)


@router.post("/parameter-changes", response={201: ParameterChangeOut}, summary="提出参数调整")
def change_propose(request, payload: ParameterChangeIn):
    return 201, parameter_change_propose(actor=request.user, **payload.dict())


@router.post(
    "/parameter-changes/{change_id}/approve", response=ParameterChangeOut, summary="批准参数调整（非提出人）"
)
def change_approve(request, change_id: int, payload: DecisionNoteIn):
    return parameter_change_approve(change_id=change_id, actor=request.user, note=payload.note)


@router.post("/parameter-changes/{change_id}/reject", response=ParameterChangeOut, summary="驳回参数调整")
def change_reject(request, change_id: int, payload: DecisionNoteIn):
    return parameter_change_reject(change_id=change_id, actor=request.user, note=payload.note)


__all__ = ["router"]
