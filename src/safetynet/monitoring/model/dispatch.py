"""Dispatch under capacity (按能力派单): each community's visits go to the alerts with the highest
expected find per visit; what does not fit waits in a ranked backlog that the next run re-scores.

* A trigger the law makes mandatory (a breadwinner's death; a hospital bill that breaks the
  household: 《社会救助暂行办法》第四十七条 临时救助 for 突发事件/重大疾病) is always dispatched,
  whatever the capacity; it uses a slot like any visit.
* The rest go in order of priority (the model's calibrated probability; without a promoted model,
  the cold-start prior of ``model.prior``, and for a waiting alert of a household the run did not
  score, the rules' order: red before orange, then the deprivation score) while slots remain and, with
  a model, while the expected find is at least the model's operating threshold (one number, or
  one per row: the threshold of the row's cell).
* A share of each community's slots (:data:`EXPLORE_SHARE`) visits households drawn at random from
  the rest, so the outcomes the next model learns from are not only the ones the last model liked.
  With a model (``guided``), half of that draw's weight is uniform and half follows the model's
  expected find (households just below the cut are where a better model gains most); without one,
  it is uniform. Each visit's inclusion probability is returned (1 for a ranked or mandatory visit,
  about k·w for an explored one), so figures estimated from the visits can be weighted back to the
  whole scored population (inverse-probability weights, Horvitz–Thompson).
* With a model, a floor that leaves slots unused does not leave them idle when the next
  households are still worth a visit: dispatch fills them, best first, while the expected find is
  at least ``fill_min`` (the setting ``MONITORING_MIN_EXPECTED_FIND``: a visit at least as likely
  to find need as today's rules' alert).

Capacity by expected need (:func:`allocate`): a community's capacity is a setting, but where the
visits do most good is a figure the model gives. For a total (the sum of the communities'
capacities), the recommended capacity of each community is its mandatory triggers, its share of
the exploration visits (by household count, so every community keeps teaching the model), and
the rest where the expected finds are highest across the whole area (the visits with the highest
expected find, wherever they are: no other split of the same total finds more in expectation),
except that a cell (rural/urban × district) whose expected recall falls more than
:data:`PARITY_GAP` below the overall gets its next best visit first: the fairness target asks
that no group's recall fall two points below the overall, and placing every visit where finds are
likeliest starves the rural cells, whose needy households the data shows less clearly.

When capacity does not bind (5 % of households a month is several times the visits worth
making), the precision target decides how many visits are made (``min_precision``, the setting
``MONITORING_MIN_PRECISION``): the ranked visits stop where the expected precision of all the
month's visits — mandatory, ranked and explored — would fall below it, and the exploration is a
share of the visits made, not of the capacity. A lagging cell's next row then goes first only
if its expected find is at least :data:`PARITY_LEAST` of the target (else the cell's doubtful
rows, first in the parity order, would use up the precision budget before the likelier ones).
"""


from __future__ import annotations

import numpy as np

MANDATORY_TRIGGERS = frozenset({"breadwinner_death", "hospital_bill"})
EXPLORE_SHARE = 0.1
LEVEL_RANK = {"red": 3, "orange": 2, "yellow": 1}
#: How far below the overall a cell's expected recall may fall before the cell's next visit goes first.
PARITY_GAP = 0.02
#: Under a precision target, the share of it a lagging cell's next row must reach to go first.
PARITY_LEAST = 0.5


def rules_priority(*, level_rank: np.ndarray, af_score: np.ndarray) -> np.ndarray:
    """Today's rules-only order as one number: the level first, then the deprivation score (0–1)."""
    return level_rank.astype(float) + np.clip(np.nan_to_num(af_score), 0, 0.999)


def apportion(total: int, weights: dict) -> dict:
    """``total`` split in proportion to ``weights`` in whole numbers that add up to it (largest remainder)."""
    keys = sorted(weights)
    w = np.array([max(float(weights[k]), 0.0) for k in keys])
    if total <= 0 or not keys or w.sum() <= 0:
        return {k: 0 for k in keys}
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    extra = np.argsort(-(exact - base), kind="stable")[: total - int(base.sum())]
    base[extra] += 1
    return {k: int(n) for k, n in zip(keys, base.tolist(), strict=True)}


