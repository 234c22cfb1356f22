"""Writes of the supervision app: assigning and closing anomalies, and recovery orders (追回)
with their repayment plan, instalments and write-off under four eyes. Each is one transaction
with its audit event."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.accounts.models import User
from safetynet.audit.services import audit_record
from safetynet.cases.models import CASH_PROGRAMMES
from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, can, require, roles_for
from safetynet.core.roles import Role
from safetynet.engine.backend import connect, engine_lock
from safetynet.engine.lake import batches_in_force, source_table
from safetynet.payments.models import FINAL_STATUSES, Outcome, PaymentLine, PaymentRoll
from safetynet.payments.payroll import month_start, to_fen
from safetynet.regions.models import Region
from safetynet.registry.models import Household
from safetynet.sources.catalogue import catalogue
from safetynet.sources.models import BatchStatus, SourceBatch
from safetynet.supervision.errors import (
    ErrorCode,
    FourEyesViolation,
    RecoveryNotFound,
    SupervisionConflict,
    SupervisionInvalid,
    SupervisionNotFound,
)
from safetynet.supervision.models import (
    Anomaly,
    AnomalyOutcome,
    AnomalyStatus,
    RecoveryEvent,
    RecoveryInstalment,
    RecoveryOrder,
    RecoveryStatus,
    View,
)

#: Who a view's findings go to first: payments and overlaps to supervision, the case work to the
#: county that approves it. Either way, the nearest such officer above the household.
FIRST_ROLE = {View.PAYMENT: Role.SUPERVISOR, View.OVERLAP: Role.SUPERVISOR, View.PROCESS: Role.COUNTY_APPROVER,
              View.REVIEW: Role.COUNTY_APPROVER, View.COVERAGE: Role.COUNTY_APPROVER}


#: After the view's first role, the other roles that handle findings are tried in the vocabulary's order.
HANDLER_ORDER = list(Role.values)


@lru_cache(maxsize=4096)
def _assignee_id(path: str, view: str) -> int | None:
    paths = ["/".join(path.split("/")[: i + 1]) + "/" for i in range(path.count("/"))][::-1]
    paths = [p for p in paths if p != "/"]
    candidates = list(User.objects.filter(is_active=True, region__path__in=paths)
                      .values_list("pk", "role", "region__path").order_by("pk"))
    order = {p: i for i, p in enumerate(paths)}
    # The view's first role, then every other role the permission table lets handle findings.
    handlers = roles_for(Action.ANOMALY_HANDLE)
    first = FIRST_ROLE[View(view)]
    for wanted in [first, *sorted(handlers - {first}, key=HANDLER_ORDER.index)]:
        found = sorted((order[rp], pk) for pk, r, rp in candidates if r == wanted)
        if found:
            return found[0][1]
    return None


def anomaly_assignee(*, region: Region, view: str) -> int | None:
    """The nearest active officer above ``region`` who handles ``view``'s findings (an id)."""
    return _assignee_id(region.path, view)


def anomaly_assignee_cache_clear() -> None:
    _assignee_id.cache_clear()


def _anomaly_lock(anomaly_id: int, actor) -> Anomaly:
    return get_scoped(scope(Anomaly.objects.select_for_update(of=("self",)), user=actor), user=actor, error=SupervisionNotFound, pk=anomaly_id)


@transaction.atomic
def anomaly_assign(*, anomaly_id: int, assignee_id: int, due_on: dt.date, actor) -> Anomaly:
    require(actor, Action.ANOMALY_HANDLE)
    anomaly = _anomaly_lock(anomaly_id, actor)
    if anomaly.status != AnomalyStatus.OPEN:
        raise SupervisionConflict(_("该线索已办结"))
    assignee = User.objects.filter(pk=assignee_id, is_active=True).select_related("region").first()
    if assignee is None or not can(assignee, Action.ANOMALY_HANDLE) or assignee.region is None \
            or not assignee.region.contains(anomaly.region):
        raise SupervisionInvalid(_("核查人须为负责该辖区、可办理线索的工作人员"), code=ErrorCode.INVALID_ASSIGNEE)
    if due_on < timezone.localdate():
        raise SupervisionInvalid(_("办结时限不能早于今天"), code=ErrorCode.INVALID_ASSIGNEE)
    before = anomaly.assigned_to_id
    anomaly.assigned_to, anomaly.due_on = assignee, due_on
    anomaly.save(update_fields=["assigned_to", "due_on", "updated_at"])
    audit_record(actor=actor, action="supervision.anomaly_assign", target=anomaly,
                 data={"from": before, "to": assignee.pk, "due_on": due_on.isoformat()})
    return anomaly


