import json

from django.core.management.base import BaseCommand, CommandError

from safetynet.accounts.models import User
from safetynet.core.errors import SafetyNetError
from safetynet.core.roles import Role
from safetynet.payments.services import parse_month, payroll_run, roll_totals


class Command(BaseCommand):
    help = "生成某月各区县、各救助项目的发放名册（含补发、差额调整和发放前比对暂缓）"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="发放月份 YYYY-MM")
        parser.add_argument("--user", default=None, help="制表人账户（默认：本级以上第一个管理员账户）")
        parser.add_argument("--programme", action="append", default=None, help="只生成该救助项目（可重复）")
        parser.add_argument("--json", action="store_true", help="以JSON输出各名册笔数、暂缓和金额（分）")

    def handle(self, *args, month, user, programme, json: bool = False, **options):
        actor = self._actor(user)
        try:
            rolls = payroll_run(month=parse_month(month), actor=actor, programmes=programme)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        out = {"month": month, "rolls": [], "by_programme": {}}
        for roll in rolls:
            t = roll_totals(roll)
            out["rolls"].append({"roll": roll.number, "id": roll.pk, "programme": roll.programme,
                                 "region": roll.region.code, "status": roll.status, **t,
                                 "stopped_cases": len(roll.summary.get("stopped_cases", [])),
                                 "overpaid_fen": sum(o["fen"] for o in roll.summary.get("overpaid", []))})
            p = out["by_programme"].setdefault(roll.programme, {"lines": 0, "held": 0, "total_fen": 0, "held_fen": 0,
                                                               "payable_fen": 0})
            for key in p:
                p[key] += t[key]
        if json:
            self.stdout.write(_dumps(out))
            return
        for r in out["rolls"]:
            self.stdout.write(f"{r['roll']} {r['programme']:<22} {r['region']} 笔数 {r['lines']:>6} 暂缓 {r['held']:>4} "
                              f"合计 {r['total_fen'] / 100:,.2f} 元 应发 {r['payable_fen'] / 100:,.2f} 元")

    def _actor(self, username):
        if username:
            actor = User.objects.filter(username=username, is_active=True).select_related("region").first()
            if actor is None:
                raise CommandError(f"账户不存在：{username}")
            return actor
        actor = (User.objects.filter(role=Role.ADMIN, is_active=True, region__isnull=False)
                 .select_related("region").order_by("region__level", "id").first())
        if actor is None:
            raise CommandError("没有可用的管理员账户，请用 --user 指定制表人")
        return actor


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
