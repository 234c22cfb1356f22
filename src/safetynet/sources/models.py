from django.db import models
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import EncryptedJSONField
from safetynet.core.models import TimeStampedModel


class BatchStatus(models.TextChoices):
    LANDED = "landed", _("已入库")
    HELD = "held", _("暂扣待确认")
    REJECTED = "rejected", _("已拒收")


class SourceBatch(TimeStampedModel):
    """One file a department sent (数据批次), landed as immutable Parquet in the lake.

    Counts reconcile: ``received == accepted + quarantined``. A newer batch of a snapshot source
    supersedes the one before it; the older batch's file is never rewritten.

    A batch that fails the supersession check (or accepts no row) is ``held``: its rows are in the
    lake but no reader sees them, and it replaces nothing, until a data steward confirms it
    (it lands then) or rejects it. ``duplicates`` and ``conflicts`` are among ``quarantined``.
    """

    batch_id = models.CharField(_("批次号"), max_length=64, unique=True)
    source = models.CharField(_("数据源"), max_length=64, db_index=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_format = models.CharField(_("格式"), max_length=16)
    content_sha256 = models.CharField(_("内容哈希"), max_length=64)
    as_of = models.DateField(_("数据截至日期"))
    received = models.PositiveIntegerField(_("收到行数"))
    accepted = models.PositiveIntegerField(_("入库行数"))
    quarantined = models.PositiveIntegerField(_("隔离行数"))
    lake_path = models.CharField(_("湖中路径"), max_length=500)
    superseded_by = models.ForeignKey(
        "self", verbose_name=_("被替代于"), on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    submitted_by = models.ForeignKey(
        "accounts.User", verbose_name=_("提交人"), on_delete=models.PROTECT, null=True, blank=True
    )
    seconds = models.FloatField(_("耗时(秒)"), default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.LANDED, db_index=True
    )
    #: Why the batch is held: ``[{"code", "message"}]`` (empty for a batch that landed at once).
    hold_reasons = models.JSONField(_("暂扣原因"), default=list, blank=True)
    #: Columns the file had beyond the catalogue's, kept beside the batch (``extra_path``).
    extra_columns = models.JSONField(_("多出的列"), default=list, blank=True)
    extra_path = models.CharField(_("多出列的存放路径"), max_length=500, blank=True)
    #: The record-linkage model (Splink JSON) trained for and used by this batch, so a link can be
    #: reproduced and its match weights shown; null when no row needed linking.
    linkage_model = models.JSONField(_("匹配模型"), null=True, blank=True)
    duplicates = models.PositiveIntegerField(_("重复行"), default=0)
    conflicts = models.PositiveIntegerField(_("冲突行"), default=0)
    #: When the batch became readable (at ingestion, or when a held batch was confirmed).
    landed_at = models.DateTimeField(_("生效时间"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        "accounts.User", verbose_name=_("确认人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decision_note = models.TextField(_("确认意见"), blank=True)

    class Meta:
        ordering = ["-as_of", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "content_sha256"], name="one_batch_per_file_content"),
            models.CheckConstraint(
                condition=models.Q(received=models.F("accepted") + models.F("quarantined")),
                name="batch_counts_reconcile",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(superseded_by__isnull=True, landed_at__isnull=True),
                name="held_batch_neither_landed_nor_superseded",
            ),
        ]
        indexes = [models.Index(fields=["source", "as_of"], name="batch_source_asof")]

    def __str__(self) -> str:
        return self.batch_id


class QuarantinedRow(models.Model):
    """A row that failed validation, kept with its exact reason (隔离区). Never dropped."""

    batch = models.ForeignKey(SourceBatch, on_delete=models.PROTECT, related_name="quarantine")
    row_number = models.PositiveIntegerField(_("行号"), help_text=_("文件中的数据行序号，从1开始"))
    reason_code = models.CharField(_("原因代码"), max_length=64, db_index=True)
    reason = models.TextField(_("原因"))
    # The row as sent, ID numbers and names included: sealed at rest (core.fields).
    raw = EncryptedJSONField(_("原始内容"), default=dict, purpose="sources.quarantinedrow.raw")
    #: Set when a clerk's confirmed link landed the row into its batch (the row stays here as history).
    relanded_at = models.DateTimeField(_("补录入库时间"), null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number"]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.row_number}: {self.reason_code}"


class LinkReviewStatus(models.TextChoices):
    PENDING = "pending", _("待核对")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已否定")


class LinkReview(TimeStampedModel):
    """A quarantined row whose ID number was wrong and whose probabilistic link to a registry
    person was not confident enough to accept (人工核对队列). A clerk confirms the person or
    rejects the link; the row itself stays quarantined in its immutable batch."""

    batch = models.ForeignKey(SourceBatch, on_delete=models.PROTECT, related_name="link_reviews")
    row_number = models.PositiveIntegerField(_("行号"))
    candidate = models.ForeignKey(
        "registry.Person", verbose_name=_("候选人员"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    probability = models.FloatField(_("匹配概率"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=LinkReviewStatus.choices, default=LinkReviewStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        "accounts.User", verbose_name=_("核对人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("核对时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["batch_id", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="one_link_review_per_row"),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="link_review_decided_at_iff_decided",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed") | models.Q(candidate__isnull=False),
                name="link_review_confirmed_has_person",
            ),
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True) | models.Q(probability__gte=0, probability__lte=1),
                name="link_review_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.row_number}: {self.status}"
