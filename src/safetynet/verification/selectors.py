"""Reads of verification: authorisations, reports and cross-region requests, region-scoped and,
because they hold a family's financial data, limited to the roles that work with it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from safetynet.core.access import get_scoped, require_role, scope
from safetynet.core.roles import Role
from safetynet.regions.models import subtree_q
from safetynet.verification.errors import CrossRegionRequestNotFound, ReportNotFound
from safetynet.verification.models import (
    Authorisation,
    CrossRegionRequest,
    CrossRegionStatus,
    VerificationReport,
)

#: Who may read reports and cross-region requests (incomes, deposits, the asked county's
#: answer): those who check, decide on or supervise a case. Not a provider, a data provider
#: or an analyst, although they are staff of the region.
REPORT_READERS = frozenset(
    {Role.VERIFICATION_CENTRE, Role.STREET_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR, Role.ADMIN}
)
#: A community worker records authorisations (入户时签署), so may read them back.
AUTHORISATION_READERS = REPORT_READERS | {Role.COMMUNITY_WORKER}


def authorisation_list_for_user(*, user, household_id: int | None = None) -> QuerySet[Authorisation]:
    require_role(user, AUTHORISATION_READERS, action="authorisation.read")
    qs = scope(Authorisation.objects.select_related("household", "signed_by"), user=user)
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    return qs


def report_list_for_user(*, user, household_id: int | None = None) -> QuerySet[VerificationReport]:
    require_role(user, REPORT_READERS, action="verification_report.read")
    qs = scope(
        VerificationReport.objects.select_related("household", "requested_by").defer("result"), user=user
    )
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    return qs


def report_get_for_user(*, user, report_id: int) -> VerificationReport:
    require_role(user, REPORT_READERS, action="verification_report.read")
    qs = scope(VerificationReport.objects.select_related("household__region", "requested_by"), user=user)
    return get_scoped(qs, user=user, error=ReportNotFound, pk=report_id)


def cross_region_list_for_user(*, user, incoming: bool | None = None) -> QuerySet[CrossRegionRequest]:
    require_role(user, REPORT_READERS, action="cross_region.read")
    qs = scope(CrossRegionRequest.objects.select_related("from_region", "to_region"), user=user)
    if incoming is True and user.region_id:
        qs = qs.filter(subtree_q(user.region.path, "to_region__path"))
    elif incoming is False and user.region_id:
        qs = qs.filter(subtree_q(user.region.path, "from_region__path"))
    return qs


def cross_region_overdue_for_user(*, user) -> QuerySet[CrossRegionRequest]:
    return cross_region_list_for_user(user=user).filter(
        status=CrossRegionStatus.OPEN, due_on__lt=timezone.localdate()
    )


def cross_region_request_get_for_user(*, user, request_id: int) -> CrossRegionRequest:
    require_role(user, REPORT_READERS, action="cross_region.read")
    qs = scope(CrossRegionRequest.objects.select_related("from_region", "to_region"), user=user)
    return get_scoped(qs, user=user, error=CrossRegionRequestNotFound, pk=request_id)


def report_latest_for_household(*, household_id: int) -> VerificationReport | None:
    """The newest report of a household, for the workflow (callers have already checked access)."""
    return VerificationReport.objects.filter(household_id=household_id).order_by("-created_at", "-id").first()
