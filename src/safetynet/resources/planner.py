"""From the database to the optimiser and back: the catalogue as arrays, what is left of each
resource this month, who qualifies (eligibility and service area), and the reasons for every
resource chosen or not, in plain words.

:func:`plan` runs both the optimiser and the greedy baseline on the same instance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count
from django.utils.translation import gettext as _

from safetynet.resources import eligibility, optimiser
from safetynet.resources.models import (
    CATEGORIES,
    HOLDING_STATUSES,
    NeedCategory,
    Referral,
    Resource,
    ResourceStatus,
)


def month_start(on: dt.date) -> dt.date:
    return on.replace(day=1)


@dataclass
class Catalogue:
    """The active resources as arrays (row r = ``resources[r]``), with what is left this month."""

    resources: list[Resource]
    effect: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    budget: np.ndarray
    used: np.ndarray
    conditions: list[list[eligibility.Condition]]
    area_paths: list[str]
    exclusive: list[tuple[int, int]]
    requires: list[tuple[int, int]]
    #: ``[r]``: requires a resource no longer on offer, so cannot be given.
    blocked: np.ndarray

    @property
    def capacity_left(self) -> np.ndarray:
        return np.maximum(self.capacity - self.used, 0)

    @property
    def budget_left(self) -> np.ndarray:
        return np.where(self.budget >= 0, np.maximum(self.budget - self.used * self.cost, 0), -1)

    def index(self) -> dict[int, int]:
        return {r.pk: i for i, r in enumerate(self.resources)}


def catalogue_load(*, period: dt.date, queryset=None) -> Catalogue:
    qs = queryset if queryset is not None else Resource.objects.filter(status=ResourceStatus.ACTIVE)
    resources = list(qs.select_related("provider", "service_area").prefetch_related("exclusive_with", "requires")
                     .order_by("id"))
    index = {r.pk: i for i, r in enumerate(resources)}
    R = len(resources)
    effect = np.zeros((R, len(CATEGORIES)))
    col = {c: k for k, c in enumerate(CATEGORIES)}
    for i, r in enumerate(resources):
        for category, percent in (r.meets or {}).items():
            if category in col:
                effect[i, col[category]] = min(max(float(percent), 0.0), 100.0) / 100.0
    used_rows = (Referral.objects.filter(period=month_start(period), status__in=HOLDING_STATUSES,
                                         resource_id__in=index)
                 .values_list("resource_id").annotate(n=Count("id")).order_by())
    used = np.zeros(R, dtype=np.int64)
    for rid, n in used_rows:
        used[index[rid]] = n
    exclusive, requires = set(), []
    blocked = np.zeros(R, dtype=bool)
    for i, r in enumerate(resources):
        for other in r.exclusive_with.all():
            if other.pk in index:
                exclusive.add(tuple(sorted((i, index[other.pk]))))
        for other in r.requires.all():
            if other.pk in index:
                requires.append((i, index[other.pk]))
            else:
                blocked[i] = True
    return Catalogue(
        resources=resources,
        effect=effect,
        capacity=np.array([r.capacity for r in resources], dtype=np.int64),
        cost=np.array([r.unit_cost_fen for r in resources], dtype=np.int64),
        budget=np.array([r.budget_fen if r.budget_fen is not None else -1 for r in resources], dtype=np.int64),
        used=used,
        conditions=[eligibility.parse_conditions(r.conditions) for r in resources],
        area_paths=[r.service_area.path for r in resources],
        exclusive=sorted(exclusive),
        requires=requires,
        blocked=blocked,
    )


def in_area(catalogue: Catalogue, region_paths: list[str]) -> np.ndarray:
    """``[h, r]``: the household lives in the resource's service area."""
    out = np.zeros((len(region_paths), len(catalogue.resources)), dtype=bool)
    paths = np.array(region_paths, dtype=object)
    for r, area in enumerate(catalogue.area_paths):
        out[:, r] = np.fromiter((p.startswith(area) for p in paths), dtype=bool, count=len(paths))
    return out


@dataclass
class Plan:
    """One run: the instance, the optimiser's and the greedy baseline's solutions."""

    household_ids: np.ndarray
    catalogue: Catalogue
    problem: optimiser.Problem
    conditions_ok: np.ndarray
    area_ok: np.ndarray
    values: dict[str, np.ndarray]
    solution: optimiser.Solution
    greedy: optimiser.Solution
    extra: dict = field(default_factory=dict)

    @property
    def need_total(self) -> float:
        return float(self.problem.weight.sum())

    def summary(self) -> dict:
        s, g = self.solution, self.greedy
        used = s.assign.sum(axis=0)
        cat = self.catalogue
        return {
            "households": int(len(self.household_ids)),
            "resources": len(cat.resources),
            "need_total": round(self.need_total, 3),
            "need_met": round(s.need_met, 3),
            "greedy_need_met": round(g.need_met, 3),
            "margin": round(s.need_met - g.need_met, 3),
            "margin_percent": round((s.need_met - g.need_met) / g.need_met * 100, 3) if g.need_met else 0.0,
            "bound": round(s.bound, 3),
            "gap": s.gap,
            "method": s.method,
            "status": s.status,
            "seconds": round(s.seconds, 3),
            "greedy_seconds": round(g.seconds, 3),
            "assignments": int(used.sum()),
            "capacity_used": int(used.sum()),
            "capacity_left_before": int(cat.capacity_left.sum()),
            "budget_used_fen": int((used * cat.cost).sum()),
            "budget_left_before_fen": int(cat.budget_left[cat.budget >= 0].sum()),
            "violations": optimiser.violations(self.problem, s.assign),
            "unfair_households": int(len(optimiser.unfair(self.problem, s.assign))),
        }

    def resource_rows(self) -> list[dict]:
        cat = self.catalogue
        used = self.solution.assign.sum(axis=0)
        greedy_used = self.greedy.assign.sum(axis=0)
        return [{"code": r.code, "name": r.name, "provider": r.provider.name,
                 "capacity_left": int(cat.capacity_left[i]), "used": int(used[i]), "greedy_used": int(greedy_used[i]),
                 "budget_left_fen": int(cat.budget_left[i]), "budget_used_fen": int(used[i] * cat.cost[i])}
                for i, r in enumerate(cat.resources)]


