import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safetynet.verification.compute import verification_index_build


class Command(BaseCommand):
    help = "核对索引：safetynet verification-index [--on DATE]（数据批次入湖后、每日首次核对前预先建好单户核对的索引）"

    def add_arguments(self, parser):
        parser.add_argument("--on", type=_date, default=None, help="核对基准日 YYYY-MM-DD（缺省为今天）")

    def handle(self, *args, on=None, **options):
        on = on or timezone.localdate()
        if verification_index_build(on=on):
            self.stdout.write(f"基准日 {on}：单户核对的索引已就绪")
        else:
            self.stdout.write(f"基准日 {on}：另一进程正在建立该索引")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None
