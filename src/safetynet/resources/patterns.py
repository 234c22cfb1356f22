"""Bundles (patterns) for large batches: the pricing problem and the master LP of the column
generation in :func:`safetynet.resources.optimiser.solve_by_patterns`.

A *bundle* is a set of resources one household receives. For a household type (a row of
weights per need category and a row of candidate resources) and a price per resource unit,
:func:`best_bundles` finds the bundle that maximises

    value(bundle) − Σ_{r ∈ bundle} price[r],   value = Σ_c w[c] · min(1, Σ_{r ∈ bundle} effect[r,c])

under the stacking rules (exclusive pairs, requires), exactly. Value is monotone and submodular,
so a resource worth no more than its price on its own is never needed (dropping it and what
requires nothing else costs no more than its price); the rest — a handful per type once prices
bite — are enumerated, and a type with more than :data:`ENUMERATE_LIMIT` of them gets a small
MIP of its own (HiGHS).

Pure arrays, no database; the optimiser's :class:`Problem` is not imported here.
"""

from __future__ import annotations

from functools import cache

import highspy
import numpy as np
from scipy import sparse

#: Types with at most this many worthwhile resources are priced by enumerating their subsets.
ENUMERATE_LIMIT = 14


@cache
def _subsets(k: int) -> np.ndarray:
    """All 2^k subsets of k items as a (2^k, k) 0/1 matrix."""
    return ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)


def _worthwhile(w: np.ndarray, cand: np.ndarray, effect: np.ndarray, price: np.ndarray,
                requires: list[tuple[int, int]]) -> np.ndarray:
    """The resources a best bundle may need: worth more than their price alone, and what those
    require (transitively); a resource whose requirement is not a candidate is left out."""
    alone = np.minimum(1.0, effect) @ w - price
    keep = cand & (alone > 1e-12)
    changed = True
    while changed and requires:
        changed = False
        for a, b in requires:
            if keep[a] and not cand[b]:
                keep[a] = False
                changed = True
            elif keep[a] and not keep[b]:
                keep[b] = True
                changed = True
    return np.flatnonzero(keep)


def _enumerate(w, items, effect, price, exclusive, requires) -> tuple[float, np.ndarray]:
    bits = _subsets(len(items))
    value = np.minimum(1.0, bits @ effect[items]) @ w - bits @ price[items]
    where = {int(r): k for k, r in enumerate(items)}
    for a, b in exclusive:
        if a in where and b in where:
            value[(bits[:, where[a]] > 0) & (bits[:, where[b]] > 0)] = -np.inf
    for a, b in requires:
        if a in where:
            lacking = bits[:, where[a]] > 0
            if b in where:
                lacking &= bits[:, where[b]] == 0
            value[lacking] = -np.inf
    best = int(np.argmax(value))
    return float(value[best]), items[bits[best] > 0]


def _mips(jobs: list[tuple[np.ndarray, np.ndarray]], effect: np.ndarray, price: np.ndarray,
          exclusive: list[tuple[int, int]], requires: list[tuple[int, int]], scale: np.ndarray
          ) -> tuple[list[np.ndarray], float]:
    """The pricing problems of several types as one MIP (one block each; type ``k``'s objective
    multiplied by ``scale[k]``): each type's best bundle and a proven bound on
    Σ scale[k] · best reduced value[k]."""
    cost, upper, integer = [], [], []
    ri, rj, rv, rup = [], [], [], []
    x_of = []
    ncol = nrow = 0
    for (w, items), s in zip(jobs, scale, strict=True):
        k = len(items)
        cats = np.flatnonzero(w > 0)
        x = ncol + np.arange(k)
        y = ncol + k + np.arange(len(cats))
        ncol += k + len(cats)
        x_of.append(x)
        cost += [-s * price[items], s * w[cats]]
        upper.append(np.ones(k + len(cats)))
        integer.append(np.r_[np.ones(k), np.zeros(len(cats))])
        where = {int(r): j for j, r in enumerate(items)}
        for i, c in enumerate(cats):
            # y[c] − Σ effect[r,c] x[r] ≤ 0
            rs = np.flatnonzero(effect[items, c] > 0)
            ri.append(np.full(len(rs) + 1, nrow))
            rj.append(np.r_[y[i], x[rs]])
            rv.append(np.r_[1.0, -effect[items[rs], c]])
            rup.append(0.0)
            nrow += 1
        for a, b in exclusive:
            if a in where and b in where:
                ri.append(np.full(2, nrow))
                rj.append(x[[where[a], where[b]]])
                rv.append(np.ones(2))
                rup.append(1.0)
                nrow += 1
        for a, b in requires:
            if a in where:
                both = b in where
                ri.append(np.full(1 + both, nrow))
                rj.append(x[[where[a], where[b]]] if both else x[[where[a]]])
                rv.append(np.array([1.0, -1.0]) if both else np.ones(1))
                rup.append(0.0)
                nrow += 1
    matrix = sparse.csc_matrix((np.concatenate(rv), (np.concatenate(ri), np.concatenate(rj))), shape=(nrow, ncol))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, nrow
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate(cost)
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.concatenate(upper)
    lp.row_lower_ = np.full(nrow, -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(rup, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, nrow
    lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                       for k in np.concatenate(integer)]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-5)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    bundles = [items[values[x] > 0.5] for (_w, items), x in zip(jobs, x_of, strict=True)]
    return bundles, float(h.getInfo().mip_dual_bound)


