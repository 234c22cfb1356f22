from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safetynet.core.db import planner_statistics_refresh
from safetynet.core.errors import SafetyNetError
from safetynet.core.paths import incoming_dir
from safetynet.demo.cases import demo_cases_seed
from safetynet.demo.payments import demo_payments_seed
from safetynet.demo.population import REFERENCE_DATE
from safetynet.demo.resources import demo_resources_seed
from safetynet.demo.services import DEMO_PASSWORD, demo_accounts_ensure, demo_city_present
from safetynet.monitoring.models import MonitorRun
from safetynet.monitoring.tasks import monitor_run
from safetynet.sources.services import source_ingest_folder
from safetynet.supervision.evaluation import evaluate
from safetynet.supervision.tasks import supervise_run
from safetynet.verification.bulk import verification_bulk_run


class Command(BaseCommand):
    help = "一键演示：迁移数据库、生成示范市（如尚无）、创建各角色演示账户、校验审计链并启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=20_000, help="家庭数（默认 20000）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据与账户，不启动服务")

    def handle(self, *args, households, seed, no_serve, **options):
        verbosity = options.get("verbosity", 1)
        call_command("migrate", interactive=False, verbosity=0)
        if demo_city_present():
            self.stdout.write("示范市已存在，跳过生成。demo city present; generation skipped")
        else:
            call_command("demo_data", households=households, seed=seed, quiet=verbosity < 1, stdout=self.stdout)
        self._batch_steps()
        try:
            accounts = demo_accounts_ensure(password=DEMO_PASSWORD)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        seeded = demo_cases_seed(seed=seed)
        self.stdout.write(
            "示范案件已存在，跳过。demo cases present; skipped" if seeded.skipped else
            f"示范案件 demo cases: 新建 {seeded.created} 件，其中超期 {seeded.overdue} 件 {seeded.by_status}"
        )
        self._payments(seed)
        self._resources(seed)
        planner_statistics_refresh()
        call_command("audit", "verify", stdout=self.stdout)
        width = max(len(a.username) for a in accounts)
        self.stdout.write("")
        self.stdout.write(f"{'账户 username':<{width + 2}} {'角色 role':<22} {'区划 region':<14} 密码 password")
        for a in accounts:
            self.stdout.write(f"{a.username:<{width + 2}} {a.role:<22} {a.region_name:<14} {a.password}")
        self.stdout.write("")
        if not no_serve:
            call_command("runserver", "127.0.0.1:8000", use_reloader=False)

    def _payments(self, seed: int) -> None:
        """Bank accounts, the payment plantings, this month's roll down the whole road, then the
        supervision scan measured against the planted truth."""
        paid = demo_payments_seed(seed=seed)
        if paid.skipped:
            self.stdout.write("示范发放已存在，跳过。demo payments present; skipped")
            return
        self.stdout.write(f"收款账户 bank accounts: {paid.accounts}，植入 planted {paid.planted}")
        for r in paid.rolls:
            self.stdout.write(f"  名册 roll {r['roll']} {r['programme']}: {r['lines']} 笔，暂缓 {r['held']}，"
                              f"失败 {r['failed']}，合计 {r['total_fen'] / 100:,.2f} 元")
        result = supervise_run(on=timezone.localdate())
        self.stdout.write(f"监督筛查 supervision: 线索 {result['findings']} 条 {result['by_kind']}")
        evaluation = evaluate(result["found"])
        for kind, e in evaluation.get("kinds", {}).items():
            self.stdout.write(f"  {kind:<22} 召回 recall {e['recall']}  精确 precision {e['precision']}")

    def _resources(self, seed: int) -> None:
        """The resource catalogue (融救联助) and every household's needs profile."""
        result = demo_resources_seed(seed=seed, on=REFERENCE_DATE)
        if result.skipped:
            self.stdout.write("救助资源目录已存在，跳过。resource catalogue present; skipped")
            return
        self.stdout.write(f"救助资源目录 resource catalogue: {result.departments} 个部门、{result.organisations} 家社会组织、"
                          f"{result.resources} 项资源；需求画像 needs {result.needs}")

    def _batch_steps(self) -> None:
        """The platform's batch jobs over the demo city, as of the date its extracts were cut:
        land the departments' extracts, verify the whole roll, then monitor and raise alerts."""

        incoming = incoming_dir()
        if not incoming.is_dir():
            return
        self.stdout.write("接入部门数据 ingesting departmental extracts:")
        for result in source_ingest_folder(folder=incoming):
            b = result.batch
            note = "（已接入 already landed）" if result.duplicate else ""
            self.stdout.write(
                f"  {b.source:<24} 收到 {b.received:>7} = 入库 {b.accepted:>7} + 隔离 {b.quarantined:>5}{note}"
            )
        if MonitorRun.objects.filter(on=REFERENCE_DATE).exists():
            self.stdout.write("核对与监测已运行过，跳过。verification and monitoring already ran; skipped")
            return
        run = verification_bulk_run(on=REFERENCE_DATE)
        self.stdout.write(f"批量核对 bulk verification: {run.households} 户 / {run.persons} 人，{run.seconds_total:.1f} 秒")
        counts = monitor_run(on=REFERENCE_DATE, evaluate=True)
        self.stdout.write(
            f"动态监测 monitoring: {counts['households_scored']} 户评分，新开预警 {counts['alerts_opened']} 条 "
            f"{counts['alerts_by_level']}，应保未保 {counts['dibao_uncovered']} 户"
        )
        evaluation = counts.get("evaluation") or {}
        if evaluation.get("available"):
            o = evaluation["overall"]
            self.stdout.write(f"  对照真值 against ground truth: 召回 recall {o['recall']:.2f}，精确 precision {o['precision']:.2f}")
