"""Reads of the supervision app: anomalies in the user's region, the five views' dashboards, and
recovery orders."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.cases.models import Case, CaseTransition
from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, can, require
from safetynet.regions.models import Level, Region
from safetynet.supervision.errors import RecoveryNotFound, SupervisionNotFound
from safetynet.supervision.models import Anomaly, AnomalyStatus, Kind, RecoveryOrder, View


def anomaly_list_for_user(*, user, view: str | None = None, kind: str | None = None,
                          status: str | None = AnomalyStatus.OPEN) -> QuerySet[Anomaly]:
    require(user, Action.SUPERVISION_WORKBENCH)
    qs = scope(Anomaly.objects.select_related("region", "household", "assigned_to"), user=user)
    if view:
        qs = qs.filter(view=view)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "id")


def anomaly_get_for_user(*, user, anomaly_id: int) -> Anomaly:
    require(user, Action.SUPERVISION_WORKBENCH)
    return get_scoped(scope(Anomaly.objects.select_related("region", "household", "person", "assigned_to", "closed_by", "run"), user=user),
        user=user, error=SupervisionNotFound, pk=anomaly_id)


def assignees_for(*, anomaly: Anomaly) -> list[User]:
    """Officers who may take the finding: handlers bound at or above its region."""
    paths = []
    parts = [p for p in anomaly.region.path.split("/") if p]
    for i in range(len(parts)):
        paths.append("/".join(parts[: i + 1]) + "/")
    users = User.objects.filter(is_active=True, region__path__in=paths).select_related("region").order_by("username")
    return [u for u in users if can(u, Action.ANOMALY_HANDLE)]


def _county_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[Level.COUNTY - 1] if len(parts) >= Level.COUNTY else (parts[-1] if parts else "")


def workbench_for_user(*, user) -> dict:
    """Per view: open, overdue and closed counts; open findings by kind and by county; closed by
    outcome. For 办理流程 also the average days each step took and breaches by officer."""
    require(user, Action.SUPERVISION_WORKBENCH)
    today = timezone.localdate()
    qs = scope(Anomaly.objects.all(), user=user)
    views = {v: {"view": v, "title": str(label), "open": 0, "overdue": 0, "closed": 0, "by_kind": {},
                 "by_county": defaultdict(int), "by_outcome": {}} for v, label in View.choices}
    for view, status, kind, overdue, path, outcome, n in (
        qs.annotate(overdue=ExpressionWrapper(Q(due_on__lt=today), output_field=BooleanField())).values_list("view", "status", "kind", "overdue", "region__path",
                                                             "outcome")
        .annotate(n=Count("id")).order_by()
    ):
        v = views[view]
        if status == AnomalyStatus.OPEN:
            v["open"] += n
            v["overdue"] += n if overdue else 0
            title = str(Kind(kind).label)
            v["by_kind"][title] = v["by_kind"].get(title, 0) + n
            v["by_county"][_county_of(path)] += n
        else:
            v["closed"] += n
            v["by_outcome"][outcome] = v["by_outcome"].get(outcome, 0) + n
    names = dict(Region.objects.filter(code__in={c for v in views.values() for c in v["by_county"]})
                 .values_list("code", "name"))
    for v in views.values():
        v["by_county"] = {names.get(c, c): n for c, n in sorted(v["by_county"].items())}
    return {"views": list(views.values()), "stages": stage_durations_for_user(user=user)}


def stage_durations_for_user(*, user, limit: int = 20000) -> list[dict]:
    """办理流程: average and longest days spent in each step (from the case timelines in scope),
    and how many moves left a step late."""
    cases = scope(Case.objects.all(), user=user).values("pk")
    rows = list(CaseTransition.objects.filter(case__in=cases).order_by("case_id", "seq")
                .values_list("case_id", "to_status", "at", "late")[:limit])
    spent: dict[str, list[float]] = defaultdict(list)
    late: dict[str, int] = defaultdict(int)
    for (c1, status, at1, _l1), (c2, _s2, at2, late2) in zip(rows, rows[1:], strict=False):
        if c1 == c2:
            spent[status].append((at2 - at1).total_seconds() / 86400)
            late[status] += bool(late2)
    return [{"status": s, "moves": len(d), "avg_days": round(sum(d) / len(d), 2), "max_days": round(max(d), 2),
             "late": late[s]} for s, d in sorted(spent.items())]


def breaches_by_officer_for_user(*, user) -> list[dict]:
    """Open cases past their deadline, by the officer who last moved each one."""
    now = timezone.now()
    cases = scope(Case.objects.filter(is_open=True, due_at__lt=now), user=user)
    last = (CaseTransition.objects.filter(case__in=cases.values("pk"), seq=F("case__version"))
            .values("actor__display_name", "case__region__name").annotate(n=Count("id")).order_by("-n"))
    return [{"officer": r["actor__display_name"] or "—", "region": r["case__region__name"], "n": r["n"]} for r in last]


def recovery_list_for_user(*, user) -> QuerySet[RecoveryOrder]:
    require(user, Action.RECOVERY_MANAGE)
    return scope(RecoveryOrder.objects.select_related("household", "anomaly"), user=user)


def recovery_get_for_user(*, user, order_id: int) -> RecoveryOrder:
    require(user, Action.RECOVERY_MANAGE)
    return get_scoped(scope(RecoveryOrder.objects.select_related("household", "person", "anomaly", "ordered_by"), user=user),
                      user=user, error=RecoveryNotFound, pk=order_id)
