"""The monitoring run (``safetynet monitor``): indicators, triggers, scores, alerts, 应保尽保 lists.

Nightly, a full run scores every household in scope. When a departmental batch lands during the
day, an incremental run (``--incremental``) rescores only the households it touched: the people
whose facts the new batches change (:func:`id_numbers_changed`) and any household whose
membership changed, since the previous run. Every run first escalates the overdue alerts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from safetynet.core.db import planner_statistics_refresh
from safetynet.engine.lake import id_numbers_changed
from safetynet.monitoring.compute import MonitoringResult, monitor_compute
from safetynet.monitoring.coverage import coverage_lists
from safetynet.monitoring.dispatching import alerts_dispatch
from safetynet.monitoring.evaluation import evaluate as run_evaluation
from safetynet.monitoring.models import Alert, AlertKind, MonitorRun, RunMode
from safetynet.monitoring.services import alerts_escalate_overdue, alerts_open_bulk
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Region
from safetynet.registry.models import Membership
from safetynet.registry.tables import households_of

ALERT_LEVELS = ("red", "orange")  # points levels that dispatch an alert; yellow is watched only


def _touched_households(*, previous: MonitorRun, on: dt.date) -> tuple[set[int], list[str]]:
    """Households whose facts or members may have changed since ``previous`` ran, and the batches."""
    id_numbers, batches = id_numbers_changed(landed_after=previous.created_at, on=on)
    touched = households_of(id_numbers=id_numbers, on=on)
    touched.update(Membership.objects.filter(updated_at__gt=previous.created_at).values_list("household_id", flat=True))
    return touched, batches


def alert_candidates(result: MonitoringResult, uncovered: pa.Table) -> list[dict]:
    """What a run dispatches: a points alert for a red or orange household that receives neither
    低保 nor 特困 (a recipient is already under the case workflow's periodic review: its level is
    recorded and shown, not dispatched again), every trigger, and every household on the
    应保尽保 list."""
    if not len(result.household_ids):
        return []
    receiving = (result.measures["dibao_members"] > 0) | (result.measures["tekun_members"] > 0)
    candidates = []
    # Equal reasons are one object, shared by the candidates that give them (read-only): the
    # alerts' insert prepares each object once (a city's alerts give about a third as many).
    shared: dict[tuple, dict] = {}
    for level in ALERT_LEVELS:
        rows = np.flatnonzero((result.levels == level) & ~receiving)
        for i, reasons in zip(rows.tolist(), result.reasons(rows), strict=True):
            why = shared.setdefault(("indicators", *reasons), {"indicators": reasons})
            candidates.append({"household_id": int(result.household_ids[i]), "kind": AlertKind.POINTS,
                               "condition": "points", "level": level, "score": round(float(result.af.scores[i]), 4),
                               "reasons": why})
    for t in result.triggers:
        candidates.append({"household_id": t["household_id"], "kind": AlertKind.TRIGGER, "condition": t["code"],
                           "level": t["level"], "reasons": t["reasons"]})
    for hid, ratio in zip(uncovered.column("household_id").to_pylist(), uncovered.column("income_ratio").to_pylist(),
                          strict=True):
        candidates.append({"household_id": hid, "kind": AlertKind.COVERAGE, "condition": "dibao_uncovered",
                           "level": "orange", "reasons": shared.setdefault(("income_ratio", ratio), {"income_ratio": ratio})})
    return candidates


def monitor_run(*, on: dt.date, region_code: str | None = None, actor=None, evaluate: bool = False,
                incremental: bool = False) -> dict:
    """One run: ``incremental`` rescores only what changed since the previous run of the same scope
    (a full run when there is none)."""
    started = time.perf_counter()
    escalated = alerts_escalate_overdue(actor=actor)
    path = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise RegionNotFound(_("区划代码不存在：%(code)s") % {"code": region_code}, region=region_code)
        path = region.path
    scope_runs = MonitorRun.objects.filter(region_code=region_code or "")
    previous = scope_runs.filter(on__lte=on).order_by("-created_at", "-id").first() if incremental else None
    if previous is None:
        # Triggers look at events dated since the last run on an earlier day.
        mode, touched, batches = RunMode.FULL, None, None
        last = scope_runs.filter(on__lt=on).order_by("-on", "-id").first()
        since = last.on if last else on - dt.timedelta(days=31)
    else:
        # Triggers look at the new batches' events dated within the usual window.
        mode, since = RunMode.INCREMENTAL, on - dt.timedelta(days=31)
        touched, batches = _touched_households(previous=previous, on=on)
    result = monitor_compute(on=on, since=since, region_path=path, household_ids=touched, trigger_batches=batches)
    seconds_compute = time.perf_counter() - started
    uncovered, left = coverage_lists(result)

    candidates = alert_candidates(result, uncovered)
    run = MonitorRun.objects.create(on=on, region_code=region_code or "", mode=mode)
    alerts = alerts_open_bulk(candidates=candidates, run=run, actor=actor)
    started_dispatch = time.perf_counter()
    dispatched = alerts_dispatch(run=run, result=result, candidates=candidates, actor=actor)
    dispatched["seconds"] = round(time.perf_counter() - started_dispatch, 2)
    planner_statistics_refresh(Alert)
    out_dir = Path(settings.LAKE_DIR) / "derived" / "monitoring" / f"run={run.pk}"
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(uncovered, out_dir / "dibao_uncovered.parquet")
    pq.write_table(left, out_dir / "dibao_left_eligibility.parquet")
    levels = Counter(x for x in result.levels.tolist() if x)
    counts = {
        "run_id": run.pk, "mode": str(mode), "on": on.isoformat(), "since": since.isoformat(), "region": region_code or "",
        "batches_since_previous": batches or [], "alerts_escalated": escalated,
        "households_scored": len(result.household_ids), "persons": result.persons,
        "indicators_computed": len(result.codes),
        "levels": {lvl: levels.get(lvl, 0) for lvl in ("red", "orange", "yellow")},
        "triggers": dict(Counter(t["code"] for t in result.triggers)),
        "alerts_opened": alerts["opened"], "alerts_suppressed": alerts["suppressed"],
        "alerts_held_after_visit": alerts["held_after_visit"],
        "alerts_by_level": alerts["by_level"], "alerts_by_condition": alerts["by_condition"],
        "dispatch": dispatched,
        "dibao_uncovered": uncovered.num_rows, "dibao_left_eligibility": left.num_rows,
        "measures": result.summary() if len(result.household_ids) else {},
        "output_dir": str(out_dir),
        "seconds_compute": round(seconds_compute, 2), "seconds_total": round(time.perf_counter() - started, 2),
    }
    if evaluate:

        counts["evaluation"] = run_evaluation(result=result, uncovered=uncovered, candidates=candidates)
    # The run keeps the city-wide H, A, M0 for the dashboard; the per-county breakdown stays in
    # the command's output and the lake.
    run.counts = {k: v for k, v in counts.items() if k != "measures"}
    run.counts["measures_overall"] = counts["measures"].get("overall", {})
    run.save(update_fields=["counts", "updated_at"])
    return counts
