"""The monitoring run (``safetynet monitor``): indicators, triggers, scores, alerts, 应保尽保 lists."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from safetynet.monitoring.compute import monitor_compute
from safetynet.monitoring.coverage import coverage_lists
from safetynet.monitoring.models import AlertKind, MonitorRun
from safetynet.monitoring.services import alerts_open_bulk
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Region

ALERT_LEVELS = ("red", "orange")  # points levels that dispatch an alert; yellow is watched only


def monitor_run(*, on: dt.date, region_code: str | None = None, actor=None, evaluate: bool = False) -> dict:
    started = time.perf_counter()
    path = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise RegionNotFound(_("区划代码不存在：%(code)s") % {"code": region_code}, region=region_code)
        path = region.path
    last = MonitorRun.objects.filter(region_code=region_code or "", on__lt=on).order_by("-on", "-id").first()
    since = last.on if last else on - dt.timedelta(days=31)
    result = monitor_compute(on=on, since=since, region_path=path)
    seconds_compute = time.perf_counter() - started
    uncovered, left = coverage_lists(result)

    candidates = []
    for i in [int(i) for i in (result.levels == "red").nonzero()[0]] + [
            int(i) for i in (result.levels == "orange").nonzero()[0]]:
        candidates.append({"household_id": int(result.household_ids[i]), "kind": AlertKind.POINTS,
                           "condition": "points", "level": result.levels[i], "score": round(float(result.af.scores[i]), 4),
                           "reasons": {"indicators": result.reasons(i)}})
    for t in result.triggers:
        candidates.append({"household_id": t["household_id"], "kind": AlertKind.TRIGGER, "condition": t["code"],
                           "level": t["level"], "reasons": t["reasons"]})
    for hid, ratio in zip(uncovered.column("household_id").to_pylist(), uncovered.column("income_ratio").to_pylist(),
                          strict=True):
        candidates.append({"household_id": hid, "kind": AlertKind.COVERAGE, "condition": "dibao_uncovered",
                           "level": "orange", "reasons": {"income_ratio": ratio}})

    run = MonitorRun.objects.create(on=on, region_code=region_code or "")
    alerts = alerts_open_bulk(candidates=candidates, run=run, actor=actor)
    out_dir = Path(settings.LAKE_DIR) / "derived" / "monitoring" / f"run={run.pk}"
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(uncovered, out_dir / "dibao_uncovered.parquet")
    pq.write_table(left, out_dir / "dibao_left_eligibility.parquet")
    levels = Counter(x for x in result.levels.tolist() if x)
    counts = {
        "run_id": run.pk, "on": on.isoformat(), "since": since.isoformat(), "region": region_code or "",
        "households_scored": len(result.household_ids), "persons": result.persons,
        "indicators_computed": len(result.codes),
        "levels": {lvl: levels.get(lvl, 0) for lvl in ("red", "orange", "yellow")},
        "triggers": dict(Counter(t["code"] for t in result.triggers)),
        "alerts_opened": alerts["opened"], "alerts_suppressed": alerts["suppressed"],
        "alerts_by_level": alerts["by_level"], "alerts_by_condition": alerts["by_condition"],
        "dibao_uncovered": uncovered.num_rows, "dibao_left_eligibility": left.num_rows,
        "measures": result.summary() if len(result.household_ids) else {},
        "output_dir": str(out_dir),
        "seconds_compute": round(seconds_compute, 2), "seconds_total": round(time.perf_counter() - started, 2),
    }
    if evaluate:
        from safetynet.monitoring.evaluation import evaluate as run_evaluation

        counts["evaluation"] = run_evaluation(result=result, uncovered=uncovered)
    # The run keeps the city-wide H, A, M0 for the dashboard; the per-county breakdown stays in
    # the command's output and the lake.
    run.counts = {k: v for k, v in counts.items() if k != "measures"}
    run.counts["measures_overall"] = counts["measures"].get("overall", {})
    run.save(update_fields=["counts", "updated_at"])
    return counts
