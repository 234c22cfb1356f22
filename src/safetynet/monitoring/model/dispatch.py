"""Dispatch under capacity (按能力派单): each community's visits go to the alerts with the highest
expected find per visit; what does not fit waits in a ranked backlog that the next run re-scores.

* A trigger the law makes mandatory (a breadwinner's death; a hospital bill that breaks the
  household: 《社会救助暂行办法》第四十七条 临时救助 for 突发事件/重大疾病) is always dispatched,
  whatever the capacity; it uses a slot like any visit.
* The rest go in order of priority (the model's calibrated probability; without a promoted model,
  today's rules order: red before orange, then the deprivation score) while slots remain and, with
  a model, while the expected find is at least the model's operating threshold.
* A share of each community's slots (:data:`EXPLORE_SHARE`) visits alerts drawn at random from the
  rest, so the outcomes the next model learns from are not only the ones the last model liked.
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
             floor: float | None = None, explore_share: float = 0.0, rng: np.random.Generator | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Which rows to visit now: (dispatched, explored) boolean masks over the rows given."""
    n = len(priority)
    dispatched = np.zeros(n, bool)
    explored = np.zeros(n, bool)
    rng = rng or np.random.default_rng(0)
    if n == 0:
        return dispatched, explored
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
            ranked = rest[priority[rest] >= floor][: left - k_explore]
        else:
            ranked = rest[: left - k_explore]
        dispatched[ranked] = True
        pool = rest[~dispatched[rest]]
        if k_explore and pool.size:
            pick = rng.choice(pool, size=min(k_explore, pool.size), replace=False)
            dispatched[pick] = True
            explored[pick] = True
    return dispatched, explored
