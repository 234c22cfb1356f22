"""Benchmark: the monitoring run (``monitor_run``) on the demo city at 100k / 1M / 5M persons, full and
incremental.

    python bench/bench_monitoring.py --persons 100000
    python bench/bench_monitoring.py --persons 100000 1000000 5000000 --home-base /data/sn-bench-mon

Each ``--persons N`` gets its own SAFETYNET_HOME, ``<home-base>/persons-<N>-seed-<S>``
(``--home-base`` defaults to a new temp dir; pass it again to reuse the cities built there), and
two processes of its own, one building the city and one timing the runs, so each starts with a
fresh heap and reports its own peak RSS. SQLite only: ``DATABASE_URL`` is ignored.

1. **City, built once per home.** ``demo_generate`` draws the demo city's registry and raw
   departmental extracts (households = N / ``MEAN_HOUSEHOLD_SIZE`` (2.84) × 1.002, as
   ``bench_demo.py`` does), then every extract is landed through the real
   ``source_ingest_folder``, as ``safetynet demo`` does, but with record linkage switched off:
   ingestion sends only the rows whose ID number fails validation (≈0.3 % of rows, the demo's
   planted typos) to Splink, yet each such batch loads the whole registry for it; at 1M persons
   that was ≈150 s of a ≈175 s ingest, and it grows with the registry. Without it those rows
   are quarantined instead of linked, which removes a few facts, not work the monitoring does.
   The database is then copied to ``bench-city.sqlite3`` and the marker ``bench-city.json``
   records the options, the build timings and the lake's files. A later run on that home
   restores the copy and deletes lake files the build did not write, so every run starts from
   the same city (no alerts, no monitoring runs, no extra batches).
2. **Full run, twice**: ``monitor_run(on=ON)``, ON being the date ``safetynet demo`` monitors
   (``REFERENCE_DATE``, 2026-10-31). The second run finds the first run's alerts open, so most
   of its alerts are suppressed. Both are in one process, so the second is warm (imports,
   parsed YAML, compiled query plans), which a fresh ``safetynet monitor`` process is not.
3. **Incremental run, twice**: land one new ``medical_expenses`` events batch through
   ``source_ingest`` (hospital stays of ≈0.5 % of the living registry persons, discharged in the
   six days up to ON, ``as_of`` = ON, costs drawn like the demo's, so some out-of-pocket sums are
   large against the household's income), then ``monitor_run(on=ON, incremental=True)``.
4. Prints a table and writes JSON to ``bench/results/monitoring-<timestamp>.json``.

Scale target (DESIGN.md): 1M persons × 75 indicators in under 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
MARKER = "bench-city.json"
SNAPSHOT = "bench-city.sqlite3"
RESULT = "bench-result.json"
DATABASE = "safetynet.sqlite3"  # settings' SQLite file under SAFETYNET_HOME
STAY_SHARE = 0.005  # persons with a hospital stay in each incremental batch
RUN_KEYS = ("households_scored", "persons", "indicators_computed", "alerts_opened", "alerts_suppressed",
            "seconds_compute", "seconds_total")


# -- the orchestrating process: one worker process per N -----------------------------------------

def home_prepare(home: Path, *, persons: int, seed: int) -> bool:
    """Make ``home`` ready for a worker; True when it holds a built city (restored to as built)."""
    marker = home / MARKER
    if marker.exists():
        city = json.loads(marker.read_text())
        if (city["persons_requested"], city["seed"]) != (persons, seed):
            raise SystemExit(f"{home} holds a city for {city['persons_requested']} persons, seed {city['seed']}")
        city_restore(home, lake_files=set(city["lake_files"]))
        return True
    if home.exists():  # a build that did not finish
        print(f"removing unfinished home {home}", flush=True)
        shutil.rmtree(home)
    home.mkdir(parents=True)
    return False


def city_restore(home: Path, *, lake_files: set[str]) -> None:
    """The database as built, and the lake without what runs since the build added."""
    for suffix in ("-wal", "-shm"):
        (home / f"{DATABASE}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(home / SNAPSHOT, home / DATABASE)
    lake = home / "lake"
    for path in sorted(lake.rglob("*"), reverse=True):
        if path.is_file() and str(path.relative_to(lake)) not in lake_files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def worker(step: str, *, persons: int, seed: int, home: Path) -> int:
    """Run ``step`` (build or runs) in a new process, so each starts with a fresh heap and its
    peak memory is its own."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SAFETYNET_HOME": str(home), "DJANGO_SETTINGS_MODULE": "safetynet.settings"}
    cmd = [sys.executable, __file__, "--worker", step, "--persons", str(persons), "--seed", str(seed)]
    return subprocess.run(cmd, env=env, check=False).returncode


