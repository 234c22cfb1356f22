from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import EncryptedCharField
from safetynet.core.models import TimeStampedModel


class Authorisation(TimeStampedModel):
    """A family's signed consent to check their data (授权书): who signed, for which members and
    sources, and until when. No verification runs without one in force."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="authorisations"
    )
    signed_by = models.ForeignKey(
        "registry.Person", verbose_name=_("签署人"), on_delete=models.PROTECT, related_name="signed_authorisations"
    )
    persons = models.ManyToManyField("registry.Person", verbose_name=_("授权成员"), related_name="authorisations")
    sources = models.JSONField(_("授权数据源"), help_text=_("数据源代码列表"))
    signed_on = models.DateField(_("签署日期"))
    valid_until = models.DateField(_("有效期至"))
    document_sha256 = models.CharField(_("授权书文件哈希"), max_length=64, blank=True)
    document_path = models.CharField(
        _("授权书扫描件"), max_length=300, blank=True, help_text=_("MEDIA_ROOT 下的相对路径（按内容寻址）")
    )
    document_content_type = models.CharField(_("扫描件类型"), max_length=64, blank=True)
    recorded_by = models.ForeignKey("accounts.User", verbose_name=_("登记人"), on_delete=models.PROTECT)
    revoked_on = models.DateField(_("撤回日期"), null=True, blank=True)

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=F("signed_on")), name="authorisation_valid_after_signed")
        ]

    def __str__(self) -> str:
        return f"授权书#{self.pk}"


class VerificationReport(TimeStampedModel):
    """The result of one household's check (核对报告): every fact with its source, batch and row,
    the income per head after deductions, and where it stands against the local thresholds."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="verification_reports"
    )
    authorisation = models.ForeignKey(Authorisation, verbose_name=_("授权书"), on_delete=models.PROTECT)
    on = models.DateField(_("核对基准日"))
    requested_by = models.ForeignKey("accounts.User", verbose_name=_("核对人"), on_delete=models.PROTECT)
    purpose = models.CharField(_("核对事由"), max_length=200)
    income_per_head = models.DecimalField(_("家庭月人均收入"), max_digits=12, decimal_places=2)
    result = models.JSONField(_("核对结果"))
    seconds = models.FloatField(_("耗时(秒)"), default=0)

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["household", "-created_at"], name="report_household")]

    def __str__(self) -> str:
        return f"核对报告#{self.pk}"


class CrossRegionStatus(models.TextChoices):
    OPEN = "open", _("待协查")
    ANSWERED = "answered", _("已回复")
    DECLINED = "declined", _("无法协查")


class CrossRegionRequest(TimeStampedModel):
    """A request from one county's verification centre to another's for a person whose facts
    are not in local sources (跨区域协查), tracked against a deadline in working days."""

    from_region = models.ForeignKey(
        "regions.Region", verbose_name=_("请求地"), on_delete=models.PROTECT, related_name="outgoing_requests"
    )
    to_region = models.ForeignKey(
        "regions.Region", verbose_name=_("协查地"), on_delete=models.PROTECT, related_name="incoming_requests"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("申请家庭"), on_delete=models.PROTECT, related_name="cross_region_requests"
    )
    id_number = EncryptedCharField(_("被核对人身份证号码"), max_length=18, purpose="verification.crossregion.id_number")
    name = models.CharField(_("被核对人姓名"), max_length=64)
    items = models.JSONField(_("协查事项"), help_text=_("数据源代码列表"))
    reason = models.CharField(_("事由"), max_length=200)
    requested_by = models.ForeignKey(
        "accounts.User", verbose_name=_("请求人"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("回复期限"))
    status = models.CharField(_("状态"), max_length=16, choices=CrossRegionStatus.choices, default=CrossRegionStatus.OPEN)
    response = models.JSONField(_("协查结果"), null=True, blank=True)
    responded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("回复人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    # Both ends see a request: the requesting county and the one asked.
    REGION_FIELD = ("from_region", "to_region")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["to_region", "status", "due_on"], name="xregion_inbox")]

    def __str__(self) -> str:
        return f"协查#{self.pk}"
