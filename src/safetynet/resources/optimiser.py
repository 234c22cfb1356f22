"""The package optimiser (救助包优化): which household gets which resource.

A pure module on arrays, with no database: :class:`Problem` in, :class:`Solution` out.

The programme. For every household ``h`` and every resource ``r`` it may receive, a binary
``x[h,r]``; for every need category ``c`` of the household, the share met ``y[h,c]`` in [0, 1].

    maximise   Σ w(severity[h,c]) · y[h,c]                  (weighted need met)
    subject to y[h,c] ≤ Σ_r effect[r,c] · x[h,r]              (a need is met by what meets it)
               Σ_h x[h,r] ≤ capacity[r];  Σ_h cost[r] x[h,r] ≤ budget[r]
               x[h,a] + x[h,b] ≤ 1          (a and b exclusive: 不得叠加)
               x[h,a] ≤ x[h,b]              (a requires b)
               fairness: u[h] ≤ Σ_{r meets h's most severe need} x[h,r];  u[h] + full[r] ≥ 1
                         for each such r;  Σ_h x[h,r] ≥ room[r] · full[r]   (full[r] binary)

The fairness rows say: a household's most severe need is met, or every resource that could
meet it (and that it may receive) is used up. The weights grow threefold a severity level, so a
household in greater need is served first. Fairness is not asked of resources that require
another (taking them may be impossible although capacity is left).

Ways to solve (:func:`solve` picks):

* :func:`solve_exact`: the programme as it stands, a MIP for HiGHS; the gap is HiGHS's proven
  gap. One household, a street: up to :data:`EXACT_LIMIT` candidate pairs.
* Large batches rest on one fact: households with the same needs and eligibility (a *type*) are
  interchangeable. :func:`solve_by_patterns` (what :func:`solve` uses): column generation over
  *bundles*. The master LP (:class:`patterns.Master`) has a variable per (type, bundle) — how
  many of the type's households receive that bundle, valued exactly for the type (need met
  capped at 1 per category; exclusivity and requires inside the bundle) — with the capacity and
  budget rows and one row per type (at most its count). Pricing finds, at the master's duals,
  each type's best bundle: quickly (a vectorised greedy at smoothed prices) while that finds
  columns, then exactly (:func:`patterns.best_bundles`: subsets enumerated after dropping the
  resources worth less than their price, one shared MIP for the types with many left, a quick
  relaxation skipping types that cannot price out). Every exact round gives a proven bound,
  the Lagrangian one: capacity and budget rent at the duals plus Σ count × the type's best
  reduced value; it equals the LP once no bundle prices out. Fairness is left out of the
  master, so it bounds a relaxation. Out-of-basis bundles are pruned as rounds go. Hand-out:
  each basic count rounded down gives whole bundles to the type's households (at a vertex,
  no more types are split than there are capacity and budget rows), what is left goes where it
  helps most, fairness is repaired, and the gap is (bound − need met) / bound on the result.
  On the demo city this bound equals the proven optimum; the older type-aggregated LP
  (:func:`type_bound`, effects added up over a type) is looser.
  :func:`solve_by_types`: the type-aggregated programme as a MIP (small types split into single
  households), its counts handed out like water; :func:`solve` also runs it when a batch has
  few types and time is left, keeping the better assignment and the tighter bound.

:func:`solve_greedy` is the baseline: households in order of their most severe need, each
taking, need by need, the resource that meets most of it.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

from safetynet.resources import patterns

#: Weight of a need met in full, by severity (0 none, 1 轻, 2 中, 3 重, 4 危).
SEVERITY_WEIGHT = np.array([0.0, 1.0, 3.0, 9.0, 27.0])
#: Batches with more candidate pairs than this are solved by type aggregation.
EXACT_LIMIT = 5_000
#: Batches with at most this many household types are also solved as a type MIP, when time is left.
TYPES_MIP_LIMIT = 800
#: Types of at most this many households are modelled household by household.
SMALL_TYPE = 16
#: Column generation prices every type exactly once the quick pricing finds new bundles for
#: fewer than this share of the types.
QUICK_PRICING_SHARE = 0.05
#: Each round the master drops the bundles out of its basis whose reduced value is below
#: minus this (in need-weight units: a moderate need met in full is worth 3).
PRUNE_SLACK = 3.0
#: A tiny cost per assignment, so a resource that adds nothing is not handed out.
_EPS = 1e-6


def silence_banner() -> None:
    """HiGHS prints its banner on the process's first solver, at the C level; a command that
    writes JSON to stdout builds that first solver with stdout pointed elsewhere."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class Problem:
    """``severity[h,c]`` 0–4; ``eligible[h,r]``; ``effect[r,c]`` in [0, 1]; ``capacity[r]`` units;
    ``cost[r]`` and ``budget[r]`` in fen (``budget`` −1: no budget). ``exclusive`` pairs and
    ``requires`` pairs ``(a, b)`` (a requires b) are resource indices."""

    severity: np.ndarray
    eligible: np.ndarray
    effect: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    budget: np.ndarray
    exclusive: list[tuple[int, int]] = field(default_factory=list)
    requires: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.severity = np.asarray(self.severity, dtype=np.int8)
        self.eligible = np.asarray(self.eligible, dtype=bool)
        self.effect = np.asarray(self.effect, dtype=np.float64)
        self.capacity = np.asarray(self.capacity, dtype=np.int64)
        self.cost = np.asarray(self.cost, dtype=np.int64)
        self.budget = np.asarray(self.budget, dtype=np.int64)
        h, c = self.severity.shape
        r = self.effect.shape[0]
        if self.eligible.shape != (h, r) or self.effect.shape != (r, c):
            raise ValueError("severity, eligible and effect do not agree in shape")
        for arr in (self.capacity, self.cost, self.budget):
            if arr.shape != (r,):
                raise ValueError("capacity, cost and budget need one value per resource")
        if (self.severity < 0).any() or (self.severity > 4).any():
            raise ValueError("severity is 0–4")
        if (self.effect < 0).any() or (self.effect > 1).any():
            raise ValueError("effect is in [0, 1]")
        if (self.capacity < 0).any() or (self.cost < 0).any():
            raise ValueError("capacity and cost are not negative")

    @property
    def households(self) -> int:
        return self.severity.shape[0]

    @property
    def resources(self) -> int:
        return self.effect.shape[0]

    @property
    def weight(self) -> np.ndarray:
        return SEVERITY_WEIGHT[self.severity]

    @property
    def room(self) -> np.ndarray:
        """Units each resource can give: its capacity, or what its budget buys if fewer."""
        room = self.capacity.copy()
        priced = (self.budget >= 0) & (self.cost > 0)
        room[priced] = np.minimum(room[priced], self.budget[priced] // self.cost[priced])
        return room

    def top_needs(self) -> np.ndarray:
        """``[h,c]``: c is (one of) h's most severe needs."""
        top = self.severity.max(axis=1, keepdims=True)
        return (self.severity == top) & (top > 0)

    def required_by(self) -> np.ndarray:
        """``[r]``: r requires another resource (no fairness row for it)."""
        out = np.zeros(self.resources, dtype=bool)
        for a, _b in self.requires:
            out[a] = True
        return out

    def candidates(self) -> np.ndarray:
        """``[h,r]``: eligible and meets one of h's needs, or is required by such a resource."""
        useful = self.eligible & ((self.severity > 0).astype(np.float64) @ self.effect.T > 0)
        changed = True
        while changed and self.requires:
            changed = False
            for a, b in self.requires:
                add = useful[:, a] & self.eligible[:, b] & ~useful[:, b]
                if add.any():
                    useful[:, b] |= add
                    changed = True
        return useful

    def addresses_top(self) -> np.ndarray:
        """``[h,r]``: r meets (part of) h's most severe need."""
        return (self.top_needs().astype(np.float64) @ (self.effect.T > 0)) > 0


@dataclass
class Solution:
    """``assign[h,r]`` true when h gets r. ``need_met`` is recomputed from the assignment;
    ``bound`` is a proven upper bound on the best fair assignment; ``gap`` = (bound −
    need_met) / bound (0 when both are 0)."""

    assign: np.ndarray
    need_met: float
    bound: float
    gap: float
    method: str
    seconds: float
    status: str = "optimal"

    def used(self) -> np.ndarray:
        return self.assign.sum(axis=0)


def need_met(problem: Problem, assign: np.ndarray) -> float:
    """Σ w · min(1, Σ effect · x): the weighted need an assignment meets."""
    share = np.minimum(1.0, assign.astype(np.float64) @ problem.effect)
    return float((problem.weight * share).sum())


def violations(problem: Problem, assign: np.ndarray) -> list[str]:
    """Every hard constraint the assignment breaks (eligibility, capacity, budget, stacking)."""
    out = []
    assign = np.asarray(assign, dtype=bool)
    if (assign & ~problem.eligible).any():
        out.append("eligibility")
    used = assign.sum(axis=0)
    if (used > problem.capacity).any():
        out.append("capacity")
    spent = used * problem.cost
    if ((problem.budget >= 0) & (spent > problem.budget)).any():
        out.append("budget")
    for a, b in problem.exclusive:
        if (assign[:, a] & assign[:, b]).any():
            out.append(f"exclusive:{a}:{b}")
    for a, b in problem.requires:
        if (assign[:, a] & ~assign[:, b]).any():
            out.append(f"requires:{a}:{b}")
    return out


def unfair(problem: Problem, assign: np.ndarray) -> np.ndarray:
    """Households whose most severe need is unmet although a resource that meets it, that they
    may receive and that requires nothing, still has room."""
    top_met = (assign.astype(np.float64) @ (problem.effect > 0).astype(np.float64) * problem.top_needs()).sum(axis=1) > 0
    has_top = problem.top_needs().any(axis=1)
    left = problem.room - assign.sum(axis=0)
    open_r = (left > 0) & ~problem.required_by()
    could = (problem.eligible & problem.addresses_top() & open_r[None, :]).any(axis=1)
    return np.flatnonzero(has_top & ~top_met & could)


# ------------------------------------------------------------------------------------------
# The model builder: columns and rows, handed to HiGHS in one call.


class _Model:
    def __init__(self) -> None:
        self.cost: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.ncol = 0
        self.rows_i: list[np.ndarray] = []
        self.rows_j: list[np.ndarray] = []
        self.rows_v: list[np.ndarray] = []
        self.row_lower: list[np.ndarray] = []
        self.row_upper: list[np.ndarray] = []
        self.nrow = 0

    def columns(self, n: int, *, cost=0.0, lower=0.0, upper=1.0, integer=False) -> np.ndarray:
        start = self.ncol
        self.ncol += n
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        self.integer.append(np.full(n, 1 if integer else 0, dtype=np.int32))
        return np.arange(start, start + n)

    def rows(self, n: int, i: np.ndarray, j: np.ndarray, v: np.ndarray, *, lower=-np.inf, upper=np.inf) -> None:
        """``n`` rows; entry ``k`` puts ``v[k]`` at (row ``i[k]`` of these, column ``j[k]``)."""
        if n == 0:
            return
        self.rows_i.append(np.asarray(i, dtype=np.int64) + self.nrow)
        self.rows_j.append(np.asarray(j, dtype=np.int64))
        self.rows_v.append(np.asarray(v, dtype=np.float64))
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        self.nrow += n

    def solve(self, *, mip: bool, time_limit: float, rel_gap: float = 1e-4,
              start: np.ndarray | None = None) -> tuple[highspy.Highs, np.ndarray]:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(rel_gap))
        h.setOptionValue("threads", 1)
        lp = highspy.HighsLp()
        lp.num_col_ = self.ncol
        lp.num_row_ = self.nrow
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        if self.nrow:
            i = np.concatenate(self.rows_i)
            j = np.concatenate(self.rows_j)
            v = np.concatenate(self.rows_v)
            lp.row_lower_ = np.concatenate(self.row_lower)
            lp.row_upper_ = np.concatenate(self.row_upper)
        else:
            i = j = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
            lp.row_lower_ = np.zeros(0)
            lp.row_upper_ = np.zeros(0)
        csc = sparse.csc_matrix((v, (i, j)), shape=(self.nrow, self.ncol))
        csc.sum_duplicates()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data
        lp.a_matrix_.num_col_ = self.ncol
        lp.a_matrix_.num_row_ = self.nrow
        if mip:
            integrality = np.concatenate(self.integer)
            lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                               for k in integrality]
        h.passModel(lp)
        if mip and start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        values = np.asarray(h.getSolution().col_value, dtype=np.float64)
        return h, values


