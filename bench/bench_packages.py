"""Benchmark: the package optimiser (融救联助).

    flock /tmp/safetynet-bench.lock python bench/bench_packages.py        # SAFETYNET_HOME with a demo city
    flock /tmp/safetynet-bench.lock python bench/bench_packages.py --only single    # or --only batches

1. One household: ``package_propose`` end to end (verified facts from the lake, the rules,
   the needs profile, eligibility, the optimiser and the greedy baseline, the writes) for
   ``BENCH_SINGLE`` households of the demo city; p50, p95, max. Target: under 1 s.
2. Batches: the optimiser against the greedy baseline on the same instance, each with its
   proven bound and gap, capacity/budget/stacking violations and unfair households counted:
   * a street of the demo city, and the whole demo city (real facts → needs → eligibility);
   * a county of ``BENCH_COUNTY`` (100,000) households against the whole catalogue: the demo
     city's households resampled (their needs and eligibility rows; a third of them with one
     need's severity moved a level, so types are not just copies), capacities and budgets
     scaled by the same factor. Target: under 60 s, gap under 1 %, never below greedy.

Builds a demo city of ``BENCH_DEMO_HOUSEHOLDS`` (2,000) in ``SAFETYNET_HOME`` if none is there.
Writes ``bench/results/packages.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
os.environ.setdefault("SAFETYNET_HOME", "var/bench-packages")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402

N_SINGLE = int(os.environ.get("BENCH_SINGLE", "20"))
N_COUNTY = int(os.environ.get("BENCH_COUNTY", "100000"))
N_DEMO = int(os.environ.get("BENCH_DEMO_HOUSEHOLDS", "2000"))
OUT = Path(__file__).parent / "results" / "packages.json"


def ensure_demo():
    from safetynet.demo.services import demo_city_present

    if not demo_city_present():
        call_command("demo", households=N_DEMO, no_serve=True, verbosity=0)


def single(on: dt.date) -> dict:
    from safetynet.accounts.models import User
    from safetynet.resources.models import Need, NeedStatus, Package
    from safetynet.resources.services import package_propose

    officer = User.objects.get(username="demo-street-officer")
    ids = list(Need.objects.filter(status=NeedStatus.OPEN, household__region__path__startswith=officer.region.path)
               .values_list("household_id", flat=True).distinct().order_by("household_id")[:N_SINGLE])
    times, chosen = [], []
    for hid in ids:
        Package.objects.filter(household_id=hid, status="proposed").update(status="withdrawn")
        t0 = time.perf_counter()
        package = package_propose(household_id=hid, actor=officer, on=on)
        times.append(time.perf_counter() - t0)
        chosen.append(package.items.count())
    times.sort()
    return {"households": len(ids), "p50_s": round(statistics.median(times), 3),
            "p95_s": round(times[int(0.95 * (len(times) - 1))], 3), "max_s": round(times[-1], 3),
            "mean_resources_chosen": round(float(np.mean(chosen)), 2)}


def batch_row(name: str, problem, greedy, solution, extra: dict | None = None) -> dict:
    from safetynet.resources import optimiser as o

    return {
        "batch": name, "households": problem.households, "resources": problem.resources,
        "candidate_pairs": int(problem.candidates().sum()),
        "types": int(len(o._types(problem, problem.candidates())[0])),
        "need_total": round(float(problem.weight.sum()), 1),
        "need_met": round(solution.need_met, 1), "greedy_need_met": round(greedy.need_met, 1),
        "margin": round(solution.need_met - greedy.need_met, 1),
        "margin_percent": round((solution.need_met - greedy.need_met) / greedy.need_met * 100, 2)
        if greedy.need_met else 0.0,
        "bound": round(solution.bound, 1), "gap_percent": round(solution.gap * 100, 3),
        "method": solution.method, "solver_status": solution.status,
        "optimiser_seconds": round(solution.seconds, 2), "greedy_seconds": round(greedy.seconds, 2),
        "violations": o.violations(problem, solution.assign),
        "unfair_households": int(len(o.unfair(problem, solution.assign))),
        "capacity_used": int(solution.assign.sum()), "capacity_room": int(problem.room.sum()),
        **(extra or {}),
    }


def demo_batches(on: dt.date) -> tuple[list[dict], object]:
    from safetynet.regions.models import Region
    from safetynet.resources.optimiser import solve, solve_greedy
    from safetynet.resources.tasks import packages_batch

    rows = []
    street = Region.objects.filter(code__startswith="99", level=4).order_by("code").first()
    city_problem = None
    for name, code in (("demo street", street.code), ("demo city", "")):
        t0 = time.perf_counter()
        plan, timings = packages_batch(on=on, region_code=code or None)
        p = plan.problem
        greedy = solve_greedy(p)
        solution = solve(p, greedy=greedy)
        rows.append(batch_row(name, p, greedy, solution, {"facts_and_needs_seconds": timings["facts_seconds"]
                                                          + timings["needs_seconds"],
                                                          "end_to_end_seconds": round(time.perf_counter() - t0, 2)}))
        city_problem = p
    return rows, city_problem


def county(base) -> dict:
    from safetynet.resources.optimiser import Problem, solve, solve_greedy

    rng = np.random.default_rng(1)
    idx = rng.integers(0, base.households, N_COUNTY)
    severity = base.severity[idx].copy()
    moved = rng.random(N_COUNTY) < 1 / 3
    cats = rng.integers(0, severity.shape[1], N_COUNTY)
    step = rng.choice([-1, 1], N_COUNTY)
    rows = np.flatnonzero(moved)
    severity[rows, cats[rows]] = np.clip(severity[rows, cats[rows]] + step[rows], 0, 4)
    scale = N_COUNTY / base.households
    problem = Problem(severity, base.eligible[idx], base.effect, np.ceil(base.capacity * scale).astype(np.int64),
                      base.cost, np.where(base.budget >= 0, np.ceil(base.budget * scale), -1).astype(np.int64),
                      base.exclusive, base.requires)
    greedy = solve_greedy(problem)
    solution = solve(problem, time_limit=50.0, greedy=greedy)
    return batch_row(f"county {N_COUNTY:,} (resampled)", problem, greedy, solution,
                     {"total_seconds_with_greedy": round(solution.seconds + greedy.seconds, 2)})


def main() -> None:
    import argparse

    from safetynet.demo.population import REFERENCE_DATE
    from safetynet.resources.optimiser import silence_banner

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("single", "batches"), help="run one part (default: both)")
    args = parser.parse_args()
    silence_banner()
    ensure_demo()
    on = REFERENCE_DATE
    result = {"on": on.isoformat(), "load_before": os.getloadavg()}
    if args.only in (None, "single"):
        result["single"] = single(on)
    if args.only in (None, "batches"):
        rows, city_problem = demo_batches(on)
        rows.append(county(city_problem))
        result["batches"] = rows
    result["load_after"] = os.getloadavg()
    out = OUT if args.only is None else OUT.with_name(f"packages-{args.only}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
