import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.sources.services import source_ingest

#: Exit statuses: 0 landed (or already received), 2 refused, 3 held for a data steward.
EXIT_REFUSED = 2
EXIT_HELD = 3


class Command(BaseCommand):
    help = (
        "接入部门数据文件：safetynet ingest SOURCE FILE [--json]（CSV、Parquet、JSON Lines）。"
        "退出码：0 入库，2 拒收，3 暂扣待数据管理员确认"
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="数据源代码，如 tax_wages")
        parser.add_argument("file", help="文件路径")
        parser.add_argument("--json", action="store_true", help="输出一个JSON对象（拒收时也输出）")
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
                self.stdout.write(_dumps({"refused": True, "status": "refused", **exc.as_dict()}))
            raise CommandError(f"{exc.code}: {exc.message}", returncode=EXIT_REFUSED) from None
        except (OSError, MemoryError) as exc:
            # A fault of the machine rather than of the file (disk full, I/O error): still one object.
            if json:
                self.stdout.write(
                    _dumps({"refused": True, "status": "error", "code": "source.io_error", "message": str(exc)})
                )
            raise CommandError(f"source.io_error: {exc}", returncode=EXIT_REFUSED) from None
        out = result.as_dict()
        b = result.batch
        if json:
            self.stdout.write(_dumps(out))
        elif result.duplicate:
            self.stdout.write(f"该文件已接入过（批次 {b.batch_id}，{b.get_status_display()}），未重复入库。")
        else:
            self.stdout.write(
                f"批次 {b.batch_id}：收到 {b.received} 行 = 入库 {b.accepted} + 隔离 {b.quarantined}"
                f"（其中重复 {b.duplicates}、冲突 {b.conflicts}）；数据截至 {b.as_of}；{b.seconds:.2f} 秒"
            )
            if b.extra_columns:
                self.stdout.write("文件中有目录未声明的列（已随批次保存，未入库）：" + "、".join(b.extra_columns))
        if result.held:
            reasons = "；".join(r["message"] for r in b.hold_reasons)
            raise CommandError(f"批次 {b.batch_id} 已暂扣，未生效，待数据管理员确认：{reasons}", returncode=EXIT_HELD)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
