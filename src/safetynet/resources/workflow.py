"""The referral's transitions table (转介流转): who moves a referral from where to where."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.resources.errors import IllegalTransition
from safetynet.resources.models import ReferralStatus as S

#: (from, to) → what the move is called. Only the provider's staff move a referral.
TRANSITIONS = {
    (S.SENT, S.ACCEPTED): gettext_lazy("接收"),
    (S.SENT, S.DECLINED): gettext_lazy("婉拒"),
    (S.ACCEPTED, S.DECLINED): gettext_lazy("婉拒"),
    (S.ACCEPTED, S.DELIVERED): gettext_lazy("登记已提供"),
    (S.DELIVERED, S.CLOSED): gettext_lazy("反馈结果"),
}


def assert_can(*, current: str, to: str) -> None:
    if (current, to) not in TRANSITIONS:
        raise IllegalTransition(
            _("转介当前为“%(a)s”，不能改为“%(b)s”") % {"a": S(current).label, "b": S(to).label},
            current=current, to=to,
        )
