"""Training the risk model on home-visit outcomes: gradient-boosted trees, calibrated.

The estimator is scikit-learn's ``HistGradientBoostingClassifier``, calibrated on out-of-fold
scores (isotonic from 1,000 outcomes on, Platt's sigmoid below: isotonic overfits small samples),
as ``CalibratedClassifierCV(ensemble=False)`` does: three stratified folds, each fold's trees score
the outcomes they did not see, the calibrator is fitted on those out-of-fold scores, and one model
fitted on every outcome is what scores households. The metrics, the operating threshold and the
fairness check are read from the out-of-fold probabilities, never from the outcomes a model was
fitted on. One model rather than the three folds' ensemble: scoring every household of a city of a
million persons (≈352,000 households) cost three times the trees for no measured gain.

The operating threshold is the lowest expected find per visit that still reaches the recall target
among the needy households the visits found (out of fold), set per cell of rural/urban × district
(:func:`cells_of`) where the cell has at least :data:`MIN_GROUP_NEEDY` needy outcomes, else the
overall one. One threshold for everyone held rural households to the urban cut: their alerts are
mostly the 应保尽保 list, whose households often have farm income the sources cannot see, so the
model's probabilities for them run lower and the cut left rural needy households unvisited while
rural communities' slots stayed free. Promotion needs every group with enough
needy households (:data:`MIN_GROUP_NEEDY`) to reach a recall no more than :data:`FAIRNESS_GAP`
below the overall recall at that threshold.

Outcomes may carry weights: the inverse of each visit's inclusion probability (``dispatch``), so
the fairness check and the metrics estimate recall in the whole scored population, not only among
the households the last ranking chose to visit (an explored household the ranking would have left
below the cut counts for the many like it that nobody visited). Training itself is unweighted.

Monotone constraints carry what the law's means test says, not what a sample happens to show: more
income, more assets, more land, more electricity use per head, a vehicle, a business or a pension
can only lower the chance that a visit finds need (:data:`MONOTONE_DECREASING`). The trees stop
early on a held-out tenth once a fit has over 10,000 rows (scikit-learn's ``early_stopping="auto"``),
which keeps retraining on 100,000 outcomes short; small samples use every iteration.

The hyper-parameters below were fixed before any evaluation and are not tuned on it: small, heavily
regularised trees, because the first months give only a few hundred outcomes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from safetynet.monitoring.errors import NotEnoughOutcomes

RECALL_TARGET = 0.97
FAIRNESS_GAP = 0.02
MIN_GROUP_NEEDY = 20
MIN_CLASS = 10
FOLDS = 3
TIE_BREAK = 1e-6
# One OpenMP thread: the trees' threads spin-wait for each other, and on a loaded machine (other
# batch jobs on the same cores) a fit of a few hundred rows took 80 s with two threads, 2 s with one.
THREADS = 1
#: Features whose larger value can only mean less need (a monotone constraint on the trees).
MONOTONE_DECREASING = frozenset({
    "income_ratio", "income_total", "income_wages", "financial_assets_per_head", "real_estate_count",
    "business_count", "vehicles_count", "housing_fund", "pension_per_elderly", "land_area_mu", "land_subsidy_year",
    "land_area_per_head", "electricity_kwh_per_head",
})


@dataclass
class CalibratedTrees:
    """Trees fitted on every outcome and the calibrator fitted on the folds' out-of-fold scores."""
    trees: HistGradientBoostingClassifier
    calibrator: IsotonicRegression | LogisticRegression
    method: str

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return self.calibrator.predict(raw)
        return self.calibrator.predict_proba(raw.reshape(-1, 1))[:, 1]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raw = self.trees.decision_function(x)
        p = self.calibrate(raw)
        if self.method == "isotonic":
            # isotonic steps give whole bands of households one probability (the lowest band 0);
            # within a band the trees' own score keeps the order (a change below one in a million)
            p = np.clip(p + TIE_BREAK * expit(raw), 0.0, 1.0)
        return np.column_stack([1 - p, p])


