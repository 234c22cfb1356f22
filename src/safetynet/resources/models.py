"""The resource network (融救联助): providers and their resources (救助资源目录), each household's
needs (需求画像), the packages the optimiser proposes (救助包) and the referrals (转介) that carry a
package to the providers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class NeedCategory(models.TextChoices):
    BASIC_LIVING = "basic_living", _("基本生活")
    MEDICAL = "medical", _("医疗")
    EDUCATION = "education", _("教育")
    DISABILITY_CARE = "disability_care", _("残疾康复与照护")
    ELDERLY_CARE = "elderly_care", _("养老照护")
    HOUSING = "housing", _("住房")
    EMPLOYMENT = "employment", _("就业")
    FAMILY_SUPPORT = "family_support", _("心理与家庭支持")


#: The optimiser's column order of need categories.
CATEGORIES: tuple[str, ...] = tuple(NeedCategory.values)


class Severity(models.IntegerChoices):
    LIGHT = 1, _("轻度")
    MODERATE = 2, _("中度")
    SEVERE = 3, _("重度")
    CRITICAL = 4, _("危急")


class ProviderKind(models.TextChoices):
    DEPARTMENT = "department", _("政府部门")
    SOCIAL_ORG = "social_org", _("社会组织")


class Provider(TimeStampedModel):
    """A department (部门) or social organisation (社会组织) offering help in a region."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=12, choices=ProviderKind.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("服务区划"), on_delete=models.PROTECT,
                               related_name="providers")
    contact = models.CharField(_("联系电话"), max_length=40, blank=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("经办人员"), blank=True,
                                   related_name="providers")

    REGION_FIELD = "region"

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("资源提供方")

    @property
    def is_public(self) -> bool:
        return self.kind == ProviderKind.DEPARTMENT

    def __str__(self) -> str:
        return self.name


class ResourceKind(models.TextChoices):
    CASH = "cash", _("现金")
    IN_KIND = "in_kind", _("实物")
    SERVICE_HOURS = "service_hours", _("服务时长")
    PLACE = "place", _("名额/床位")
    JOB = "job", _("就业岗位")
    TRAINING = "training", _("培训")
    MEDICAL = "medical", _("医疗")
    HOUSING = "housing", _("住房")
    CARE = "care", _("照护")


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("停用")


