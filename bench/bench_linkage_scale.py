"""Linkage at scale: rows with bad ID numbers against a large registry (target: 10,000 rows
against 1,000,000 persons in under 30 s), with the trained model and a plain Splink baseline.

    python bench/bench_linkage_scale.py [--persons 1000000] [--rows 10000] [--seed 1]

The registry and the source rows are built in memory (no database): persons with names drawn
from common surnames and given-name characters (so namesakes abound), ID numbers from the demo's
generator, and a source extract of ``--rows × 5`` rows of which ``--rows`` carry a keying fault in
the ID number (one digit substituted, two adjacent digits swapped, or day and month of the birth
date swapped), some of those also a homophone or similar-looking character in the name. The
truth is known by construction and read only to score.

Timed: ``train_model`` (u by random sampling, m by EM on the extract), then ``link_rows`` on the
bad-ID rows; the same rows through a baseline written from Splink's documentation (its
comparison library: NameComparison, LevenshteinAtThresholds, ExactMatch; u by random sampling,
m by EM). Precision, recall and F1 at the auto-accept rule for both. JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕梅鹏飞鑫波宇浩凯健俊帆帅旭宁琳晨辉"
#: Homophones (same pinyin, other character) and look-alike characters, for planted name faults.
HOMOPHONE = {"伟": "玮", "芳": "方", "娜": "纳", "敏": "闽", "静": "靖", "丽": "莉", "强": "蔷", "磊": "垒", "军": "君",
             "洋": "阳", "勇": "涌", "艳": "雁", "杰": "洁", "娟": "涓", "涛": "韬", "明": "鸣", "华": "桦", "平": "萍"}
LOOKALIKE = {"王": "玉", "李": "季", "张": "弓", "刘": "浏", "陈": "阵", "杨": "扬", "明": "朋", "强": "虽", "兰": "兴"}


def build(persons: int, rows: int, seed: int):
    from safetynet.demo.population import make_resident_ids
    from safetynet.sources.linkage import CANDIDATE_SCHEMA

    rng = np.random.default_rng(seed)
    surname = np.array(list(SURNAMES))[np.minimum(rng.zipf(1.3, persons) - 1, len(SURNAMES) - 1)]
    given_len = rng.integers(1, 3, persons)
    g1 = np.array(list(GIVEN))[rng.integers(0, len(GIVEN), persons)]
    g2 = np.array(list(GIVEN))[rng.integers(0, len(GIVEN), persons)]
    names = np.char.add(np.char.add(surname, g1), np.where(given_len == 2, g2, ""))
    counties = 990101 + rng.integers(0, 40, persons)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 29_000, persons).astype("timedelta64[D]")
    male = rng.random(persons) < 0.5
    ids = make_resident_ids(address=counties, birth=birth, male=male, rng=rng).astype(str)
    _, first = np.unique(ids, return_index=True)
    keep = np.sort(first)
    ids, names, birth, male, counties = ids[keep], names[keep], birth[keep], male[keep], counties[keep]
    n = len(ids)
    community = np.char.add(counties.astype(str), np.char.zfill(rng.integers(1, 300, n).astype(str), 6))
    registry = {
        "unique_id": np.arange(1, n + 1),
        "id_number": ids,
        "name": names,
        "sex": np.where(male, "M", "F"),
        "hukou_region_code": community,
        "residence_region_code": community,
    }
    # the source extract: rows * 5 persons, the first `rows` of them mistyped
    chosen = rng.choice(n, rows * 5, replace=False)
    sent_ids = ids[chosen].copy()
    sent_names = names[chosen].copy()
    kinds = []
    for i in range(rows):
        s = sent_ids[i]
        kind = ("substitution", "transposition", "birth_swapped")[i % 3]
        if kind == "substitution":
            p = int(rng.integers(0, 17))
            s = s[:p] + str((int(s[p]) + 1 + int(rng.integers(0, 9))) % 10) + s[p + 1 :]
        elif kind == "transposition":
            p = int(rng.integers(0, 16))
            while s[p] == s[p + 1]:
                p = int(rng.integers(0, 16))
            s = s[:p] + s[p + 1] + s[p] + s[p + 2 :]
        else:
            if s[10:12] == s[12:14] or int(s[12:14]) > 12:
                s = s[:13] + str((int(s[13]) + 1) % 10) + s[14:]  # a day past 12 cannot swap: a digit instead
                kind = "substitution"
            else:
                s = s[:10] + s[12:14] + s[10:12] + s[14:]
        sent_ids[i] = s
        kinds.append(kind)
        name = sent_names[i]
        r = rng.random()
        if r < 0.1:
            c = name[-1]
            sent_names[i] = name[:-1] + HOMOPHONE.get(c, c)
        elif r < 0.15:
            c = name[0]
            sent_names[i] = LOOKALIKE.get(c, c) + name[1:]
    rows_table = {
        "unique_id": np.arange(1, rows * 5 + 1),
        "id_number": sent_ids,
        "name": sent_names,
        "sex": registry["sex"][chosen],
        "hukou_region_code": registry["hukou_region_code"][chosen],
        "residence_region_code": np.full(rows * 5, None),
    }

    def table(cols: dict) -> pa.Table:
        ids_ = [str(x) for x in cols["id_number"]]
        names_ = [str(x) for x in cols["name"]]
        out = {
            "unique_id": pa.array(cols["unique_id"], pa.int64()),
            "id_number": pa.array(ids_),
            "id_rest": pa.array([i[:6] + i[14:] for i in ids_]),
            "name": pa.array(names_),
            "name_pinyin": pa.array([None] * len(ids_), pa.string()),
            "surname": pa.array([x[:1] for x in names_]),
            "given_name": pa.array([x[1:] or None for x in names_]),
            "given_pinyin": pa.array([None] * len(ids_), pa.string()),
            "birth_digits": pa.array([i[6:14] if i[6:14].isdigit() else None for i in ids_]),
            "sex": pa.array(list(cols["sex"]), pa.string()),
            "hukou_region_code": pa.array(list(cols["hukou_region_code"]), pa.string()),
            "residence_region_code": pa.array(list(cols["residence_region_code"]), pa.string()),
        }
        return pa.table(out).cast(CANDIDATE_SCHEMA)

    truth = {i + 1: int(keep_i) + 1 for i, keep_i in enumerate(chosen[:rows])}
    return table(registry), table(rows_table), truth, kinds


def baseline_model(rows: pa.Table, persons: pa.Table) -> dict:
    """A plain trained Splink model as its documentation builds one (comparison library, u by
    random sampling, m by EM on two blocking rules), on the same columns."""
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink import comparison_library as cl

    from safetynet.sources.linkage import _BLOCKING, MIN_POPULATION, SEED

    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1 / max(persons.num_rows, MIN_POPULATION),
        comparisons=[
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.NameComparison("name"),
            cl.LevenshteinAtThresholds("birth_digits", [1, 2]),
            cl.ExactMatch("sex"),
            cl.ExactMatch("hukou_region_code"),
            cl.ExactMatch("residence_region_code"),
        ],
        blocking_rules_to_generate_predictions=_BLOCKING,
    )
    db = DuckDBAPI(duckdb.connect())
    linker = Linker(
        [db.register(rows, dataset_display_name="rows"), db.register(persons, dataset_display_name="registry")],
        settings,
        log_level=logging.ERROR,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    # as the documentation's examples do: EM on a name rule and on a date-of-birth rule
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_digits"))
    return linker.misc.save_model_to_json()


def score(result: pa.Table, truth: dict[int, int], threshold: float) -> dict:
    from safetynet.sources.linkage import accepted

    right = wrong = review = 0
    for r in result.to_pylist():
        if accepted(r, threshold):
            if truth.get(r["unique_id"]) == r["person_id"]:
                right += 1
            else:
                wrong += 1
        else:
            review += 1
    links = right + wrong
    precision = right / links if links else 0.0
    recall = right / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"linked_right": right, "linked_wrong": wrong, "review": review, "precision": precision,
            "recall": recall, "f1": f1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    from safetynet.sources import linkage

    t = time.perf_counter()
    registry, extract, truth, kinds = build(args.persons, args.rows, args.seed)
    build_s = time.perf_counter() - t
    bad = extract.slice(0, args.rows)
    threshold = linkage.DEFAULT_THRESHOLD
    out = {"persons": registry.num_rows, "rows": args.rows, "seed": args.seed, "threshold": threshold,
           "load_before": os.getloadavg(), "build_seconds": round(build_s, 1),
           "when": dt.datetime.now().isoformat(timespec="seconds")}
    t = time.perf_counter()
    registry = linkage.with_pinyin(registry)
    pinyin_s = time.perf_counter() - t
    t = time.perf_counter()
    model = linkage.train_model(extract, registry)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    result = linkage.link_rows(bad, registry, model=model)
    link_s = time.perf_counter() - t
    out["trained"] = {"registry_pinyin_seconds": round(pinyin_s, 1), "train_seconds": round(train_s, 1),
                      "link_seconds": round(link_s, 1), "m": model["safetynet_training"]["m"],
                      **score(result, truth, threshold)}
    by_kind: dict[str, list[int]] = {}
    accepted_rows = {r["unique_id"] for r in result.to_pylist() if linkage.accepted(r, threshold)}
    for i, kind in enumerate(kinds, start=1):
        by_kind.setdefault(kind, [0, 0])
        by_kind[kind][0] += 1
        by_kind[kind][1] += i in accepted_rows
    out["trained"]["accepted_by_fault"] = {k: f"{v[1]}/{v[0]}" for k, v in by_kind.items()}
    print("trained ", json.dumps(out["trained"], ensure_ascii=False), flush=True)
    if not args.no_baseline:
        t = time.perf_counter()
        base = baseline_model(extract, registry)
        train_s = time.perf_counter() - t
        t = time.perf_counter()
        base_result = linkage.link_rows(bad, registry, model=base)
        out["baseline"] = {"train_seconds": round(train_s, 1), "link_seconds": round(time.perf_counter() - t, 1),
                           **score(base_result, truth, threshold)}
        print("baseline", json.dumps(out["baseline"], ensure_ascii=False), flush=True)
    out["load_after"] = os.getloadavg()
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"linkage-scale-{args.persons}-{args.rows}-{dt.datetime.now():%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