# ------------------------------------------------------------------------------------------
# Exact: one binary per candidate pair.


def solve_exact(problem: Problem, *, time_limit: float = 30.0, rel_gap: float = 1e-4,
                fairness: bool = True) -> Solution:
    t0 = time.perf_counter()
    H, R = problem.households, problem.resources
    cand = problem.candidates()
    ph, pr = np.nonzero(cand)
    npair = len(ph)
    assign = np.zeros((H, R), dtype=bool)
    if npair == 0:
        return Solution(assign, 0.0, 0.0, 0.0, "exact", time.perf_counter() - t0)
    m = _Model()
    x = m.columns(npair, cost=-_EPS, integer=True)
    pair_of = {(int(a), int(b)): int(k) for k, (a, b) in enumerate(zip(ph, pr, strict=True))}
    nh, nc = np.nonzero(problem.severity > 0)
    y = m.columns(len(nh), cost=problem.weight[nh, nc], upper=1.0)
    # y[h,c] − Σ effect[r,c] x[h,r] ≤ 0
    need_row = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(nh, nc, strict=True))}
    ri, rj, rv = [np.arange(len(nh))], [y], [np.ones(len(nh))]
    for c in range(problem.effect.shape[1]):
        eff = problem.effect[pr, c]
        sel = np.flatnonzero(eff > 0)
        rows = [need_row.get((int(ph[k]), c), -1) for k in sel]
        keep = [k for k, row in zip(sel, rows, strict=True) if row >= 0]
        ri.append(np.array([need_row[(int(ph[k]), c)] for k in keep], dtype=np.int64))
        rj.append(x[keep])
        rv.append(-eff[keep])
    m.rows(len(nh), np.concatenate(ri), np.concatenate(rj), np.concatenate(rv), upper=0.0)
    _shared_rows(m, problem, x, ph, pr, pair_of, fairness=fairness)
    start = _greedy_start(problem, m, ph, pr, nh, nc) if fairness else None
    h, values = m.solve(mip=True, time_limit=time_limit, rel_gap=rel_gap, start=start)
    status = h.modelStatusToString(h.getModelStatus())
    assign[ph, pr] = values[x] > 0.5
    info = h.getInfo()
    bound = float(info.mip_dual_bound) + _EPS * npair
    met = need_met(problem, assign)
    bound = max(bound, met)
    gap = 0.0 if bound <= 0 else max(0.0, (bound - met) / bound)
    return Solution(assign, met, bound, gap, "exact", time.perf_counter() - t0,
                    status="optimal" if status == "Optimal" else status)