class Resource(TimeStampedModel):
    """One form of help on offer (救助资源), per month: ``capacity`` households, ``budget_fen`` in
    total (null: no money budget), ``unit_cost_fen`` per household.

    ``meets`` says which needs it meets and how well: ``{"medical": 100, "basic_living": 30}``
    (per cent of the need). ``conditions`` are eligibility tests on the rules' variables:
    ``[{"variable": "dibao_eligible", "op": "eq", "value": 1}]`` (see :mod:`.eligibility`)."""

    provider = models.ForeignKey(Provider, verbose_name=_("提供方"), on_delete=models.PROTECT,
                                 related_name="resources")
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("形式"), max_length=16, choices=ResourceKind.choices)
    description = models.TextField(_("说明"), blank=True)
    unit = models.CharField(_("计量单位"), max_length=20, default="户")
    unit_cost_fen = models.BigIntegerField(_("单位成本（分）"), default=0)
    capacity = models.PositiveIntegerField(_("每月可服务户数"))
    budget_fen = models.BigIntegerField(_("每月预算（分）"), null=True, blank=True)
    service_area = models.ForeignKey("regions.Region", verbose_name=_("服务范围"), on_delete=models.PROTECT,
                                     related_name="resources")
    meets = models.JSONField(_("满足的需求"), default=dict)
    conditions = models.JSONField(_("申领条件"), default=list, blank=True)
    exclusive_with = models.ManyToManyField("self", verbose_name=_("不得同时享受"), blank=True, symmetrical=True)
    requires = models.ManyToManyField("self", verbose_name=_("须先享受"), blank=True, symmetrical=False,
                                      related_name="required_by")
    accept_days = models.PositiveSmallIntegerField(_("接收时限（工作日）"), default=3)
    deliver_days = models.PositiveSmallIntegerField(_("提供时限（工作日）"), default=10)
    status = models.CharField(_("状态"), max_length=8, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE)

    REGION_FIELD = "service_area"

    class Meta:
        ordering = ["provider_id", "code"]
        verbose_name = _("救助资源")
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost_fen__gte=0), name="resource_cost_not_negative"),
            models.CheckConstraint(condition=Q(budget_fen__isnull=True) | Q(budget_fen__gte=0),
                                   name="resource_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("已退回")


class ResourceChange(TimeStampedModel):
    """A proposed new resource or change to one (``resource`` null: new). A social
    organisation's change takes effect at once; a public department's waits for a second person
    (双人复核) — the whole history stays."""

    provider = models.ForeignKey(Provider, verbose_name=_("提供方"), on_delete=models.PROTECT,
                                 related_name="changes")
    resource = models.ForeignKey(Resource, verbose_name=_("资源"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="changes")
    data = models.JSONField(_("提出的内容"))
    status = models.CharField(_("状态"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT,
                                    null=True, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("复核人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_note = models.CharField(_("复核意见"), max_length=500, blank=True)

    REGION_FIELD = "provider__region"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("资源变更")


class NeedSource(models.TextChoices):
    FACT = "fact", _("核对事实")
    INDICATOR = "indicator", _("监测指标")
    VISIT = "visit", _("入户走访")
    CASE = "case", _("在办案件")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("未满足")
    MET = "met", _("已满足")
    WITHDRAWN = "withdrawn", _("已撤销")


class Need(TimeStampedModel):
    """One need of a household in one category, from one source, with the reason in plain words
    (``explanation``) and where it came from (``source_ref``: a report, alert, visit or case)."""

    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="needs")
    category = models.CharField(_("需求类别"), max_length=20, choices=NeedCategory.choices)
    severity = models.PositiveSmallIntegerField(_("严重程度"), choices=Severity.choices)
    source = models.CharField(_("来源"), max_length=10, choices=NeedSource.choices)
    source_ref = models.CharField(_("来源记录"), max_length=64, blank=True)
    explanation = models.CharField(_("依据"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    met_at = models.DateTimeField(_("满足时间"), null=True, blank=True)
    met_by = models.ForeignKey("Referral", verbose_name=_("由转介满足"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="needs_met")

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["household_id", "-severity", "category", "id"]
        verbose_name = _("需求")
        constraints = [
            models.UniqueConstraint(fields=["household", "category", "source"], condition=Q(status="open"),
                                    name="need_one_open_per_source"),
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="need_severity_1_4"),
        ]
        indexes = [models.Index(fields=["status", "category"], name="need_status_category")]


class PackageStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    ACCEPTED = "accepted", _("已确认转介")
    WITHDRAWN = "withdrawn", _("已撤回")


class Package(TimeStampedModel):
    """A package of resources (救助包) proposed for a household for one month. ``explanation`` holds
    the optimiser's reason for every resource considered, chosen or not."""

    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="packages")
    period = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.PROPOSED)
    need_met = models.FloatField(_("满足的加权需求"))
    greedy_need_met = models.FloatField(_("逐项贪心的加权需求"))
    need_total = models.FloatField(_("加权需求合计"))
    bound = models.FloatField(_("上界"))
    gap = models.FloatField(_("最优性差距"))
    method = models.CharField(_("求解方法"), max_length=24)
    seconds = models.FloatField(_("求解耗时（秒）"))
    explanation = models.JSONField(_("选择理由"), default=dict)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT,
                                    null=True, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    resources = models.ManyToManyField(Resource, verbose_name=_("资源"), through="PackageItem")

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("救助包")
        constraints = [
            models.UniqueConstraint(fields=["household", "period"], condition=Q(status__in=["proposed", "accepted"]),
                                    name="package_one_live_per_month"),
        ]

    @property
    def number(self) -> str:
        return f"JZB{self.pk:08d}"


class PackageItem(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    added_by_officer = models.BooleanField(_("经办人调整加入"), default=False)

    class Meta:
        ordering = ["package_id", "resource_id"]
        constraints = [models.UniqueConstraint(fields=["package", "resource"], name="package_item_once")]

    def __str__(self) -> str:
        return f"{self.package_id}:{self.resource_id}"


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    DECLINED = "declined", _("已婉拒")
    DELIVERED = "delivered", _("已提供")
    CLOSED = "closed", _("已反馈结果")


class ReferralOutcome(models.TextChoices):
    MET = "met", _("需求已解决")
    PARTLY = "partly", _("部分解决")
    NOT_MET = "not_met", _("未解决")


#: Referrals that hold a unit of the resource's monthly capacity.
HOLDING_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.DELIVERED, ReferralStatus.CLOSED)
OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class Referral(TimeStampedModel):
    """A household passed to a provider for one resource (转介), with deadlines in working days."""

    package = models.ForeignKey(Package, verbose_name=_("救助包"), on_delete=models.PROTECT, related_name="referrals")
    household = models.ForeignKey("registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="referrals")
    resource = models.ForeignKey(Resource, verbose_name=_("资源"), on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(Provider, verbose_name=_("提供方"), on_delete=models.PROTECT, related_name="referrals")
    period = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    accept_due = models.DateTimeField(_("接收时限"))
    deliver_due = models.DateTimeField(_("提供时限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    declined_at = models.DateTimeField(_("婉拒时间"), null=True, blank=True)
    decline_reason = models.CharField(_("婉拒理由"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("提供时间"), null=True, blank=True)
    delivery_note = models.CharField(_("提供情况"), max_length=300, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=ReferralOutcome.choices, blank=True)
    outcome_note = models.CharField(_("结果说明"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    REGION_FIELD = ("household__region", "provider__region")

    class Meta:
        ordering = ["accept_due", "id"]
        verbose_name = _("转介")
        indexes = [models.Index(fields=["resource", "period", "status"], name="referral_resource_period")]
        constraints = [
            models.UniqueConstraint(fields=["package", "resource"], name="referral_once_per_package"),
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(decline_reason=""),
                                   name="referral_decline_has_reason"),
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(outcome=""), name="referral_closed_has_outcome"),
        ]

    @property
    def number(self) -> str:
        return f"ZJ{self.pk:08d}"

    def __str__(self) -> str:
        return self.number
