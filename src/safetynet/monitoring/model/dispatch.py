"""Dispatch under capacity (按能力派单): each community's visits go to the alerts with the highest
expected find per visit; what does not fit waits in a ranked backlog that the next run re-scores.

* A trigger the law makes mandatory (a breadwinner's death; a hospital bill that breaks the
  household: 《社会救助暂行办法》第四十七条 临时救助 for 突发事件/重大疾病) is always dispatched,
  whatever the capacity; it uses a slot like any visit.
* The rest go in order of priority (the model's calibrated probability; without a promoted model,
  today's rules order: red before orange, then the deprivation score) while slots remain and, with
  a model, while the expected find is at least the model's operating threshold (one number, or
  one per row: the threshold of the row's cell).
* A share of each community's slots (:data:`EXPLORE_SHARE`) visits households drawn at random from
  the rest, so the outcomes the next model learns from are not only the ones the last model liked.
  With a model (``guided``), half of that draw's weight is uniform and half follows the model's
  expected find (households just below the cut are where a better model gains most); without one,
  it is uniform. Each visit's inclusion probability is returned (1 for a ranked or mandatory visit,
  about k·w for an explored one), so figures estimated from the visits can be weighted back to the
  whole scored population (inverse-probability weights, Horvitz–Thompson).
"""

from __future__ import annotations

import numpy as np

MANDATORY_TRIGGERS = frozenset({"breadwinner_death", "hospital_bill"})
EXPLORE_SHARE = 0.1
LEVEL_RANK = {"red": 3, "orange": 2, "yellow": 1}


def rules_priority(*, level_rank: np.ndarray, af_score: np.ndarray) -> np.ndarray:
    """Today's rules-only order as one number: the level first, then the deprivation score (0–1)."""
    return level_rank.astype(float) + np.clip(np.nan_to_num(af_score), 0, 0.999)


def dispatch(*, priority: np.ndarray, mandatory: np.ndarray, community: np.ndarray, slots: dict,
             floor: float | np.ndarray | None = None, explore_share: float = 0.0, rng: np.random.Generator | None = None,
             guided: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows to visit now: (dispatched, explored) boolean masks over the rows given, and each
    dispatched row's inclusion probability (0 for the rest)."""
    n = len(priority)
    dispatched = np.zeros(n, bool)
    explored = np.zeros(n, bool)
    inclusion = np.zeros(n)
    rng = rng or np.random.default_rng(0)
    if n == 0:
        return dispatched, explored, inclusion
    order = np.lexsort((-priority, community))
    bounds = np.flatnonzero(np.r_[True, community[order][1:] != community[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        rows = order[a:b]
        must = rows[mandatory[rows]]
        dispatched[must] = True
        left = max(int(slots.get(community[rows[0]].item(), 0)) - must.size, 0)
        share = left * explore_share
        k_explore = int(share) + int(rng.random() < share - int(share))
        rest = rows[~mandatory[rows]]
        if floor is not None:
            cut = floor[rest] if isinstance(floor, np.ndarray) else floor
            ranked = rest[priority[rest] >= cut][: left - k_explore]
        else:
            ranked = rest[: left - k_explore]
        dispatched[ranked] = True
        inclusion[must] = 1.0
        inclusion[ranked] = 1.0
        pool = rest[~dispatched[rest]]
        if k_explore and pool.size:
            k = min(k_explore, pool.size)
            w = _explore_weights(priority[pool], guided)
            pick_at = rng.choice(pool.size, size=k, replace=False, p=w)
            pick = pool[pick_at]
            dispatched[pick] = True
            explored[pick] = True
            inclusion[pick] = np.minimum(k * w[pick_at], 1.0)
    return dispatched, explored, inclusion


def _explore_weights(priority: np.ndarray, guided: bool) -> np.ndarray:
    uniform = np.full(priority.size, 1.0 / priority.size)
    p = np.clip(np.nan_to_num(priority), 0, None)
    if not guided or p.sum() <= 0:
        return uniform
    return 0.5 * uniform + 0.5 * p / p.sum()