@transaction.atomic
def anomaly_close(*, anomaly_id: int, outcome: str, note: str, actor) -> Anomaly:
    """Close a finding with its outcome and a note in the officer's words. Idempotent refusal:
    closing a closed finding says so."""
    require(actor, Action.ANOMALY_HANDLE)
    anomaly = _anomaly_lock(anomaly_id, actor)
    if anomaly.status != AnomalyStatus.OPEN:
        raise SupervisionConflict(_("该线索已办结"))
    if outcome not in AnomalyOutcome.values:
        raise SupervisionInvalid(_("请选择办结结果"), outcome=outcome)
    if not note.strip():
        raise SupervisionInvalid(_("请填写核查情况说明"))
    if outcome == AnomalyOutcome.RECOVERY_ORDERED and not anomaly.recovery_orders.exists():
        raise SupervisionInvalid(_("请先下达追回单，再以“已下达追回”办结"))
    anomaly.status, anomaly.outcome, anomaly.outcome_note = AnomalyStatus.CLOSED, outcome, note.strip()
    anomaly.closed_by, anomaly.closed_at = actor, timezone.now()
    anomaly.save(update_fields=["status", "outcome", "outcome_note", "closed_by", "closed_at", "updated_at"])
    audit_record(actor=actor, action="supervision.anomaly_close", target=anomaly,
                 data={"outcome": outcome, "note": note.strip()})
    return anomaly


# --- recovery (追回) ---------------------------------------------------------------------------------

def _add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def first_platform_roll(*, household: Household) -> dt.date | None:
    """The month of this platform's first approved roll for the household's county (any cash
    programme): months before it were paid by the system the platform replaced."""
    path = household.region.path
    prefixes = ["/".join(path.split("/")[: i + 1]) + "/" for i in range(path.count("/"))]
    return (PaymentRoll.objects.filter(region__path__in=prefixes, status__in=FINAL_STATUSES)
            .order_by("month").values_list("month", flat=True).first())


def imported_history(*, household_number: str) -> list[dict]:
    """What the civil-affairs roll the platform took over paid the household: every ``benefits``
    extract landed in the lake (每月在享救助名册; each snapshot as it stood on its date), one item
    per batch and cash programme with the household's monthly fen (its members' rows summed), the
    months it vouches for (``start`` to the batch's ``as_of``) and the rows it rests on."""
    dates = sorted(set(SourceBatch.objects.filter(source="benefits", status=BatchStatus.LANDED)
                       .values_list("as_of", flat=True)))
    batches = tuple(dict.fromkeys(b for d in dates for b in batches_in_force(on=d, sources=("benefits",))["benefits"]))
    if not batches:
        return []
    with engine_lock():
        con = connect("duckdb")
        t = source_table(con, catalogue()["benefits"], batches)
        t = t.filter((t.household_number == household_number) & t.programme.isin(CASH_PROGRAMMES))
        rows = con.to_pyarrow(t.select("_batch", "_row", "programme", "monthly_amount", "start_date", "_as_of")
                              .order_by(["_batch", "_row"])).to_pylist()
    items: dict[tuple, dict] = {}
    for r in rows:
        if r["monthly_amount"] is None or r["start_date"] is None:
            continue
        key = (r["_batch"], r["programme"], r["start_date"], r["_as_of"])
        item = items.setdefault(key, {"batch": r["_batch"], "programme": r["programme"], "rows": [],
                                      "start": month_start(r["start_date"]), "as_of": r["_as_of"],
                                      "monthly_fen": 0})
        item["rows"].append(int(r["_row"]))
        item["monthly_fen"] += to_fen(r["monthly_amount"])
    return list(items.values())


