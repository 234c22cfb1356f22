"""Benchmark: the rules on one household (decide_household) and on a million (decide_population,
baseline + reform), on a synthetic numpy population (no registry needed).

    python bench/bench_rules.py                      # 1,000,000 households, 200 single decisions
    python bench/bench_rules.py --households 100000

Targets: one household under 20 ms; 1,000,000 households baseline + reform under 30 s; totals
exact to the fen: the simulation report's total equals the sum of the households' amounts added up
in ``Decimal`` from their printed values, each household's total equals its programmes' amounts,
and every single decision equals its household's row to the fen.
Runs in a fresh temp SAFETYNET_HOME (SQLite, migrated) so decide_household takes its real path,
including the check for approved parameter changes. Writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ON = dt.date(2025, 7, 1)
REFORM = {
    "name": "示范市城市低保标准提高到 1000 元，低保边缘倍数 1.6",
    "changes": [
        {"path": "dibao.standard.urban", "region": "990100000000", "start": "2025-07-01", "value": 1000},
        {"path": "low_income_margin.multiple", "region": "990100000000", "start": "2025-07-01", "value": 1.6},
    ],
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("SAFETYNET_HOME", tempfile.mkdtemp(prefix="sn-bench-rules-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from safetynet.rules.money import to_fen
    from safetynet.rules.reforms import reform_parse, reform_system
    from safetynet.rules.services import current_system, decide_household, decide_population
    from safetynet.rules.simulation import simulation_report
    from safetynet.rules.synthetic import household_facts_at, synthetic_population

    t = time.perf_counter()
    system = current_system()
    load_s = time.perf_counter() - t

    t = time.perf_counter()
    population = synthetic_population(args.households, seed=args.seed, on=ON)
    gen_s = time.perf_counter() - t

    t, cpu0 = time.perf_counter(), time.process_time()
    baseline = decide_population(table=population, on=ON)
    base_s = time.perf_counter() - t
    t = time.perf_counter()
    reform = reform_system(reform_parse(REFORM), base=system)
    reform_build_s = time.perf_counter() - t
    t = time.perf_counter()
    reformed = decide_population(table=population, on=ON, reform=reform)
    reform_s = time.perf_counter() - t
    population_cpu_s = time.process_time() - cpu0

    rng = np.random.default_rng(args.seed + 1)
    picks = rng.choice(population.household_count, size=args.single + 1, replace=False)
    facts = [household_facts_at(population, int(i)) for i in picks]
    decide_household(household=facts[0], on=ON)  # warm
    times, cpu, mismatches = [], [], 0
    for index, household in zip(picks[1:], facts[1:], strict=True):
        t, c = time.perf_counter(), time.process_time()
        decision = decide_household(household=household, on=ON)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        if decision.monthly_total != Decimal(f"{baseline['monthly_total'][index]:.2f}"):
            mismatches += 1

    report = simulation_report(
        spec=reform_parse(REFORM), on=ON, population=population, baseline=baseline, reformed=reformed
    )
    t = time.perf_counter()
    exact = {}
    for name, results, reported in (
        ("baseline", baseline, report["baseline"]),
        ("reform", reformed, report["reform_result"]),
    ):
        decimal_sum = sum((Decimal(f"{x:.2f}") for x in results["monthly_total"].tolist()), Decimal(0))
        parts = sum(to_fen(results[c]) for c in ("dibao_amount", "tekun_household_amount",
                                                  "living_subsidy_amount", "care_subsidy_amount"))
        exact[name] = {
            "reported_monthly_cost_fen": reported["total"]["monthly_cost_fen"],
            "decimal_sum_of_households": str(decimal_sum),
            "total_equals_sum": reported["total"]["monthly_cost_fen"] == int(decimal_sum * 100),
            "households_equal_their_parts": bool((parts == to_fen(results["monthly_total"])).all()),
            "amounts_whole_fen": bool(
                np.all(np.abs(results["monthly_total"] * 100 - to_fen(results["monthly_total"])) < 1e-6)
            ),
        }
    exact_s = time.perf_counter() - t
    gainers = report["winners"]["count"]
    losers = report["losers"]["count"]
    result = {
        "benchmark": "rules",
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "households": population.household_count,
        "persons": population.person_count,
        "system_load_s": round(load_s, 2),
        "generate_s": round(gen_s, 2),
        "population_baseline_s": round(base_s, 2),
        "reform_build_s": round(reform_build_s, 3),
        "population_reform_s": round(reform_s, 2),
        "population_baseline_plus_reform_s": round(base_s + reform_build_s + reform_s, 2),
        "population_baseline_plus_reform_cpu_s": round(population_cpu_s, 2),
        "decide_household_p50_ms": round(statistics.median(times), 2),
        "decide_household_p95_ms": round(_pct(times, 0.95), 2),
        "decide_household_max_ms": round(max(times), 2),
        "decide_household_cpu_p50_ms": round(statistics.median(cpu), 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "single_vs_population_mismatches": mismatches,
        "baseline_dibao_households": int(baseline["dibao_eligible"].sum()),
        "baseline_monthly_cost": report["baseline"]["total"]["monthly_cost"],
        "reform_dibao_households": int(reformed["dibao_eligible"].sum()),
        "reform_monthly_cost": report["reform_result"]["total"]["monthly_cost"],
        "totals_exact": exact,
        "totals_exact_to_the_fen": all(all(v for k, v in e.items() if isinstance(v, bool)) for e in exact.values())
        and mismatches == 0,
        "exactness_check_s": round(exact_s, 2),
        "reform_gainers": gainers,
        "reform_losers": losers,
    }
    for key, value in result.items():
        if key != "machine":
            print(f"{key:36} {value}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_rules-{population.household_count}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