@dataclass
class TrainedModel:
    estimator: CalibratedTrees
    features: list[str]
    reference: np.ndarray  # per feature: the training rows' median (the explanation's baseline)
    threshold: float
    metrics: dict
    fairness: dict
    promotable: bool
    oof: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    thresholds: dict[str, float] = field(default_factory=dict)  # per cell (see cells_of)

    def floors(self, groups: dict[str, np.ndarray] | None, n: int) -> np.ndarray:
        """Per row, the operating threshold of its cell (rows described by their ``groups`` masks)."""
        cells = cells_of(groups or {})
        thresholds = getattr(self, "thresholds", None)  # a model stored before cells had none
        if cells is None or not thresholds:
            return np.full(n, self.threshold)
        return np.array([thresholds.get(c, self.threshold) for c in cells.tolist()])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probability that a visit finds the household in need."""
        if not len(x):
            return np.zeros(0)
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            return self.estimator.predict_proba(x)[:, 1]


def _trees(seed: int, features: list[str]) -> HistGradientBoostingClassifier:
    monotone = [-1 if f in MONOTONE_DECREASING else 0 for f in features]
    return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=20,
                                          l2_regularization=1.0, early_stopping="auto", random_state=seed,
                                          monotonic_cst=monotone if any(monotone) else None)


def _fit(x: np.ndarray, y: np.ndarray, seed: int, features: list[str]) -> tuple[CalibratedTrees, np.ndarray]:
    """The calibrated model and every outcome's out-of-fold probability."""
    method = "isotonic" if len(y) >= 1000 else "sigmoid"
    raw = np.zeros(len(y))
    for train_rows, test_rows in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y):
        raw[test_rows] = _trees(seed, features).fit(x[train_rows], y[train_rows]).decision_function(x[test_rows])
    calibrator = (IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip") if method == "isotonic"
                  else LogisticRegression(C=1e6))
    calibrator.fit(raw if method == "isotonic" else raw.reshape(-1, 1), y)
    model = CalibratedTrees(trees=_trees(seed, features).fit(x, y), calibrator=calibrator, method=method)
    return model, model.calibrate(raw)


def _at(p: np.ndarray, y: np.ndarray, threshold: float | np.ndarray, w: np.ndarray | None = None) -> dict:
    flagged = p >= threshold
    needy, hit = int(y.sum()), int((flagged & (y == 1)).sum())
    out = {"needy": needy, "flagged": int(flagged.sum()), "needy_flagged": hit,
           "recall": round(hit / needy, 4) if needy else None,
           "precision": round(hit / int(flagged.sum()), 4) if flagged.any() else None}
    if w is not None:
        wn, wh = float(w[y == 1].sum()), float(w[flagged & (y == 1)].sum())
        out["recall_population"] = round(wh / wn, 4) if wn else None
    return out


def cells_of(groups: dict[str, np.ndarray]) -> np.ndarray | None:
    """A label per row for the threshold cells: rural or not, and the district (from the groups)."""
    keys = [k for k in groups if k == "rural" or k.startswith("district_")]
    if not keys:
        return None
    labels = np.full(len(groups[keys[0]]), "", dtype=object)
    for k in keys:
        labels = labels + np.where(groups[k], k + ";", "")
    return labels


def _operating_threshold(p_needy: np.ndarray, recall_target: float, w: np.ndarray | None) -> float:
    """The highest threshold that keeps (weighted) recall among the needy at ``recall_target``."""
    order = np.argsort(p_needy, kind="stable")
    v = p_needy[order]
    cw = np.cumsum(np.ones(v.size) if w is None else w[order])
    i = int(np.searchsorted(cw, (1 - recall_target) * cw[-1], side="right"))
    return float(v[min(i, v.size - 1)])