def overpayment_basis(*, household: Household, event_date: dt.date, stop_date: dt.date) -> list[dict]:
    """What was paid for months after the event's month up to the stop: this platform's paid
    lines, and, for months before its first roll in the county that no line covers, the imported
    history of the roll it took over (:func:`imported_history`): for each month, the first
    extract on or after it that lists the household then, each month citing its batch and rows."""
    first = _add_months(month_start(event_date), 1)
    rows = []
    for pk, period, fen in (PaymentLine.objects.filter(household_id=household.pk, period__gte=first,
                                                       period__lte=stop_date, result__outcome=Outcome.PAID)
                            .values_list("pk", "period", "amount_fen").order_by("period", "pk")):
        rows.append({"source": "payments", "row": pk, "period": period.isoformat(), "fen": fen})
    paid_periods = {r["period"] for r in rows}
    end = month_start(stop_date)
    platform_from = first_platform_roll(household=household)
    if platform_from is not None:
        end = min(end, _add_months(platform_from, -1))
    history = imported_history(household_number=household.number) if first <= end else []
    period = first
    while period <= end:
        vouching = [i for i in history if i["start"] <= period <= month_start(i["as_of"])]
        if vouching and period.isoformat() not in paid_periods:
            nearest = min(i["as_of"] for i in vouching)
            for item in (i for i in vouching if i["as_of"] == nearest):
                rows.append({"source": "benefits", "batch": item["batch"], "row": item["rows"][0],
                             "rows": item["rows"], "programme": item["programme"], "period": period.isoformat(),
                             "fen": item["monthly_fen"]})
        period = _add_months(period, 1)
    rows.sort(key=lambda r: (r["period"], r["source"]))
    return rows


