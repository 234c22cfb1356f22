"""Training the risk model on home-visit outcomes: gradient-boosted trees, calibrated.

The estimator is scikit-learn's ``HistGradientBoostingClassifier`` inside ``CalibratedClassifierCV``
(isotonic from 1,000 outcomes on, Platt's sigmoid below: isotonic overfits small samples), with
three stratified folds. Each fold's model predicts the outcomes it did not see, so every outcome
gets an out-of-fold probability; the metrics, the operating threshold and the fairness check are
read from those, never from the outcomes a model was fitted on.

The operating threshold is the lowest expected find per visit that still reaches the recall target
among the needy households the visits found (out of fold). Promotion needs every group with enough
needy households (:data:`MIN_GROUP_NEEDY`) to reach a recall no more than :data:`FAIRNESS_GAP`
below the overall recall at that threshold.

The hyper-parameters below were fixed before any evaluation and are not tuned on it: small, heavily
regularised trees, because the first months give only a few hundred outcomes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from safetynet.monitoring.errors import NotEnoughOutcomes

RECALL_TARGET = 0.97
FAIRNESS_GAP = 0.02
MIN_GROUP_NEEDY = 20
MIN_CLASS = 10
FOLDS = 3
# One OpenMP thread: the trees' threads spin-wait for each other, and on a loaded machine (other
# batch jobs on the same cores) a fit of a few hundred rows took 80 s with two threads, 2 s with one.
THREADS = 1


@dataclass
class TrainedModel:
    estimator: CalibratedClassifierCV
    features: list[str]
    reference: np.ndarray  # per feature: the training rows' median (the explanation's baseline)
    threshold: float
    metrics: dict
    fairness: dict
    promotable: bool
    oof: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probability that a visit finds the household in need."""
        if not len(x):
            return np.zeros(0)
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            return self.estimator.predict_proba(x)[:, 1]


def _estimator(n: int, seed: int) -> CalibratedClassifierCV:
    trees = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=20,
                                           l2_regularization=1.0, random_state=seed)
    return CalibratedClassifierCV(trees, method="isotonic" if n >= 1000 else "sigmoid",
                                  cv=StratifiedKFold(FOLDS, shuffle=True, random_state=seed))


def _at(p: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    flagged = p >= threshold
    needy, hit = int(y.sum()), int((flagged & (y == 1)).sum())
    return {"needy": needy, "flagged": int(flagged.sum()), "needy_flagged": hit,
            "recall": round(hit / needy, 4) if needy else None,
            "precision": round(hit / int(flagged.sum()), 4) if flagged.any() else None}


def fairness_report(p: np.ndarray, y: np.ndarray, groups: dict[str, np.ndarray], threshold: float) -> dict:
    overall = _at(p, y, threshold)
    out = {"overall": overall, "groups": {}, "failing": []}
    for name, mask in groups.items():
        g = _at(p[mask], y[mask], threshold)
        g["judged"] = g["needy"] >= MIN_GROUP_NEEDY
        out["groups"][name] = g
        if g["judged"] and overall["recall"] is not None and g["recall"] < overall["recall"] - FAIRNESS_GAP:
            out["failing"].append(name)
    return out


def train(x: np.ndarray, y: np.ndarray, *, features: list[str], groups: dict[str, np.ndarray] | None = None,
          recall_target: float = RECALL_TARGET, seed: int = 0) -> TrainedModel:
    """Fit on visit outcomes ``y`` (1: the visit found need) of feature rows ``x``."""
    y = np.asarray(y, np.int8)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives < MIN_CLASS or negatives < MIN_CLASS:
        raise NotEnoughOutcomes(
            _("走访结果不足，无法训练：发现困难 %(p)d 户、未发现 %(n)d 户（各至少 %(m)d 户）")
            % {"p": positives, "n": negatives, "m": MIN_CLASS}, positives=positives, negatives=negatives)
    started = time.perf_counter()
    estimator = _estimator(len(y), seed)
    oof = np.zeros(len(y))
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        estimator.fit(x, y)
        for fold, (_train, test) in zip(estimator.calibrated_classifiers_, estimator.cv.split(x, y), strict=True):
            oof[test] = fold.predict_proba(x[test])[:, 1]
    threshold = float(np.quantile(oof[y == 1], 1 - recall_target, method="lower"))
    fairness = fairness_report(oof, y, groups or {}, threshold)
    metrics = {
        "outcomes": int(len(y)), "needy": positives, "method": estimator.method,
        "auc": round(float(roc_auc_score(y, oof)), 4), "average_precision": round(float(average_precision_score(y, oof)), 4),
        "brier": round(float(brier_score_loss(y, oof)), 4), "threshold": round(threshold, 4),
        "at_threshold": fairness["overall"], "seconds": round(time.perf_counter() - started, 2),
    }
    return TrainedModel(estimator=estimator, features=list(features), reference=np.median(x, axis=0),
                        threshold=threshold, metrics=metrics, fairness=fairness,
                        promotable=not fairness["failing"], oof=oof)


def groups_of(*, elderly: np.ndarray, disabled: np.ndarray, serious: np.ndarray, rural: np.ndarray,
              district: np.ndarray) -> dict[str, np.ndarray]:
    """The groups fairness is judged on (masks over the same rows)."""
    groups = {"with_elderly": elderly > 0, "with_disabled": disabled > 0, "with_serious_illness": serious > 0,
              "rural": rural > 0, "urban": rural <= 0}
    for d in sorted(set(district.tolist())):
        groups[f"district_{d}"] = district == d
    return groups