def city_bench(*, persons: int, seed: int, home: Path) -> dict:
    """Build the city unless ``home`` has it, then time the runs on it."""
    failed = {"persons_requested": persons, "home": str(home)}
    t = time.perf_counter()
    reused = home_prepare(home, persons=persons, seed=seed)
    restore_s = round(time.perf_counter() - t, 1) if reused else None
    if not reused and (code := worker("build", persons=persons, seed=seed, home=home)) != 0:
        return failed | {"error": f"build exited with code {code}"}
    (home / RESULT).unlink(missing_ok=True)
    if (code := worker("runs", persons=persons, seed=seed, home=home)) != 0 or not (home / RESULT).exists():
        return failed | {"error": f"runs exited with code {code}"}
    result = json.loads((home / RESULT).read_text())
    result["city"] |= {"reused": reused, "restore_seconds": restore_s}
    return result | {"home": str(home)}


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cpus": os.cpu_count(), "memory_gb": round(memory / 2**30, 1), "python": sys.version.split()[0],
            "platform": platform.platform()}


def print_table(cities: list[dict]) -> None:
    print(f"{'persons':>10} {'households':>10} {'build s':>8} | {'full run 1 s':>12} {'run 2 s':>8} "
          f"{'persons/s':>9} {'alerts new/supp':>16} {'2nd new/supp':>13} | {'incr 1 s (hh)':>15} "
          f"{'incr 2 s (hh)':>15} {'peak GB':>7}")
    for c in cities:
        if "error" in c:
            print(f"{c['persons_requested']:>10,}  {c['error']}")
            continue
        r1, r2 = c["full"]
        incr = [f"{i['seconds_total']:.1f} ({i['households_scored']:,})" if "seconds_total" in i else "skipped"
                for i in c["incremental"]]
        built = f"{c['city']['build_seconds']:.1f}" + ("*" if c["city"]["reused"] else "")
        print(f"{r1['persons']:>10,} {c['city']['households']:>10,} {built:>8} | "
              f"{r1['seconds_total']:>12.1f} {r2['seconds_total']:>8.1f} {r1['persons_per_second']:>9,} "
              f"{r1['alerts_opened']:>7,}/{r1['alerts_suppressed']:<8,} {r2['alerts_opened']:>5,}/"
              f"{r2['alerts_suppressed']:<7,} | {incr[0]:>15} {incr[1]:>15} {c['max_rss_mb'] / 1024:>7.1f}")


def orchestrate(args: argparse.Namespace) -> None:
    base = Path(args.home_base) if args.home_base else Path(tempfile.mkdtemp(prefix="sn-bench-mon-"))
    print(f"homes under {base} (pass --home-base {base} to reuse them)", flush=True)
    cities = []
    for persons in args.persons:
        print(f"== {persons:,} persons", flush=True)
        cities.append(city_bench(persons=persons, seed=args.seed, home=base / f"persons-{persons}-seed-{args.seed}"))
    out = {"machine": machine(), "seed": args.seed, "cities": cities}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"monitoring-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print()
    print_table(cities)
    if any(c.get("city", {}).get("reused") for c in cities):
        print("* city reused: build time from when it was built")
    print(f"results: {path}")


# -- the worker process: one city ----------------------------------------------------------------

def _no_links(candidates, **_options):
    """Stands in for ``linkage.link_rows`` while the city is built: nothing linked."""
    import pyarrow as pa

    from safetynet.sources.linkage import RESULT_SCHEMA

    return pa.Table.from_pylist([], schema=RESULT_SCHEMA)


def city_build(*, persons: int, seed: int) -> dict:
    """The demo city's registry and its extracts landed as source batches (linkage off)."""
    from unittest import mock

    from safetynet.core.paths import incoming_dir
    from safetynet.demo.population import MEAN_HOUSEHOLD_SIZE
    from safetynet.demo.services import demo_generate
    from safetynet.sources import linkage
    from safetynet.sources.services import source_ingest_folder

    t = time.perf_counter()
    demo = demo_generate(households=math.ceil(persons / MEAN_HOUSEHOLD_SIZE * 1.002), seed=seed,
                         progress=sys.stderr.isatty())
    generate_s = time.perf_counter() - t
    print(f"generated {demo.persons:,} persons in {demo.households:,} households in {generate_s:.1f} s", flush=True)
    t = time.perf_counter()
    with mock.patch.object(linkage, "link_rows", _no_links):
        landed = [r.batch for r in source_ingest_folder(folder=incoming_dir())]
    ingest_s = time.perf_counter() - t
    print(f"landed {len(landed)} batches, {sum(b.received for b in landed):,} rows in {ingest_s:.1f} s", flush=True)
    return {
        "persons_requested": persons, "seed": seed, "persons": demo.persons, "households": demo.households,
        "batches": len(landed), "source_rows": sum(b.received for b in landed),
        "quarantined": sum(b.quarantined for b in landed),
        "generate_seconds": round(generate_s, 1), "generate_phases": {k: round(v, 1) for k, v in demo.timings.items()},
        "ingest_seconds": round(ingest_s, 1), "build_seconds": round(generate_s + ingest_s, 1),
    }


