"""``safetynet issue-api-token --username X --label L``: prints a bearer token once.

Only its SHA-256 is stored; a lost token is revoked and a new one issued.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.accounts.selectors import user_get_by_username
from safetynet.accounts.services import api_token_issue
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "为账户签发接口令牌（仅显示一次）"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--label", required=True, help="用途说明，如 民政局夜间批量上传")

    def handle(self, *args, username, label, **options):
        try:
            user = user_get_by_username(username=username)
            issued = api_token_issue(actor=None, user=user, label=label)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stderr.write(f"已为 {user.username} 签发令牌 {issued.token.prefix}…（仅显示这一次，请妥善保存）")
        self.stdout.write(issued.plaintext)
