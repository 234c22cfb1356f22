import datetime as dt
import json

from django.core.management.base import BaseCommand

from safetynet.monitoring.learning_phase import learning_phase_restart, learning_phase_state
from safetynet.monitoring.tasks import monitor_run


class Command(BaseCommand):
    help = "动态监测预警：计算指标、触发规则与积分，生成预警和应保尽保名单"

    def add_arguments(self, parser):
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="监测日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--region", default=None, help="只监测该区划代码的辖区")
        parser.add_argument("--json", action="store_true", help="以JSON输出计数")
        parser.add_argument("--evaluate", action="store_true", help="对照演示数据的真实困难家庭评估")
        parser.add_argument("--incremental", action="store_true",
                            help="增量监测：只重算上次监测以来新到数据批次涉及的家庭")
        parser.add_argument("--learning", action="store_true", help="只显示学习期状态（JSON），不运行监测")
        parser.add_argument("--learning-restart", action="store_true",
                            help="结束当前学习期并从 --on 日期（默认今天）重新开始，不运行监测")

    def handle(self, *args, on, region, json: bool = False, evaluate: bool = False, incremental: bool = False,
               learning: bool = False, learning_restart: bool = False, **options):
        from django.utils import timezone

        if learning_restart:
            learning_phase_restart(on=on or timezone.localdate())
        if learning or learning_restart:
            self.stdout.write(_dumps(learning_phase_state()))
            return
        counts = monitor_run(on=on or timezone.localdate(), region_code=region, evaluate=evaluate,
                             incremental=incremental)
        if json:
            self.stdout.write(_dumps(counts))
            return
        self.stdout.write(
            f"mode={counts['mode']} households_scored={counts['households_scored']} alerts_opened={counts['alerts_opened']} "
            f"suppressed={counts['alerts_suppressed']} held_after_visit={counts['alerts_held_after_visit']} levels={counts['levels']} triggers={counts['triggers']} "
            f"dibao_uncovered={counts['dibao_uncovered']} dibao_left_eligibility={counts['dibao_left_eligibility']} "
            f"alerts_escalated={counts['alerts_escalated']} "
            f"seconds={counts['seconds_total']}"
        )
        if evaluate:
            self.stdout.write(_dumps(counts.get("evaluation")))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
