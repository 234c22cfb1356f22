import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safetynet.core.errors import SafetyNetError
from safetynet.engine.backend import BACKENDS
from safetynet.verification.bulk import verification_bulk_run


class Command(BaseCommand):
    help = "批量核对：safetynet verify-bulk [--region CODE] [--on DATE] [--backend duckdb|spark] [--json]"

    def add_arguments(self, parser):
        parser.add_argument("--region", default=None, help="区划代码：只核对该区划(含下级)的家庭；缺省为全部")
        parser.add_argument("--on", type=date_argument, default=None, help="核对基准日 YYYY-MM-DD（缺省为今天）")
        parser.add_argument("--backend", choices=BACKENDS, default=None, help="计算引擎（缺省取 $SAFETYNET_ENGINE，否则 duckdb）")
        parser.add_argument("--json", action="store_true", help="输出一个JSON对象")

    def handle(self, *args, region=None, on=None, backend=None, json: bool = False, **options):
        on = on or timezone.localdate()
        try:
            run = verification_bulk_run(on=on, region_code=region, backend=backend)
        except SafetyNetError as exc:
            if json:
                self.stdout.write(_dumps({"refused": True, **exc.as_dict()}))
            raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from None
        if json:
            self.stdout.write(_dumps(run.as_dict()))
            return
        self.stdout.write(
            f"核对批次 {run.run_id}（{run.backend}，基准日 {run.on}，范围 {run.region or '全部'}）：\n"
            f"  家庭 {run.households} 户，成员 {run.persons} 人，事实 {run.facts} 条；"
            f"{run.seconds_total:.2f} 秒（引擎 {run.seconds_engine:.2f} 秒），每秒 {run.persons_per_second:,.0f} 人"
        )
        if not run.previous_run_id:
            self.stdout.write("  首次核对该范围，无可比较的上次结果。")
            return
        self.stdout.write(f"  与上次 {run.previous_run_id} 相比的变化：")
        for kind, count in run.changes.items() or [("无", 0)]:
            self.stdout.write(f"    {kind}: {count}")


def date_argument(text: str) -> dt.date:
    """A command's YYYY-MM-DD argument, or a clear error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