@transaction.atomic
def recovery_order_create(*, household_id: int, event: str, event_date: dt.date, stop_date: dt.date, actor,
                          instalments: int = 1, anomaly_id: int | None = None,
                          person_id: int | None = None) -> RecoveryOrder:
    """An overpayment order from the event's date to the stop, computed from what was paid: by
    this platform's rolls, and before them by the roll it took over (imported history)."""
    require(actor, Action.RECOVERY_MANAGE)
    household = get_scoped(scope(Household.objects.select_related("region"), user=actor), user=actor,
                           pk=household_id)
    if event not in RecoveryEvent.values:
        raise SupervisionInvalid(_("未知的追回事由：%(e)s") % {"e": event}, code=ErrorCode.RECOVERY_INVALID)
    if stop_date < event_date:
        raise SupervisionInvalid(_("停发日期不能早于事由发生日期"), code=ErrorCode.RECOVERY_INVALID)
    if not 1 <= instalments <= 60:
        raise SupervisionInvalid(_("分期期数须在 1 至 60 之间"), code=ErrorCode.RECOVERY_INVALID)
    anomaly = None
    if anomaly_id is not None:
        anomaly = _anomaly_lock(anomaly_id, actor)
    basis = overpayment_basis(household=household, event_date=event_date, stop_date=stop_date)
    amount = sum(r["fen"] for r in basis)
    if amount <= 0:
        raise SupervisionInvalid(_("事由发生后没有多发的救助金，无需追回"), code=ErrorCode.NOTHING_TO_RECOVER)
    per = -(-amount // instalments)  # ceiling: the last instalment is the smaller one
    order = RecoveryOrder.objects.create(
        household=household, person_id=person_id or (anomaly.person_id if anomaly else None), anomaly=anomaly,
        event=event, event_date=event_date, stop_date=stop_date, amount_fen=amount, basis=basis,
        instalments_planned=instalments, instalment_fen=per, ordered_by=actor,
    )
    audit_record(actor=actor, action="supervision.recovery_order", target=order,
                 data={"amount_fen": amount, "months": len({r["period"] for r in basis}), "instalments": instalments,
                       "anomaly": anomaly.pk if anomaly else None})
    return order


def _order_lock(order_id: int, actor) -> RecoveryOrder:
    return get_scoped(scope(RecoveryOrder.objects.select_for_update(of=("self",)), user=actor), user=actor, error=RecoveryNotFound,
                       pk=order_id)


@transaction.atomic
def recovery_instalment_record(*, order_id: int, amount_fen: int, paid_on: dt.date, actor,
                               note: str = "") -> RecoveryInstalment:
    require(actor, Action.RECOVERY_MANAGE)
    order = _order_lock(order_id, actor)
    if order.status not in (RecoveryStatus.OPEN, RecoveryStatus.REPAYING):
        raise SupervisionConflict(_("该追回单当前不能登记还款"), code=ErrorCode.RECOVERY_STATE)
    if amount_fen <= 0 or amount_fen > order.outstanding_fen:
        raise SupervisionInvalid(_("还款金额须大于 0 且不超过未还金额 %(o)s 元") % {"o": f"{order.outstanding_fen / 100:.2f}"},
                                 code=ErrorCode.RECOVERY_INVALID)
    instalment = RecoveryInstalment.objects.create(order=order, amount_fen=amount_fen, paid_on=paid_on,
                                                   note=note[:200], recorded_by=actor)
    order.repaid_fen = order.instalments.aggregate(s=Sum("amount_fen"))["s"]
    order.status = RecoveryStatus.REPAID if order.repaid_fen == order.amount_fen else RecoveryStatus.REPAYING
    order.save(update_fields=["repaid_fen", "status", "updated_at"])
    audit_record(actor=actor, action="supervision.recovery_instalment", target=order,
                 data={"amount_fen": amount_fen, "paid_on": paid_on.isoformat(), "repaid_fen": order.repaid_fen})
    return instalment


@transaction.atomic
def recovery_write_off_propose(*, order_id: int, reason: str, actor) -> RecoveryOrder:
    require(actor, Action.RECOVERY_MANAGE)
    order = _order_lock(order_id, actor)
    if order.status not in (RecoveryStatus.OPEN, RecoveryStatus.REPAYING):
        raise SupervisionConflict(_("该追回单当前不能申请核销"), code=ErrorCode.RECOVERY_STATE)
    if not reason.strip():
        raise SupervisionInvalid(_("申请核销须说明理由"), code=ErrorCode.RECOVERY_INVALID)
    order.status, order.write_off_reason, order.write_off_proposed_by = (
        RecoveryStatus.WRITE_OFF_PROPOSED, reason.strip(), actor)
    order.save(update_fields=["status", "write_off_reason", "write_off_proposed_by", "updated_at"])
    audit_record(actor=actor, action="supervision.recovery_write_off_propose", target=order,
                 data={"reason": reason.strip(), "outstanding_fen": order.outstanding_fen})
    return order


@transaction.atomic
def recovery_write_off_decide(*, order_id: int, approve: bool, actor, note: str = "") -> RecoveryOrder:
    """A second officer approves or refuses the write-off; never the one who proposed it."""
    require(actor, Action.RECOVERY_WRITE_OFF_APPROVE)
    order = _order_lock(order_id, actor)
    if order.status != RecoveryStatus.WRITE_OFF_PROPOSED:
        raise SupervisionConflict(_("该追回单没有待批准的核销申请"), code=ErrorCode.RECOVERY_STATE)
    if order.write_off_proposed_by_id == actor.pk:
        raise FourEyesViolation(_("核销须由提出人以外的工作人员批准"))
    if approve:
        order.status, order.write_off_approved_by = RecoveryStatus.WRITTEN_OFF, actor
    else:
        order.status = RecoveryStatus.REPAYING if order.repaid_fen else RecoveryStatus.OPEN
    order.save(update_fields=["status", "write_off_approved_by", "updated_at"])
    audit_record(actor=actor, action="supervision.recovery_write_off_decide", target=order,
                 data={"approve": approve, "note": note, "written_off_fen": order.outstanding_fen if approve else 0})
    return order
