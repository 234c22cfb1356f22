"""Benchmark: bulk verification of a large roll, and single-household verification latency.

    python bench/bench_verification.py --persons 1000000 --spark-persons 100000
    python bench/bench_verification.py --home /tmp/sn-bench-ver     # reuse a lake built before

Builds (once per SAFETYNET_HOME) a synthetic lake: every catalogue source written as Parquet
directly in the lake layout (numpy + DuckDB, not through ingestion) with matching ``SourceBatch``
rows, for ``--persons`` persons in households of four. Then times

* (a) bulk verification of the whole roll on DuckDB, twice (the second run also computes the
  changes against the first): persons per second, target >= 50,000/s;
* (b) ``verify()`` of single families of four on DuckDB: p50/p95 over ``--families`` random
  families (target p95 < 300 ms), after one warm-up call that materialises the in-force tables;
* (c) ``verify()`` of the first ``--spark-persons`` persons on Spark (local[2]) and on DuckDB, and
  whether both give identical tables.

Prints a compact table and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

RESULTS = Path(__file__).resolve().parent / "results"
ON = dt.date(2026, 11, 15)
AS_OF = dt.date(2026, 10, 31)
EVENT_BATCHES = (dt.date(2026, 9, 30), dt.date(2026, 10, 31))
# share of persons with a row in each source (tax_wages: three monthly rows each)
COVERAGE = {
    "tax_wages": 0.40, "social_insurance": 0.50, "unemployment": 0.03, "benefits": 0.08, "bank_deposits": 0.60,
    "securities": 0.05, "housing_fund": 0.30, "vehicles": 0.15, "real_estate": 0.50, "business_registration": 0.05,
    "hukou_deaths": 0.01, "prison": 0.003, "public_payroll": 0.04, "staff": 0.002,
    "disability_certificates": 0.06, "medical_expenses": 0.10,
}
DUCK_TYPES = {"id_number": "VARCHAR", "string": "VARCHAR", "enum": "VARCHAR", "date": "DATE",
              "decimal": "DECIMAL(18,2)", "integer": "BIGINT", "boolean": "BOOLEAN"}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _days_before(rng, day: dt.date, n: int, lo: int, hi: int) -> np.ndarray:
    return np.datetime64(day, "D") - rng.integers(lo, hi, n).astype("timedelta64[D]")


def _columns(source, rng, who: np.ndarray, ids: np.ndarray, as_of: dt.date) -> dict[str, np.ndarray]:
    """Plausible values for one source's rows (persons ``who``), overriding the generic ones."""
    n = who.size
    cols: dict[str, np.ndarray] = {}
    for c in source.columns:
        if c.type == "id_number":
            cols[c.name] = ids[who]
        elif c.type == "enum":
            cols[c.name] = rng.choice(np.array(c.values), n)
        elif c.type == "date":
            cols[c.name] = _days_before(rng, as_of, n, 30, 3000)
        elif c.type == "decimal":
            cols[c.name] = np.round(rng.gamma(2.0, 1500.0, n), 2)
        elif c.type == "integer":
            cols[c.name] = rng.integers(1, 3, n)
        elif c.type == "boolean":
            cols[c.name] = rng.random(n) < 0.05
        else:
            cols[c.name] = np.full(n, f"{c.title or c.name}")
    cols[source.as_of_column] = np.full(n, np.datetime64(as_of, "D"))
    match source.name:
        case "social_insurance":
            cols["status"] = np.where(rng.random(n) < 0.4, "receiving", "contributing")
            cols["period"] = np.full(n, "2026-10")
        case "unemployment":
            cols["benefit_start"] = _days_before(rng, ON, n, 1, 300)
            cols["benefit_end"] = cols["benefit_start"] + np.timedelta64(365, "D")
        case "benefits":
            cols["household_number"] = np.char.add("H", (who // 4).astype(str))
            dup = rng.random(n) < 0.01
            cols["household_number"] = np.where(dup, np.char.add(cols["household_number"], "X"), cols["household_number"])
        case "business_registration":
            cols["status"] = np.where(rng.random(n) < 0.8, "存续", "注销")
        case "prison":
            cols["released_on"] = np.where(rng.random(n) < 0.7, np.datetime64("NaT", "D"), _days_before(rng, ON, n, 1, 900))
        case "disability_certificates":
            cols["valid_until"] = np.datetime64(ON, "D") + rng.integers(-200, 2000, n).astype("timedelta64[D]")
        case "medical_expenses":
            cols["discharged_on"] = _days_before(rng, as_of, n, 0, 700)
            cols["admitted_on"] = cols["discharged_on"] - rng.integers(1, 20, n).astype("timedelta64[D]")
        case "hukou_deaths":
            cols["death_date"] = _days_before(rng, as_of, n, 1, 60)
    return cols


def build_lake(*, persons: int, seed: int) -> pa.Table:
    """Write every source's batches into the lake and register them; return the roll."""
    import duckdb
    from django.conf import settings

    from safetynet.sources.catalogue import catalogue
    from safetynet.sources.models import SourceBatch

    rng = np.random.default_rng(seed)
    # The lake and the registry export join on each person's blind index (core.crypto), a 64-hex
    # keyed hash, as ingestion lands them: the engine is measured with encryption on.
    from safetynet.core.crypto import blind_index_many

    numbers = np.char.add("99", np.char.zfill(np.arange(persons).astype(str), 16))
    ids = np.array(blind_index_many(numbers.tolist(), "id"))
    roll = pa.table({
        "person_id": pa.array(np.arange(1, persons + 1), pa.int64()),
        "household_id": pa.array(np.arange(persons) // 4 + 1, pa.int64()),
        "id_number": pa.array(ids),
    })
    con = duckdb.connect()
    batches = []
    for name, source in catalogue().items():
        dates = EVENT_BATCHES if source.mode == "events" else (AS_OF,)
        for as_of in dates:
            share = COVERAGE.get(name, 0.05) / len(dates)
            who = rng.choice(persons, int(persons * share), replace=False)
            if name == "tax_wages":
                who = np.repeat(who, 3)
            cols = _columns(source, rng, who, ids, as_of)
            if name == "tax_wages":
                cols["period"] = np.tile(np.array(["2026-08", "2026-09", "2026-10"]), who.size // 3)
            batch_id = f"{name}-{as_of:%Y%m%d}-bench{seed:06d}"
            path = Path(settings.LAKE_DIR) / "sources" / name / f"{batch_id}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            con.register("gen", pa.table(cols))
            typed = ", ".join(f'CAST("{c.name}" AS {DUCK_TYPES[c.type]}) AS "{c.name}"' for c in source.columns)
            con.execute(
                f"COPY (SELECT '{batch_id}' AS _batch, row_number() OVER () AS _row, {typed} FROM gen) "
                f"TO '{path}' (FORMAT parquet, COMPRESSION zstd)"
            )
            con.unregister("gen")
            batches.append(SourceBatch(
                batch_id=batch_id, source=name, file_name=path.name, file_format="parquet",
                content_sha256=f"{batch_id:>64}"[-64:], as_of=as_of, received=who.size, accepted=who.size,
                quarantined=0, lake_path=str(path.relative_to(settings.LAKE_DIR)),
            ))
    SourceBatch.objects.bulk_create(batches)
    return roll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--spark-persons", type=int, default=100_000, help="0 skips Spark")
    parser.add_argument("--families", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", help="SAFETYNET_HOME to use (default: a new temp dir); a lake built there is reused")
    args = parser.parse_args()

    os.environ["SAFETYNET_HOME"] = args.home or tempfile.mkdtemp(prefix="sn-bench-ver-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    import pyarrow.parquet as pq
    from django.conf import settings
    from django.core.management import call_command

    from safetynet.sources.models import SourceBatch
    from safetynet.verification.bulk import verification_bulk_run
    from safetynet.verification.compute import VerificationInput, verify

    call_command("migrate", verbosity=0)
    roll_path = Path(settings.LAKE_DIR) / "bench-roll.parquet"
    t = time.perf_counter()
    if roll_path.exists() and SourceBatch.objects.exists():
        roll = pq.read_table(roll_path)
        built = None
    else:
        roll = build_lake(persons=args.persons, seed=args.seed)
        pq.write_table(roll, roll_path)
        built = round(time.perf_counter() - t, 1)
    rows = sum(b.accepted for b in SourceBatch.objects.all())
    out: dict = {"persons": roll.num_rows, "source_rows": rows, "lake_built_seconds": built,
                 "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()}}

    # (a) bulk on DuckDB, twice
    out["bulk_duckdb"] = []
    for _ in range(2):
        run = verification_bulk_run(on=ON, persons=roll, backend="duckdb")
        out["bulk_duckdb"].append({k: run.as_dict()[k] for k in (
            "households", "persons", "facts", "seconds_engine", "seconds_total", "persons_per_second", "changes")}
            | {"engine_persons_per_second": round(run.persons / run.seconds_engine, 1)})
        print("bulk_duckdb", json.dumps(out["bulk_duckdb"][-1], ensure_ascii=False), flush=True)

    # (b) single families of four on DuckDB
    households = roll.column("household_id").to_numpy()
    picks = random.Random(args.seed).sample(range(1, int(households.max()) + 1), args.families)
    first = roll.slice((picks[0] - 1) * 4, 4)
    t = time.perf_counter()
    verify(VerificationInput(persons=first, on=ON), backend="duckdb")
    warm = (time.perf_counter() - t) * 1000
    times = []
    for h in picks:
        family = roll.slice((h - 1) * 4, 4)
        t = time.perf_counter()
        result = verify(VerificationInput(persons=family, on=ON), backend="duckdb")
        times.append((time.perf_counter() - t) * 1000)
        assert result.households.num_rows == 1
    out["single_family_duckdb"] = {"families": len(times), "first_call_ms": round(warm, 1),
                                   "p50_ms": round(statistics.median(times), 1), "p95_ms": round(_pct(times, 0.95), 1),
                                   "max_ms": round(max(times), 1)}
    print("single_family_duckdb", json.dumps(out["single_family_duckdb"]), flush=True)

    # (c) Spark, smaller, against DuckDB on the same persons
    if args.spark_persons:
        part = roll.slice(0, args.spark_persons)
        from safetynet.engine.backend import connect

        t = time.perf_counter()
        connect("spark")
        started = time.perf_counter() - t
        t = time.perf_counter()
        spark = verify(VerificationInput(persons=part, on=ON), backend="spark")
        spark_s = time.perf_counter() - t
        t = time.perf_counter()
        duck = verify(VerificationInput(persons=part, on=ON), backend="duckdb")
        duck_s = time.perf_counter() - t
        out["spark_vs_duckdb"] = {
            "persons": part.num_rows, "spark_session_start_s": round(started, 1),
            "spark_seconds": round(spark_s, 2), "spark_persons_per_second": round(part.num_rows / spark_s, 1),
            "duckdb_seconds": round(duck_s, 2), "duckdb_persons_per_second": round(part.num_rows / duck_s, 1),
            "facts": duck.facts.num_rows,
            "identical": duck.facts.equals(spark.facts) and duck.households.equals(spark.households),
        }

    print(json.dumps(out, ensure_ascii=False, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"verification-{dt.datetime.now():%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
