"""Supervision (监督检查): scan runs, anomalies with their evidence, and recovery orders (追回)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class View(models.TextChoices):
    """The five supervision views of seed 002 (五项监管)."""

    PROCESS = "process", _("办理流程监管")
    REVIEW = "review", _("救助复核监管")
    PAYMENT = "payment", _("救助金发放监管")
    COVERAGE = "coverage", _("应保尽保、应退尽退监管")
    OVERLAP = "overlap", _("政策叠加监管")


class Kind(models.TextChoices):
    PAID_DECEASED = "paid_deceased", _("向已死亡人员发放")
    PAID_IMPRISONED = "paid_imprisoned", _("向服刑人员发放")
    PAID_PUBLIC_PAYROLL = "paid_public_payroll", _("向财政供养人员发放")
    DUPLICATE_BENEFIT = "duplicate_benefit", _("同一人重复享受")
    SHARED_ACCOUNT = "shared_account", _("无关家庭共用收款账户")
    DEADLINE_BREACH = "deadline_breach", _("超过办理时限")
    REVIEW_OVERDUE = "review_overdue", _("动态复核逾期")
    UNCOVERED = "uncovered", _("符合条件未纳入(应保未保)")
    SHOULD_EXIT = "should_exit", _("不再符合条件仍在享受(应退未退)")
    EXCLUSIVE_PROGRAMMES = "exclusive_programmes", _("互斥救助项目叠加")
    STAFF_RELATIVE = "staff_relative", _("工作人员近亲属享受救助")


VIEW_OF = {
    Kind.PAID_DECEASED: View.PAYMENT, Kind.PAID_IMPRISONED: View.PAYMENT, Kind.PAID_PUBLIC_PAYROLL: View.PAYMENT,
    Kind.DUPLICATE_BENEFIT: View.PAYMENT, Kind.SHARED_ACCOUNT: View.PAYMENT,
    Kind.DEADLINE_BREACH: View.PROCESS, Kind.REVIEW_OVERDUE: View.REVIEW,
    Kind.UNCOVERED: View.COVERAGE, Kind.SHOULD_EXIT: View.COVERAGE,
    Kind.EXCLUSIVE_PROGRAMMES: View.OVERLAP, Kind.STAFF_RELATIVE: View.OVERLAP,
}


class ScanRun(TimeStampedModel):
    """One supervision scan: its date, backend, counts found per kind and timings."""

    on = models.DateField(_("筛查日期"))
    backend = models.CharField(_("计算引擎"), max_length=12)
    counts = models.JSONField(_("计数"), default=dict)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("监督筛查")


class AnomalyStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    CLOSED = "closed", _("已办结")


class AnomalyOutcome(models.TextChoices):
    CONFIRMED_STOPPED = "confirmed_stopped", _("属实，已停发或纠正")
    RECOVERY_ORDERED = "recovery_ordered", _("属实，已下达追回")
    EXPLAINED = "explained", _("经核实情况合理(已备案)")
    FALSE_POSITIVE = "false_positive", _("数据有误，不属实")


class Anomaly(TimeStampedModel):
    """One supervision finding (异常线索): what, about whom, its evidence (source, batch, row), the
    officer who must close it, by when, and how it was closed. ``fingerprint`` keeps one open
    finding per subject across scans."""

    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    view = models.CharField(_("监管类别"), max_length=12, choices=View.choices)
    fingerprint = models.CharField(_("指纹"), max_length=120)
    region = models.ForeignKey("regions.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT,
                               related_name="anomalies")
    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="anomalies")
    person = models.ForeignKey("registry.Person", verbose_name=_("人员"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="anomalies")
    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    summary = models.CharField(_("摘要"), max_length=300)
    evidence = models.JSONField(_("证据"), default=list)
    amount_fen = models.BigIntegerField(_("涉及金额(分)"), default=0)
    run = models.ForeignKey(ScanRun, verbose_name=_("发现批次"), on_delete=models.PROTECT, related_name="anomalies")
    status = models.CharField(_("状态"), max_length=8, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核查人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="anomalies_assigned")
    due_on = models.DateField(_("办结时限"))
    outcome = models.CharField(_("办结结果"), max_length=20, choices=AnomalyOutcome.choices, blank=True)
    outcome_note = models.TextField(_("办结说明"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办结人"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    REGION_FIELD = "region"

    class Meta:
        ordering = ["status", "due_on", "id"]
        verbose_name = _("异常线索")
        indexes = [models.Index(fields=["kind", "status"], name="anomaly_kind_status")]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], condition=Q(status="open"), name="anomaly_one_open"),
            models.CheckConstraint(condition=Q(status="closed") | Q(outcome=""), name="anomaly_outcome_when_closed"),
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(outcome=""), name="anomaly_closed_has_outcome"),
        ]

    @property
    def number(self) -> str:
        return f"JD{self.pk:08d}"

    def __str__(self) -> str:
        return self.number


class RecoveryEvent(models.TextChoices):
    DEATH = "death", _("死亡")
    IMPRISONMENT = "imprisonment", _("服刑")
    PUBLIC_PAYROLL = "public_payroll", _("财政供养")
    INCOME_CHANGE = "income_change", _("收入变化")
    OTHER = "other", _("其他")


class RecoveryStatus(models.TextChoices):
    OPEN = "open", _("待还款")
    REPAYING = "repaying", _("分期还款中")
    REPAID = "repaid", _("已追回")
    WRITE_OFF_PROPOSED = "write_off_proposed", _("核销待批准")
    WRITTEN_OFF = "written_off", _("已核销")


class RecoveryOrder(TimeStampedModel):
    """追回: money paid after the event that ended the entitlement, from the event to the stop,
    with the payments it counts (``basis``), the repayment plan and what was repaid."""

    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="recovery_orders")
    person = models.ForeignKey("registry.Person", verbose_name=_("涉及人员"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    anomaly = models.ForeignKey(Anomaly, verbose_name=_("异常线索"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="recovery_orders")
    event = models.CharField(_("事由"), max_length=16, choices=RecoveryEvent.choices)
    event_date = models.DateField(_("事由发生日期"))
    stop_date = models.DateField(_("停发日期"))
    amount_fen = models.BigIntegerField(_("应追回金额(分)"))
    basis = models.JSONField(_("计算依据"), default=list)
    instalments_planned = models.PositiveSmallIntegerField(_("分期期数"), default=1)
    instalment_fen = models.BigIntegerField(_("每期金额(分)"))
    repaid_fen = models.BigIntegerField(_("已还金额(分)"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下达人"), on_delete=models.PROTECT,
                                   related_name="+")
    write_off_reason = models.TextField(_("核销理由"), blank=True)
    write_off_proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核销提出人"),
                                              on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    write_off_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核销批准人"),
                                              on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("追回单")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(condition=Q(stop_date__gte=models.F("event_date")), name="recovery_stop_after_event"),
            models.CheckConstraint(condition=Q(repaid_fen__gte=0) & Q(repaid_fen__lte=models.F("amount_fen")),
                                   name="recovery_repaid_within_amount"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"ZH{self.pk:08d}"

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.repaid_fen


class RecoveryInstalment(models.Model):
    """One repayment recorded against an order."""

    order = models.ForeignKey(RecoveryOrder, verbose_name=_("追回单"), on_delete=models.PROTECT,
                              related_name="instalments")
    paid_on = models.DateField(_("还款日期"))
    amount_fen = models.BigIntegerField(_("金额(分)"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "paid_on", "id"]
        verbose_name = _("还款记录")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="instalment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.paid_on} {self.amount_fen}"