def allocate(*, expected: np.ndarray, mandatory: np.ndarray, community: np.ndarray, total: int,
             households: dict, explore_share: float, min_find: float | np.ndarray | None = None,
             cells: np.ndarray | None = None, gap: float = PARITY_GAP,
             min_precision: float | None = None) -> tuple[dict, dict]:
    """Recommended capacity per community for ``total`` visits (see module doc): (slots, of which
    exploration). ``expected``: each row's expected find per visit; ``households``: each
    community's household count (the exploration share's weights). Visits no row justifies (fewer
    rows at ``min_find`` or above than slots) are not handed out: the total may come out lower.
    ``cells``: a label per row (rural/urban × district) whose expected recall is kept within
    ``gap`` of the overall (:func:`_best_within_parity`). ``min_precision``: the ranked visits stop
    where the expected precision of all the visits (mandatory, ranked and explored) would fall
    below it (:func:`_within_precision`). Exploration is ``explore_share`` of the visits made: of
    the whole ``total`` when capacity binds, fewer when the ranking stops short of it."""
    p = np.clip(np.nan_to_num(expected), 0, 1)
    must = np.flatnonzero(mandatory)
    left = max(total - must.size, 0)
    room = left - int(round(left * explore_share))  # ranked visits when capacity binds
    rest = np.flatnonzero(~mandatory)
    if min_find is not None:
        rest = rest[expected[rest] >= (min_find[rest] if isinstance(min_find, np.ndarray) else min_find)]
    if cells is None:
        best = rest[np.argsort(-expected[rest], kind="stable")[:room]]
    else:
        best = _best_within_parity(expected, rest, cells, room, gap, base=must,
                                   least=PARITY_LEAST * min_precision if min_precision is not None else 0.0)
    if min_precision is not None:
        unranked = ~mandatory
        unranked[best] = False
        best = best[:_within_precision(p, must, best, unranked, min_precision, explore_share)]
    explore_total = left - room if best.size == room else int(round(best.size * explore_share / (1 - explore_share)))
    explore = apportion(min(explore_total, left - best.size), households)
    slots = {c: explore.get(c, 0) for c in households}
    for c, n in zip(*np.unique(community[np.r_[must, best]], return_counts=True), strict=True):
        slots[c.item()] = slots.get(c.item(), 0) + int(n)
    return slots, explore


def _within_precision(p: np.ndarray, must: np.ndarray, order: np.ndarray, explorable: np.ndarray, target: float,
                      explore_share: float) -> int:
    """How many of ``order`` (best first) to visit so that the expected precision of the month's
    visits stays at ``target`` or above: the mandatory visits ``must``, the first *k* of ``order``
    and the exploration visits (``explore_share`` of all, each expected to find what a draw of
    :func:`_explore_weights` over the ``explorable`` rows, those left out of ``order``, finds).
    The largest such *k*."""
    if not order.size:
        return 0
    q = p[explorable]
    draw = float(_explore_weights(q, guided=True) @ q) if q.size else 0.0
    k = np.arange(1, order.size + 1)
    visits = (must.size + k) / (1 - explore_share)
    expected = p[must].sum() + np.cumsum(p[order]) + (visits - must.size - k) * draw
    ok = np.flatnonzero(expected >= target * visits)
    return int(ok[-1] + 1) if ok.size else 0


