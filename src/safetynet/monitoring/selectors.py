"""Reads: alerts, region-scoped (core.access.scope) and limited to the roles that follow them up."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.monitoring.errors import AlertNotFound
from safetynet.monitoring.indicators import library
from safetynet.monitoring.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    AlertStatus,
    LearningPhase,
    LearningVisit,
    MonitorRun,
    RiskModel,
    RunMode,
    VisitCapacity,
    VisitFact,
)
from safetynet.regions.models import Level, Region
from safetynet.registry.models import Membership
from safetynet.registry.selectors import household_match_q


def alert_list_for_user(*, user, level: str | None = None, status: str | None = None) -> QuerySet[Alert]:
    require(user, Action.ALERT_READ)
    qs = scope(Alert.objects.select_related("household__region", "assigned_to"), user=user)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    return qs


def alert_get_for_user(*, user, alert_id: int) -> Alert:
    require(user, Action.ALERT_READ)
    qs = scope(Alert.objects.select_related("household__region", "assigned_to"), user=user)
    return get_scoped(qs, user=user, error=AlertNotFound, pk=alert_id)


# ---------------------------------------------------------------------------------------------
# Pages (web): the worker's open alerts, a household's alerts, the dashboard's aggregates.

#: Outcomes that count as a true positive / a false positive for a condition's precision.
POSITIVE_OUTCOMES = ("assisted_new_case", "referred")
NEGATIVE_OUTCOMES = ("false_alarm", "not_eligible")


def alert_open_list_for_user(
    *, user, level: str | None = None, region_code: str | None = None, overdue_only: bool = False, q: str = "",
) -> QuerySet[Alert]:
    """Open alerts in the user's region, earliest deadline (so overdue) first; filtered by level,
    community, overdue, and found by 户号 or a member's name, ID number or phone. Each carries the
    household head's name (``head_name``) for the worker's list."""
    qs = alert_list_for_user(user=user, level=level or None).filter(status__in=OPEN_STATUSES)
    if region_code:
        qs = qs.filter(household__region__path__contains=f"{region_code}/")
    if overdue_only:
        qs = qs.filter(due_at__lt=timezone.now())
    if q.strip():
        qs = qs.filter(household_match_q(q, "household__"))
    head = Membership.objects.filter(household=OuterRef("household_id"), left_on__isnull=True, relationship="head")
    return (qs.select_related("household").annotate(head_name=Subquery(head.order_by("joined_on").values("person__name")[:1]))
            .order_by("due_at", "id"))


def alert_list_for_household(*, user, household_id: int) -> QuerySet[Alert]:
    return alert_list_for_user(user=user).filter(household_id=household_id).order_by("-created_at", "-id")


def _county_code(code: str) -> str:
    return code[:6] + "0" * (len(code) - 6)


def _tally(rows: dict[str, dict], key: str, outcome: str, n: int) -> None:
    row = rows.setdefault(key, {"positive": 0, "negative": 0})
    if outcome in POSITIVE_OUTCOMES:
        row["positive"] += n
    elif outcome in NEGATIVE_OUTCOMES:
        row["negative"] += n


def alert_dashboard_for_user(*, user) -> dict:
    """Counts of the user's region's alerts: by county and level, by condition, by dimension of
    the points alerts' indicators, by outcome, and the precision among closed alerts of each
    condition and of each indicator."""

    require(user, Action.MONITORING_DASHBOARD)
    alerts = scope(Alert.objects.all(), user=user)
    by_district: dict[str, dict[str, int]] = {}
    for code, level, n in (alerts.values_list("household__region__code", "level")
                           .annotate(n=Count("id")).order_by()):
        row = by_district.setdefault(_county_code(code), {})
        row[level] = row.get(level, 0) + n
    names = dict(Region.objects.filter(code__in=by_district).values_list("code", "name"))
    by_condition = dict(alerts.values_list("condition").annotate(n=Count("id")).order_by())
    outcomes = dict(alerts.filter(status=AlertStatus.CLOSED).values_list("outcome").annotate(n=Count("id"))
                    .order_by())
    closed = (alerts.filter(status=AlertStatus.CLOSED).values_list("condition", "outcome")
              .annotate(n=Count("id")).order_by())
    precision: dict[str, dict] = {}
    for condition, outcome, n in closed:
        _tally(precision, condition, outcome, n)
    # An indicator's precision: the closed points alerts that listed it among their reasons.
    indicator_precision: dict[str, dict] = {}
    for outcome, reasons in (alerts.filter(condition="points", status=AlertStatus.CLOSED)
                             .values_list("outcome", "reasons").iterator()):
        for code in (reasons or {}).get("indicators", []):
            _tally(indicator_precision, code, outcome, 1)
    for row in [*precision.values(), *indicator_precision.values()]:
        judged = row["positive"] + row["negative"]
        row["precision"] = round(row["positive"] / judged, 4) if judged else None
    lib = library()
    dimension_of = {i.code: i.dimension for i in lib.indicators}
    by_dimension: dict[str, int] = {}
    for reasons in alerts.filter(condition="points").values_list("reasons", flat=True).iterator():
        for dim in {dimension_of.get(c) for c in (reasons or {}).get("indicators", [])} - {None}:
            by_dimension[dim] = by_dimension.get(dim, 0) + 1
    return {
        "by_district": {code: {"name": names.get(code, code), "levels": levels}
                        for code, levels in sorted(by_district.items())},
        "by_condition": by_condition,
        "by_dimension": by_dimension,
        "outcomes": outcomes,
        "precision": precision,
        "indicator_precision": indicator_precision,
        "latest_run": MonitorRun.objects.filter(mode=RunMode.FULL).order_by("-on", "-id").first(),
        "dispatch": dispatch_summary(alerts=alerts, user=user),
    }


def dispatch_summary(*, alerts: QuerySet[Alert], user) -> dict:
    """Capacity, the week's dispatched alerts (of which the model's own: 模型预警 for households
    no rule alerted, 抽样核查 drawn at random), the backlog and the finds the model expects, and
    the model in use (its version, training period, metrics and fairness)."""
    open_alerts = alerts.filter(status__in=OPEN_STATUSES)
    dispatched = open_alerts.filter(dispatched_at__isnull=False)
    communities = Region.objects.filter(level=Level.COMMUNITY)
    if user.region_id:
        communities = communities.filter(path__startswith=user.region.path)
    set_ = dict(VisitCapacity.objects.filter(region__in=communities).values_list("region_id", "weekly_visits"))
    capacity = sum(set_.get(pk, settings.MONITORING_WEEKLY_VISITS) for pk in communities.values_list("pk", flat=True))
    sums = dispatched.aggregate(risk=Sum("risk"), model=Count("pk", filter=Q(kind=AlertKind.MODEL)),
                                sample=Count("pk", filter=Q(kind=AlertKind.SAMPLE)))
    return {
        "capacity_weekly": capacity,
        "communities": communities.count(),
        "dispatched": dispatched.count(),
        "mandatory": dispatched.filter(mandatory=True).count(),
        "backlog": open_alerts.filter(dispatched_at__isnull=True).count(),
        "expected_finds": round(sums["risk"] or 0.0, 1),
        "model_alerts": sums["model"],
        "sample_alerts": sums["sample"],
        "model": RiskModel.objects.filter(promoted=True).order_by("-version").first(),
        "allocation": capacity_recommended(communities=communities),
        "learning": learning_summary(user=user),
    }


def learning_summary(*, user) -> dict | None:
    """The latest learning phase (学习期, ``monitoring.learning_phase``): whether it goes on, its
    months, the latest month's recall estimate (overall and per cell: the city's, read from visit
    outcomes) and the sample visits in the user's region still waiting for an outcome; ``None``
    before any model was promoted."""
    phase = LearningPhase.objects.order_by("-id").first()
    if phase is None:
        return None
    periods = list(phase.periods.order_by("month"))
    estimated = [p for p in periods if p.estimate is not None]
    waiting = scope(LearningVisit.objects.filter(period__phase=phase, sample=True,
                                                 alert__visit_outcomes__isnull=True), user=user)
    latest = estimated[-1] if estimated else None
    return {"phase": phase, "learning": phase.ended_on is None, "periods": len(periods), "latest": latest,
            "cells": learning_cells(latest.estimate) if latest else [], "waiting": waiting.count()}


def learning_cells(estimate: dict) -> list[dict]:
    """An estimate's cells (``model.training.cells_of``: "rural;district_<code>;") as rows: rural
    or not, the district's name, and the cell's figures; the lowest estimated recall first."""
    rows = []
    for label, figures in (estimate.get("cells") or {}).items():
        parts = [p for p in label.split(";") if p]
        district = next((p.removeprefix("district_") for p in parts if p.startswith("district_")), "")
        rows.append({"rural": "rural" in parts, "district": district, **figures})
    names = dict(Region.objects.filter(code__in=[r["district"].ljust(12, "0") for r in rows if r["district"]])
                 .values_list("code", "name"))
    for r in rows:
        r["district"] = names.get(r["district"].ljust(12, "0"), r["district"])
    return sorted(rows, key=lambda r: (r["recall"] if r["recall"] is not None else 2.0, r["district"], r["rural"]))


def capacity_recommended(*, communities: QuerySet[Region]) -> list[dict]:
    """The latest run's recommended capacity per community (``model.dispatch.recommend``: the same
    total, placed by expected need), for the communities given, the largest change first; empty
    without a model."""
    run = MonitorRun.objects.filter(mode=RunMode.FULL).order_by("-on", "-id").first()
    allocation = ((run.counts or {}).get("dispatch") or {}).get("allocation") if run else None
    if not allocation:
        return []
    names = dict(communities.filter(pk__in=[int(k) for k in allocation]).values_list("pk", "name"))
    rows = [{"community": names[int(k)], **v, "change": v["recommended"] - v["capacity"]}
            for k, v in allocation.items() if int(k) in names]
    return sorted(rows, key=lambda r: (-abs(r["change"]), r["community"]))



def visit_facts_for_household(*, user, household_id: int) -> list[VisitFact]:
    """What home visits found for a household (facts citing the visit), newest first; only in the
    user's region."""
    return list(scope(VisitFact.objects.select_related("outcome"), user=user)
                .filter(household_id=household_id).order_by("-as_of", "-id"))
