from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import EncryptedCharField
from safetynet.core.roles import SELF_SERVICE_ROLES, STAFF_ROLES, Role


class User(AbstractUser):
    """A person who signs in. Staff are bound to a region (行政区划) and see its subtree only."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.CITIZEN)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = EncryptedCharField(_("手机号"), max_length=20, blank=True, purpose="accounts.user.phone")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("本人档案"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        help_text=_("群众账户对应的登记人员"),
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=False) | Q(role__in=sorted(SELF_SERVICE_ROLES)),
                name="staff_account_bound_to_region",
            )
        ]

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token for a machine client (a data provider's upload job, say).

    Only the SHA-256 of the token is kept: the plaintext is shown once when issued and cannot be
    recovered. A token has 256 random bits, so an unsalted digest is enough to make a stolen
    table useless. ``prefix`` lets people tell their tokens apart in lists.
    """

    user = models.ForeignKey(User, verbose_name=_("账户"), on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(_("用途说明"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12)
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label})"
