"""Writes on alerts: bulk opening by a run, visit, close, open a case in one step, escalation.
Every change commits with its audit event."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.accounts.models import User
from safetynet.audit.services import audit_record
from safetynet.cases.models import Channel, Programme
from safetynet.cases.services import case_submit
from safetynet.core.access import get_scoped, scope
from safetynet.core.calendar import deadline_after_working_days
from safetynet.core.permissions import Action, require, roles_for
from safetynet.core.roles import Role
from safetynet.monitoring.errors import AlertClosed, AlertNotFound, InvalidOutcome
from safetynet.monitoring.models import OPEN_STATUSES, Alert, AlertOutcome, AlertStatus, MonitorRun
from safetynet.regions.models import Region
from safetynet.registry.models import Household, Membership

DUE_WORKING_DAYS = 5


def assignees(region_ids: set[int]) -> dict[int, int | None]:
    """Community region → its community worker, else the street officer of the parent street."""
    regions = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "parent_id"))
    staff = User.objects.filter(is_active=True, role__in=sorted(roles_for(Action.ALERT_HANDLE)),
                                region_id__in=set(regions) | {p for p in regions.values() if p})
    worker: dict[int, int] = {}
    officer: dict[int, int] = {}
    for pk, role, region_id in staff.order_by("-pk").values_list("pk", "role", "region_id"):
        (worker if role == Role.COMMUNITY_WORKER else officer)[region_id] = pk
    return {r: worker.get(r) or officer.get(regions[r]) for r in regions}


@transaction.atomic
def alerts_open_bulk(*, candidates: list[dict], run: MonitorRun, actor=None) -> dict:
    """Open an alert per candidate (household_id, kind, condition, level, score, reasons) unless one
    is already open for that household and condition (suppressed, counted). One bulk insert."""
    wanted = {(c["household_id"], c["condition"]): c for c in candidates}
    # Open alerts are a worklist (bounded by what people can visit), so they are read whole rather
    # than through an IN list of every candidate household, which outgrows SQLite's parameter limit.
    open_now = set(Alert.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", "condition")) & set(wanted)
    new = [c for key, c in wanted.items() if key not in open_now]
    regions = {
        pk: h.region_id
        for pk, h in Household.objects.only("id", "region_id").in_bulk([c["household_id"] for c in new]).items()
    }
    assigned = assignees(set(regions.values()))
    due = deadline_after_working_days(timezone.now(), DUE_WORKING_DAYS)
    Alert.objects.bulk_create(
        [Alert(household_id=c["household_id"], kind=c["kind"], condition=c["condition"], level=c["level"],
               score=c.get("score"), reasons=c["reasons"], on=run.on, due_at=due, run=run,
               assigned_to_id=assigned.get(regions[c["household_id"]])) for c in new],
        batch_size=2000,
    )
    counts = {"opened": len(new), "suppressed": len(wanted) - len(new),
              "by_level": dict(Counter(c["level"] for c in new)),
              "by_condition": dict(Counter(c["condition"] for c in new))}
    # One event for the batch: the run's alerts are found through ``run``.
    audit_record(actor=actor, action="monitoring.alerts_open", target=run, data=counts)
    return counts


def _lock(*, alert_id: int, actor) -> Alert:
    require(actor, Action.ALERT_HANDLE)
    alert = get_scoped(scope(Alert.objects.select_for_update(of=("self",)), user=actor), user=actor,
                       error=AlertNotFound, pk=alert_id)
    if alert.status == AlertStatus.CLOSED:
        raise AlertClosed(_("该预警已办结"), alert_id=alert_id)
    return alert


@transaction.atomic
def alert_record_visit(*, alert_id: int, actor, findings: str) -> Alert:
    alert = _lock(alert_id=alert_id, actor=actor)
    alert.status = AlertStatus.VISITED
    alert.visited_at = timezone.now()
    alert.findings = findings
    alert.save(update_fields=["status", "visited_at", "findings", "updated_at"])
    audit_record(actor=actor, action="monitoring.alert_visit", target=alert, data={"findings": findings})
    return alert


def _close(alert: Alert, *, actor, outcome: str, reason: str) -> Alert:
    if outcome not in AlertOutcome.values:
        raise InvalidOutcome(_("未知的处理结果：%(o)s") % {"o": outcome}, outcome=outcome)
    alert.status = AlertStatus.CLOSED
    alert.outcome = outcome
    alert.closed_by = actor
    alert.closed_at = timezone.now()
    if reason:
        alert.findings = f"{alert.findings}\n{reason}".strip()
    alert.save(update_fields=["status", "outcome", "closed_by", "closed_at", "findings", "case", "updated_at"])
    audit_record(actor=actor, action="monitoring.alert_close", target=alert,
                 data={"outcome": outcome, "reason": reason, "case_id": alert.case_id})
    return alert


@transaction.atomic
def alert_close(*, alert_id: int, actor, outcome: str, reason: str) -> Alert:
    alert = _lock(alert_id=alert_id, actor=actor)
    if outcome == AlertOutcome.ASSISTED_NEW_CASE:
        raise InvalidOutcome(_("发起救助申请请使用“转为申请”"), outcome=outcome)
    return _close(alert, actor=actor, outcome=outcome, reason=reason)


@transaction.atomic
def alert_open_case(*, alert_id: int, actor, programme: str = Programme.DIBAO, description: str = "") -> Alert:
    """One step: file an active-discovery (主动发现) case citing the alert, link it, close as assisted."""
    alert = _lock(alert_id=alert_id, actor=actor)
    current = Membership.objects.filter(household_id=alert.household_id, left_on__isnull=True)
    applicant = current.filter(relationship="head").first() or current.order_by("joined_on", "id").first()
    submitted = case_submit(
        programme=programme, channel=Channel.ACTIVE_DISCOVERY, household_id=alert.household_id,
        applicant_id=applicant.person_id, actor=actor, source_ref=alert.number,
        idempotency_key=f"alert-{alert.pk}-{programme}", description=description or alert.reasons.get("title", ""),
    )
    alert.case = submitted.case
    return _close(alert, actor=actor, outcome=AlertOutcome.ASSISTED_NEW_CASE, reason=description)


@transaction.atomic
def alerts_escalate_overdue(*, now: dt.datetime | None = None, actor=None) -> int:
    """Open alerts past their deadline: marked escalated and reassigned to the street officer."""
    now = now or timezone.now()
    overdue = list(Alert.objects.select_for_update().filter(status__in=OPEN_STATUSES, due_at__lt=now,
                                                            escalated_at__isnull=True)
                   .values_list("pk", "household__region__parent_id"))
    streets = {s for _, s in overdue if s}
    officer = dict(User.objects.filter(is_active=True, role=Role.STREET_OFFICER, region_id__in=streets)
                   .order_by("pk").values_list("region_id", "pk"))
    by_officer: dict[int | None, list[int]] = {}
    for pk, street in overdue:
        by_officer.setdefault(officer.get(street), []).append(pk)
    for user_id, pks in by_officer.items():
        update = {"escalated_at": now, "updated_at": now}
        if user_id:
            update["assigned_to_id"] = user_id
        Alert.objects.filter(pk__in=pks).update(**update)
    if overdue:
        audit_record(actor=actor, action="monitoring.alerts_escalate", target_type="monitoring.alert",
                     data={"alerts": [pk for pk, _ in overdue]})
    return len(overdue)