def city_snapshot(home: Path, city: dict) -> None:
    """Copy the database and list the lake, so later runs start from this city."""
    from django.db import connection

    connection.close()
    with closing(sqlite3.connect(home / DATABASE)) as live, closing(sqlite3.connect(home / SNAPSHOT)) as copy:
        live.backup(copy)
    lake = home / "lake"
    city["lake_files"] = sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file())
    (home / MARKER).write_text(json.dumps(city, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def run_summary(counts: dict, seconds_wall: float) -> dict:
    row = {k: counts.get(k) for k in RUN_KEYS if k in counts}
    row["mode"] = counts.get("mode", "full")
    row["seconds_wall"] = round(seconds_wall, 2)
    if counts.get("persons"):
        row["persons_per_second"] = round(counts["persons"] / max(counts["seconds_total"], 1e-9))
    return row


def full_run(*, on: dt.date) -> dict:
    from safetynet.monitoring.tasks import monitor_run

    t = time.perf_counter()
    row = run_summary(monitor_run(on=on), time.perf_counter() - t)
    print("full run", json.dumps(row), flush=True)
    return row


def hospital_stays(*, on: dt.date, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], int]:
    """Stays of ≈STAY_SHARE of the registry's living persons, discharged in the six days up to
    ``on``; costs as the demo draws them. Returns the columns and the households they touch."""
    from django.db.models import Max, Min

    from safetynet.demo import names
    from safetynet.registry.models import Membership, Person

    bounds = Person.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    pks = np.sort(rng.choice(np.arange(bounds["lo"], bounds["hi"] + 1),
                             int((bounds["hi"] - bounds["lo"] + 1) * STAY_SHARE), replace=False))
    who: list[tuple[str, str]] = []
    households: set[int] = set()
    for start in range(0, pks.size, 900):  # under SQLite's parameter limit
        ids = pks[start:start + 900].tolist()
        who += Person.objects.filter(pk__in=ids, death_date__isnull=True).values_list("id_number", "name")
        households.update(Membership.objects.filter(person_id__in=ids, left_on__isnull=True,
                                                    person__death_date__isnull=True)
                          .values_list("household_id", flat=True))
    n = len(who)
    ref = np.datetime64(on, "D")
    discharged = ref - rng.integers(0, 6, n).astype("timedelta64[D]")
    serious = rng.random(n) < 0.15
    total = np.round(np.exp(rng.normal(np.where(serious, np.log(60000), np.log(9000)), 0.8)), 2)
    insurance = np.round(total * (0.55 + 0.2 * rng.random(n)), 2)
    diagnoses = np.array(names.DIAGNOSES)
    columns = {
        "id_number": np.array([w[0] for w in who]), "name": np.array([w[1] for w in who]),
        "hospital_name": np.array(names.HOSPITALS)[rng.integers(0, len(names.HOSPITALS), n)],
        "diagnosis": diagnoses[np.where(serious, rng.integers(0, 4, n), rng.integers(3, diagnoses.size, n))],
        "admitted_on": discharged - rng.integers(2, 40, n).astype("timedelta64[D]"),
        "discharged_on": discharged,
        "total_cost": total, "insurance_paid": insurance, "out_of_pocket": np.round(total - insurance, 2),
        "reported_on": np.full(n, ref),
    }
    return columns, len(households)


def incremental_run(*, on: dt.date, seed: int, rep: int, folder: Path) -> dict:
    """Land one new hospital-stays batch, then an incremental run."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from safetynet.demo.sources import SOURCES
    from safetynet.monitoring.tasks import monitor_run
    from safetynet.sources.services import source_ingest

    columns, touched = hospital_stays(on=on, rng=np.random.default_rng([seed, rep]))
    path = folder / f"medical_expenses-bench-{rep}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=SOURCES["medical_expenses"].schema()), path)
    t = time.perf_counter()
    batch = source_ingest(source_name="medical_expenses", path=path, as_of=on).batch
    row = {"batch": batch.batch_id, "rows": batch.received, "accepted": batch.accepted,
           "households_touched": touched, "ingest_seconds": round(time.perf_counter() - t, 2)}
    t = time.perf_counter()
    row |= run_summary(monitor_run(on=on, incremental=True), time.perf_counter() - t)
    print("incremental", json.dumps(row), flush=True)
    return row


def max_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def work(step: str, *, persons: int, seed: int) -> None:
    """One step on one city, in the SAFETYNET_HOME the orchestrator set."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from safetynet.demo.population import REFERENCE_DATE

    home = Path(settings.HOME)
    call_command("migrate", interactive=False, verbosity=0)
    if step == "build":
        city = city_build(persons=persons, seed=seed)
        city_snapshot(home, city | {"build_max_rss_mb": max_rss_mb()})
        return
    city = json.loads((home / MARKER).read_text())
    city.pop("lake_files")
    on = REFERENCE_DATE
    full = [full_run(on=on) for _ in range(2)]
    incremental = [incremental_run(on=on, seed=seed, rep=rep, folder=home / "bench-incoming") for rep in range(2)]
    out = {"persons_requested": persons, "on": on.isoformat(), "city": city, "full": full,
           "incremental": incremental, "max_rss_mb": max_rss_mb()}
    (home / RESULT).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home-base", help="folder of the per-N homes (default: a new temp dir); cities there are reused")
    parser.add_argument("--worker", choices=("build", "runs"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args.worker, persons=args.persons[0], seed=args.seed)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
