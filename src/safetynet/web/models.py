"""What the web shell remembers for an account: how the person likes to read it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisplayPreference(models.Model):
    """大字模式 and the like, per account, so it follows the person to any phone or computer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("账户"), on_delete=models.CASCADE,
                                related_name="display_preference")
    large_type = models.BooleanField(_("大字模式"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("显示偏好")

    def __str__(self) -> str:
        return f"{self.user_id}: large={self.large_type}"