def _below(g: dict, overall: dict, key: str) -> bool:
    return g.get(key) is not None and overall.get(key) is not None and g[key] < overall[key] - FAIRNESS_GAP


def fairness_report(p: np.ndarray, y: np.ndarray, groups: dict[str, np.ndarray], threshold: float | np.ndarray,
                    weights: np.ndarray | None = None) -> dict:
    """Recall and precision per group at the threshold, among the visited households and (with
    ``weights``) estimated in the whole scored population; a judged group more than
    :data:`FAIRNESS_GAP` below the overall on either fails."""
    overall = _at(p, y, threshold, weights)
    out = {"overall": overall, "groups": {}, "failing": []}
    for name, mask in groups.items():
        t = threshold[mask] if isinstance(threshold, np.ndarray) else threshold
        g = _at(p[mask], y[mask], t, None if weights is None else weights[mask])
        g["judged"] = g["needy"] >= MIN_GROUP_NEEDY
        out["groups"][name] = g
        if g["judged"] and (_below(g, overall, "recall") or _below(g, overall, "recall_population")):
            out["failing"].append(name)
    return out


def train(x: np.ndarray, y: np.ndarray, *, features: list[str], groups: dict[str, np.ndarray] | None = None,
          recall_target: float = RECALL_TARGET, seed: int = 0, weights: np.ndarray | None = None) -> TrainedModel:
    """Fit on visit outcomes ``y`` (1: the visit found need) of feature rows ``x``; ``weights``: each
    outcome's inverse inclusion probability (see module doc), for the estimates only."""
    y = np.asarray(y, np.int8)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives < MIN_CLASS or negatives < MIN_CLASS:
        raise NotEnoughOutcomes(
            _("走访结果不足，无法训练：发现困难 %(p)d 户、未发现 %(n)d 户（各至少 %(m)d 户）")
            % {"p": positives, "n": negatives, "m": MIN_CLASS}, positives=positives, negatives=negatives)
    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        estimator, oof = _fit(x, y, seed, list(features))
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    threshold = _operating_threshold(oof[y == 1], recall_target, w[y == 1])
    cells = cells_of(groups or {})
    thresholds: dict[str, float] = {}
    if cells is not None:
        for c in sorted(set(cells[y == 1].tolist())):
            needy = (cells == c) & (y == 1)
            if needy.sum() >= MIN_GROUP_NEEDY:
                thresholds[c] = _operating_threshold(oof[needy], recall_target, w[needy])
    floor = (np.array([thresholds.get(c, threshold) for c in cells.tolist()]) if cells is not None
             else np.full(len(y), threshold))
    fairness = fairness_report(oof, y, groups or {}, floor, weights)
    metrics = {
        "outcomes": int(len(y)), "needy": positives, "method": estimator.method,
        "auc": round(float(roc_auc_score(y, oof)), 4), "average_precision": round(float(average_precision_score(y, oof)), 4),
        "brier": round(float(brier_score_loss(y, oof)), 4), "threshold": round(threshold, 4),
        "thresholds": {c: round(t, 4) for c, t in thresholds.items()},
        "at_threshold": fairness["overall"], "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }
    return TrainedModel(estimator=estimator, features=list(features), reference=np.median(x, axis=0),
                        threshold=threshold, metrics=metrics, fairness=fairness,
                        promotable=not fairness["failing"], oof=oof, thresholds=thresholds)


def groups_of(*, elderly: np.ndarray, disabled: np.ndarray, serious: np.ndarray, rural: np.ndarray,
              district: np.ndarray) -> dict[str, np.ndarray]:
    """The groups fairness is judged on (masks over the same rows)."""
    groups = {"with_elderly": elderly > 0, "with_disabled": disabled > 0, "with_serious_illness": serious > 0,
              "rural": rural > 0, "urban": rural <= 0}
    for d in sorted(set(district.tolist())):
        groups[f"district_{d}"] = district == d
    return groups
