"""Benchmark: probabilistic linkage of rows with a wrong ID number, against the demo's ground truth.

    python bench/bench_linkage.py --households 20000 --seed 1          # SQLite, fresh temp home
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sn_link_bench python bench/bench_linkage.py

Builds the demo city (``demo_generate``), ingests every raw extract under
``incoming/<source>/*.parquet`` (beside the lake) and scores the links against
``demo_truth/planted.parquet`` (kind ``id_typo``: the true ID number per planted row):

* precision = linked rows whose registry ID is the true one / all rows that landed linked;
* recall    = planted ID typos that landed under the true ID / all planted ID typos;
* where the other planted typos went (clerical review, or landed unlinked because the typo
  happened to keep a valid check digit, which validation cannot see);
* throughput: rows linked per second of ``link_rows`` (u estimation included once);
* the same candidate rows through a plain trained Splink baseline (``bench_linkage_scale``'s
  ``baseline_model``: Splink's comparison library, u by random sampling, m by EM), trained per
  source on that source's rows: precision, recall of detectable typos and F1 side by side.

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

import pyarrow as pa
import pyarrow.compute

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", help="SAFETYNET_HOME (default: a fresh temporary directory)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain Splink baseline")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    os.environ["SAFETYNET_HOME"] = args.home or tempfile.mkdtemp(prefix="sn-link-")
    import django

    django.setup()
    import pyarrow.parquet as pq
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from safetynet.core.paths import demo_truth_dir, incoming_dir
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

    def timed_link_rows(candidates, persons=None, model=None):
        t0 = time.perf_counter()
        out = real_link_rows(candidates, persons, model=model)
        timing["calls"] += 1
        timing["rows"] += candidates.num_rows
        timing["seconds"] += time.perf_counter() - t0
        return out

    linkage.link_rows = timed_link_rows

    batches, refused, files = {}, {}, {}
    t = time.perf_counter()
    for source_dir in sorted(incoming_dir().iterdir()):
        if source_dir.name not in catalogue():
            refused[source_dir.name] = "not in the catalogue"
            continue
        for path in sorted(source_dir.glob("*.parquet")):
            files[source_dir.name] = path
            try:
                batches[source_dir.name] = source_ingest(source_name=source_dir.name, path=path).batch
            except FileRefused as exc:
                refused[source_dir.name] = exc.message
    ingest_s = time.perf_counter() - t

    # Only now read the truth.
    planted = pq.read_table(demo_truth_dir() / "planted.parquet").to_pylist()
    id_typos = [p for p in planted if p["kind"] == "id_typo"]
    # The lake holds each person's blind index, not the number (core.crypto).
    from safetynet.core.crypto import blind_index

    landed_key = {p["id_number"]: blind_index(p["id_number"], "id") for p in id_typos}
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

    candidate_keys = set(landed_linked) | {k for k, code in quarantined.items() if code == "link.review"}
    outcome = {"linked_right": 0, "linked_wrong": 0, "review": 0, "landed_unlinked": 0, "quarantined_other": 0}
    truth_keys = set()
    for p in id_typos:
        key = (p["source"], p["source_row"])
        truth_keys.add(key)
        if key in landed_linked:
            outcome["linked_right" if landed_linked[key][0] == landed_key[p["id_number"]] else "linked_wrong"] += 1
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
    precision = outcome["linked_right"] / n_links if n_links else 0.0
    recall_detectable = outcome["linked_right"] / detectable if detectable else 0.0
    truth_id = {(p["source"], p["source_row"]): p["id_number"] for p in id_typos}
    by_error: dict[str, list[int]] = {}
    for p in id_typos:
        key = (p["source"], p["source_row"])
        error = json.loads(p["detail"]).get("error", "?")
        by_error.setdefault(error, [0, 0])
        by_error[error][0] += 1
        by_error[error][1] += key in landed_linked and landed_linked[key][0] == landed_key[p["id_number"]]
    baseline = None if args.no_baseline else _baseline(files, batches, candidate_keys, truth_id, detectable)
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
        "precision": precision,
        "f1_detectable": 2 * precision * recall_detectable / (precision + recall_detectable) if precision else 0.0,
        "linked_by_error": {k: f"{v[1]}/{v[0]}" for k, v in by_error.items()},
        "baseline": baseline,
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


def _baseline(files, batches, candidate_keys, truth_id, detectable) -> dict:
    """The same candidate rows linked by a plain trained Splink model (bench_linkage_scale's
    :func:`baseline_model`, trained per source on that source's rows like ours)."""
    import duckdb
    from bench_linkage_scale import baseline_model

    from safetynet.sources import linkage
    from safetynet.sources.catalogue import catalogue

    persons = linkage.registry_persons()
    right = wrong = review = 0
    seconds = 0.0
    for name, path in files.items():
        keys = {row for (source, row) in candidate_keys if source == name}
        if not keys or name not in batches:
            continue
        source = catalogue()[name]
        con = duckdb.connect()
        cols = ", ".join(f'CAST("{c.name}" AS VARCHAR) AS "{c.name}"' for c in source.columns)
        con.execute(f"CREATE TABLE t AS SELECT file_row_number + 1 AS _row, {cols} FROM read_parquet(?, file_row_number = true)",
                    [str(path)])
        rows = con.sql(linkage.candidates_sql(source, "t")).to_arrow_table()
        rows = linkage.with_pinyin(rows)
        faulty = rows.filter(pa.compute.is_in(rows.column("unique_id"), pa.array([k + 1 for k in keys], pa.int64())))
        t = time.perf_counter()
        sample = rows if rows.num_rows <= linkage.TRAINING_SAMPLE else rows.slice(0, linkage.TRAINING_SAMPLE)
        model = baseline_model(sample, persons)
        result = linkage.link_rows(faulty, persons, model=model)
        seconds += time.perf_counter() - t
        for r in result.to_pylist():
            if linkage.accepted(r, linkage.link_threshold()):
                if truth_id.get((name, r["unique_id"] - 1)) == r["person_id_number"]:
                    right += 1
                else:
                    wrong += 1
            else:
                review += 1
    links = right + wrong
    precision = right / links if links else 0.0
    recall = right / detectable if detectable else 0.0
    return {
        "linked_right": right, "linked_wrong": wrong, "review": review, "precision": precision,
        "recall_of_detectable": recall,
        "f1_detectable": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "seconds": round(seconds, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
