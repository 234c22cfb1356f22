"""Benchmark: probabilistic linkage of rows with a wrong ID number, against the demo's ground truth.

    python bench/bench_linkage.py --households 20000 --seed 1          # SQLite, fresh temp home
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sn_link_bench python bench/bench_linkage.py

Builds the demo city (``demo_generate``), ingests every raw extract under
``LAKE_DIR/incoming/<source>/*.parquet`` and scores the links against
``ground_truth/planted.parquet`` (kind ``id_typo``: the true ID number per planted row):

* precision = linked rows whose registry ID is the true one / all rows that landed linked;
* recall    = planted ID typos that landed under the true ID / all planted ID typos;
* where the other planted typos went (clerical review, or landed unlinked because the typo
  happened to keep a valid check digit, which validation cannot see);
* throughput: rows linked per second of ``link_rows`` (u estimation included once).

The model is never fitted to the ground truth: the truth is read only after every batch landed.
Prints a compact table and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", help="SAFETYNET_HOME (default: a fresh temporary directory)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    os.environ["SAFETYNET_HOME"] = args.home or tempfile.mkdtemp(prefix="sn-link-")
    import django

    django.setup()
    import pyarrow.parquet as pq
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from safetynet.demo.services import demo_generate
    from safetynet.sources import linkage
    from safetynet.sources.catalogue import catalogue
    from safetynet.sources.errors import FileRefused
    from safetynet.sources.models import LinkReview, QuarantinedRow
    from safetynet.sources.services import source_ingest

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    demo = demo_generate(households=args.households, seed=args.seed, reset=True)
    generate_s = time.perf_counter() - t
    lake = Path(settings.LAKE_DIR)

    # Time every call of link_rows as ingestion makes it.
    timing = {"calls": 0, "rows": 0, "seconds": 0.0}
    real_link_rows = linkage.link_rows

    def timed_link_rows(candidates, persons=None):
        t0 = time.perf_counter()
        out = real_link_rows(candidates, persons)
        timing["calls"] += 1
        timing["rows"] += candidates.num_rows
        timing["seconds"] += time.perf_counter() - t0
        return out

    linkage.link_rows = timed_link_rows

    batches, refused = {}, {}
    t = time.perf_counter()
    for source_dir in sorted((lake / "incoming").iterdir()):
        if source_dir.name not in catalogue():
            refused[source_dir.name] = "not in the catalogue"
            continue
        for path in sorted(source_dir.glob("*.parquet")):
            try:
                batches[source_dir.name] = source_ingest(source_name=source_dir.name, path=path).batch
            except FileRefused as exc:
                refused[source_dir.name] = exc.message
    ingest_s = time.perf_counter() - t

    # Only now read the truth.
    planted = pq.read_table(lake / "ground_truth" / "planted.parquet").to_pylist()
    id_typos = [p for p in planted if p["kind"] == "id_typo"]
    landed_linked: dict[tuple[str, int], tuple[str, float]] = {}
    landed_ids: dict[tuple[str, int], str] = {}
    for name, batch in batches.items():
        table = pq.read_table(lake / batch.lake_path, columns=["_row", "id_number", "_linked_from", "_match_probability"])
        for row in table.to_pylist():
            key = (name, row["_row"] - 1)  # ground truth counts rows from 0, the lake from 1
            landed_ids[key] = row["id_number"]
            if row["_linked_from"] is not None:
                landed_linked[key] = (row["id_number"], row["_match_probability"])
    quarantined = {
        (q.batch.source, q.row_number - 1): q.reason_code
        for q in QuarantinedRow.objects.select_related("batch").filter(batch__in=list(batches.values()))
    }

    outcome = {"linked_right": 0, "linked_wrong": 0, "review": 0, "landed_unlinked": 0, "quarantined_other": 0}
    truth_keys = set()
    for p in id_typos:
        key = (p["source"], p["source_row"])
        truth_keys.add(key)
        if key in landed_linked:
            outcome["linked_right" if landed_linked[key][0] == p["id_number"] else "linked_wrong"] += 1
        elif quarantined.get(key) == "link.review":
            outcome["review"] += 1
        elif key in landed_ids:
            outcome["landed_unlinked"] += 1
        else:
            outcome["quarantined_other"] += 1
    links_not_planted = sum(1 for k in landed_linked if k not in truth_keys)
    n_links = len(landed_linked)
    detectable = len(id_typos) - outcome["landed_unlinked"]
    probs = sorted(v[1] for v in landed_linked.values())
    result = {
        "bench": "bench_linkage",
        "database": connection.vendor,
        "households": args.households,
        "seed": args.seed,
        "persons": demo.persons,
        "threshold": linkage.link_threshold(),
        "sources_ingested": len(batches),
        "refused": refused,
        "rows_received": sum(b.received for b in batches.values()),
        "planted_id_typos": len(id_typos),
        "outcome": outcome,
        "links_total": n_links,
        "links_not_planted": links_not_planted,
        "precision": outcome["linked_right"] / n_links if n_links else None,
        "recall": outcome["linked_right"] / len(id_typos) if id_typos else None,
        "recall_of_detectable": outcome["linked_right"] / detectable if detectable else None,
        "min_accepted_probability": probs[0] if probs else None,
        "link_review_queue": LinkReview.objects.filter(batch__in=list(batches.values())).count(),
        "link_calls": timing["calls"],
        "link_rows": timing["rows"],
        "link_seconds": round(timing["seconds"], 3),
        "link_rows_per_second": round(timing["rows"] / timing["seconds"], 1) if timing["seconds"] else None,
        "ingest_seconds": round(ingest_s, 2),
        "generate_seconds": round(generate_s, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
    }
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_linkage-{connection.vendor}-{args.households}-s{args.seed}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