def upper_bounds(weight: np.ndarray, cand: np.ndarray, effect: np.ndarray, price: np.ndarray) -> np.ndarray:
    """For every type, a quick upper bound on its best bundle's reduced value. Each resource's
    price is split over the categories it meets in proportion to the (uncapped) value it brings
    there; category by category, resources are then taken in order of price per value and in
    fractions up to the cap of 1 (stacking ignored): a relaxation, so never below the best."""
    worth = weight @ effect.T                                  # [t,r] uncapped value
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cand & (worth > 0), price[None, :] / worth, np.inf)
    order = np.argsort(ratio, axis=1)
    ratio = np.take_along_axis(ratio, order, axis=1)
    gain = np.where(ratio < 1.0, 1.0 - ratio, 0.0)
    out = np.zeros(weight.shape[0])
    for c in range(effect.shape[1]):
        e = np.where(gain > 0, effect[order, c], 0.0)
        before = np.cumsum(e, axis=1) - e
        used = np.clip(1.0 - before, 0.0, e)
        out += weight[:, c] * (used * gain).sum(axis=1)
    return out


def best_bundles(weight: np.ndarray, cand: np.ndarray, effect: np.ndarray, price: np.ndarray,
                 exclusive: list[tuple[int, int]], requires: list[tuple[int, int]], count: np.ndarray,
                 floor: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray], float]:
    """For every type ``t`` (``weight[t,c]``, ``cand[t,r]``, ``count[t]`` households): the best
    bundle's reduced value (never below 0, the empty bundle) and the bundle (resource indices);
    and a proven upper bound on Σ_t count[t] · best reduced value[t]. A type whose quick bound
    (:func:`upper_bounds`) is at most ``floor[t]`` is not searched (its bundle is empty and its
    quick bound counts); types with more than :data:`ENUMERATE_LIMIT` worthwhile resources
    share one MIP."""
    T = weight.shape[0]
    found = np.zeros(T)
    quick = np.maximum(0.0, upper_bounds(weight, cand, effect, price))
    search = np.ones(T, dtype=bool) if floor is None else quick > floor
    bound = float(count[~search] @ quick[~search])
    bundles = [np.zeros(0, dtype=np.int64)] * T
    hard = []
    for t in np.flatnonzero(search):
        w = weight[t]
        items = _worthwhile(w, cand[t], effect, price, requires)
        if len(items) > ENUMERATE_LIMIT:
            hard.append((t, items))
        elif len(items):
            value, items = _enumerate(w, items, effect, price, exclusive, requires)
            if value > 0:
                found[t], bundles[t] = value, items
    if hard:
        types = np.array([t for t, _items in hard])
        got, top = _mips([(weight[t], items) for t, items in hard], effect, price, exclusive, requires,
                         count[types])
        bound += top
        for t, bundle in zip(types, got, strict=True):
            value = float(np.minimum(1.0, effect[bundle].sum(axis=0)) @ weight[t] - price[bundle].sum())
            if value > 0:
                found[t], bundles[t] = value, bundle
    easy = search.copy()
    if hard:
        easy[types] = False
    bound += float(count[easy] @ found[easy])
    return found, bundles, bound


def greedy_bundles(weight: np.ndarray, cand: np.ndarray, effect: np.ndarray, price: np.ndarray,
                   exclusive: list[tuple[int, int]], requires: list[tuple[int, int]]) -> np.ndarray:
    """A quick bundle for every type at once (``[t,r]``: r is in t's bundle): add the resource
    that gains most over its price while one does (a resource that requires another only once
    that one is in). Not proven best; the column generation uses it while it finds columns and
    :func:`best_bundles` after."""
    T, R = cand.shape
    share = np.zeros(weight.shape)
    chosen = np.zeros((T, R), dtype=bool)
    blocked = ~cand
    for a, _b in requires:
        blocked[:, a] = True
    active = np.arange(T)
    while len(active):
        sh = share[active]
        gain = np.einsum("trc,tc->tr", np.minimum(1.0, sh[:, None, :] + effect[None, :, :]) - sh[:, None, :],
                         weight[active]) - price[None, :]
        gain[blocked[active] | chosen[active]] = -np.inf
        best = np.argmax(gain, axis=1)
        worth = gain[np.arange(len(active)), best] > 1e-12
        active, best = active[worth], best[worth]
        if not len(active):
            break
        chosen[active, best] = True
        share[active] = np.minimum(1.0, share[active] + effect[best])
        for a, b in exclusive:
            blocked[active[best == a], b] = True
            blocked[active[best == b], a] = True
        for a, b in requires:
            took = active[best == b]
            clash = np.zeros(len(took), dtype=bool)
            for e, f in exclusive:
                if a in (e, f):
                    clash |= chosen[took, f if e == a else e]
            blocked[took, a] = ~cand[took, a] | chosen[took, a] | clash
    return chosen


