"""Reads: alerts, region-scoped (core.access.scope) and limited to the roles that follow them up."""

from __future__ import annotations

from django.db.models import QuerySet

from safetynet.accounts.roles import Role
from safetynet.core.access import get_scoped, require_role, scope
from safetynet.monitoring.errors import AlertNotFound
from safetynet.monitoring.models import Alert

ALERT_READERS = frozenset({Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR,
                           Role.ADMIN})
ALERT_HANDLERS = frozenset({Role.COMMUNITY_WORKER, Role.STREET_OFFICER})


def alert_list_for_user(*, user, level: str | None = None, status: str | None = None) -> QuerySet[Alert]:
    require_role(user, ALERT_READERS, action="monitoring.alert_list")
    qs = scope(Alert.objects.select_related("household__region", "assigned_to"), user=user)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    return qs


def alert_get_for_user(*, user, alert_id: int) -> Alert:
    require_role(user, ALERT_READERS, action="monitoring.alert_detail")
    qs = scope(Alert.objects.select_related("household__region", "assigned_to"), user=user)
    return get_scoped(qs, user=user, error=AlertNotFound, pk=alert_id)
