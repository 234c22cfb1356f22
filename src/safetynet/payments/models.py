"""Payments (资金发放): bank accounts, monthly rolls, their lines, bank files and return files.

Money is integer fen everywhere (``*_fen`` BigIntegerFields). A roll's lines are written when it is
generated and may change only while it is a draft (a held line released by a named officer);
from approval on they are never updated: a correction is a new line (a re-issue in a
supplementary roll). What the bank did with a line is a :class:`PaymentResult` beside it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import BlindIndexField, EncryptedBinaryField, EncryptedCharField, SealedQuerySet
from safetynet.core.models import TimeStampedModel


class Bank(models.TextChoices):
    ICBC = "ICBC", _("中国工商银行")
    ABC = "ABC", _("中国农业银行")
    CCB = "CCB", _("中国建设银行")
    BOC = "BOC", _("中国银行")
    PSBC = "PSBC", _("中国邮政储蓄银行")
    RCB = "RCB", _("农村商业银行")


def mask_account(number: str) -> str:
    """``6222021234567890123`` → ``6222 **** **** 0123``: bank prefix and last four only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]} **** **** {number[-4:]}"


class BankAccount(TimeStampedModel):
    """An account a household's benefit is paid into (收款账户), held by a registry person.

    ``account_number`` is encrypted at rest (its blind index finds equal accounts); pages and the
    API show only :attr:`masked`. A correction closes the old row and adds a new one.
    """

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="bank_accounts"
    )
    holder = models.ForeignKey(
        "registry.Person", verbose_name=_("户名(持卡人)"), on_delete=models.PROTECT, related_name="bank_accounts"
    )
    bank = models.CharField(_("开户银行"), max_length=8, choices=Bank.choices)
    account_number = EncryptedCharField(_("账号"), max_length=32, purpose="payments.bankaccount.account_number",
                                        index="account_number_index")
    account_number_index = BlindIndexField(source="account_number", kind="account")

    objects = SealedQuerySet.as_manager()
    opened_on = models.DateField(_("登记日期"))
    closed_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    closed_reason = models.CharField(_("停用原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    REGION_FIELD = "household__region"

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("收款账户")
        indexes = [models.Index(fields=["account_number_index"], name="bank_account_number")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(closed_at__isnull=True), name="bank_account_one_open_per_household"
            ),
        ]

    @property
    def masked(self) -> str:
        return mask_account(self.account_number)

    def __str__(self) -> str:
        return f"{self.get_bank_display()} {self.masked}"


class RollStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待复核")
    APPROVED = "approved", _("已批准")
    EXPORTED = "exported", _("已生成银行文件")
    RECONCILED = "reconciled", _("已对账")


#: Statuses in which the roll's lines are final (approved, immutable).
FINAL_STATUSES = (RollStatus.APPROVED, RollStatus.EXPORTED, RollStatus.RECONCILED)


class PaymentRoll(TimeStampedModel):
    """One month's roll (发放名册) of one programme in one county; ``sequence`` 1 is the regular
    roll, 2… supplementary rolls (re-issues after failed payments)."""

    month = models.DateField(_("发放月份"), help_text=_("当月第一天"))
    programme = models.CharField(_("救助项目"), max_length=32)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区县"), on_delete=models.PROTECT, related_name="payment_rolls"
    )
    sequence = models.PositiveSmallIntegerField(_("批次"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=RollStatus.choices, default=RollStatus.DRAFT)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制表人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交复核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    summary = models.JSONField(_("生成说明"), default=dict, blank=True)

    REGION_FIELD = "region"

    class Meta:
        ordering = ["-month", "programme", "region_id", "sequence"]
        verbose_name = _("发放名册")
        constraints = [
            models.UniqueConstraint(fields=["month", "programme", "region", "sequence"], name="roll_unique"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("made_by")), name="roll_maker_not_checker"
            ),
        ]

    @property
    def number(self) -> str:
        return f"FF{self.month:%Y%m}{self.pk:06d}"

    def __str__(self) -> str:
        return self.number


class LineKind(models.TextChoices):
    REGULAR = "regular", _("当月")
    ARREARS = "arrears", _("补发")
    ADJUSTMENT = "adjustment", _("差额调整")
    REISSUE = "reissue", _("重新发放")


class HoldReason(models.TextChoices):
    NONE = "", _("无")
    DECEASED = "deceased", _("家庭成员已死亡")
    IMPRISONED = "imprisoned", _("家庭成员正在服刑")
    PUBLIC_PAYROLL = "public_payroll", _("家庭成员为财政供养人员")
    NO_ACCOUNT = "no_account", _("无有效收款账户")


