"""Ingestion throughput: rows per second validated and landed (target ≥ 200,000 rows/s).

    python bench/bench_ingest.py [--rows 1000000] [--home DIR]

Writes a tax_wages extract of ``--rows`` rows as CSV and as Parquet (0.5 % of rows carry a
negative wage or an impossible date, so quarantine is exercised; ID numbers are valid, since
record linkage of bad IDs is measured by bench_linkage.py), then times ``source_ingest`` on
each against a fresh SQLite store. Results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def _ids(n: int, rng: np.random.Generator) -> np.ndarray:
    from safetynet.demo.population import make_resident_ids

    birth = np.datetime64("1950-01-01") + rng.integers(0, 25_000, n).astype("timedelta64[D]")
    return make_resident_ids(address=np.full(n, 990101), birth=birth, male=rng.random(n) < 0.5, rng=rng)


def make_extract(n: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    wages = np.round(rng.lognormal(8.0, 0.6, n), 2).astype(str).astype(object)
    reported = np.full(n, "2026-10-31", dtype=object)
    bad = rng.choice(n, size=n // 200, replace=False)
    wages[bad[: len(bad) // 2]] = "-12.50"
    reported[bad[len(bad) // 2 :]] = "2026-02-30"
    table = pa.table(
        {
            "id_number": pa.array(_ids(n, rng).astype(str)),
            "name": pa.array(np.full(n, "张三", dtype=object)),
            "employer_credit_code": pa.array(np.full(n, "91990100MA0000001X", dtype=object)),
            "employer_name": pa.array(np.full(n, "示范厂", dtype=object)),
            "period": pa.array(np.full(n, "2026-10", dtype=object)),
            "wage_income": pa.array(wages.astype(str)),
            "tax_withheld": pa.array(np.full(n, "0", dtype=object)),
            "reported_on": pa.array(reported.astype(str)),
        }
    )
    csv_path, parquet_path = folder / "wages.csv", folder / "wages.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--home", default=None)
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="bench-ingest-"))
    os.environ["SAFETYNET_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from safetynet.sources.services import source_ingest

    call_command("migrate", verbosity=0)
    csv_path, parquet_path = make_extract(args.rows, home)
    results = {"rows": args.rows, "when": dt.datetime.now().isoformat(timespec="seconds")}
    for label, path in (("csv", csv_path), ("parquet", parquet_path)):
        started = time.perf_counter()
        result = source_ingest(source_name="tax_wages", path=path)
        seconds = time.perf_counter() - started
        b = result.batch
        assert b.received == args.rows == b.accepted + b.quarantined, "counts must reconcile"
        results[label] = {
            "seconds": round(seconds, 2),
            "rows_per_second": round(args.rows / seconds),
            "accepted": b.accepted,
            "quarantined": b.quarantined,
        }
        print(f"{label:8} {args.rows:>9} rows in {seconds:6.2f} s = {args.rows / seconds:>10,.0f} rows/s "
              f"(accepted {b.accepted}, quarantined {b.quarantined})")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"ingest-{args.rows}-{dt.datetime.now():%Y%m%dT%H%M%S}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
