"""The learning phase (学习期): the spare capacity spent on labels, and the estimate that ends it.

Under the precision target a model sends a few hundred visits a month where the capacity allows a
thousand, and the outcomes it collects are those of the households it chose. While the model's
recall, estimated from visits alone, is below the target, the month's spare capacity (the
capacity less the visits the precision target makes: the *operating* visits) goes to a
probability sample of the rest of the pool:

* **Where**: each household's inclusion probability follows the square root of its expected find
  (:func:`learning_probabilities`): the allocation that minimises the variance of the estimated
  number of needy households left below the cut (a household the model finds likely is worth
  more of a look than one it rules out, but not in proportion: the misses the recall estimate
  must count are among the doubtful ones), mixed with a uniform share :data:`UNIFORM_SHARE` so
  that no household, however low its score, is out of reach (the isotonic calibration's lowest
  band is 0, and some needy households are in it).
* **Stratified by cell** (rural/urban × district): each cell's share of the draw follows its
  weight (the sum of its rows' weights), doubled (:data:`LAG_BOOST`) for a cell whose estimated
  recall last month lagged the overall by more than the fairness gap: the fairness target asks
  for every group's recall, and the rural needy are the ones the data shows least clearly.
* **How**: systematic sampling in random order on the inclusion probabilities
  (:func:`systematic_sample`): each household is visited with exactly its probability and the
  month visits exactly the spare capacity, never more.

**The estimate** (:func:`recall_estimate`): the operating visits are a census of what the
precision target chose; the learning visits a probability sample of the rest. The needy
households left below the cut are estimated by Horvitz–Thompson, each needy household the sample
found counting for 1/π of its kind, so the recall the operating visits alone would have reached
is their finds over their finds plus that estimate: read from visit outcomes only, unbiased for
the pool whatever the model's errors. When it has reached the target in :data:`LEARN_HOLD`
learning months in a row (one month's estimate rests on a handful of sampled finds), or after the
phase's budget of :data:`LEARN_MONTHS` months, the learning phase ends: from the next month the
dispatch operates at the precision target alone (:func:`learning_over`). The estimate is of a pool
the sample swept the month before; operating alone, each month's misses stay in the pool, so on
the development city recall fell ≈5 points a month after an early end (``EVALUATION.md``).
"""

from __future__ import annotations

import numpy as np

from safetynet.monitoring.model.dispatch import PARITY_GAP, apportion

#: The share of the learning draw's weight spread evenly over the pool.
UNIFORM_SHARE = 0.2
#: How much more of the draw a cell gets when its estimated recall lagged last month.
LAG_BOOST = 2.0
#: The estimated recall of the operating visits that ends the learning phase (the issue's target).
LEARN_UNTIL = 0.95
#: The learning months in a row whose estimate must reach it (one month's estimate is noisy).
LEARN_HOLD = 2
#: The learning phase's budget: it ends after this many months of the protocol whatever the estimate.
LEARN_MONTHS = 5


def inclusion_probabilities(weights: np.ndarray, k: int) -> np.ndarray:
    """Probabilities proportional to ``weights``, capped at 1, that add up to ``k`` (fewer when
    fewer rows have a weight): the capped rows are visited surely and the rest share the remainder."""
    w = np.clip(np.nan_to_num(weights), 0, None).astype(float)
    pi = np.zeros(w.size)
    k = min(k, int((w > 0).sum()))
    sure = np.zeros(w.size, bool)
    while k > sure.sum():
        free = ~sure & (w > 0)
        pi[free] = (k - sure.sum()) * w[free] / w[free].sum()
        over = free & (pi >= 1)
        if not over.any():
            break
        sure |= over
        pi[sure] = 1.0
    return pi


