"""Pages (web views) share one wrapper: sign-in required, and every typed refusal from the domain
becomes a page in plain Chinese with its own 4xx status, never a 500."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from safetynet.core.errors import SafetyNetError

#: The page title for each status a typed error may carry.
ERROR_TITLES = {
    400: _("输入有误"),
    403: _("无权访问"),
    404: _("未找到"),
    409: _("无法办理：情况已变化"),
    413: _("文件过大"),
    422: _("输入有误"),
    429: _("操作过于频繁"),
    503: _("暂时无法办理"),
}


def error_page(request, error: SafetyNetError):
    status = error.status if 400 <= error.status < 600 and error.status != 500 else 400
    return render(
        request,
        "web/error.html",
        {"title": ERROR_TITLES.get(status, _("无法办理")), "message": error.message, "code": error.code},
        status=status,
    )


def page_view(view):
    """Sign-in required; a typed refusal from the domain becomes a page in plain words."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SafetyNetError as e:
            return error_page(request, e)

    return login_required(wrapper)
