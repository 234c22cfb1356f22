import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safetynet.core.errors import SafetyNetError
from safetynet.supervision.evaluation import evaluate as run_evaluation
from safetynet.supervision.tasks import result_json, supervise_run


class Command(BaseCommand):
    help = "监督筛查：五项监管的异常线索（发放、办理流程、复核、应保尽保/应退尽退、政策叠加）"

    def add_arguments(self, parser):
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="筛查日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--backend", default=None, help="计算引擎 duckdb 或 spark")
        parser.add_argument("--evaluate", action="store_true", help="对照演示数据的植入异常计算召回率和精确率")
        parser.add_argument("--json", action="store_true", help="以JSON输出")

    def handle(self, *args, on, backend, evaluate: bool = False, json: bool = False, **options):
        try:
            result = supervise_run(on=on or timezone.localdate(), backend=backend)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        if evaluate:
            result["evaluation"] = run_evaluation(result["found"])
        if json:
            self.stdout.write(result_json(result))
            return
        self.stdout.write(f"findings={result['findings']} opened={result['opened']} refreshed={result['refreshed']} "
                          f"suppressed={result['suppressed']} unplaced={result['unplaced']} "
                          f"seconds={result['seconds']['total']}")
        for kind, n in result["by_kind"].items():
            self.stdout.write(f"  {kind:<22} {n}")
        if evaluate:
            self.stdout.write(_dumps(result["evaluation"]))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
