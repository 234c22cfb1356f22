from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safetynet.accounts.roles import STAFF_ROLES, Role


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
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
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
                condition=Q(region__isnull=False) | Q(role__in=[Role.CITIZEN, Role.PROXY]),
                name="staff_account_bound_to_region",
            )
        ]

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def __str__(self) -> str:
        return self.display_name or self.username
