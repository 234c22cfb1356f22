from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class AlertKind(models.TextChoices):
    TRIGGER = "trigger", _("触发式")
    POINTS = "points", _("积分式")
    COVERAGE = "coverage", _("应保尽保")
    MODEL = "model", _("模型预警")
    SAMPLE = "sample", _("抽样核查")


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
    # Dispatch under capacity: the risk the model gave (expected find per visit), why, and when the
    # alert went to a worker; an open alert not yet dispatched waits in the ranked backlog.
    risk = models.FloatField(_("预计发现困难概率"), null=True, blank=True)
    risk_reasons = models.JSONField(_("排序依据"), default=list, blank=True)
    risk_model = models.ForeignKey("RiskModel", verbose_name=_("风险模型"), on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="alerts")
    mandatory = models.BooleanField(_("必派"), default=False)
    # The probability with which dispatch chose this visit (1 for a ranked or mandatory one, less
    # for a sampled one): its outcome stands for 1/inclusion households (Horvitz–Thompson).
    inclusion = models.FloatField(_("入样概率"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)

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


class VisitFinding(models.TextChoices):
    NEEDS_HELP = "needs_help", _("确有困难，需要救助")
    NO_NEED = "no_need", _("经核实无需救助")
    UNREACHABLE = "unreachable", _("未能见到家庭")


class VisitReason(models.TextChoices):
    HIDDEN_INCOME = "hidden_income", _("有未登记的收入")
    FAMILY_SUPPORT = "family_support", _("有家人赡养/扶养")
    ASSETS = "assets", _("有财产")
    MOVED = "moved", _("已搬离")
    DECEASED = "deceased", _("已去世")
    INCOME_LOW = "income_low", _("收入确实低于标准")
    HIGH_EXPENSES = "high_expenses", _("刚性支出大（医疗、教育等）")
    NO_LABOUR = "no_labour", _("无劳动能力或需要照护")


class HiddenIncomeKind(models.TextChoices):
    FARMING = "farming", _("种养殖收入")
    INFORMAL_WORK = "informal_work", _("零工/灵活就业")
    BUSINESS = "business", _("经营收入")
    RENT = "rent", _("租金")
    OTHER = "other", _("其他")


class VisitOutcome(TimeStampedModel):
    """入户走访结论 (structured): what the visit found, the reasons and the figures, one per visit.

    Its figures are also kept as :class:`VisitFact` rows citing this visit, for the household
    picture and for verification; the risk model learns from ``finding``."""

    alert = models.ForeignKey(Alert, verbose_name=_("预警"), on_delete=models.PROTECT, related_name="visit_outcomes")
    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="visit_outcomes")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT,
                                related_name="+")
    visited_on = models.DateField(_("走访日期"))
    finding = models.CharField(_("走访结论"), max_length=12, choices=VisitFinding.choices)
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    hidden_income_kind = models.CharField(_("未登记收入类型"), max_length=16, choices=HiddenIncomeKind.choices,
                                          blank=True)
    hidden_income_monthly = models.DecimalField(_("未登记月收入(元)"), max_digits=12, decimal_places=2, null=True,
                                                blank=True)
    family_support_monthly = models.DecimalField(_("家人月资助(元)"), max_digits=12, decimal_places=2, null=True,
                                                 blank=True)
    assets_value = models.DecimalField(_("财产价值(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("情况说明"), blank=True)

    class Meta:
        ordering = ["visited_on", "id"]
        verbose_name = _("走访结论")
        constraints = [models.UniqueConstraint(fields=["alert"], name="visit_outcome_one_per_alert")]


class VisitFact(TimeStampedModel):
    """One figure a visit found (a fact whose source is the visit, not a department)."""

    outcome = models.ForeignKey(VisitOutcome, verbose_name=_("走访结论"), on_delete=models.PROTECT,
                                related_name="facts")
    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="visit_facts")
    kind = models.CharField(_("类别"), max_length=12)  # income / asset / flag, as verification's facts
    category = models.CharField(_("项目"), max_length=32)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    as_of = models.DateField(_("截至日期"))
    source = models.CharField(_("来源"), max_length=24, default="home_visit")

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["household_id", "as_of", "id"]
        verbose_name = _("走访事实")


class RiskModel(TimeStampedModel):
    """One trained risk model: its training period, outcomes, metrics, fairness and artefact."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    period_start = models.DateField(_("训练数据起"), null=True, blank=True)
    period_end = models.DateField(_("训练数据止"), null=True, blank=True)
    outcomes = models.PositiveIntegerField(_("走访结果数"))
    threshold = models.FloatField(_("派单阈值"))
    metrics = models.JSONField(_("指标"), default=dict)
    fairness = models.JSONField(_("公平性"), default=dict)
    features = models.JSONField(_("特征"), default=list)
    artefact = models.CharField(_("模型文件"), max_length=255)
    sha256 = models.CharField(max_length=64)
    promoted = models.BooleanField(_("已启用"), default=False)
    promoted_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("风险模型")

    def __str__(self) -> str:
        return f"v{self.version}"


class VisitCapacity(TimeStampedModel):
    """Weekly home-visit capacity of a community (社区每周走访能力); the default is a setting."""

    region = models.OneToOneField("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT,
                                  related_name="visit_capacity")
    weekly_visits = models.PositiveIntegerField(_("每周走访户数"))

    REGION_FIELD = "region"

    class Meta:
        ordering = ["region_id"]
        verbose_name = _("走访能力")


class AlertAttachment(TimeStampedModel):
    """A photo or document from the visit to an alert's household (走访照片和材料): checked by
    content, size and SHA-256 (``core.uploads``) and stored under MEDIA_ROOT."""

    alert = models.ForeignKey(Alert, verbose_name=_("预警"), on_delete=models.PROTECT, related_name="attachments")
    original_name = models.CharField(_("原文件名"), max_length=200)
    path = models.CharField(_("存储路径"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("字节数"))
    content_type = models.CharField(_("文件类型"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("走访照片和材料")

    def __str__(self) -> str:
        return self.original_name


class LearningEnd(models.TextChoices):
    HELD = "held", _("估计查全率连续达标")
    BUDGET = "budget", _("学习期已用满")
    RESTARTED = "restarted", _("重新开始学习期")


class LearningPhase(TimeStampedModel):
    """学习期 (``model.learning``): while the recall of the model's visits, estimated from visit
    outcomes alone, is below the target, each run's spare slots go to a probability sample of the
    rest of the pool. It starts with the first promoted model (or when restarted); it ends when the
    estimate held the target for ``hold`` months in a row, or after ``budget`` months."""

    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=12, choices=LearningEnd.choices, blank=True)
    target = models.FloatField(_("目标查全率"))
    hold = models.PositiveSmallIntegerField(_("连续达标月数"))
    budget = models.PositiveSmallIntegerField(_("学习期上限(月)"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("学习期")
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__isnull=True, end_reason="")
                                   | Q(ended_on__isnull=False) & ~Q(end_reason=""), name="learning_phase_end_reason"),
        ]


class LearningPeriod(TimeStampedModel):
    """One month of a learning phase (the evaluation's month): its visits, and the recall estimate
    computed once every one of them has an outcome."""

    phase = models.ForeignKey(LearningPhase, verbose_name=_("学习期"), on_delete=models.PROTECT, related_name="periods")
    month = models.DateField(_("月份"))  # the first day of the month
    estimate = models.JSONField(_("估计查全率"), null=True, blank=True)
    estimated_at = models.DateTimeField(_("估计时间"), null=True, blank=True)

    class Meta:
        ordering = ["phase_id", "month"]
        verbose_name = _("学习期月份")
        constraints = [models.UniqueConstraint(fields=["phase", "month"], name="learning_period_one_per_month")]


class LearningVisit(TimeStampedModel):
    """A visit a learning run sent: an operating one (what the precision target chose) or a sample
    one (drawn with ``inclusion``), with the household's cell (rural/urban × district) at the draw."""

    period = models.ForeignKey(LearningPeriod, verbose_name=_("学习期月份"), on_delete=models.PROTECT,
                               related_name="visits")
    run = models.ForeignKey(MonitorRun, verbose_name=_("监测批次"), on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(Alert, verbose_name=_("预警"), on_delete=models.PROTECT, related_name="learning_visits")
    sample = models.BooleanField(_("抽样走访"))
    inclusion = models.FloatField(_("入样概率"))
    cell = models.CharField(_("分层"), max_length=160, blank=True)

    REGION_FIELD = "alert__household__region"

    class Meta:
        ordering = ["period_id", "id"]
        verbose_name = _("学习期走访")
        constraints = [models.UniqueConstraint(fields=["period", "alert"], name="learning_visit_once_per_period")]
