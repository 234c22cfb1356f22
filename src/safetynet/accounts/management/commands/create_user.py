"""``safetynet create-user --username X --role R --region CODE [--password P]``.

Run by an operator on the server, so the actor is the system; the event is audited all the same.
Without ``--password`` the password is asked for twice, unechoed.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from safetynet.accounts.services import user_create
from safetynet.core.errors import SafetyNetError
from safetynet.core.roles import Role
from safetynet.regions.models import Region


class Command(BaseCommand):
    help = "创建账户（工作人员须指定区划代码）"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", help="12位区划代码；工作人员角色必填")
        parser.add_argument("--password", help="不填则交互输入")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args, username, role, region, password, display_name, phone, **options):
        region_obj = None
        if region:
            region_obj = Region.objects.filter(code=region).first()
            if region_obj is None:
                raise CommandError(f"区划不存在：{region}")
        if password is None:
            password = self._prompt_password()
        try:
            user = user_create(
                actor=None,
                username=username,
                password=password,
                role=role,
                region=region_obj,
                display_name=display_name,
                phone=phone,
            )
        except SafetyNetError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"已创建账户 {user.username}（{user.get_role_display()}）"))

    def _prompt_password(self) -> str:
        first = getpass.getpass("密码: ")
        second = getpass.getpass("再次输入密码: ")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        return first
