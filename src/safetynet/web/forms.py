from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form with plain Chinese labels and errors."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入（注意区分大小写）。连续输错5次将锁定15分钟。"),
        "inactive": _("该账户已停用，请联系系统管理员。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].error_messages["required"] = _("请输入用户名")
        self.fields["password"].error_messages["required"] = _("请输入密码")
