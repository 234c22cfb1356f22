"""Time one monitoring run (indicators + triggers + scores + alerts + 应保尽保) on the demo city.

Usage (a demo city must be loaded: ``safetynet demo-data --households N --seed S && safetynet demo``):

    SAFETYNET_HOME=... python bench/bench_monitoring.py --on 2026-10-31

Scale target (DESIGN.md): 1M persons × 75 indicators in under 60 s. Prints households, persons,
compute and total seconds, and persons per second.
"""

import argparse
import datetime as dt
import json
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--on", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    django.setup()
    from safetynet.monitoring.tasks import monitor_run

    counts = monitor_run(on=args.on)
    keys = ("households_scored", "persons", "indicators_computed", "alerts_opened", "seconds_compute", "seconds_total")
    report = {k: counts[k] for k in keys}
    report["persons_per_second"] = round(counts["persons"] / max(counts["seconds_total"], 1e-9))
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