def systematic_sample(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows drawn by systematic sampling in random order: row *i* with probability ``pi[i]``, and
    exactly round(sum(pi)) rows (``pi`` at most 1 each, summing to a whole number)."""
    if not pi.size or pi.sum() < 0.5:
        return np.zeros(0, np.int64)
    order = rng.permutation(pi.size)
    upper = np.cumsum(pi[order])
    points = rng.random() + np.arange(int(round(upper[-1])))
    picked = np.searchsorted(upper, points, side="left")  # the row whose interval holds each point
    return np.sort(order[picked[picked < pi.size]])


def learning_probabilities(expected: np.ndarray, cells: np.ndarray | None, k: int,
                           lagging: frozenset = frozenset()) -> np.ndarray:
    """Each row's inclusion probability in a draw of ``k`` (see module doc)."""
    p = np.clip(np.nan_to_num(expected), 0, 1)
    n = p.size
    if not n or k <= 0:
        return np.zeros(n)
    root = np.sqrt(p)
    w = (1 - UNIFORM_SHARE) * (root / root.sum() if root.sum() > 0 else np.full(n, 1.0 / n)) + UNIFORM_SHARE / n
    if cells is None:
        return inclusion_probabilities(w, k)
    labels, cell = np.unique(cells.astype(str), return_inverse=True)
    mass = np.bincount(cell, weights=w, minlength=labels.size)
    boost = np.array([LAG_BOOST if c in lagging else 1.0 for c in labels.tolist()])
    sizes = np.bincount(cell, minlength=labels.size)
    share = apportion(k, {j: mass[j] * boost[j] for j in range(labels.size)})
    pi = np.zeros(n)
    for j in range(labels.size):
        rows = cell == j
        pi[rows] = inclusion_probabilities(w[rows], min(share[j], int(sizes[j])))
    return pi


def recall_estimate(*, found_operating: np.ndarray, found_learning: np.ndarray, inclusion: np.ndarray,
                    cells_operating: np.ndarray | None = None, cells_learning: np.ndarray | None = None) -> dict:
    """The recall the operating visits reached, estimated from the month's outcomes alone (see
    module doc): ``found_operating`` the operating visits' outcomes (1: need found),
    ``found_learning`` and ``inclusion`` the learning visits' outcomes and probabilities; per cell
    too when the cells are given."""
    def one(a: np.ndarray, b: np.ndarray, pi: np.ndarray) -> dict:
        hit = float(a.sum())
        missed = float((b / np.maximum(pi, 1e-12)).sum())
        return {"recall": round(hit / (hit + missed), 4) if hit + missed else None,
                "needy_estimated": round(hit + missed, 1), "found_operating": int(hit),
                "found_learning": int(b.sum())}

    out = one(found_operating, found_learning, inclusion)
    if cells_operating is not None and cells_learning is not None:
        out["cells"] = {str(c): one(found_operating[cells_operating == c], found_learning[cells_learning == c],
                                    inclusion[cells_learning == c])
                        for c in sorted(set(cells_operating.tolist()) | set(cells_learning.tolist()))}
    return out


def learning_draw(*, expected: np.ndarray, cells: np.ndarray | None, k: int | dict, estimate: dict | None,
                  rng: np.random.Generator, community: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The learning sample of the rows the operating visits left: (the rows drawn, every row's
    inclusion probability). ``k``: the spare visits, one number for the whole pool (the
    evaluation's month) or, with ``community``, a number per community (production: each
    community's worker has her own spare slots, so each community is drawn on its own, its cells
    sharing its draw, and no community gets more visits than it has spare). A cell whose recall
    lagged in ``estimate`` (the latest) gets a larger share (:func:`lagging_cells`)."""
    lagging = lagging_cells(estimate)
    if community is None:
        pi = learning_probabilities(expected, cells, int(k), lagging=lagging)
        return systematic_sample(pi, rng), pi
    pi = np.zeros(expected.size)
    picked = []
    for c, n in sorted(k.items()):
        rows = np.flatnonzero(community == c)
        if n <= 0 or not rows.size:
            continue
        pi[rows] = learning_probabilities(expected[rows], None if cells is None else cells[rows], int(n),
                                          lagging=lagging)
        picked.append(rows[systematic_sample(pi[rows], rng)])
    return (np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)), pi


def learning_end(estimates: list[dict], *, elapsed: int, target: float = LEARN_UNTIL, hold: int = LEARN_HOLD,
                 budget: int | None = LEARN_MONTHS) -> str | None:
    """Why the learning phase is over, or ``None`` while it goes on: ``"held"`` when the estimate
    reached the target in each of the last ``hold`` learning months (:func:`learning_over`),
    ``"budget"`` once ``elapsed`` months have spent the budget."""
    if learning_over(estimates, target, hold):
        return "held"
    if budget is not None and elapsed >= budget:
        return "budget"
    return None


def learning_over(estimates: list[dict], target: float = LEARN_UNTIL, hold: int = LEARN_HOLD) -> bool:
    """Whether the learning phase ends: the estimated recall of the operating visits reached the
    target in each of the last ``hold`` learning months."""
    last = estimates[-hold:]
    return len(last) == hold and all(e["recall"] is not None and e["recall"] >= target for e in last)


def lagging_cells(estimate: dict | None, gap: float = PARITY_GAP) -> frozenset:
    """The cells whose estimated recall fell more than ``gap`` below the overall estimate."""
    if not estimate or estimate["recall"] is None:
        return frozenset()
    return frozenset(c for c, e in estimate.get("cells", {}).items()
                     if e["recall"] is not None and e["recall"] < estimate["recall"] - gap)