def _best_within_parity(expected: np.ndarray, rows: np.ndarray, cells: np.ndarray, k: int, gap: float,
                        base: np.ndarray, least: float = 0.0) -> np.ndarray:
    """``k`` of ``rows``: the highest expected finds, except that while a cell's expected recall (the
    expected finds of its visits so far, ``base`` included, over the expected needy households
    among all its rows) is more than ``gap`` below the overall, its next best row goes first, if
    that row's expected find is at least ``least`` (under a precision target, a lagging cell's
    doubtful rows do not go before likelier ones elsewhere)."""
    p = np.clip(np.nan_to_num(expected), 0, 1)
    labels, cell = np.unique(cells.astype(str), return_inverse=True)
    need = np.bincount(cell, weights=p, minlength=labels.size)
    found = np.bincount(cell[base], weights=p[base], minlength=labels.size).astype(float)
    queues = [rows[cell[rows] == j][np.argsort(-p[rows[cell[rows] == j]], kind="stable")] for j in range(labels.size)]
    sizes = np.array([q.size for q in queues])
    head = np.zeros(labels.size, np.int64)
    next_p = np.array([p[q[0]] if q.size else -1.0 for q in queues])  # each cell's next row, -1 when none
    total_need = max(float(need.sum()), 1e-12)
    chosen: list[int] = []
    while len(chosen) < k and (head < sizes).any():
        recall = np.where(need > 0, found / np.maximum(need, 1e-12), 1.0)
        lagging = (head < sizes) & (recall < found.sum() / total_need - gap) & (next_p >= least)
        j = int(np.argmin(np.where(lagging, recall, np.inf))) if lagging.any() else int(np.argmax(next_p))
        row = int(queues[j][head[j]])
        chosen.append(row)
        found[j] += p[row]
        head[j] += 1
        next_p[j] = p[queues[j][head[j]]] if head[j] < sizes[j] else -1.0
    return np.array(chosen, np.int64)


def dispatch(*, priority: np.ndarray, mandatory: np.ndarray, community: np.ndarray, slots: dict,
             floor: float | np.ndarray | None = None, explore_share: float = 0.0, rng: np.random.Generator | None = None,
             guided: bool = False, fill_min: float | None = None,
             explore_slots: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows to visit now: (dispatched, explored) boolean masks over the rows given, and each
    dispatched row's inclusion probability (0 for the rest). ``explore_slots``: each community's
    exploration visits as a number (from :func:`allocate`), instead of ``explore_share`` of its slots."""
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
        if explore_slots is not None:
            k_explore = min(int(explore_slots.get(community[rows[0]].item(), 0)), left)
        else:
            share = left * explore_share
            k_explore = int(share) + int(rng.random() < share - int(share))
        rest = rows[~mandatory[rows]]
        if floor is not None:
            cut = floor[rest] if isinstance(floor, np.ndarray) else floor
            above = priority[rest] >= cut
            ranked = rest[above][: left - k_explore]
            if fill_min is not None and ranked.size < left - k_explore:
                # slots the floor leaves free go to the next best households still worth a visit
                spare = rest[~above & (priority[rest] >= fill_min)][: left - k_explore - ranked.size]
                ranked = np.r_[ranked, spare]
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


def recommend(*, expected: np.ndarray, mandatory: np.ndarray, community: np.ndarray, capacity: dict,
              households: dict, explore_share: float, least: float | np.ndarray | None,
              cells: np.ndarray | None = None, min_precision: float | None = None) -> dict:
    """Per community with a capacity: its capacity now, the capacity :func:`allocate` recommends for
    the same total, and the finds the recommended visits are expected to make (exploration
    counted at nothing)."""
    slots, explore = allocate(expected=expected, mandatory=mandatory, community=community,
                              total=int(sum(capacity.values())), households=households,
                              explore_share=explore_share, min_find=least, cells=cells, min_precision=min_precision)
    p = np.clip(np.nan_to_num(expected), 0, 1)
    keys, idx = np.unique(community, return_inverse=True)
    must = np.bincount(idx[mandatory], minlength=keys.size)
    must_finds = np.bincount(idx[mandatory], weights=p[mandatory], minlength=keys.size)
    order = np.lexsort((-p, idx))
    order = order[~mandatory[order]]  # each community's other rows, best first
    start = np.searchsorted(idx[order], np.arange(keys.size))
    end = np.searchsorted(idx[order], np.arange(keys.size), side="right")
    finds: dict = {}
    for i, c in enumerate(keys.tolist()):
        ranked = max(slots.get(c, 0) - explore.get(c, 0) - int(must[i]), 0)
        finds[c] = round(float(must_finds[i] + p[order[start[i]:min(start[i] + ranked, end[i])]].sum()), 2)
    return {c: {"capacity": int(n), "recommended": int(slots.get(c, 0)), "expected_finds": finds.get(c, 0.0)}
            for c, n in sorted(capacity.items())}
