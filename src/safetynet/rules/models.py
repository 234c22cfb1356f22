from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ParameterChange(TimeStampedModel):
    """A proposed new value of one region-indexed parameter from a date (参数调整).

    Maker-checker: one person proposes, another approves. Approved changes are applied on top of
    the YAML parameters whenever the rules are built, so payments follow from ``effective_from``
    without anyone editing code. A change is never edited after the decision; a correction is a
    new change.
    """

    path = models.CharField(_("参数路径"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("适用区划"),
        on_delete=models.PROTECT,
        related_name="parameter_changes",
    )
    effective_from = models.DateField(_("生效日期"))
    value = models.DecimalField(_("新值"), max_digits=14, decimal_places=4)
    reference = models.CharField(_("依据文件及条款"), max_length=300)
    reason = models.TextField(_("调整理由"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    REGION_FIELD = "region"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("参数调整")
        indexes = [
            models.Index(fields=["status", "decided_at"], name="paramchange_status"),
            models.Index(fields=["path", "effective_from"], name="paramchange_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ChangeStatus]), name="paramchange_status_valid"
            ),
            # Maker-checker held by the database as well as the service.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="paramchange_not_self_decided",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=ChangeStatus.PROPOSED) & Q(decided_by__isnull=True) & Q(decided_at__isnull=True)
                )
                | (
                    ~Q(status=ChangeStatus.PROPOSED)
                    & Q(decided_by__isnull=False)
                    & Q(decided_at__isnull=False)
                ),
                name="paramchange_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path}@{self.region_id} {self.effective_from}: {self.value}"
