"""Benchmark: the public side's answers, server time through the whole Django stack (test client,
in process: URL routing, middleware, throttling, the view, JSON), on a fresh migrated SQLite home.

    python bench/bench_portal.py                 # 300 self-checks, every evaluation question ×5

* self-check: ``POST /api/v1/public/self-check`` for varied households (1–6 members, incomes,
  assets, hardship) — target < 100 ms;
* policy answer: ``POST /api/v1/public/policy/answers`` for every evaluation question — target
  < 200 ms — and the top-1 / top-3 accuracy of the evaluation set;
* transparency: ``GET /api/v1/public/transparency/aggregates?months=12`` (suppression of 12 tables).

Writes JSON to ``bench/results/``.
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

RESULTS = Path(__file__).resolve().parent / "results"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(_pct(ms, 0.95), 2),
            "max_ms": round(max(ms), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--selfchecks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the evaluation questions")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("SAFETYNET_HOME", tempfile.mkdtemp(prefix="sn-bench-portal-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from safetynet.core.testing import make_region_tree
    from safetynet.portal.policy.evaluation import evaluate, evaluation_questions

    settings.ALLOWED_HOSTS = ["*"]
    settings.SAFETYNET_PUBLIC_RATES = {g: "100000/m" for g in
                                       ("selfcheck", "policy", "transparency", "complaint_track", "windows")}
    tree = make_region_tree()
    streets = [tree.east_street.code, tree.west_street.code, tree.east_community.code, tree.west_community.code]
    rng = random.Random(args.seed)
    client = Client()

    def household() -> dict:
        size = rng.randint(1, 6)
        members = []
        for _ in range(size):
            m = {"age": rng.randint(0, 90), "disability_grade": rng.choice([0, 0, 0, 1, 2, 3, 4]),
                 "serious_illness": rng.random() < 0.15}
            if 18 <= m["age"] < 60 and rng.random() < 0.7:
                m["wage_income"] = str(rng.randint(0, 4000))
            if m["age"] >= 60 and rng.random() < 0.6:
                m["transfer_income"] = str(rng.randint(100, 2500))
            members.append(m)
        return {"region_code": rng.choice(streets), "members": members,
                "deposits": str(rng.choice([0, 2000, 20000, 80000])), "vehicles": rng.choice([0, 0, 0, 1]),
                "dwellings": rng.choice([0, 1, 1, 2]), "medical_expenses_12m": str(rng.choice([0, 0, 5000, 40000])),
                "hardship": rng.choice(["none", "none", "serious_illness", "accident", "expense_shock"])}

    def timed(fn) -> tuple[float, object]:
        t0 = time.perf_counter()
        out = fn()
        return (time.perf_counter() - t0) * 1000, out

    # warm-up: the rules system, jieba's dictionary and the BM25 index load once per process
    for _ in range(3):
        client.post("/api/v1/public/self-check", household(), content_type="application/json")
    client.post("/api/v1/public/policy/answers", {"question": "低保标准"}, content_type="application/json")

    selfcheck_ms = []
    for _ in range(args.selfchecks):
        payload = household()
        ms, r = timed(lambda p=payload: client.post("/api/v1/public/self-check", p, content_type="application/json"))
        assert r.status_code == 200, r.content
        selfcheck_ms.append(ms)

    policy_ms = []
    questions = [q["q"] for q in evaluation_questions()]
    for _ in range(args.rounds):
        for q in questions:
            ms, r = timed(lambda q=q: client.post("/api/v1/public/policy/answers", {"question": q},
                                                  content_type="application/json"))
            assert r.status_code == 200, r.content
            policy_ms.append(ms)

    aggregates_ms = []
    for _ in range(20):
        ms, r = timed(lambda: client.get("/api/v1/public/transparency/aggregates", {"months": 12}))
        assert r.status_code == 200, r.content
        aggregates_ms.append(ms)

    accuracy = {name: {"n": r.n, "top1": round(r.top1_accuracy, 4), "top3": round(r.top3_accuracy, 4)}
                for name, r in evaluate().items()}
    out = {
        "bench": "portal",
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "self_check_api": _summary(selfcheck_ms),
        "policy_answer_api": _summary(policy_ms),
        "policy_accuracy": accuracy,
        "transparency_aggregates_12_months_api": _summary(aggregates_ms),
        "targets": {"self_check_ms": 100, "policy_answer_ms": 200, "top3": 0.9},
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"portal-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"written {path}")


if __name__ == "__main__":
    main()