def plan(*, household_ids: np.ndarray, region_codes, region_paths: list[str], values: dict[str, np.ndarray],
         severity: np.ndarray, catalogue: Catalogue, time_limit: float = 50.0) -> Plan:
    n = len(household_ids)
    conditions_ok = eligibility.evaluate(catalogue.conditions, values, n)
    area_ok = in_area(catalogue, region_paths)
    problem = optimiser.Problem(
        severity=severity,
        eligible=conditions_ok & area_ok & ~catalogue.blocked[None, :],
        effect=catalogue.effect,
        capacity=catalogue.capacity_left,
        cost=catalogue.cost,
        budget=catalogue.budget_left,
        exclusive=catalogue.exclusive,
        requires=catalogue.requires,
    )
    greedy = optimiser.solve_greedy(problem)
    solution = optimiser.solve(problem, time_limit=time_limit, greedy=greedy)
    return Plan(household_ids, catalogue, problem, conditions_ok, area_ok, values, solution, greedy)


def explain(p: Plan, h: int) -> dict:
    """Why each resource was chosen for household ``h`` or not, with a code and plain words.

    Codes: ``chosen``, ``no_need`` (meets none of its needs), ``out_of_area``, ``not_eligible``,
    ``no_capacity`` (nothing left this month), ``given_to_greater_need`` (used up by this run),
    ``exclusive`` (cannot be held with a chosen one), ``requires`` (needs another first),
    ``need_already_met``."""
    cat, prob = p.catalogue, p.problem
    assign = p.solution.assign
    used = assign.sum(axis=0)
    labels = dict(NeedCategory.choices)
    sev = prob.severity[h]
    out = {}
    share = np.minimum(1.0, assign[h].astype(float) @ prob.effect)
    for r, res in enumerate(cat.resources):
        meets = [CATEGORIES[c] for c in np.flatnonzero(prob.effect[r] > 0)]
        needed = [c for c in meets if sev[CATEGORIES.index(c)] > 0]
        met_words = "、".join(f"{labels[c]}（{int(prob.effect[r, CATEGORIES.index(c)] * 100)}%）" for c in needed)
        if assign[h, r]:
            code, text = "chosen", _("选中：满足%(m)s") % {"m": met_words or _("所需的前置资源")}
        elif not needed:
            code, text = "no_need", _("本户没有它所满足的需求")
        elif not p.area_ok[h, r]:
            code, text = "out_of_area", _("本户不在其服务范围（%(a)s）内") % {"a": res.service_area.name}
        elif not p.conditions_ok[h, r]:
            why = eligibility.failed(cat.conditions[r], p.values, h)
            code, text = "not_eligible", _("不符合申领条件：%(w)s") % {"w": "；".join(why)}
        elif prob.room[r] <= 0:
            code, text = "no_capacity", _("本月名额或预算已用完")
        elif used[r] >= prob.room[r]:
            code, text = "given_to_greater_need", _("本月剩余名额已分配给需求更急的家庭")
        elif any(assign[h, b] for a, b in cat.exclusive if a == r) or any(assign[h, a] for a, b in cat.exclusive
                                                                           if b == r):
            others = [cat.resources[b].name for a, b in cat.exclusive if a == r and assign[h, b]]
            others += [cat.resources[a].name for a, b in cat.exclusive if b == r and assign[h, a]]
            code, text = "exclusive", _("不能与已选的“%(o)s”同时享受") % {"o": "、".join(others)}
        elif any(not assign[h, b] for a, b in cat.requires if a == r):
            names = [cat.resources[b].name for a, b in cat.requires if a == r and not assign[h, b]]
            code, text = "requires", _("须先享受“%(o)s”") % {"o": "、".join(names)}
        else:
            code, text = "need_already_met", _("相关需求已由选中的资源满足（%(m)s）") % {
                "m": "、".join(f"{labels[c]} {int(share[CATEGORIES.index(c)] * 100)}%" for c in needed)}
        out[res.code] = {"resource_id": res.pk, "name": res.name, "chosen": bool(assign[h, r]), "code": code, "reason": text,
                         "needs": needed}
    return out
