import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safetynet.core.errors import SafetyNetError
from safetynet.resources.optimiser import silence_banner
from safetynet.resources.tasks import packages_batch


class Command(BaseCommand):
    help = ("为一批家庭（某区划下全部家庭）测算救助包：优化器与逐项贪心法各满足多少加权需求、名额和预算用量、"
            "最优性差距和耗时。只测算，不写入。")

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="区划代码（默认：全部家庭）")
        parser.add_argument("--on", default="", help="测算日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")
        parser.add_argument("--time-limit", type=float, default=50.0, help="求解时限（秒）")

    def handle(self, *args, region, on, json: bool, time_limit, **options):
        try:
            day = dt.date.fromisoformat(on) if on else timezone.localdate()
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{on}") from None
        silence_banner()
        try:
            result, timings = packages_batch(on=day, region_code=region or None, time_limit=time_limit)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        if result is None:
            out = {"households": 0, "on": day.isoformat(), "region": region, **timings}
            self.stdout.write(_dumps(out) if json else "该范围内没有在册家庭。no households")
            return
        summary = {"on": day.isoformat(), "region": region, **result.summary(), **timings}
        if json:
            self.stdout.write(_dumps({**summary, "resource_rows": result.resource_rows()}))
            return
        s = summary
        self.stdout.write(f"家庭 households {s['households']} · 资源 resources {s['resources']} · {s['on']}")
        self.stdout.write(f"加权需求 need total {s['need_total']:.1f}")
        self.stdout.write(f"  优化器 optimiser  满足 met {s['need_met']:.1f}  ({s['method']}, {s['seconds']:.2f}s)")
        self.stdout.write(f"  贪心法 greedy     满足 met {s['greedy_need_met']:.1f}  ({s['greedy_seconds']:.2f}s)")
        self.stdout.write(f"  多满足 margin {s['margin']:+.1f} ({s['margin_percent']:+.2f}%) · 上界 bound {s['bound']:.1f}"
                          f" · 差距 gap {s['gap'] * 100:.3f}%")
        self.stdout.write(f"名额 capacity used {s['capacity_used']} / left {s['capacity_left_before']} · "
                          f"资金 budget used {s['budget_used_fen'] / 100:.2f} / left {s['budget_left_before_fen'] / 100:.2f} 元")
        self.stdout.write(f"约束 violations {s['violations'] or 'none'} · 公平 unfair households {s['unfair_households']}")
        self.stdout.write(f"耗时 time: facts {s['facts_seconds']}s, needs {s['needs_seconds']}s, total {s['total_seconds']}s")
        for row in result.resource_rows():
            if row["used"] or row["greedy_used"]:
                self.stdout.write(f"  {row['code']:<10} {row['name']:<16} used {row['used']:>5} (greedy {row['greedy_used']:>5})"
                                  f" / left {row['capacity_left']:>5}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
