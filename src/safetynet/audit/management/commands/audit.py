from django.core.management.base import BaseCommand, CommandError

from safetynet.audit.services import audit_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链，发现断点时以非零状态退出并指出第一条被篡改的记录"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验审计哈希链")

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            brk = result.first_break
            raise CommandError(
                f"审计链断裂：第 {brk.seq} 条记录无效（{brk.reason}）；此前 {result.checked} 条完好。"
                f" audit chain broken at entry {brk.seq}: {brk.reason}"
            )
        self.stdout.write(f"审计链完好：共 {result.checked} 条。audit chain OK: {result.checked} entries")
