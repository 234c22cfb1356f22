"""``safetynet restore SRC``: put a backup back and verify the audit chain and row counts."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safetynet.audit.backup import backup_restore
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "从备份恢复数据库、数据湖、申请材料与审计检查点，并校验审计链与行数"

    def add_arguments(self, parser):
        parser.add_argument("src", help="备份目录")
        parser.add_argument("--force", action="store_true", help="目标已有数据时仍然覆盖")

    def handle(self, *args, src, force=False, **options):
        try:
            result = backup_restore(src=Path(src), force=force)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if result.count_mismatches:
            raise CommandError(f"恢复后行数与备份不符：{result.count_mismatches}")
        if not result.audit.ok:
            brk = result.audit.first_break
            raise CommandError(f"恢复后审计链校验失败：第 {brk.seq} 条（{brk.reason}）")
        rows = sum(result.counts.values())
        self.stdout.write(
            f"恢复完成：{rows} 行数据与备份一致，{result.files} 个文件，审计链完好（{result.audit.checked} 条）。"
        )
