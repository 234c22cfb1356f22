import sys

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.demo.services import demo_generate


class Command(BaseCommand):
    help = "生成示范市合成数据（人员、家庭、部门数据批次与真值文件）；同一种子结果相同"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=20_000, help="家庭数（默认 20000）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--reset", action="store_true", help="先删除已有示范数据")
        parser.add_argument("--quiet", action="store_true", help="不显示进度条")

    def handle(self, *args, households, seed, reset, quiet, **options):
        progress = not quiet and sys.stderr.isatty()
        try:
            result = demo_generate(households=households, seed=seed, reset=reset, progress=progress)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        t = result.timings
        self.stdout.write(
            f"示范市已生成：{result.regions} 个区划，{result.households} 户，{result.persons} 人，"
            f"{result.memberships} 条成员关系；种子 {result.seed}。"
            f" generated in {sum(t.values()):.1f}s (generate {t['generate']:.1f}s, database {t['database']:.1f}s,"
            f" parquet {t['parquet']:.1f}s); lake: {result.lake_dir}"
        )
        planted = result.summary.get("planted", {})
        self.stdout.write("埋设异常 planted: " + ", ".join(f"{k}={v}" for k, v in planted.items()))
