"""REST endpoints for supervision (/api/v1/supervision). Thin: parse, call one service or selector."""

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.supervision import selectors, services

router = Router()


class AnomalyOut(Schema):
    id: int
    number: str
    kind: str
    view: str
    region: str
    household_id: int | None
    summary: str
    evidence: list
    status: str
    assigned_to_id: int | None
    due_on: dt.date
    outcome: str
    outcome_note: str

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region.code


class CloseIn(Schema):
    outcome: str
    note: str


class RecoveryIn(Schema):
    event: str
    event_date: dt.date
    stop_date: dt.date
    instalments: int = 1


class RecoveryOut(Schema):
    id: int
    number: str
    household_id: int
    event: str
    event_date: dt.date
    stop_date: dt.date
    amount_fen: int
    repaid_fen: int
    instalments_planned: int
    instalment_fen: int
    status: str
    basis: list


class InstalmentIn(Schema):
    amount_fen: int
    paid_on: dt.date
    note: str = ""


@router.get("/anomalies", response=list[AnomalyOut], summary="异常线索（仅本辖区）")
@paginate(BoundedLimitOffset)
def anomaly_list(request, view: str | None = None, kind: str | None = None, status: str | None = "open"):
    return selectors.anomaly_list_for_user(user=request.user, view=view, kind=kind, status=status or None)


@router.get("/anomalies/{anomaly_id}", response=AnomalyOut, summary="异常线索详情")
def anomaly_detail(request, anomaly_id: int):
    return selectors.anomaly_get_for_user(user=request.user, anomaly_id=anomaly_id)


@router.post("/anomalies/{anomaly_id}/close", response=AnomalyOut, summary="办结线索")
def anomaly_close(request, anomaly_id: int, payload: CloseIn):
    return services.anomaly_close(anomaly_id=anomaly_id, outcome=payload.outcome, note=payload.note,
                                  actor=request.user)


@router.post("/anomalies/{anomaly_id}/recovery-orders", response={201: RecoveryOut}, summary="下达追回单")
def recovery_create(request, anomaly_id: int, payload: RecoveryIn):
    a = selectors.anomaly_get_for_user(user=request.user, anomaly_id=anomaly_id)
    return 201, services.recovery_order_create(
        household_id=a.household_id, anomaly_id=a.pk, event=payload.event, event_date=payload.event_date,
        stop_date=payload.stop_date, instalments=payload.instalments, actor=request.user)


@router.get("/recovery-orders/{order_id}", response=RecoveryOut, summary="追回单")
def recovery_detail(request, order_id: int):
    return selectors.recovery_get_for_user(user=request.user, order_id=order_id)


@router.post("/recovery-orders/{order_id}/instalments", response=RecoveryOut, summary="登记还款")
def recovery_instalment(request, order_id: int, payload: InstalmentIn):
    services.recovery_instalment_record(order_id=order_id, amount_fen=payload.amount_fen, paid_on=payload.paid_on,
                                        note=payload.note, actor=request.user)
    return selectors.recovery_get_for_user(user=request.user, order_id=order_id)
