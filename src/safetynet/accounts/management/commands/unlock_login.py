"""``safetynet unlock-login --username X`` / ``--ip A``: lift a sign-in lock-out, audited."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.accounts.services import login_unlock
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "解除登录锁定（按用户名或地址），并记入审计日志"

    def add_arguments(self, parser):
        parser.add_argument("--username", default="")
        parser.add_argument("--ip", default="", help="客户端地址")

    def handle(self, *args, username, ip, **options):
        try:
            cleared = login_unlock(actor=None, username=username, ip_address=ip)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"已解除锁定，清除 {cleared} 条失败记录。")
