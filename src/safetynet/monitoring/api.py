"""REST endpoints for alerts (/api/v1/monitoring). Thin: parse, call one service or selector."""

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.monitoring import selectors, services
from safetynet.monitoring.outcomes import VisitOutcomeInput

router = Router()


class AlertOut(Schema):
    id: int
    number: str
    household_id: int
    region: str
    kind: str
    condition: str
    level: str
    score: float | None
    reasons: dict
    status: str
    assigned_to_id: int | None
    due_at: dt.datetime
    escalated_at: dt.datetime | None
    findings: str
    outcome: str
    case_id: int | None
    risk: float | None
    risk_reasons: list
    dispatched_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.household.region.code


class VisitOutcomeIn(Schema):
    """走访结论: needs_help / no_need / unreachable, the reasons and the figures found (yuan)."""

    finding: str
    reasons: list[str] = []
    hidden_income_kind: str = ""
    hidden_income_monthly: Decimal | None = None
    family_support_monthly: Decimal | None = None
    assets_value: Decimal | None = None
    visited_on: dt.date | None = None

    def to_input(self, note: str = "") -> VisitOutcomeInput:
        return VisitOutcomeInput(finding=self.finding, reasons=tuple(self.reasons),
                                 hidden_income_kind=self.hidden_income_kind,
                                 hidden_income_monthly=self.hidden_income_monthly,
                                 family_support_monthly=self.family_support_monthly, assets_value=self.assets_value,
                                 note=note, visited_on=self.visited_on)


class VisitIn(Schema):
    findings: str
    outcome: VisitOutcomeIn | None = None


class CloseIn(Schema):
    outcome: str
    reason: str = ""
    visit: VisitOutcomeIn | None = None


class OpenCaseIn(Schema):
    programme: str = "dibao"
    description: str = ""


@router.get("/alerts", response=list[AlertOut], summary="预警列表（仅本辖区）")
@paginate(BoundedLimitOffset)
def alert_list(request, level: str | None = None, status: str | None = None):
    return selectors.alert_list_for_user(user=request.user, level=level, status=status)


@router.get("/alerts/{alert_id}", response=AlertOut, summary="预警详情")
def alert_detail(request, alert_id: int):
    return selectors.alert_get_for_user(user=request.user, alert_id=alert_id)


@router.post("/alerts/{alert_id}/visit", response=AlertOut, summary="登记走访核查")
def alert_visit(request, alert_id: int, payload: VisitIn):
    return services.alert_record_visit(actor=request.user, alert_id=alert_id, findings=payload.findings,
                                       outcome=payload.outcome.to_input(payload.findings) if payload.outcome else None)


@router.post("/alerts/{alert_id}/close", response=AlertOut, summary="办结预警")
def alert_close(request, alert_id: int, payload: CloseIn):
    return services.alert_close(actor=request.user, alert_id=alert_id, outcome=payload.outcome, reason=payload.reason,
                                visit=payload.visit.to_input(payload.reason) if payload.visit else None)


@router.post("/alerts/{alert_id}/open-case", response=AlertOut, summary="转为主动发现救助申请")
def alert_open_case(request, alert_id: int, payload: OpenCaseIn):
    return services.alert_open_case(actor=request.user, alert_id=alert_id, programme=payload.programme,
                                    description=payload.description)