class PaymentLine(models.Model):
    """One payment to one household for one month (发放明细)."""

    roll = models.ForeignKey(PaymentRoll, verbose_name=_("名册"), on_delete=models.PROTECT, related_name="lines")
    case = models.ForeignKey("cases.Case", verbose_name=_("救助案件"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey("registry.Person", verbose_name=_("领取人"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        BankAccount, verbose_name=_("收款账户"), on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    kind = models.CharField(_("类别"), max_length=12, choices=LineKind.choices)
    period = models.DateField(_("所属月份"))
    amount_fen = models.BigIntegerField(_("金额(分)"))
    basis = models.JSONField(_("依据"), default=dict, help_text=_("批准决定的流转序号、时间和核定金额"))
    hold_reason = models.CharField(_("暂缓原因"), max_length=16, choices=HoldReason.choices, blank=True, default="")
    hold_evidence = models.JSONField(_("暂缓依据"), default=list, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("解除暂缓人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    released_note = models.CharField(_("解除暂缓说明"), max_length=300, blank=True)
    reissue_of = models.OneToOneField(
        "self", verbose_name=_("重发的原明细"), on_delete=models.PROTECT, null=True, blank=True, related_name="reissue"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["roll_id", "id"]
        verbose_name = _("发放明细")
        indexes = [models.Index(fields=["case", "period"], name="payment_line_case_period")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def held(self) -> bool:
        return bool(self.hold_reason)

    @property
    def reference(self) -> str:
        """The line's reference in bank files and returns."""
        return f"L{self.pk:015d}"


class BankFileFormat(models.TextChoices):
    DELIMITED = "delimited", _("分隔符文本(UTF-8)")
    FIXED = "fixed", _("定长代发文件(GB18030)")


class BankFile(TimeStampedModel):
    """One export of a roll's payable lines for one bank (代发文件), kept byte for byte."""

    roll = models.ForeignKey(PaymentRoll, verbose_name=_("名册"), on_delete=models.PROTECT, related_name="bank_files")
    bank = models.CharField(_("银行"), max_length=8, choices=Bank.choices)
    format = models.CharField(_("格式"), max_length=12, choices=BankFileFormat.choices)
    filename = models.CharField(_("文件名"), max_length=80)
    # Full account numbers and names: sealed at rest (core.fields); read through bank_file_read (audited).
    content = EncryptedBinaryField(_("内容"), purpose="payments.bankfile.content")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    lines_count = models.PositiveIntegerField(_("笔数"))
    total_fen = models.BigIntegerField(_("总金额(分)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.PROTECT,
                                   related_name="+")

    REGION_FIELD = "roll__region"

    class Meta:
        ordering = ["roll_id", "bank", "format"]
        verbose_name = _("银行代发文件")
        constraints = [models.UniqueConstraint(fields=["roll", "bank", "format"], name="bank_file_unique")]

    def __str__(self) -> str:
        return self.filename


class ReturnFile(TimeStampedModel):
    """The bank's answer to a bank file (回盘文件), imported once (its SHA-256 is unique)."""

    bank_file = models.ForeignKey(BankFile, verbose_name=_("代发文件"), on_delete=models.PROTECT,
                                  related_name="returns")
    # The bank's answer, account numbers included: sealed at rest (core.fields).
    content = EncryptedBinaryField(_("内容"), purpose="payments.returnfile.content")
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    paid_count = models.PositiveIntegerField(_("成功笔数"))
    paid_fen = models.BigIntegerField(_("成功金额(分)"))
    failed_count = models.PositiveIntegerField(_("失败笔数"))
    failed_fen = models.BigIntegerField(_("失败金额(分)"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
                                    related_name="+")

    REGION_FIELD = "bank_file__roll__region"

    class Meta:
        ordering = ["bank_file_id", "id"]
        verbose_name = _("银行回盘")


class Outcome(models.TextChoices):
    PAID = "paid", _("发放成功")
    FAILED = "failed", _("发放失败")


class Resolution(models.TextChoices):
    NONE = "", _("待处理")
    REISSUED = "reissued", _("已更正重发")
    HELD = "held", _("暂缓发放")


class PaymentResult(models.Model):
    """What the bank did with one line; for a failure, what was done about it."""

    line = models.OneToOneField(PaymentLine, verbose_name=_("发放明细"), on_delete=models.PROTECT,
                                related_name="result")
    return_file = models.ForeignKey(ReturnFile, verbose_name=_("回盘文件"), on_delete=models.PROTECT,
                                    related_name="results")
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    reason_code = models.CharField(_("失败原因代码"), max_length=8, blank=True)
    reason = models.CharField(_("失败原因"), max_length=120, blank=True)
    resolution = models.CharField(_("失败处理"), max_length=10, choices=Resolution.choices, blank=True, default="")
    resolution_note = models.CharField(_("处理说明"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["line_id"]
        verbose_name = _("发放结果")
        constraints = [
            models.CheckConstraint(condition=Q(outcome="failed") | Q(resolution=""), name="result_resolution_only_failed"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.outcome}"
