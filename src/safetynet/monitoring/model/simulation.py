"""The evaluation protocol (评估方案): months of dispatch under capacity on the demo city.

The city's households are split at random, within each community, into ``months`` cohorts: month
*m* monitors cohort *m* (the households whose data changed that month: the flow of newly needy
households, ≈1/``months`` of them a month) together with every household of the earlier cohorts
not yet visited. Every month, under the same capacity:

* **rules only** (today): the rules' alerts in the rules' order, up to capacity;
* **learned**: the latest promoted model ranks *every* household of the pool, alerted or not (the
  rules' alerts cover only part of the needy households receiving nothing), down to its
  operating threshold, below it while the expected find is at least ``fill_min``, and only while
  the expected precision of the month's visits stays at ``min_precision`` (exploration included);
  an exploration share of the visits is drawn over the whole pool (with a model and the learning
  phase on, the learning sample replaces it, during the phase and after). Until a model has learned from
  ``min_outcomes`` outcomes (and passed the fairness check), the prior (``model.prior``: income
  ratio and electricity use per head) ranks the pool and the capacity is filled: it is a
  ranking, not a probability, so no precision can be asked of it. Once a model ranks, the
  **learning phase** (``model.learning``) spends the capacity the precision target leaves unused
  on a probability sample of the rest of the pool, and estimates from the month's outcomes the
  recall the operating visits alone reached; it ends when that estimate has reached
  ``learn_until`` in two learning months in a row, or after ``learn_months`` months of the
  protocol (its budget), and from then the visits stop at the precision target. Each learning
  month reports its operating visits on the truth beside the estimate (report only);
* **learned, alerts only**: the same, but ranking only the rules' alerts (what the model adds by
  order alone).

Capacity (``capacity_of``): ``"monitored"``, ``capacity_share`` (5 %) of the city's households a
month, each community's share in proportion to its households — the production setting (5
weekly visits in a community of 400 households is 5 % a month) and the issue's "at most 5 % of
households visited per month"; or ``"cohort"``, 5 % of the month's cohort only (the earlier
protocol's capacity, six times harsher, kept as a sensitivity). Rules only keep the split by
household count. The learned policies, with ``allocate_by_need``, split the same total by
expected need (``dispatch.allocate``: mandatory triggers, the highest expected finds wherever
they are, with ``fair`` a rural/urban × district cell whose expected recall lags first, and
exploration by household count; under the prior, by its order), as a supervisor following
dispatch's recommended capacities would; visits that no household justifies are left unused, so
the total never exceeds the capacity.

A visit reveals the ground truth of the visited household only, and nothing else ever reaches
training: the labels the trainer sees are read from ``revealed``, which only a visit writes (a
test pins this); each outcome also carries its inverse inclusion probability (``dispatch``) so
the fairness check estimates recall over the whole scored population. After each month the model
is retrained on every outcome so far and promoted if it passes the fairness check. A visited
household leaves the pool (found: it gets help; not found: the alert is closed).

Recall counts the needy households receiving nothing among the month's pool (the month's cohort
and every earlier household not yet visited), the same denominator for every policy; the last
month's cohort was never visited before it, so its figures are an out-of-sample test. Figures per
group are given for every month. Two figures read the month's ranking on the truth, for the report
only: the visits it needs, best first, to reach recall 0.95 (:func:`_ranking_at_recall`), and the
best a cut per rural/urban × district cell could do with the truth known, recall 0.95 with every
judged group within two points (:func:`cell_cuts_at_recall`): when its precision is below the
target, no operating rule on that ranking, group-aware or not, meets the targets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from safetynet.monitoring.errors import NotEnoughOutcomes
from safetynet.monitoring.model.dispatch import EXPLORE_SHARE, allocate, apportion, dispatch
from safetynet.monitoring.model.learning import (
    LEARN_MONTHS,
    LEARN_UNTIL,
    learning_draw,
    learning_end,
    recall_estimate,
)
from safetynet.monitoring.model.prior import prior_score
from safetynet.monitoring.model.training import MIN_GROUP_NEEDY, cells_of, train

MONTHS = 6
CAPACITY_SHARE = 0.05
#: The least expected find per visit that fills a slot the floor left free (the setting
#: ``MONITORING_MIN_EXPECTED_FIND``'s default: today's rules find need in about one alert in six).
FILL_MIN = 0.17
#: The least expected precision of a month's visits (the setting ``MONITORING_MIN_PRECISION``).
MIN_PRECISION = 0.55
#: The recall at which each month's ranking is also read (the issue's target).
RECALL_AT = 0.95
#: The outcomes a model must have learned from before it ranks (the setting ``MONITORING_MIN_OUTCOMES``).
MIN_OUTCOMES = 2000


def cohorts(community: np.ndarray, months: int, rng: np.random.Generator) -> np.ndarray:
    """A cohort 0…months−1 per household: an equal random split within each community."""
    out = np.empty(len(community), np.int64)
    for c in np.unique(community):
        rows = np.flatnonzero(community == c)
        rows = rows[rng.permutation(rows.size)]
        out[rows] = np.arange(rows.size) * months // max(rows.size, 1)
    return out


def _figures(found: int, visits: int, needy: int, households: int) -> dict:
    return {"needy_in_pool": needy, "visits": visits, "found": found,
            "recall": round(found / needy, 4) if needy else None,
            "precision": round(found / visits, 4) if visits else None,
            "visits_share": round(visits / households, 4) if households else None}


def _ranking_at_recall(priority: np.ndarray, mandatory: np.ndarray, needy: np.ndarray, recall: float) -> dict:
    """What the month's ranking alone gives at ``recall``: the visits it would need, best first
    (mandatory triggers first), to find that share of the pool's needy households, and their
    precision (read on the truth for the report only; nothing here reaches dispatch or training)."""
    want = int(np.ceil(recall * needy.sum()))
    if not want:
        return {"recall": recall, "visits": 0, "precision": None}
    order = np.lexsort((-priority, ~mandatory))
    k = int(np.searchsorted(np.cumsum(needy[order]), want) + 1)
    return {"recall": recall, "visits": k, "precision": round(want / k, 4)}


def cell_cuts_at_recall(priority: np.ndarray, mandatory: np.ndarray, needy: np.ndarray, cells: np.ndarray | None,
                         groups: dict[str, np.ndarray], recall: float, gap: float, most: int = 2_000_000) -> dict:
    """The best any group-aware operating cut could do on the month's ranking (read on the truth for
    the report only; nothing here reaches dispatch or training): one cut per cell (rural/urban ×
    district; each cell visits its mandatory triggers and then its best-ranked households down to
    its cut), chosen with the truth known so that recall reaches ``recall`` and no judged group
    (``MIN_GROUP_NEEDY`` needy households in the pool) falls more than ``gap`` below the overall,
    at the highest precision. An equal-opportunity cut estimated from probabilities can do no
    better: when this precision is below the target, the ranking, not the cut, is what misses.
    ``visits`` is None when no cut reaches it or the cells allow more than ``most`` combinations."""
    total = int(needy.sum())
    want = int(np.ceil(recall * total))
    none = {"recall": recall, "visits": None, "found": None, "precision": None}
    if not want or cells is None:
        return none
    judged = [g for g in groups.values() if int((needy & g).sum()) >= MIN_GROUP_NEEDY]
    labels, cell = np.unique(cells.astype(str), return_inverse=True)
    visits, finds, group_finds = [], [], []  # per cell, per option (its j-th find, j = 0…its needy)
    for c in range(labels.size):
        rows = np.flatnonzero(cell == c)
        rows = rows[np.lexsort((-priority[rows], ~mandatory[rows]))]  # mandatory first, then best first
        must = int(mandatory[rows].sum())
        hits = np.flatnonzero(needy[rows][must:]) + must  # where each find past the mandatory ones falls
        cut = np.r_[must, hits + 1]  # visits of each option
        counted = np.r_[0, np.cumsum(needy[rows])]
        visits.append(cut)
        finds.append(counted[cut])
        group_finds.append([np.r_[0, np.cumsum((needy & g)[rows])][cut] for g in judged])
    if np.prod([v.size for v in visits], dtype=float) > most:
        return none
    grid = np.meshgrid(*[np.arange(v.size) for v in visits], indexing="ij")
    v = sum(visits[c][grid[c]] for c in range(labels.size)).ravel()
    f = sum(finds[c][grid[c]] for c in range(labels.size)).ravel()
    ok = (f >= want) & (v > 0)
    for i, g in enumerate(judged):
        found_g = sum(group_finds[c][i][grid[c]] for c in range(labels.size)).ravel()
        ok &= found_g / int((needy & g).sum()) >= f / total - gap - 1e-9
    if not ok.any():
        return none
    best = np.flatnonzero(ok)[np.lexsort((v[ok], -f[ok] / v[ok]))[0]]
    return {"recall": recall, "visits": int(v[best]), "found": int(f[best]), "precision": round(float(f[best] / v[best]), 4)}


#: The issue's targets for the last month: recall of the needy households receiving nothing, the
#: precision of the visits made, and no group's recall more than the gap below the overall.
TARGETS = {"recall": 0.95, "precision": 0.5, "group_gap": 0.02}


def _targets(month: dict, capacity_share: float) -> dict:
    """The last month against :data:`TARGETS`: each figure, its target and whether it is met (a
    group is judged when it holds at least ``MIN_GROUP_NEEDY`` needy households in the pool)."""
    judged = {k: g["recall"] for k, g in month["groups"].items() if g["needy_in_pool"] >= MIN_GROUP_NEEDY}
    worst = min(judged, key=judged.get) if judged else None
    gap = round(month["recall"] - judged[worst], 4) if worst and month["recall"] is not None else None
    return {"recall": month["recall"], "recall_met": (month["recall"] or 0) >= TARGETS["recall"],
            "precision": month["precision"], "precision_met": (month["precision"] or 0) >= TARGETS["precision"],
            "visits_share": month["visits_share"], "visits_share_met": (month["visits_share"] or 0) <= capacity_share,
            "worst_group": worst, "group_gap": gap, "group_gap_met": gap is not None and gap <= TARGETS["group_gap"]}


POLICIES = ("rules_only", "learned", "learned_alerts_only")


def simulate(*, x: np.ndarray, needy: np.ndarray, candidate: np.ndarray, mandatory: np.ndarray,
             rules_priority: np.ndarray, community: np.ndarray, groups: dict[str, np.ndarray], features: list[str],
             months: int = MONTHS, capacity_share: float = CAPACITY_SHARE, explore_share: float = EXPLORE_SHARE,
             seed: int = 0, trainer: Callable = train, use_threshold: bool = True,
             policies: tuple[str, ...] = POLICIES, allocate_by_need: bool = True, fill_min: float | None = FILL_MIN,
             cold_start: str = "prior", fair: bool = True, capacity_of: str = "monitored",
             min_precision: float | None = MIN_PRECISION, min_outcomes: int = MIN_OUTCOMES,
             learn_until: float | None = LEARN_UNTIL, learn_months: int | None = LEARN_MONTHS) -> dict:
    """Month-by-month figures of the policies (see module doc). Arrays are over all households."""
    rng = np.random.default_rng(seed)
    cohort = cohorts(community, months, rng)
    out: dict = {"protocol": {"months": months, "capacity_share": capacity_share, "explore_share": explore_share,
                              "allocate_by_need": allocate_by_need, "fill_min": fill_min, "cold_start": cold_start,
                              "fair": fair, "capacity_of": capacity_of, "min_precision": min_precision, "min_outcomes": min_outcomes,
                              "learn_until": learn_until, "learn_months": learn_months,
                              "seed": seed, "households": int(len(needy)), "candidates": int(candidate.sum()),
                              "needy_not_receiving": int(needy.sum()),
                              "needy_not_receiving_alerted": int((needy & candidate).sum())},
                 **{p: [] for p in policies}, "models": {p: [] for p in policies if p != "rules_only"}}
    for policy in policies:
        prng = np.random.default_rng(seed + 1)
        learned = policy != "rules_only"
        reach_all = policy == "learned"
        visited = np.zeros(len(needy), bool)
        revealed = np.full(len(needy), -1, np.int8)  # only a visit writes here
        weight = np.zeros(len(needy))  # inverse inclusion probability of each visit
        model = None
        estimates: list[dict] = []
        for m in range(months):
            arrived = cohort <= m
            pool = arrived & ~visited & (True if reach_all else candidate)
            in_month = cohort == m
            needy_now = needy & arrived & ~visited
            rows = np.flatnonzero(pool)
            base = in_month if capacity_of == "cohort" else np.ones(len(needy), bool)
            households = int(base.sum())
            present, sizes = np.unique(community[base], return_counts=True)
            by_count = {int(c): int(n) for c, n in zip(present, sizes, strict=True)}
            slots = apportion(int(capacity_share * households), by_count)  # the month's capacity, by household count
            capacity = int(sum(slots.values()))
            fill, explore_slots = None, None
            if learned and model is not None:
                priority, explore = model.predict(x[rows]), explore_share
                floor = model.floors({k: g[rows] for k, g in groups.items()}, rows.size) if use_threshold else None
                fill = fill_min if floor is not None else None
            elif learned and cold_start == "prior":
                priority, floor, explore = prior_score(x[rows], features), None, explore_share
            else:
                # the rules rank their alerts only; a household no rule alerted is reached by exploration
                priority = np.where(candidate[rows], rules_priority[rows], -1.0)
                floor = 0.0 if reach_all else None
                explore = explore_share if learned else 0.0
            learn_now = (learned and learn_until is not None and model is not None
                         and learning_end(estimates, elapsed=m, target=learn_until, budget=learn_months) is None)
            if learned and model is not None and learn_until is not None:
                # the learning draw replaces the exploration, and once it has ended every visit the
                # precision target allows is a ranked one
                explore = 0.0
            if learned and allocate_by_need:
                total = sum(slots.values())  # the same total as by household count
                least = None if floor is None else (np.minimum(floor, fill) if fill is not None else floor)
                parity = cells_of({k: g[rows] for k, g in groups.items()}) if (model is not None and fair) else None
                slots, explore_slots = allocate(expected=priority, mandatory=mandatory[rows], community=community[rows],
                                                total=total, households=by_count, explore_share=explore,
                                                min_find=least, cells=parity,
                                                min_precision=min_precision if model is not None else None)
            sent, explored, inclusion = dispatch(priority=priority, mandatory=mandatory[rows],
                                                 community=community[rows], slots=slots, floor=floor,
                                                 explore_share=explore, rng=prng,
                                                 guided=learned and (model is not None or cold_start == "prior"),
                                                 fill_min=fill, explore_slots=explore_slots)
            operating = rows[sent]
            drawn = np.zeros(0, np.int64)
            if learn_now:
                # the spare capacity: a probability sample of the rest of the pool (model.learning)
                rest = np.flatnonzero(~sent)
                cells = cells_of({k: g[rows[rest]] for k, g in groups.items()})
                picked, pi = learning_draw(expected=priority[rest], cells=cells, k=capacity - int(sent.sum()),
                                           estimate=estimates[-1] if estimates else None, rng=prng)
                drawn = rows[rest[picked]]
                sent[rest[picked]], explored[rest[picked]], inclusion[rest[picked]] = True, True, pi[picked]
            go = rows[sent]
            visited[go] = True
            revealed[go] = needy[go]
            weight[go] = 1.0 / np.maximum(inclusion[sent], 1e-9)
            if learn_now:
                # read from the visits' outcomes (revealed) only: what ends the learning phase
                cells_all = cells_of(groups)
                estimates.append(recall_estimate(
                    found_operating=revealed[operating], found_learning=revealed[drawn], inclusion=pi[picked],
                    cells_operating=None if cells_all is None else cells_all[operating],
                    cells_learning=None if cells_all is None else cells_all[drawn]))
            sent_now = np.zeros(len(needy), bool)
            sent_now[go] = True
            ranking = "model" if (learned and model is not None) else ("prior" if learned and cold_start == "prior"
                                                                           else "rules")
            phase = ("learning" if learn_now else "operating") if ranking == "model" else ranking
            month = {"month": m + 1, "ranking": ranking, "phase": phase, "capacity": capacity,
                     "slots": int(sum(slots.values())) + int(drawn.size),
                     "households": households, "pool": int(rows.size), "explored": int(explored.sum()),
                     "backlog_after": int((candidate & arrived & ~visited).sum()),
                     **_figures(int(needy[go].sum()), int(go.size), int(needy_now.sum()), households),
                     "ranking_at_recall": _ranking_at_recall(priority, mandatory[rows], needy[rows], RECALL_AT),
                     "cell_cuts_at_recall": cell_cuts_at_recall(priority, mandatory[rows], needy[rows],
                                                                 cells_of({k: g[rows] for k, g in groups.items()}),
                                                                 {k: g[rows] for k, g in groups.items()}, RECALL_AT,
                                                                 TARGETS["group_gap"]),
                     "groups": {k: _figures(int((sent_now & needy & g).sum()), int((sent_now & g).sum()),
                                            int((needy_now & g).sum()), int((in_month & g).sum()))
                                for k, g in groups.items()}}
            if learn_now:
                # the operating visits on the truth (report only), beside the estimate the policy read
                month["learning_visits"] = int(drawn.size)
                month["operating"] = _figures(int(needy[operating].sum()), int(operating.size), int(needy_now.sum()),
                                              households)
                month["estimate"] = estimates[-1]
            out[policy].append(month)
            if learned and m < months - 1:
                known = np.flatnonzero(revealed >= 0)
                try:
                    trained = trainer(x[known], revealed[known], features=features,
                                      groups={k: v[known] for k, v in groups.items()}, seed=seed,
                                      weights=weight[known])
                except NotEnoughOutcomes as exc:
                    out["models"][policy].append({"after_month": m + 1, "trained": False, "reason": exc.message})
                    continue
                out["models"][policy].append({"after_month": m + 1, "trained": True, "promoted": bool(trained.promotable and known.size >= min_outcomes),
                                              "failing_groups": trained.fairness["failing"], **trained.metrics})
                if trained.promotable and known.size >= min_outcomes:
                    model = trained
    last = {p: out[p][-1] for p in policies}
    out["targets"] = {p: _targets(last[p], capacity_share) for p in policies}
    out["last_month"] = {p: {k: last[p][k] for k in ("recall", "precision", "visits", "capacity", "visits_share", "found",
                                                      "needy_in_pool", "ranking", "phase", "ranking_at_recall",
                                                      "cell_cuts_at_recall")}
                         for p in last}
    return out