def _shared_rows(m: _Model, problem: Problem, x: np.ndarray, ph: np.ndarray, pr: np.ndarray,
                 pair_of: dict, *, fairness: bool) -> None:
    """Capacity, budget, stacking and fairness rows over the pair columns ``x``."""
    R = problem.resources
    m.rows(R, pr, x, np.ones(len(x)), upper=problem.capacity.astype(np.float64))
    priced = np.flatnonzero((problem.budget >= 0) & (problem.cost > 0))
    if len(priced):
        index = {int(r): k for k, r in enumerate(priced)}
        sel = np.flatnonzero(np.isin(pr, priced))
        m.rows(len(priced), np.array([index[int(pr[k])] for k in sel], dtype=np.int64), x[sel],
               problem.cost[pr[sel]].astype(np.float64), upper=problem.budget[priced].astype(np.float64))
    _stacking_rows(m, problem, pair_of, lambda k: x[k], ones=1.0)
    if not fairness:
        return
    addresses = problem.addresses_top()
    fair_r = ~problem.required_by()
    top_pairs = np.flatnonzero(addresses[ph, pr] & fair_r[pr])
    if len(top_pairs) == 0:
        return
    households = np.unique(ph[top_pairs])
    u = m.columns(len(households), upper=1.0)
    hindex = {int(h): k for k, h in enumerate(households)}
    full = m.columns(R, integer=True)
    # u[h] − Σ_{r meets top} x[h,r] ≤ 0 (any resource meeting it counts, fair or not)
    met_pairs = np.flatnonzero(addresses[ph, pr] & np.isin(ph, households))
    rows_met = np.array([hindex[int(ph[k])] for k in met_pairs], dtype=np.int64)
    m.rows(len(households), np.concatenate([np.arange(len(households)), rows_met]),
           np.concatenate([u, x[met_pairs]]), np.concatenate([np.ones(len(households)), -np.ones(len(met_pairs))]),
           upper=0.0)
    rows_u = np.array([hindex[int(ph[k])] for k in top_pairs], dtype=np.int64)
    # u[h] + full[r] ≥ 1
    n = len(top_pairs)
    m.rows(n, np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([u[rows_u], full[pr[top_pairs]]]),
           np.ones(2 * n), lower=1.0)
    # Σ_h x[h,r] − room[r] · full[r] ≥ 0
    m.rows(R, np.concatenate([pr, np.arange(R)]), np.concatenate([x, full]),
           np.concatenate([np.ones(len(x)), -problem.room.astype(np.float64)]), lower=0.0)


