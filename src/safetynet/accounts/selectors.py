from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safetynet.accounts.errors import AccountNotFound
from safetynet.accounts.models import ApiToken, User


def user_get_by_username(*, username: str) -> User:
    """For operators' commands, which act as the system and are not region-scoped."""
    user = User.objects.select_related("region").filter(username=username).first()
    if user is None:
        raise AccountNotFound(_("账户不存在：%(u)s") % {"u": username}, username=username)
    return user


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "id")


def api_token_get_by_prefix(*, prefix: str) -> ApiToken:
    """For operators' commands: the live token a prefix names (prefixes are shown in lists)."""
    token = ApiToken.objects.select_related("user__region").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None:
        raise AccountNotFound(_("没有该前缀的有效令牌：%(p)s") % {"p": prefix}, prefix=prefix)
    return token
