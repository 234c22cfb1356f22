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

Two ways to solve:

* :func:`solve_exact`: the programme as it stands, a MIP for HiGHS; the gap is HiGHS's proven
  gap. Used for one household and for batches up to :data:`EXACT_LIMIT` pairs.
* :func:`solve_by_types`: households with the same needs and the same eligibility are
  interchangeable, so the LP relaxation aggregated by type (counts instead of binaries) has the
  same optimum as the household-by-household LP; it is a proven upper bound. Its solution is
  rounded down and handed to households, the capacity left is filled most-severe-first, the
  fairness rows are repaired, and the gap is (bound − need met) / bound, measured, not assumed.

:func:`solve_greedy` is the baseline: households in order of their most severe need, each
taking, need by need, the resource that meets most of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

#: Weight of a need met in full, by severity (0 none, 1 轻, 2 中, 3 重, 4 危).
SEVERITY_WEIGHT = np.array([0.0, 1.0, 3.0, 9.0, 27.0])
#: Batches with more candidate pairs than this are solved by type aggregation.
EXACT_LIMIT = 5_000
#: A tiny cost per assignment, so a resource that adds nothing is not handed out.
_EPS = 1e-6


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


def solve_greedy(problem: Problem) -> Solution:
    t0 = time.perf_counter()
    H, R = problem.households, problem.resources
    assign = np.zeros((H, R), dtype=bool)
    left = problem.room.copy()
    share = np.zeros(problem.severity.shape)
    cand = problem.candidates()
    order = np.lexsort((-problem.weight.sum(axis=1), -problem.severity.max(axis=1)))
    for h in order:
        _greedy_household(problem, int(h), assign, left, share, cand)
    return Solution(assign, need_met(problem, assign), float("nan"), float("nan"), "greedy",
                    time.perf_counter() - t0, status="heuristic")


def _can_take(problem: Problem, h: int, r: int, assign: np.ndarray, left: np.ndarray) -> bool:
    if left[r] <= 0 or assign[h, r] or not problem.eligible[h, r]:
        return False
    for a, b in problem.exclusive:
        if (a == r and assign[h, b]) or (b == r and assign[h, a]):
            return False
    return all(assign[h, b] for a, b in problem.requires if a == r)


def _greedy_household(problem: Problem, h: int, assign, left, share, cand, allowed=None) -> None:
    """Needs in order of severity; for each, the resource adding most weighted need met."""
    w = problem.weight[h]
    for c in np.argsort(-problem.severity[h], kind="stable"):
        if problem.severity[h, c] == 0:
            break
        while share[h, c] < 1.0:
            best, gain = -1, 0.0
            for r in np.flatnonzero(cand[h] & (problem.effect[:, c] > 0) & (left > 0)):
                if allowed is not None and not allowed[r]:
                    continue
                if not _can_take(problem, h, int(r), assign, left):
                    continue
                g = float((w * (np.minimum(1.0, share[h] + problem.effect[r]) - share[h])).sum())
                if g > gain + 1e-12:
                    best, gain = int(r), g
            if best < 0:
                break
            assign[h, best] = True
            left[best] -= 1
            if allowed is not None:
                allowed[best] -= 1
            share[h] = np.minimum(1.0, share[h] + problem.effect[best])


# ------------------------------------------------------------------------------------------
# Large batches: LP relaxation by household type, rounding, filling, repair.


def _types(problem: Problem, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (severity, candidate) rows: the representative index of each type, the type of
    each household, and the count per type."""
    key = np.concatenate([problem.severity.astype(np.uint8), cand.astype(np.uint8)], axis=1)
    _, first, inverse, counts = np.unique(key, axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
    return first, inverse.reshape(-1), counts


def solve_by_types(problem: Problem, *, time_limit: float = 50.0) -> Solution:
    t0 = time.perf_counter()
    H, R = problem.households, problem.resources
    cand = problem.candidates()
    first, type_of, counts = _types(problem, cand)
    T = len(first)
    tcand = cand[first]
    tsev = problem.severity[first]
    # the aggregated problem: one "household" per type, with counts as right-hand sides
    tp, trr = np.nonzero(tcand)
    m = _Model()
    X = m.columns(len(tp), cost=-_EPS, upper=counts[tp].astype(np.float64))
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
    _aggregate_rows(m, sub, X, tp, trr, pair_of, counts)
    h, values = m.solve(mip=False, time_limit=time_limit)
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        raise RuntimeError(f"LP relaxation not solved: {status}")
    bound = float(h.getInfo().objective_function_value) + _EPS * float(values[X].sum())
    # hand the rounded-down counts to households of each type
    allot = np.zeros((T, R), dtype=np.int64)
    allot[tp, trr] = np.floor(values[X] + 1e-6).astype(np.int64)
    assign = np.zeros((H, R), dtype=bool)
    left = problem.room.copy()
    share = np.zeros(problem.severity.shape)
    members = np.argsort(type_of, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for t in range(T):
        quota = allot[t].copy()
        if not quota.any():
            continue
        for h_ in members[bounds[t]:bounds[t + 1]]:
            if not quota.any():
                break
            _greedy_household(problem, int(h_), assign, left, share, cand, allowed=quota)
    # what is left goes most-severe-first, then no top need is left unmet while room exists
    order = np.lexsort((-problem.weight.sum(axis=1), -problem.severity.max(axis=1)))
    for h_ in order:
        _greedy_household(problem, int(h_), assign, left, share, cand)
    _repair_fairness(problem, assign, left, share)
    met = need_met(problem, assign)
    greedy = solve_greedy(problem)
    method = "types-lp-rounding"
    if greedy.need_met > met and not len(unfair(problem, greedy.assign)):
        assign, met, method = greedy.assign, greedy.need_met, "types-lp-greedy"
    bound = max(bound, met)
    gap = 0.0 if bound <= 0 else (bound - met) / bound
    return Solution(assign, met, bound, gap, method, time.perf_counter() - t0, status="feasible")


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


def _repair_fairness(problem: Problem, assign, left, share) -> None:
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
            share[h] = np.minimum(1.0, assign[h].astype(np.float64) @ problem.effect)
            break


def solve(problem: Problem, *, time_limit: float = 50.0) -> Solution:
    """Exact for small problems, by types for large ones."""
    if int(problem.candidates().sum()) <= EXACT_LIMIT:
        return solve_exact(problem, time_limit=time_limit)
    return solve_by_types(problem, time_limit=time_limit)
