"""The public side's records: service windows (办事窗口) and complaints and reports (接诉即办).

A self-check stores nothing, and the policy corpus is a file of the app (``policy/corpus.yaml``),
so these are the only tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import EncryptedCharField
from safetynet.core.models import TimeStampedModel


class ServiceWindow(TimeStampedModel):
    """Where to apply in person: the social-assistance window of a street, county or city."""

    region = models.OneToOneField(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="service_window"
    )
    name = models.CharField(_("窗口名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("咨询电话"), max_length=32)
    hours = models.CharField(_("办公时间"), max_length=100, default="工作日 9:00–12:00，13:30–17:30")

    REGION_FIELD = "region"

    class Meta:
        ordering = ["region__code"]

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("服务投诉")
    REPORT = "report", _("违规举报")


class Category(models.TextChoices):
    """Each category has a deadline in working days and a handling level (see ``complaints.CATEGORIES``)."""

    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    DELAY = "delay", _("办理拖延")
    DECISION = "decision", _("对认定结果有意见")
    PAYMENT = "payment", _("救助金发放")
    MISUSE = "misuse", _("不符合条件却享受救助")
    STAFF_MISCONDUCT = "staff_misconduct", _("工作人员违规（优亲厚友等）")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已登记")
    IN_PROGRESS = "in_progress", _("办理中")
    ANSWERED = "answered", _("已办结")


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实，已处理")
    PARTLY = "partly", _("部分属实，已处理")
    NOT_SUBSTANTIATED = "not_substantiated", _("经核查不属实")
    EXPLAINED = "explained", _("已解释说明")


class Complaint(TimeStampedModel):
    """A complaint about service or a report of misuse, followed by its tracking number.

    The reporter's name and phone are kept for the supervisors only (``portal.complaint_reporter_view``);
    the tracking page and handling officers never see them.
    """

    number = models.CharField(_("受理编号"), max_length=24, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    category = models.CharField(_("类别"), max_length=24, choices=Category.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("事发地"), on_delete=models.PROTECT, related_name="+"
    )
    handling_region = models.ForeignKey(
        "regions.Region", verbose_name=_("承办单位所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    anonymous = models.BooleanField(_("匿名"), default=False)
    # Sealed at rest (core.fields): who reported is for the supervisors only.
    reporter_name = EncryptedCharField(_("反映人姓名"), max_length=64, blank=True, purpose="portal.complaint.reporter_name")
    reporter_phone = EncryptedCharField(_("反映人电话"), max_length=20, blank=True, purpose="portal.complaint.reporter_phone")
    attachment_path = models.CharField(_("附件"), max_length=300, blank=True)
    attachment_sha256 = models.CharField(_("附件 SHA-256"), max_length=64, blank=True)
    attachment_type = models.CharField(_("附件类型"), max_length=64, blank=True)
    attachment_size = models.PositiveIntegerField(_("附件字节数"), default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    due_at = models.DateTimeField(_("办理时限"))
    escalation_level = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    escalated_at = models.DateTimeField(_("最近督办时间"), null=True, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=24, choices=Outcome.choices, blank=True)
    reply = models.TextField(_("答复"), blank=True)
    answered_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    answered_late = models.BooleanField(_("超期办结"), default=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    REGION_FIELD = "handling_region"

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("投诉举报")
        indexes = [
            models.Index(fields=["handling_region", "status", "due_at"], name="complaint_queue"),
            models.Index(fields=["due_at"], name="complaint_open_due", condition=~Q(status="answered")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=True, reporter_name="", reporter_phone="") | Q(anonymous=False),
                name="complaint_anonymous_has_no_identity",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | (Q(answered_at__isnull=False) & ~Q(outcome="") & ~Q(reply="")),
                name="complaint_answered_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ComplaintEvent(models.Model):
    """One step of a complaint, in order. ``public`` steps are shown on the tracking page."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=24)
    text = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["complaint", "seq"]
        constraints = [models.UniqueConstraint(fields=["complaint", "seq"], name="complaint_event_seq")]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.seq} {self.kind}"