class Master:
    """The master LP over bundles: ``z[t,p]`` households of type ``t`` receive bundle ``p``.

        maximise   Σ value[t,p] · z[t,p]
        subject to Σ_p z[t,p] ≤ count[t]                       (the rest receive nothing)
                   Σ_{t,p ∋ r} z[t,p] ≤ capacity[r];  Σ_{t,p ∋ r} cost[r] · z[t,p] ≤ budget[r]

    Columns are added as pricing finds them; HiGHS re-solves from the previous basis."""

    def __init__(self, counts: np.ndarray, capacity: np.ndarray, cost: np.ndarray, budget: np.ndarray) -> None:
        self.T = len(counts)
        self.R = len(capacity)
        self.cost = cost.astype(np.float64)
        self.priced = np.flatnonzero((budget >= 0) & (cost > 0))
        self.budget_row = np.full(self.R, -1, dtype=np.int64)
        self.budget_row[self.priced] = self.T + self.R + np.arange(len(self.priced))
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("threads", 1)
        # columns are added to an optimal basis, which stays primal feasible
        self.h.setOptionValue("simplex_strategy", 4)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        upper = np.concatenate([counts, capacity, budget[self.priced]]).astype(np.float64)
        self.upper = upper
        n = len(upper)
        self.h.addRows(n, np.full(n, -highspy.kHighsInf), upper, 0, np.zeros(n + 1, dtype=np.int32),
                       np.zeros(0, dtype=np.int32), np.zeros(0))
        self.types: list[int] = []
        self.bundles: list[np.ndarray] = []

    def add(self, types: list[int], bundles: list[np.ndarray], values: list[float]) -> None:
        starts, index, coef = [], [], []
        for t, bundle in zip(types, bundles, strict=True):
            starts.append(len(index))
            index += [t, *(self.T + bundle).tolist()]
            coef += [1.0] * (len(bundle) + 1)
            priced = bundle[self.budget_row[bundle] >= 0]
            index += self.budget_row[priced].tolist()
            coef += self.cost[priced].tolist()
        n = len(types)
        self.h.addCols(n, np.asarray(values, dtype=np.float64), np.zeros(n), np.full(n, highspy.kHighsInf),
                       len(index), np.asarray(starts, dtype=np.int32), np.asarray(index, dtype=np.int32),
                       np.asarray(coef, dtype=np.float64))
        self.types += types
        self.bundles += bundles

    def prune(self, slack: float = 1e-6) -> None:
        """Drop the columns that are out of the basis and priced out (negative reduced value):
        the master stays small, so each round's simplex stays quick. A dropped bundle that
        becomes worth having again is found again by pricing."""
        basis = self.h.getBasis()
        basic = np.asarray([s == highspy.HighsBasisStatus.kBasic for s in basis.col_status], dtype=bool)
        reduced = np.asarray(self.h.getSolution().col_dual, dtype=np.float64)
        drop = np.flatnonzero(~basic & (np.abs(reduced) > slack))
        if not len(drop):
            return
        self.h.deleteCols(len(drop), drop.astype(np.int32))
        keep = np.ones(len(self.types), dtype=bool)
        keep[drop] = False
        self.types = [t for t, k in zip(self.types, keep, strict=True) if k]
        self.bundles = [b for b, k in zip(self.bundles, keep, strict=True) if k]

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, float]:
        """The LP's value, the columns' values, the dual of each type's row, the price of each
        resource's unit (capacity dual plus cost times budget dual), all ≥ 0, and the rent:
        Σ capacity dual · capacity + Σ budget dual · budget."""
        if not self.types:
            return 0.0, np.zeros(0), np.zeros(self.T), np.zeros(self.R), 0.0
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP not solved: {self.h.modelStatusToString(self.h.getModelStatus())}")
        sol = self.h.getSolution()
        duals = np.abs(np.asarray(sol.row_dual, dtype=np.float64))
        price = duals[self.T:self.T + self.R].copy()
        price[self.priced] += duals[self.T + self.R:] * self.cost[self.priced]
        rent = float(duals[self.T:] @ self.upper[self.T:])
        return (float(self.h.getInfo().objective_function_value), np.asarray(sol.col_value, dtype=np.float64),
                duals[:self.T], price, rent)
