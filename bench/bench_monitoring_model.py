"""Benchmark: what the learned ranking adds to a monitoring run, and retraining on 100,000 outcomes.

    python bench/bench_monitoring_model.py --home /tmp/i18-bench-mon/persons-1000000-seed-1
    python bench/bench_monitoring_model.py --home <20k demo home> --score-households 352000

On a SAFETYNET_HOME holding a demo city whose extracts are landed (``bench_monitoring.py`` builds
and keeps one per size):

1. ``monitor_compute`` once (not timed here: ``bench_monitoring.py`` times the run), the run's
   candidates, and the ground truth of the needy households receiving nothing.
2. **Retraining**: 100,000 visit outcomes drawn (with replacement) from the candidate households
   with their true label, then ``training.train`` (three folds for the out-of-fold
   metrics and calibration, one model on all), timed, wall and CPU (the machine is shared: the CPU time is what the fit costs).
   The model dispatch uses is trained on each candidate household once.
2b. **Scoring every household**, what the learned ranking adds to a run: ``feature_matrix`` over
   all households and ``predict`` on it (explanations are not part of it: they are computed only
   for the alerts dispatched, a few per community and week). ``--score-households N`` scores N
   rows drawn with replacement from the city's households (352,000 ≈ 1M persons at 2.84 a
   household) when no 1M city is at hand: the cost per row does not depend on which rows.
3. The model is stored and promoted as ``monitor-train`` would. **Dispatch** (``alerts_dispatch``:
   features of every household with an open alert, kept in the lake; scoring; ranking under
   capacity; the learning phase's sample of the spare slots; explanations of the dispatched; the
   alerts' update) is timed twice without the
   model (today's rules order) and twice with it, on the same open alerts (dispatch marks are
   cleared before each). The model's cost is the difference. The proxies' read inside the
   compute (``proxy_measures``) is timed on its own over all persons.
4. Writes JSON to ``bench/results/monitoring-model-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--score-households", type=int, default=0,
                        help="score this many household rows (drawn with replacement); default: every household once")
    parser.add_argument("--skip-dispatch", action="store_true", help="leave out the dispatch timing")
    args = parser.parse_args()
    os.environ["SAFETYNET_HOME"] = args.home
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    import numpy as np
    import pyarrow.parquet as pq
    from django.conf import settings
    from django.db import transaction

    from safetynet.core.paths import demo_truth_dir
    from safetynet.monitoring.compute import monitor_compute
    from safetynet.monitoring.coverage import coverage_lists
    from safetynet.monitoring.dispatching import alerts_dispatch
    from safetynet.monitoring.model.features import feature_matrix, feature_names
    from safetynet.monitoring.model.training import train
    from safetynet.monitoring.models import (
        OPEN_STATUSES,
        Alert,
        LearningPeriod,
        LearningPhase,
        LearningVisit,
        MonitorRun,
        RiskModel,
    )
    from safetynet.monitoring.proxies import proxy_measures
    from safetynet.monitoring.tasks import alert_candidates
    from safetynet.registry.tables import members_at

    on = dt.date(2026, 10, 31)
    result = monitor_compute(on=on)
    uncovered, _left = coverage_lists(result)
    candidates = alert_candidates(result, uncovered)
    out: dict = {"households": int(len(result.household_ids)), "persons": result.persons,
                 "candidates": len(candidates), "load_before": os.getloadavg()}

    members = members_at(on=on)
    hh, person_hh = np.unique(members.column("household_id").to_numpy(), return_inverse=True)
    t = time.perf_counter()
    proxy_measures(id_numbers=members.column("id_number"), person_hh=person_hh,
                   members=np.bincount(person_hh), on=on)
    out["proxy_read_seconds"] = round(time.perf_counter() - t, 2)
    del members

    truth = pq.read_table(demo_truth_dir() / "needy_households.parquet").to_pydict()
    from safetynet.registry.models import Household

    unserved = {n for n, r in zip(truth["household_number"], truth["receiving"], strict=True) if not r}
    cand_ids = sorted({c["household_id"] for c in candidates})
    number = {pk: h.number for pk, h in Household.objects.only("id", "number").in_bulk(cand_ids).items()}
    index = {int(h): i for i, h in enumerate(result.household_ids.tolist())}
    rows = np.array([index[h] for h in cand_ids])
    x = feature_matrix(result, rows=rows, candidates=candidates)
    y = np.array([number[h] in unserved for h in cand_ids], np.int8)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(y), args.outcomes)
    t, cpu = time.perf_counter(), time.process_time()
    model = train(x[pick], y[pick], features=feature_names())
    out["train_outcomes"] = args.outcomes
    out["train_seconds"] = round(time.perf_counter() - t, 2)
    out["train_cpu_seconds"] = round(time.process_time() - cpu, 2)
    out["train_iterations"] = int(model.estimator.trees.n_iter_)
    out["train_metrics_note"] = "resampled with replacement: duplicates cross the folds, so these metrics mean nothing"
    # The model dispatch uses: trained on each candidate household once (its threshold is realistic).
    t = time.perf_counter()
    model = train(x, y, features=feature_names())
    out["train_unique_candidates"] = {"outcomes": int(len(y)), "seconds": round(time.perf_counter() - t, 2),
                                      "auc": model.metrics["auc"], "threshold": model.metrics["threshold"]}

    H = len(result.household_ids)
    n_score = args.score_households or H
    score_rows = np.arange(H) if n_score == H else np.random.default_rng(1).integers(0, H, n_score)
    t, cpu = time.perf_counter(), time.process_time()
    x_all = feature_matrix(result, rows=score_rows, candidates=candidates)
    features_s = time.perf_counter() - t
    p_all = model.predict(x_all)
    out["score_all"] = {"households": int(n_score), "resampled": n_score != H,
                        "features_seconds": round(features_s, 2),
                        "predict_seconds": round(time.perf_counter() - t - features_s, 2),
                        "seconds": round(time.perf_counter() - t, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
                        "mean_risk": round(float(p_all.mean()), 4)}
    del x_all, p_all
    if args.skip_dispatch:
        _write(out)
        return

    import hashlib

    import joblib

    folder = Path(settings.LAKE_DIR) / "derived" / "monitoring" / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.joblib"
    joblib.dump(model, path)
    run = MonitorRun.objects.create(on=on, region_code="", counts={"bench": "monitoring-model"})
    timings = {"rules": [], "model": []}
    for label in ("rules", "rules", "model", "model"):
        RiskModel.objects.filter(promoted=True).update(promoted=False)
        if label == "model":
            RiskModel.objects.update_or_create(version=999_999, defaults={
                "outcomes": args.outcomes, "threshold": model.threshold, "metrics": model.metrics,
                "features": model.features, "artefact": str(path.relative_to(settings.LAKE_DIR)),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "promoted": True})
        with transaction.atomic():
            # each timed run with the model is its first: a learning phase starts and samples the spare slots
            LearningVisit.objects.all().delete()
            LearningPeriod.objects.all().delete()
            LearningPhase.objects.all().delete()
            Alert.objects.filter(status__in=OPEN_STATUSES).update(dispatched_at=None, risk=None, risk_model=None,
                                                                   risk_reasons=[])
        t, cpu = time.perf_counter(), time.process_time()
        counts = alerts_dispatch(run=run, result=result, candidates=candidates)
        timings[label].append({"seconds": round(time.perf_counter() - t, 2),
                               "cpu_seconds": round(time.process_time() - cpu, 2), **counts})
    out["dispatch"] = timings
    out["open_alerts"] = Alert.objects.filter(status__in=OPEN_STATUSES).count()
    _write(out)


def _write(out: dict) -> None:
    out["load_after"] = os.getloadavg()
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (results / f"monitoring-model-{stamp}.json").write_text(json.dumps(out, indent=2, default=str))
    json.dump(out, sys.stdout, indent=2, default=str)


if __name__ == "__main__":
    main()
