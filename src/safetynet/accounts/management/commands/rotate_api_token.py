"""``safetynet rotate-api-token --prefix snt_abc123``: a new token replaces the old (printed once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.accounts.selectors import api_token_get_by_prefix
from safetynet.accounts.services import api_token_rotate
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "轮换接口令牌：签发新令牌并吊销旧令牌（新令牌仅显示一次）"

    def add_arguments(self, parser):
        parser.add_argument("--prefix", required=True, help="旧令牌前缀，如 snt_abc123")

    def handle(self, *args, prefix, **options):
        try:
            issued = api_token_rotate(actor=None, token=api_token_get_by_prefix(prefix=prefix))
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stderr.write(
            f"旧令牌 {prefix}… 已吊销；新令牌 {issued.token.prefix}… 有效至 {issued.token.expires_at:%Y-%m-%d}"
            "（仅显示这一次）"
        )
        self.stdout.write(issued.plaintext)
