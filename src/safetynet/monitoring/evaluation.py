"""Evaluation against the demo city's ground truth (``demo_truth/needy_households.parquet``, beside the lake).

A household is *flagged* when the run dispatches an alert on it (``tasks.alert_candidates``: a
red or orange points level while receiving neither 低保 nor 特困, a trigger, or the 应保尽保 list). Recall: share of truly needy households flagged. Precision: share of flagged
households that are truly needy. Reported overall and for households with elderly (60+) and with
disabled members (the ground truth's ``has_elderly`` / ``has_disabled`` for the needy; the
registry-based measures for the flagged). Nothing is tuned on these numbers.

``not_receiving`` repeats the overall figures for the needy households the ground truth says
receive nothing: those are the ones monitoring exists to find (应保尽保); a needy household
already on the roll needs no alert, so the overall recall understates what matters.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.core.paths import demo_truth_dir
from safetynet.monitoring.compute import MonitoringResult
from safetynet.monitoring.model.dispatch import LEVEL_RANK, MANDATORY_TRIGGERS, rules_priority
from safetynet.monitoring.model.features import feature_matrix, feature_names
from safetynet.monitoring.model.simulation import simulate
from safetynet.monitoring.model.training import groups_of
from safetynet.registry.models import Household


def household_groups(result: MonitoringResult) -> dict[str, np.ndarray]:
    m = result.measures
    return groups_of(elderly=m["elderly_members"], disabled=m["disabled_members"], serious=m["serious_illness_members"],
                     rural=m["rural"], district=np.array([c[:6] for c in result.region_codes], dtype=object))


def learned_evaluation(*, result: MonitoringResult, candidates: list[dict], needy_unserved: np.ndarray,
                       months: int | None = None, seed: int = 0) -> dict:
    """The month-by-month protocol (``model.simulation``) on this run's households."""
    index = {int(h): i for i, h in enumerate(result.household_ids.tolist())}
    level = np.zeros(len(index), np.int64)
    candidate = np.zeros(len(index), bool)
    mandatory = np.zeros(len(index), bool)
    for c in candidates:
        i = index[c["household_id"]]
        candidate[i] = True
        level[i] = max(level[i], LEVEL_RANK.get(c["level"], 0))
        mandatory[i] |= c["condition"] in MANDATORY_TRIGGERS
    af = result.af.scores if result.af is not None else np.zeros(len(index))
    community = np.unique(result.region_codes, return_inverse=True)[1]
    kwargs = {"months": months} if months else {}
    return simulate(x=feature_matrix(result, rows=np.arange(len(index)), candidates=candidates), needy=needy_unserved,
                    candidate=candidate, mandatory=mandatory, rules_priority=rules_priority(level_rank=level, af_score=af),
                    community=community, groups=household_groups(result), features=feature_names(), seed=seed,
                    **kwargs)


def evaluate(*, result: MonitoringResult, uncovered: pa.Table, candidates: list[dict], learned: bool = True) -> dict:
    path = demo_truth_dir() / "needy_households.parquet"
    if not path.exists():
        return {"available": False, "reason": f"no ground truth at {path}"}
    truth = pq.read_table(path).to_pydict()
    # in_bulk batches the ids to the database's parameter limit (SQLite's is hit at 1M persons).
    number_of = {pk: h.number for pk, h in Household.objects.only("id", "number").in_bulk(result.household_ids.tolist()).items()}
    numbers = np.array([number_of.get(int(h), "") for h in result.household_ids], dtype=object)
    needy = np.isin(numbers, np.array(truth["household_number"], dtype=object))
    unserved = np.array([n for n, r in zip(truth["household_number"], truth["receiving"], strict=True) if not r], dtype=object)
    needy_unserved = np.isin(numbers, unserved)
    triggered = np.isin(result.household_ids, [t["household_id"] for t in result.triggers])
    listed = np.isin(result.household_ids, uncovered.column("household_id").to_numpy())
    by_points = np.isin(result.household_ids, [c["household_id"] for c in candidates if c["condition"] == "points"])
    flagged = np.isin(result.household_ids, [c["household_id"] for c in candidates])
    elderly = result.measures["elderly_members"] > 0
    disabled = result.measures["disabled_members"] > 0

    def figures(rows: np.ndarray, needy: np.ndarray = needy) -> dict:
        n_needy, n_flag = int((needy & rows).sum()), int((flagged & rows).sum())
        hit = int((needy & flagged & rows).sum())
        return {"needy": n_needy, "flagged": n_flag, "needy_flagged": hit,
                "recall": round(hit / n_needy, 4) if n_needy else None,
                "precision": round(hit / n_flag, 4) if n_flag else None}

    everyone = np.ones(len(needy), bool)
    return {
        "available": True,
        "overall": figures(everyone),
        "with_elderly": figures(elderly),
        "with_disabled": figures(disabled),
        "not_receiving": figures(everyone, needy_unserved),
        "by_route_recall": {
            "points_red_orange": round(float((needy & by_points).sum() / max(needy.sum(), 1)), 4),
            "trigger": round(float((needy & triggered).sum() / max(needy.sum(), 1)), 4),
            "dibao_uncovered_list": round(float((needy & listed).sum() / max(needy.sum(), 1)), 4),
        },
        "truth_households_not_in_registry": int(len(truth["household_number"]) - needy.sum()),
        **({"learned_ranking": learned_evaluation(result=result, candidates=candidates, needy_unserved=needy_unserved)}
           if learned and len(everyone) else {}),
    }
