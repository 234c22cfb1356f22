from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.demo.services import DEMO_PASSWORD, demo_accounts_ensure, demo_city_present


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
        call_command("audit", "verify", stdout=self.stdout)
        width = max(len(a.username) for a in accounts)
        self.stdout.write("")
        self.stdout.write(f"{'账户 username':<{width + 2}} {'角色 role':<22} {'区划 region':<14} 密码 password")
        for a in accounts:
            self.stdout.write(f"{a.username:<{width + 2}} {a.role:<22} {a.region_name:<14} {a.password}")
        self.stdout.write("")
        if not no_serve:
            call_command("runserver", "127.0.0.1:8000", use_reloader=False)

    def _batch_steps(self) -> None:
        """The platform's batch jobs over the demo city: land the departments' extracts."""
        from django.conf import settings

        from safetynet.sources.services import source_ingest_folder

        incoming = settings.LAKE_DIR / "incoming"
        if not incoming.is_dir():
            return
        self.stdout.write("接入部门数据 ingesting departmental extracts:")
        for result in source_ingest_folder(folder=incoming):
            b = result.batch
            note = "（已接入 already landed）" if result.duplicate else ""
            self.stdout.write(
                f"  {b.source:<24} 收到 {b.received:>7} = 入库 {b.accepted:>7} + 隔离 {b.quarantined:>5}{note}"
            )
