import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.sources.services import source_ingest


class Command(BaseCommand):
    help = "接入部门数据文件：safetynet ingest SOURCE FILE [--json]（CSV、Parquet、JSON Lines）"

    def add_arguments(self, parser):
        parser.add_argument("source", help="数据源代码，如 tax_wages")
        parser.add_argument("file", help="文件路径")
        parser.add_argument("--json", action="store_true", help="输出一个JSON对象")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="数据截至日期 YYYY-MM-DD")
        parser.add_argument("--encoding", default="utf-8", help="文本文件编码（默认 utf-8，可用 gb18030）")

    def handle(self, *args, source, file, json: bool = False, as_of=None, encoding="utf-8", **options):
        try:
            result = source_ingest(
                source_name=source,
                path=file,
                as_of=as_of,
                encoding=encoding,
                progress=not json and sys.stderr.isatty(),
            )
        except SafetyNetError as exc:
            if json:
                self.stdout.write(_dumps({"refused": True, **exc.as_dict()}))
            raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from None
        out = result.as_dict()
        if json:
            self.stdout.write(_dumps(out))
            return
        b = result.batch
        if result.duplicate:
            self.stdout.write(f"该文件已接入过（批次 {b.batch_id}），未重复入库。")
            return
        self.stdout.write(
            f"批次 {b.batch_id}：收到 {b.received} 行 = 入库 {b.accepted} + 隔离 {b.quarantined}；"
            f"数据截至 {b.as_of}；{b.seconds:.2f} 秒"
        )


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
