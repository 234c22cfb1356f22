"""Fetch a case and check the caller may see or act on it, in one step; the row lock helper."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases.errors import CaseNotFound, NotAllowed
from safetynet.cases.models import Case, ProxyMandate
from safetynet.core.access import get_scoped, scope
from safetynet.core.roles import SELF_SERVICE_ROLES, STAFF_ROLES, Role


def applicant_filter(user: Any) -> Q:
    """The cases a citizen or proxy may follow: their own, or those of someone whose valid
    mandate names their account."""
    today = timezone.localdate()
    mandated = ProxyMandate.objects.filter(
        proxy_user_id=user.pk, revoked_at__isnull=True, valid_until__gte=today
    ).values("grantor_id")
    return Q(applicant_id=user.person_id) | Q(applicant_id__in=mandated)


def case_not_found_message() -> str:
    """One answer for a case that does not exist and one outside the caller's reach, so a
    refusal never tells them apart."""
    return _("未找到该救助案件，或不在您的管辖范围内")


def cases_visible_to(user: Any, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    qs = Case.objects.all() if queryset is None else queryset
    if user is not None and user.is_authenticated and user.role == Role.PROXY:
        # A proxy need not have a person record of their own.
        return qs.filter(applicant_filter(user))
    return scope(qs, user=user, citizen_filter=applicant_filter(user) if user is not None else None)


def case_get_visible(*, user: Any, case_id: int, queryset: QuerySet[Case] | None = None) -> Case:
    return get_scoped(cases_visible_to(user, queryset), user=user, error=CaseNotFound, pk=case_id)


def case_lock(*, case_id: int) -> Case:
    """The one place a case row is locked (SELECT … FOR UPDATE). Call inside a transaction; every
    write to a case goes through here, so concurrent moves on one case run one after another."""
    case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound(case_not_found_message(), case_id=case_id)
    return case


def assert_actor_on_case(*, case: Case, actor: Any | None) -> None:
    """Staff act within their region's subtree; a citizen on their own case; a proxy under a
    valid mandate. The system (``None``) may act anywhere."""
    if actor is None:
        return
    if not actor.is_active:
        raise NotAllowed(_("账户已停用"))
    if actor.role in STAFF_ROLES:
        if actor.region_id is not None and case.region.path.startswith(actor.region.path):
            return
        raise CaseNotFound(case_not_found_message(), case_id=case.pk)
    if actor.role in SELF_SERVICE_ROLES:
        if Case.objects.filter(pk=case.pk).filter(applicant_filter(actor)).exists():
            return
        raise CaseNotFound(case_not_found_message(), case_id=case.pk)
    raise NotAllowed(_("当前角色不能办理救助案件"), role=actor.role)
