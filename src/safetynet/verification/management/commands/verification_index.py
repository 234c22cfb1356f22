from django.core.management.base import BaseCommand
from django.utils import timezone

from safetynet.verification.compute import verification_index_build
from safetynet.verification.management.commands.verify_bulk import date_argument


class Command(BaseCommand):
    help = "核对索引：safetynet verification-index [--on DATE]（数据批次入湖后、每日首次核对前预先建好单户核对的索引）"

    def add_arguments(self, parser):
        parser.add_argument("--on", type=date_argument, default=None, help="核对基准日 YYYY-MM-DD（缺省为今天）")

    def handle(self, *args, on=None, **options):
        on = on or timezone.localdate()
        if verification_index_build(on=on):
            self.stdout.write(f"基准日 {on}：单户核对的索引已就绪")
        else:
            self.stdout.write(f"基准日 {on}：另一进程正在建立该索引")

