"""``safetynet backup [DEST]``: the database, lake, attachments and audit checkpoints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safetynet.audit.backup import backup_create
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "备份数据库、数据湖、申请材料与审计检查点（运行中亦可一致备份）"

    def add_arguments(self, parser):
        parser.add_argument("dest", nargs="?", help="备份目录（默认 $SAFETYNET_HOME/backups/<时间>）")
        parser.add_argument("--include-keys", action="store_true", help="同时备份审计密钥（默认不备份，应另存于密钥库）")

    def handle(self, *args, dest=None, include_keys=False, **options):
        if dest is None:
            dest = Path(settings.HOME) / "backups" / dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        try:
            result = backup_create(dest=Path(dest), include_keys=include_keys)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        rows = sum(result.counts.values())
        self.stdout.write(
            f"备份完成：{result.path}（{rows} 行数据，{result.files} 个文件，{result.bytes / 1e6:.1f} MB）"
        )
