from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class AlertKind(models.TextChoices):
    TRIGGER = "trigger", _("触发式")
    POINTS = "points", _("积分式")
    COVERAGE = "coverage", _("应保尽保")


class AlertLevel(models.TextChoices):
    RED = "red", _("红色")
    ORANGE = "orange", _("橙色")
    YELLOW = "yellow", _("黄色")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    VISITED = "visited", _("已走访")
    CLOSED = "closed", _("已办结")


class AlertOutcome(models.TextChoices):
    ASSISTED_NEW_CASE = "assisted_new_case", _("已发起救助申请")
    REFERRED = "referred", _("已转介")
    NOT_ELIGIBLE = "not_eligible", _("经核查不符合条件")
    FALSE_ALARM = "false_alarm", _("误报")


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.VISITED)


class Alert(TimeStampedModel):
    """One early-warning alert (预警) on a household, dispatched to a worker (派单) and followed up."""

    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="alerts")
    kind = models.CharField(_("预警方式"), max_length=12, choices=AlertKind.choices)
    condition = models.CharField(_("预警条件"), max_length=48)
    level = models.CharField(_("预警等级"), max_length=8, choices=AlertLevel.choices)
    score = models.FloatField(_("剥夺得分"), null=True, blank=True)
    reasons = models.JSONField(_("预警依据"), default=dict, blank=True)
    on = models.DateField(_("监测日期"))
    status = models.CharField(_("状态"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核查人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="alerts_assigned")
    due_at = models.DateTimeField(_("核查时限"))
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    visited_at = models.DateTimeField(_("走访时间"), null=True, blank=True)
    findings = models.TextField(_("核查情况"), blank=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=AlertOutcome.choices, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办结人"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="alerts_closed")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", verbose_name=_("救助案件"), on_delete=models.PROTECT, null=True,
                             blank=True, related_name="alerts")
    run = models.ForeignKey("MonitorRun", verbose_name=_("监测批次"), on_delete=models.PROTECT, null=True,
                            blank=True, related_name="alerts")

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("预警")
        indexes = [models.Index(fields=["status", "due_at"], name="alert_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["household", "condition"], condition=Q(status__in=["open", "visited"]),
                                    name="alert_one_open_per_condition"),
            models.CheckConstraint(condition=Q(status="closed") | Q(outcome=""), name="alert_outcome_when_closed"),
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(outcome=""), name="alert_closed_has_outcome"),
        ]

    @property
    def number(self) -> str:
        return f"YJ{self.pk:08d}"

    def __str__(self) -> str:
        return self.number


class RunMode(models.TextChoices):
    FULL = "full", _("全量")
    INCREMENTAL = "incremental", _("增量")


class MonitorRun(TimeStampedModel):
    """One monitoring run: its date, scope and counts (the next run's trigger window starts here).

    A full run scores every household in scope; an incremental run only the households touched
    by the source batches landed since the previous run (its H, A, M0 speak of those alone)."""

    on = models.DateField(_("监测日期"))
    region_code = models.CharField(_("范围"), max_length=12, blank=True)
    mode = models.CharField(_("方式"), max_length=12, choices=RunMode.choices, default=RunMode.FULL)
    counts = models.JSONField(_("计数"), default=dict)

    class Meta:
        ordering = ["on", "id"]