def _stacking_rows(m: _Model, problem: Problem, pair_of: dict, col, *, ones: float | np.ndarray) -> None:
    """x[a] + x[b] ≤ 1 and x[a] − x[b] ≤ 0 for every household holding both as candidates
    (a required resource that is not a candidate forbids the one requiring it)."""
    by_h: dict[int, set[int]] = {}
    for (h, r) in pair_of:
        by_h.setdefault(h, set()).add(r)
    ei, ej, ev, eu = [], [], [], []
    k = 0
    for a, b in problem.exclusive:
        for h, rs in by_h.items():
            if a in rs and b in rs:
                ei += [k, k]
                ej += [col(pair_of[(h, a)]), col(pair_of[(h, b)])]
                ev += [1.0, 1.0]
                eu.append(ones if np.isscalar(ones) else ones[h])
                k += 1
    m.rows(k, np.array(ei, dtype=np.int64), np.array(ej, dtype=np.int64), np.array(ev), upper=np.array(eu, dtype=float))
    ri, rj, rv = [], [], []
    k = 0
    for a, b in problem.requires:
        for h, rs in by_h.items():
            if a in rs:
                ri.append(k)
                rj.append(col(pair_of[(h, a)]))
                rv.append(1.0)
                if b in rs:
                    ri.append(k)
                    rj.append(col(pair_of[(h, b)]))
                    rv.append(-1.0)
                k += 1
    m.rows(k, np.array(ri, dtype=np.int64), np.array(rj, dtype=np.int64), np.array(rv), upper=0.0)


def _greedy_start(problem: Problem, m: _Model, ph, pr, nh, nc) -> np.ndarray | None:
    """The greedy baseline as HiGHS's first incumbent, when it is fair (so the MIP starts at
    least as high as the baseline)."""
    g = solve_greedy(problem)
    if len(unfair(problem, g.assign)):
        return None
    values = np.zeros(m.ncol)
    npair = len(ph)
    values[:npair] = g.assign[ph, pr]
    share = np.minimum(1.0, g.assign.astype(np.float64) @ problem.effect)
    values[npair:npair + len(nh)] = share[nh, nc]
    rest = npair + len(nh)
    if m.ncol > rest:
        # u, then full: a household's top met, a resource full
        addresses = problem.addresses_top()
        fair_r = ~problem.required_by()
        top_pairs = np.flatnonzero(addresses[ph, pr] & fair_r[pr])
        households = np.unique(ph[top_pairs])
        got = (g.assign & addresses & fair_r[None, :]).any(axis=1)
        values[rest:rest + len(households)] = got[households]
        full = g.assign.sum(axis=0) >= problem.room
        values[rest + len(households):] = full
    return values


# ------------------------------------------------------------------------------------------
# Greedy baseline: most severe need first.


# ------------------------------------------------------------------------------------------
# Serving households by groups: identical households (same type, same package so far) are
# served together, and a group splits only when a resource runs out part-way through it. The
# greedy baseline, the hand-out of the types solution and the final fill all use it, so a
# county of 100,000 households takes as many steps as it has types, not households.


def _order(problem: Problem, households: np.ndarray) -> np.ndarray:
    """Most severe need first, then the greatest weighted need."""
    sev = problem.severity[households]
    return households[np.lexsort((households, -problem.weight[households].sum(axis=1), -sev.max(axis=1)))]


def _stack_ok(problem: Problem, r: int, row: np.ndarray, exclusive_of: list[list[int]], requires_of: list[list[int]]) -> bool:
    return not any(row[b] for b in exclusive_of[r]) and all(row[b] for b in requires_of[r])


