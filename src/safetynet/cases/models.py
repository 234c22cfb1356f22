"""Assistance cases (救助申请与审批): the case, its timeline and what hangs off each step."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import EncryptedCharField
from safetynet.core.models import TimeStampedModel


class Programme(models.TextChoices):
    DIBAO = "dibao", _("最低生活保障")
    TEKUN = "tekun", _("特困人员救助供养")
    LOW_INCOME_MARGIN = "low_income_margin", _("低保边缘/低收入家庭")
    TEMPORARY_ASSISTANCE = "temporary_assistance", _("临时救助")
    MEDICAL_ASSISTANCE = "medical_assistance", _("医疗救助")
    DISABILITY_SUBSIDIES = "disability_subsidies", _("残疾人两项补贴")


#: The monthly cash programmes (a household on the roll of one is paid every month), as plain codes.
CASH_PROGRAMMES = tuple(p.value for p in (Programme.DIBAO, Programme.TEKUN, Programme.LOW_INCOME_MARGIN))


class Channel(models.TextChoices):
    ONLINE = "online", _("网上自助申请")
    WINDOW = "window", _("窗口申请")
    PROXY = "proxy", _("代办申请")
    ACTIVE_DISCOVERY = "active_discovery", _("主动发现")
    REFERRAL = "referral", _("转介")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    EMERGENCY_AID = "emergency_aid", _("先行救助")
    VERIFICATION = "verification", _("经济状况核对")
    HOME_VISIT = "home_visit", _("入户调查")
    REVIEW = "review", _("审核")
    PUBLIC_NOTICE = "public_notice", _("公示")
    PENDING_CONFIRMATION = "pending_confirmation", _("待经办人确认")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    ACTIVE = "active", _("享受救助")
    PERIODIC_REVIEW = "periodic_review", _("动态复核")
    SUSPENDED = "suspended", _("暂停发放")
    GRADUAL_EXIT = "gradual_exit", _("渐退期")
    EXITED = "exited", _("已退出")
    APPEALED = "appealed", _("复查申请中")


#: Steps where nothing more happens unless the applicant appeals.
CLOSED_STATUSES = frozenset({Status.NOT_ACCEPTED, Status.REFUSED, Status.EXITED})
#: Decisions against the applicant: only a named officer, with a reason, may make them.
ADVERSE_STATUSES = CLOSED_STATUSES


class Attachment(models.Model):
    """A file kept under MEDIA_ROOT; the database holds its path, size, type and SHA-256."""

    case = models.ForeignKey(
        "Case", verbose_name=_("案件"), on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    kind = models.CharField(_("材料类型"), max_length=32, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200)
    path = models.CharField(_("存储路径"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("字节数"))
    content_type = models.CharField(_("文件类型"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("附件")
        indexes = [models.Index(fields=["case", "id"], name="attachment_case")]

    def __str__(self) -> str:
        return self.original_name


class ProxyMandate(TimeStampedModel):
    """A recorded authorisation (委托书) for someone to apply and follow a case for the grantor."""

    grantor = models.ForeignKey(
        "registry.Person", verbose_name=_("委托人"), on_delete=models.PROTECT, related_name="mandates_given"
    )
    proxy_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受托账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mandates_held",
    )
    proxy_name = models.CharField(_("受托人姓名"), max_length=64)
    relationship = models.CharField(_("与委托人关系"), max_length=32)
    programmes = models.JSONField(_("委托事项"), default=list, help_text=_("可代办的救助项目，空表示全部"))
    valid_until = models.DateField(_("有效期至"))
    evidence = models.ForeignKey(
        Attachment, verbose_name=_("委托书"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    REGION_FIELD = "grantor__residence_region"

    class Meta:
        ordering = ["id"]
        verbose_name = _("代办委托")

    def __str__(self) -> str:
        return f"{self.proxy_name} → {self.grantor_id}"


class Case(TimeStampedModel):
    """One application for one programme by one household, from filing to exit."""

    programme = models.CharField(_("救助项目"), max_length=32, choices=Programme.choices)
    channel = models.CharField(_("申请渠道"), max_length=20, choices=Channel.choices)
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="cases"
    )
    applicant = models.ForeignKey(
        "registry.Person", verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="cases"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办/提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_filed",
    )
    proxy_mandate = models.ForeignKey(
        ProxyMandate, verbose_name=_("代办委托"), on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    source_ref = models.CharField(
        _("来源编号"), max_length=64, blank=True, help_text=_("主动发现的预警编号或转介编号")
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(_("当前环节"), max_length=24, choices=Status.choices, default=Status.SUBMITTED)
    is_open = models.BooleanField(_("在办"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    emergency = models.BooleanField(_("急难先行救助"), default=False)
    idempotency_key = models.CharField(_("幂等键"), max_length=80, null=True, blank=True, unique=True)
    due_at = models.DateTimeField(_("本环节办结时限"), null=True, blank=True)
    amount_requested = models.DecimalField(_("申请金额"), max_digits=10, decimal_places=2, null=True, blank=True)
    amount_monthly = models.DecimalField(_("核定金额(月)"), max_digits=10, decimal_places=2, null=True, blank=True)
    stable_household = models.BooleanField(
        _("收入稳定家庭"), default=False, help_text=_("决定动态复核周期：稳定家庭每年一次，其他更频繁")
    )
    pending_decision = models.JSONField(
        _("待确认的数据结论"), default=dict, blank=True, help_text=_("数据提出的不予批准/退出建议，须经办人确认")
    )
    description = models.TextField(_("申请事由"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    REGION_FIELD = "region"

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("救助案件")
        indexes = [
            # The workbench queue: open cases of a region, most urgent first.
            models.Index(
                fields=["region", "status", "due_at", "id"], name="case_queue", condition=Q(is_open=True)
            ),
            models.Index(fields=["due_at", "id"], name="case_open_due", condition=Q(is_open=True)),
            models.Index(fields=["applicant", "created_at"], name="case_applicant"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "programme"], condition=Q(is_open=True), name="case_one_open_per_programme"
            ),
            models.CheckConstraint(
                condition=Q(is_open=True) | Q(status__in=sorted(s.value for s in CLOSED_STATUSES)),
                name="case_closed_status_matches",
            ),
            models.CheckConstraint(
                condition=Q(amount_monthly__isnull=True) | Q(amount_monthly__gte=0), name="case_amount_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_programme_display()} #{self.pk}"


class CaseTransition(models.Model):
    """One step of the case's timeline. ``seq`` is the case version it produced: unique per case,
    so two writers that both slipped past the lock could not both commit."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="transitions")
    seq = models.PositiveIntegerField(_("序号"))
    from_status = models.CharField(_("原环节"), max_length=24, blank=True)
    to_status = models.CharField(_("新环节"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    actor_role = models.CharField(_("角色"), max_length=32)
    reason = models.TextField(_("理由"), blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    late = models.BooleanField(_("超时办理"), default=False)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["case_id", "seq"]
        verbose_name = _("案件流转记录")
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_transition_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.seq} {self.from_status}→{self.to_status}"


class HomeVisit(models.Model):
    """入户调查: what the data cannot see, recorded by the person who went."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("调查人"), on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("调查日期"))
    findings = models.JSONField(_("结构化结论"), default=dict)
    notes = models.TextField(_("情况说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "visited_on", "id"]
        verbose_name = _("入户调查")

    def __str__(self) -> str:
        return f"visit {self.case_id} {self.visited_on}"


class PublicNotice(models.Model):
    """公示: a masked notice in the community for a fixed number of days."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="notices")
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示结束"))
    masked_name = models.CharField(_("姓名(脱敏)"), max_length=64)
    masked_id_number = models.CharField(_("身份证号(脱敏)"), max_length=18)
    text = models.TextField(_("公示内容"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["case_id", "starts_at", "id"]
        verbose_name = _("公示")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="notice_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"notice {self.case_id} {self.masked_name}"


class Objection(models.Model):
    """An objection raised during a public notice, and what was done about it."""

    notice = models.ForeignKey(PublicNotice, verbose_name=_("公示"), on_delete=models.PROTECT, related_name="objections")
    raised_by = models.CharField(_("异议人"), max_length=64, blank=True, help_text=_("可匿名"))
    content = models.TextField(_("异议内容"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("受理时间"))
    resolution = models.TextField(_("核实结论"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("核实人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("核实时间"), null=True, blank=True)

    class Meta:
        ordering = ["notice_id", "received_at", "id"]
        verbose_name = _("公示异议")

    def __str__(self) -> str:
        return f"objection {self.pk}"


class Appeal(models.Model):
    """A request to look again at an adverse decision (复查/申诉)."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="appeals")
    against_status = models.CharField(_("针对的决定"), max_length=24)
    reason = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("提出时间"))
    outcome = models.CharField(_("结果"), max_length=16, blank=True, help_text=_("rereview 重新审核 / upheld 维持"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        ordering = ["case_id", "filed_at", "id"]
        verbose_name = _("复查申请")

    def __str__(self) -> str:
        return f"appeal {self.case_id} against {self.against_status}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutboxChannel(models.TextChoices):
    SMS = "sms", _("短信")
    APP = "app", _("App 消息")


class OutboxMessage(models.Model):
    """A notification waiting to leave. Written in the same transaction as the change it reports,
    so a rolled-back change never notifies and a committed one is never lost."""

    channel = models.CharField(_("渠道"), max_length=8, choices=OutboxChannel.choices)
    # A phone number for SMS: sealed at rest (core.fields).
    recipient = EncryptedCharField(_("接收方"), max_length=64, purpose="cases.outboxmessage.recipient")
    template = models.CharField(_("模板"), max_length=64)
    payload = models.JSONField(_("内容参数"), default=dict)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=120, unique=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("待发消息")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="outbox_pending", condition=Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.status})"
