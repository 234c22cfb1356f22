"""``safetynet simulate REFORM_FILE [--json] [--on DATE] [--csv PATH]``: a reform over the registry."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.rules.reforms import reform_load
from safetynet.rules.simulation import PROGRAMME_COLUMNS, report_csv, simulate_registry


class Command(BaseCommand):
    help = (
        "Simulate a reform (parameter changes) over the whole registry: cost, coverage, winners and losers."
    )

    def add_arguments(self, parser):
        parser.add_argument("reform", help="YAML or JSON file of parameter changes")
        parser.add_argument("--on", type=dt.date.fromisoformat, default=dt.date.today(), help="YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--csv", help="also write the district table as CSV to this path")

    def handle(self, *args, **options):
        try:
            spec = reform_load(options["reform"])
            report = simulate_registry(actor=None, spec=spec, on=options["on"], output="cli").report
        except SafetyNetError as exc:
            raise CommandError(str(exc)) from exc
        missing = report["missing_sources"]
        if options["csv"]:
            with open(options["csv"], "w", encoding="utf-8-sig", newline="") as f:
                f.write(report_csv(report))
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        w = self.stdout.write
        w(
            f"方案：{report['reform']['name']}  月份：{report['month']}  家庭 {report['households']}  人 {report['persons']}"
        )
        if missing:
            w(f"缺少的数据源（按 0 计）：{', '.join(missing)}")
        w(f"{'项目':<20}{'基线户数':>10}{'方案户数':>10}{'基线月支出':>14}{'方案月支出':>14}")
        for programme in PROGRAMME_COLUMNS:
            b, r = report["baseline"][programme], report["reform_result"][programme]
            w(
                f"{programme:<20}{b['households']:>10}{r['households']:>10}{b['monthly_cost']:>14,.0f}{r['monthly_cost']:>14,.0f}"
            )
        b, r = report["baseline"]["total"], report["reform_result"]["total"]
        w(f"{'total':<20}{'':>10}{'':>10}{b['monthly_cost']:>14,.0f}{r['monthly_cost']:>14,.0f}")
        w(
            f"受益户 {report['winners']['count']}，受损户 {report['losers']['count']}，"
            f"失去资格 {len(report['losing_eligibility'])} 条"
        )
        for d in report["districts"][:10]:
            w(
                f"  {d['name']}: 月支出变化 {d['monthly_change']:,.0f}，受益 {d['winners']}，受损 {d['losers']}"
            )