def _serve(problem: Problem, members: np.ndarray, assign: np.ndarray, left: np.ndarray, cand: np.ndarray,
           stacking, *, by_severity: bool, quota: np.ndarray | None = None, price: np.ndarray | None = None) -> None:
    """Serve a group of identical households (same candidates, same needs, same package so far).

    ``by_severity``: need by need, most severe first, each time the resource that adds most
    (the greedy baseline); otherwise the resource that adds most weighted need overall."""
    exclusive_of, requires_of = stacking
    rep = int(members[0])
    sev = problem.severity[rep]
    w = SEVERITY_WEIGHT[problem.severity[rep]]
    eff = problem.effect
    stack = [(members, assign[rep].copy())]
    while stack:
        group, row = stack.pop()
        share = np.minimum(1.0, row.astype(np.float64) @ eff)
        while len(group):
            avail = left if quota is None else np.minimum(left, quota)
            open_r = cand[rep] & ~row & (avail > 0)
            if not open_r.any():
                break
            gains = ((np.minimum(1.0, share[None, :] + eff) - share[None, :]) * w[None, :]).sum(axis=1)
            if price is not None:
                gains = gains - price
            gains[~open_r] = 0.0
            best = -1
            if by_severity:
                for c in np.argsort(-sev, kind="stable"):
                    if sev[c] == 0:
                        break
                    if share[c] >= 1.0:
                        continue
                    for r in np.flatnonzero(open_r & (eff[:, c] > 0))[np.argsort(-gains[open_r & (eff[:, c] > 0)],
                                                                                   kind="stable")]:
                        if gains[r] > 1e-12 and _stack_ok(problem, int(r), row, exclusive_of, requires_of):
                            best = int(r)
                            break
                    if best >= 0:
                        break
            else:
                for r in np.argsort(-gains, kind="stable"):
                    if gains[r] <= 1e-12:
                        break
                    if _stack_ok(problem, int(r), row, exclusive_of, requires_of):
                        best = int(r)
                        break
            if best < 0:
                break
            k = int(min(len(group), avail[best]))
            if k < len(group):
                stack.append((group[k:], row.copy()))
                group = group[:k]
            assign[group, best] = True
            left[best] -= k
            if quota is not None:
                quota[best] -= k
            row[best] = True
            share = np.minimum(1.0, share + eff[best])


def _distribute(problem: Problem, members: np.ndarray, assign: np.ndarray, left: np.ndarray, cand: np.ndarray,
                stacking, quota: np.ndarray) -> None:
    """Hand a type's counts to its households like water: each unit to the households it helps
    most (partial help is spread, not piled on one household). Households in the same state
    move together; a group splits when a count runs out part-way."""
    exclusive_of, requires_of = stacking
    rep = int(members[0])
    w = SEVERITY_WEIGHT[problem.severity[rep]]
    eff = problem.effect
    groups = [(members, assign[rep].copy())]
    while True:
        best = (1e-12, -1, -1)
        avail = np.minimum(left, quota)
        for g, (_group, row) in enumerate(groups):
            share = np.minimum(1.0, row.astype(np.float64) @ eff)
            open_r = cand[rep] & ~row & (avail > 0)
            if not open_r.any():
                continue
            gains = ((np.minimum(1.0, share[None, :] + eff) - share[None, :]) * w[None, :]).sum(axis=1)
            gains[~open_r] = 0.0
            for r in np.argsort(-gains, kind="stable"):
                if gains[r] <= best[0]:
                    break
                if _stack_ok(problem, int(r), row, exclusive_of, requires_of):
                    best = (float(gains[r]), g, int(r))
                    break
        _gain, g, r = best
        if r < 0:
            return
        group, row = groups[g]
        k = int(min(len(group), avail[r]))
        taken, rest = group[:k], group[k:]
        assign[taken, r] = True
        left[r] -= k
        quota[r] -= k
        new_row = row.copy()
        new_row[r] = True
        groups[g] = (taken, new_row)
        if len(rest):
            groups.append((rest, row))


def _stacking(problem: Problem) -> tuple[list[list[int]], list[list[int]]]:
    exclusive_of: list[list[int]] = [[] for _ in range(problem.resources)]
    requires_of: list[list[int]] = [[] for _ in range(problem.resources)]
    for a, b in problem.exclusive:
        exclusive_of[a].append(b)
        exclusive_of[b].append(a)
    for a, b in problem.requires:
        requires_of[a].append(b)
    return exclusive_of, requires_of


def _row_keys(*parts: np.ndarray) -> np.ndarray:
    """One key per row, equal when the rows are (true/false parts packed to bits): np.unique
    over these is far quicker than over the rows (``axis=0``)."""
    cols = [np.packbits(p, axis=1) if p.dtype == bool else p.astype(np.uint8) for p in parts]
    key = np.ascontiguousarray(np.concatenate(cols, axis=1))
    return key.view(np.dtype((np.void, key.shape[1]))).reshape(-1)


def _groups(problem: Problem, cand: np.ndarray, households: np.ndarray | None = None) -> list[np.ndarray]:
    """Households split into types (same needs, same candidates), in serving order."""
    households = np.arange(problem.households) if households is None else households
    if len(households) == 0:
        return []
    ordered = _order(problem, households)
    key = _row_keys(problem.severity[ordered], cand[ordered])
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # types in the order their first household comes
    out = []
    for t in np.argsort(first, kind="stable"):
        out.append(ordered[inverse == t])
    return out


def _fill(problem: Problem, assign: np.ndarray, left: np.ndarray, cand: np.ndarray, stacking, *,
          by_severity: bool, price: np.ndarray | None = None) -> None:
    """Serve every household, most severe first, from what is left (households keep what they
    hold; groups are formed on their current packages too)."""
    households = _order(problem, np.arange(problem.households))
    key = _row_keys(problem.severity[households], cand[households], assign[households])
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    members = np.split(households[np.argsort(inverse, kind="stable")], np.cumsum(np.bincount(inverse))[:-1])
    for t in np.argsort(first, kind="stable"):
        _serve(problem, members[t], assign, left, cand, stacking, by_severity=by_severity, price=price)


def solve_greedy(problem: Problem) -> Solution:
    """The baseline: households in order of their most severe need; for each, need by need
    (most severe first), the resource that meets most of it, while anything is left."""
    t0 = time.perf_counter()
    assign = np.zeros((problem.households, problem.resources), dtype=bool)
    left = problem.room.copy()
    cand = problem.candidates()
    _fill(problem, assign, left, cand, _stacking(problem), by_severity=True)
    return Solution(assign, need_met(problem, assign), float("nan"), float("nan"), "greedy",
                    time.perf_counter() - t0, status="heuristic")


