"""``safetynet policy-eval [--json] [--misses]``: top-1 and top-3 accuracy of the policy answers on
the evaluation set, per set (dev: written while building the search; holdout: written after)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from safetynet.portal.policy.evaluation import evaluate


class Command(BaseCommand):
    help = "Top-1 / top-3 accuracy of the policy answers on the evaluation questions."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--misses", action="store_true", help="list the questions missed at top-3")

    def handle(self, *args, **options):
        results = evaluate()
        if options["json"]:
            self.stdout.write(json.dumps(
                {name: {"n": r.n, "top1": round(r.top1_accuracy, 4), "top3": round(r.top3_accuracy, 4),
                        "misses": r.misses} for name, r in results.items()},
                ensure_ascii=False,
            ))
            return
        for name, r in results.items():
            self.stdout.write(
                f"{name:8s} n={r.n:3d}  top-1 {r.top1_accuracy:6.1%}  top-3 {r.top3_accuracy:6.1%}"
            )
            if options["misses"]:
                for m in r.misses:
                    self.stdout.write(f"    ✗ {m['q']}  expected {m['expect']}  got {m['got']}")
