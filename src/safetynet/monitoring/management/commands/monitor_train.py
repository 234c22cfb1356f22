import json

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.monitoring.model.store import risk_model_train


class Command(BaseCommand):
    help = "用已登记的走访结论训练预警排序模型；通过公平性检查的模型自动启用（定时任务每周运行）"

    def add_arguments(self, parser):
        parser.add_argument("--no-promote", action="store_true", help="只训练和登记，不启用")
        parser.add_argument("--json", action="store_true", help="以JSON输出")

    def handle(self, *args, no_promote: bool = False, json: bool = False, **options):
        try:
            model = risk_model_train(promote=not no_promote, system=True)
        except SafetyNetError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        out = {"version": model.version, "promoted": model.promoted, "outcomes": model.outcomes,
               "period": [str(model.period_start), str(model.period_end)], "threshold": model.threshold,
               "metrics": model.metrics, "failing_groups": model.fairness.get("failing", [])}
        if json:
            self.stdout.write(_dumps(out))
            return
        self.stdout.write(
            f"模型 v{model.version}：走访结论 {model.outcomes} 条（{out['period'][0]} 至 {out['period'][1]}），"
            f"AUC {model.metrics['auc']}，派单阈值 {model.threshold:.3f}，"
            + ("已启用" if model.promoted else f"未启用（召回偏低的群体：{'、'.join(out['failing_groups']) or '无'}）")
        )


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