# ------------------------------------------------------------------------------------------
# Large batches: the programme aggregated by household type.


def _types(problem: Problem, cand: np.ndarray, small: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (severity, candidate) rows: the representative index of each type, the type of
    each household, and the count per type."""
    _, inverse, counts = np.unique(_row_keys(problem.severity, cand), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    # a small type is no type: its households are modelled one by one (exact), since counts
    # spread partial help over households more evenly than whole packages can
    single = counts[inverse] <= small
    label = np.where(single, -1 - np.arange(len(inverse)), inverse)
    _, first, inverse, counts = np.unique(label, return_index=True, return_inverse=True, return_counts=True)
    return first, inverse.reshape(-1), counts


def solve_by_types(problem: Problem, *, time_limit: float = 50.0, rel_gap: float = 0.002,
                   small: int = SMALL_TYPE, integer: bool = True) -> Solution:
    """Households of one type are interchangeable: the programme with one integer count per
    (type, resource) instead of a binary per (household, resource) is a relaxation (a type's
    need met is capped by its count, not household by household), so its proven bound bounds
    the best assignment. Its counts are handed to the type's households by groups, what is left
    goes most-severe-first, fairness is repaired, and the gap is measured on the result."""
    t0 = time.perf_counter()
    H, R = problem.households, problem.resources
    cand = problem.candidates()
    if not cand.any():
        return Solution(np.zeros((H, R), dtype=bool), 0.0, 0.0, 0.0, "types-mip", time.perf_counter() - t0)
    first, type_of, counts = _types(problem, cand, small)
    m, X, tp, trr, pair_of, sub = _type_model(problem, cand, first, counts, x_cost=-_EPS, integer=integer)
    _aggregate_rows(m, sub, X, tp, trr, pair_of, counts)
    h, values = m.solve(mip=integer, time_limit=time_limit, rel_gap=rel_gap)
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if len(values) != m.ncol or info.primal_solution_status != 2:
        raise RuntimeError(f"type programme not solved: {status}")
    bound = float(info.mip_dual_bound if integer else info.objective_function_value) + _EPS * float(counts.sum() * R)
    quota_t = np.zeros((len(first), R), dtype=np.int64)
    quota_t[tp, trr] = (np.floor(values[X] + 1e-6) if integer else np.ceil(values[X] - 1e-6)).astype(np.int64)
    assign = _hand_out(problem, cand, type_of, counts, sub, quota_t)
    met = need_met(problem, assign)
    method = "types-mip"
    bound = max(bound, met)
    gap = 0.0 if bound <= 0 else (bound - met) / bound
    return Solution(assign, met, bound, gap, method, time.perf_counter() - t0, status=status)


def _hand_out(problem: Problem, cand, type_of, counts, sub: Problem, quota_t: np.ndarray) -> np.ndarray:
    """Each type's counts per resource handed to its households (most severe types first), what
    is left given most-severe-first, fairness repaired: a full assignment."""
    assign = np.zeros((problem.households, problem.resources), dtype=bool)
    left = problem.room.copy()
    stacking = _stacking(problem)
    members = np.split(np.argsort(type_of, kind="stable"), np.cumsum(counts)[:-1])
    for t in np.argsort(-sub.severity.max(axis=1), kind="stable"):
        if quota_t[t].any():
            _distribute(problem, members[t], assign, left, cand, stacking, quota_t[t].copy())
    _fill(problem, assign, left, cand, stacking, by_severity=False)
    _repair_fairness(problem, assign, left)
    return assign


def _aggregate_rows(m: _Model, sub: Problem, X, tp, trr, pair_of, counts) -> None:
    R = sub.resources
    m.rows(R, trr, X, np.ones(len(X)), upper=sub.capacity.astype(np.float64))
    priced = np.flatnonzero((sub.budget >= 0) & (sub.cost > 0))
    if len(priced):
        index = {int(r): k for k, r in enumerate(priced)}
        sel = np.flatnonzero(np.isin(trr, priced))
        m.rows(len(priced), np.array([index[int(trr[k])] for k in sel], dtype=np.int64), X[sel],
               sub.cost[trr[sel]].astype(np.float64), upper=sub.budget[priced].astype(np.float64))
    _stacking_rows(m, sub, pair_of, lambda k: X[k], ones=counts.astype(np.float64))
    addresses = sub.addresses_top()
    fair_r = ~sub.required_by()
    top_pairs = np.flatnonzero(addresses[tp, trr] & fair_r[trr])
    if len(top_pairs) == 0:
        return
    types = np.unique(tp[top_pairs])
    U = m.columns(len(types), upper=counts[types].astype(np.float64))
    tindex = {int(t): k for k, t in enumerate(types)}
    full = m.columns(R, upper=1.0)
    met_pairs = np.flatnonzero(addresses[tp, trr] & np.isin(tp, types))
    rows_met = np.array([tindex[int(tp[k])] for k in met_pairs], dtype=np.int64)
    m.rows(len(types), np.concatenate([np.arange(len(types)), rows_met]), np.concatenate([U, X[met_pairs]]),
           np.concatenate([np.ones(len(types)), -np.ones(len(met_pairs))]), upper=0.0)
    rows_u = np.array([tindex[int(tp[k])] for k in top_pairs], dtype=np.int64)
    n = len(top_pairs)
    t_of = tp[top_pairs]
    # U[t] + n_t · full[r] ≥ n_t
    m.rows(n, np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([U[rows_u], full[trr[top_pairs]]]),
           np.concatenate([np.ones(n), counts[t_of].astype(np.float64)]), lower=counts[t_of].astype(np.float64))
    m.rows(R, np.concatenate([trr, np.arange(R)]), np.concatenate([X, full]),
           np.concatenate([np.ones(len(X)), -sub.room.astype(np.float64)]), lower=0.0)


def _repair_fairness(problem: Problem, assign, left) -> None:
    """A household whose most severe need is unmet takes a resource that meets it and has room,
    giving up what that resource is exclusive with."""
    addresses = problem.addresses_top()
    fair_r = ~problem.required_by()
    for h in unfair(problem, assign):
        for r in np.flatnonzero(addresses[h] & problem.eligible[h] & fair_r & (left > 0)):
            for a, b in problem.exclusive:
                other = b if a == r else a if b == r else -1
                if other >= 0 and assign[h, other]:
                    assign[h, other] = False
                    left[other] += 1
                    for a2, b2 in problem.requires:
                        if b2 == other and assign[h, a2]:
                            assign[h, a2] = False
                            left[a2] += 1
            assign[h, r] = True
            left[r] -= 1
            break


def type_bound(problem: Problem, *, time_limit: float = 50.0) -> tuple[float, np.ndarray]:
    """A proven upper bound: the LP relaxation of the programme aggregated by type (every
    resource, capacity, budget, stacking and fairness), which no assignment can beat; and the
    dual price of each resource's scarce unit."""
    lp = _type_lp(problem, time_limit=time_limit)
    return lp["bound"], lp["price"]


def _type_lp(problem: Problem, *, time_limit: float) -> dict:
    """The type-aggregated LP solved once: its bound and the dual prices."""
    cand = problem.candidates()
    R = problem.resources
    if not cand.any():
        return {"bound": 0.0, "price": np.zeros(R)}
    first, type_of, counts = _types(problem, cand)
    m, X, tp, trr, pair_of, sub = _type_model(problem, cand, first, counts, x_cost=0.0, integer=False)
    capacity_row = m.nrow
    _aggregate_rows(m, sub, X, tp, trr, pair_of, counts)
    h, values = m.solve(mip=False, time_limit=time_limit)
    if h.modelStatusToString(h.getModelStatus()) != "Optimal":
        raise RuntimeError("type bound not solved")
    duals = np.abs(np.asarray(h.getSolution().row_dual, dtype=np.float64))
    price = duals[capacity_row:capacity_row + R].copy()
    priced = np.flatnonzero((problem.budget >= 0) & (problem.cost > 0))
    if len(priced):
        price[priced] += duals[capacity_row + R:capacity_row + R + len(priced)] * problem.cost[priced]
    return {"bound": float(h.getInfo().objective_function_value), "price": price}


def solve_by_patterns(problem: Problem, *, time_limit: float = 50.0, start: np.ndarray | None = None,
                      tolerance: float = 1e-3) -> Solution:
    """Large batches by column generation over bundles. Households of one type are
    interchangeable, so the master LP (:class:`patterns.Master`) counts how many households of
    each type receive each bundle, a bundle valued exactly (need met capped at 1 per category,
    stacking inside it); pricing (:func:`patterns.best_bundles`) finds, for every type, the bundle
    worth most at the master's dual prices, and adds it while it is worth more than the type's
    dual. Every round's prices give a proven bound (Lagrangian: rent of capacity and budget plus,
    per type, its count times its best bundle's reduced value); the LP's value is that bound once
    no bundle prices out. Fairness is left out of the master, so the bound is the bound of a
    relaxation. ``start`` (an assignment, the greedy baseline's) seeds the master's bundles.

    Hand-out: each bundle's count rounded down goes to households of its type, what is left
    goes where it helps most, fairness is repaired; the gap is measured on the result."""
    t0 = time.perf_counter()
    H, R = problem.households, problem.resources
    cand = problem.candidates()
    if not cand.any():
        return Solution(np.zeros((H, R), dtype=bool), 0.0, 0.0, 0.0, "patterns", time.perf_counter() - t0)
    first, type_of, counts = _types(problem, cand)
    weight = SEVERITY_WEIGHT[problem.severity[first]]
    tcand = cand[first]
    master = patterns.Master(counts, problem.capacity, problem.cost, problem.budget)

    def values(types: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The value of bundle ``rows[k]`` (true/false per resource) to type ``types[k]``, less
        the tiny cost per assignment."""
        return (np.minimum(1.0, rows @ problem.effect) * weight[types]).sum(axis=1) - _EPS * rows.sum(axis=1)

    if start is not None:
        held = start & cand
        _, one = np.unique(_row_keys(type_of.astype(np.uint32).view(np.uint8).reshape(H, 4), held), return_index=True)
        one = one[held[one].any(axis=1)]
        master.add(type_of[one].tolist(), [np.flatnonzero(held[h]) for h in one], values(type_of[one], held[one]))
    bound = np.inf
    rounds = 0
    smooth = None
    while True:
        rounds += 1
        lp, z, pi, price, rent = master.solve()
        late = time.perf_counter() - t0 > 0.7 * time_limit
        # quick pricing at smoothed prices (the mean of the last ones used and the new duals),
        # which swing less from round to round; a bundle is added when its reduced value at the
        # duals themselves is positive
        smooth = price if smooth is None else 0.5 * (smooth + price)
        chosen = patterns.greedy_bundles(weight, tcand, problem.effect, smooth + _EPS, problem.exclusive,
                                         problem.requires)
        new = np.flatnonzero(values(np.arange(len(counts)), chosen) - chosen @ price > pi + 1e-9 * (1.0 + pi))
        held, which = np.nonzero(chosen[new])
        bundles = dict(zip(new.tolist(), np.split(which, np.searchsorted(held, np.arange(1, len(new)))), strict=True)
                       ) if len(new) else {}
        converged = False
        if len(new) < QUICK_PRICING_SHARE * len(counts) or late:
            found, bundles, top = patterns.best_bundles(weight, tcand, problem.effect, price + _EPS,
                                                        problem.exclusive, problem.requires, counts, floor=pi)
            bound = min(bound, rent + top)
            new = np.flatnonzero(found > pi + 1e-9 * (1.0 + pi))
            converged = len(new) == 0 or bound - lp <= tolerance * bound
        if converged or late:
            break
        master.prune(PRUNE_SLACK)
        rows = np.zeros((len(new), R), dtype=bool)
        for k, t in enumerate(new):
            rows[k, bundles[t]] = True
        master.add(new.tolist(), [bundles[t] for t in new], values(new, rows))
    bound += _EPS * float(problem.room.sum())
    # hand-out: whole bundles to households of their type
    assign = np.zeros((H, R), dtype=bool)
    members = np.split(np.argsort(type_of, kind="stable"), np.cumsum(counts)[:-1])
    taken = np.zeros(len(counts), dtype=np.int64)
    whole = np.floor(z + 1e-9).astype(np.int64)
    for j in np.flatnonzero(whole > 0):
        t = master.types[j]
        got = members[t][taken[t]:taken[t] + whole[j]]
        taken[t] += whole[j]
        assign[np.ix_(got, master.bundles[j])] = True
    left = problem.room - assign.sum(axis=0)
    _fill(problem, assign, left, cand, _stacking(problem), by_severity=False)
    _repair_fairness(problem, assign, left)
    met = need_met(problem, assign)
    bound = max(bound, met)
    gap = 0.0 if bound <= 0 else (bound - met) / bound
    status = "converged" if converged else "time-limit"
    return Solution(assign, met, bound, gap, f"patterns({rounds} rounds, {len(master.types)} bundles)",
                    time.perf_counter() - t0, status=status)


def solve(problem: Problem, *, time_limit: float = 50.0, greedy: Solution | None = None) -> Solution:
    """Exact for small problems. For large ones, column generation over bundles
    (:func:`solve_by_patterns`, seeded with the greedy baseline's bundles); then, if the batch
    has few household types and time is left, the type MIP too, keeping the better assignment
    and the tighter of the two proven bounds. Never worse than the greedy baseline: when that is
    fair and meets more, it is the answer (and the method says so)."""
    t0 = time.perf_counter()
    if int(problem.candidates().sum()) <= EXACT_LIMIT:
        best = solve_exact(problem, time_limit=time_limit)
    else:
        greedy = greedy if greedy is not None else solve_greedy(problem)
        best = solve_by_patterns(problem, time_limit=time_limit, start=greedy.assign)
        left = time_limit - (time.perf_counter() - t0)
        types = len(_types(problem, problem.candidates(), SMALL_TYPE)[0])
        if types <= TYPES_MIP_LIMIT and left > 5:
            try:
                other = solve_by_types(problem, time_limit=left)
            except RuntimeError:
                other = None
            if other is not None:
                bound = min(best.bound, other.bound)
                if other.need_met > best.need_met:
                    best = other
                best.bound = max(bound, best.need_met)
    greedy = greedy if greedy is not None else solve_greedy(problem)
    if greedy.need_met > best.need_met and not len(unfair(problem, greedy.assign)):
        best = Solution(greedy.assign.copy(), greedy.need_met, max(best.bound, greedy.need_met), 0.0,
                        f"{best.method}+greedy", 0.0, status=best.status)
    best.gap = 0.0 if best.bound <= 0 else max(0.0, (best.bound - best.need_met) / best.bound)
    best.seconds = time.perf_counter() - t0
    return best


def _type_model(problem: Problem, cand, first, counts, *, x_cost: float, integer: bool):
    """The model over household types: a column per (type, resource) pair taken up to the type's
    count, a need column per (type, category) met at most by what the pairs deliver; the
    aggregated capacity, budget and stacking rows are added by the caller."""
    tsev = problem.severity[first]
    tp, trr = np.nonzero(cand[first])
    m = _Model()
    X = m.columns(len(tp), cost=x_cost, upper=counts[tp].astype(np.float64), integer=integer)
    nt, nc = np.nonzero(tsev > 0)
    Y = m.columns(len(nt), cost=SEVERITY_WEIGHT[tsev[nt, nc]], upper=counts[nt].astype(np.float64))
    need_row = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(nt, nc, strict=True))}
    ri, rj, rv = [np.arange(len(nt))], [Y], [np.ones(len(nt))]
    for c in range(problem.effect.shape[1]):
        eff = problem.effect[trr, c]
        keep = [k for k in np.flatnonzero(eff > 0) if (int(tp[k]), c) in need_row]
        ri.append(np.array([need_row[(int(tp[k]), c)] for k in keep], dtype=np.int64))
        rj.append(X[keep])
        rv.append(-eff[keep])
    m.rows(len(nt), np.concatenate(ri), np.concatenate(rj), np.concatenate(rv), upper=0.0)
    pair_of = {(int(a), int(b)): int(k) for k, (a, b) in enumerate(zip(tp, trr, strict=True))}
    sub = Problem(tsev, problem.eligible[first], problem.effect, problem.capacity, problem.cost, problem.budget,
                  problem.exclusive, problem.requires)
    return m, X, tp, trr, pair_of, sub
