"""Peak memory of ingesting a 2 GB file (target < 1 GB), each in a fresh process.

    python bench/bench_ingest_memory.py [--gb 2] [--home DIR]

Writes into ``--home``:

* ``big.csv``: a tax_wages extract of about ``--gb`` GB (unique ID numbers, 0.5 % bad rows);
* ``one-line.csv``: ``--gb`` GB without a line break (the file that crashed ingestion before);
* ``long-line.csv``: a small extract with one 50 MB line in the middle (quarantined as a row).

Then ingests each in its own child process (``python -c``: django.setup + source_ingest, or the
``ingest --json`` command for the refused file) and reads the child's peak resident memory
(``ru_maxrss``, printed by the child itself: DuckDB runs in that process). Rows per second are reported for ``big.csv``. JSON goes to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from safetynet.sources.services import source_ingest
from safetynet.sources.errors import FileRefused
t = time.perf_counter()
try:
    b = source_ingest(source_name="tax_wages", path=sys.argv[1]).batch
    out = {"received": b.received, "accepted": b.accepted, "quarantined": b.quarantined, "status": b.status,
           "reasons": dict((q["reason_code"], q["n"]) for q in b.quarantine.values("reason_code").annotate(
               n=__import__("django.db.models", fromlist=["Count"]).Count("id")))}
except FileRefused as exc:
    out = {"refused": exc.as_dict()}
out["seconds"] = time.perf_counter() - t
import resource
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out, ensure_ascii=False))
"""


def _ids(n: int, rng: np.random.Generator, start: int) -> np.ndarray:
    from safetynet.demo.population import make_resident_ids

    birth = np.datetime64("1940-01-01") + rng.integers(0, 30_000, n).astype("timedelta64[D]")
    # unique: the address code walks through numbers, the sequence through the chunk
    address = 110101 + (start // 900 + np.arange(n) // 900) % 880_000
    return make_resident_ids(address=address, birth=birth, male=rng.random(n) < 0.5, rng=rng)


def write_big_csv(path: Path, target_bytes: int) -> int:
    rng = np.random.default_rng(11)
    rows = 0
    chunk = 500_000
    with path.open("wb") as fh:
        header = True
        while fh.tell() < target_bytes:
            n = chunk
            wages = np.round(rng.lognormal(8.0, 0.6, n), 2).astype(str).astype(object)
            reported = np.full(n, "2026-10-31", dtype=object)
            bad = rng.choice(n, size=n // 200, replace=False)
            wages[bad[: len(bad) // 2]] = "-12.50"
            reported[bad[len(bad) // 2 :]] = "2026-02-30"
            table = pa.table(
                {
                    "id_number": pa.array(_ids(n, rng, rows).astype(str)),
                    "name": pa.array(np.full(n, "张三", dtype=object)),
                    "employer_credit_code": pa.array(np.full(n, "91990100MA0000001X", dtype=object)),
                    "employer_name": pa.array(np.full(n, "示范厂", dtype=object)),
                    "period": pa.array(np.full(n, "2026-10", dtype=object)),
                    "wage_income": pa.array(wages.astype(str)),
                    "tax_withheld": pa.array(np.full(n, "0", dtype=object)),
                    "reported_on": pa.array(reported.astype(str)),
                }
            )
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=header))
            header = False
            rows += n
    return rows


def write_one_line(path: Path, target_bytes: int) -> None:
    block = b"x" * (1 << 24)
    with path.open("wb") as fh:
        while fh.tell() < target_bytes:
            fh.write(block)


def write_long_line(path: Path) -> None:
    from safetynet.registry.idnumber import make_resident_id

    header = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on\n"
    good = [make_resident_id("990101", dt.date(1970, 1, 1) + dt.timedelta(days=i), 10, "M") for i in range(1000)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header)
        for i, id_number in enumerate(good):
            name = "长" * ((50 << 20) // 3) if i == 500 else "张三"
            fh.write(f"{id_number},{name},91990100MA0000001X,示范厂,2026-10,3000.00,0,2026-10-31\n")


def run_child(home: Path, path: Path) -> dict:
    env = {**os.environ, "SAFETYNET_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "wall_seconds": round(wall, 1)}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = round(wall, 1)
    out["file_bytes"] = path.stat().st_size
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--home", default=None)
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="bench-ingest-mem-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["SAFETYNET_HOME"] = str(home)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    target = int(args.gb * (1 << 30))
    files = {"long-line.csv": home / "long-line.csv", "one-line.csv": home / "one-line.csv", "big.csv": home / "big.csv"}
    t = time.perf_counter()
    write_long_line(files["long-line.csv"])
    write_one_line(files["one-line.csv"], target)
    rows = write_big_csv(files["big.csv"], target)
    print(f"wrote files in {time.perf_counter() - t:.0f} s ({rows:,} rows in big.csv)", flush=True)
    results = {"gb": args.gb, "when": dt.datetime.now().isoformat(timespec="seconds"), "load": os.getloadavg()}
    for label, path in files.items():
        out = run_child(home, path)
        if label == "big.csv" and "seconds" in out:
            out["rows_per_second"] = round(out["received"] / out["seconds"])
        results[label] = out
        print(label, json.dumps(out, ensure_ascii=False), flush=True)
        if label != "big.csv":
            path.unlink()
    files["big.csv"].unlink(missing_ok=True)
    out_dir = Path(__file__).parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"ingest-memory-{args.gb}gb-{dt.datetime.now():%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
