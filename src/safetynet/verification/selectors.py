"""Reads of verification: authorisations, reports and cross-region requests, region-scoped and,
because they hold a family's financial data, limited to the roles that work with it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.regions.models import subtree_q
from safetynet.verification.errors import CrossRegionRequestNotFound, ReportNotFound
from safetynet.verification.models import (
    Authorisation,
    CrossRegionRequest,
    CrossRegionStatus,
    VerificationReport,
)


def authorisation_list_for_user(*, user, household_id: int | None = None) -> QuerySet[Authorisation]:
    require(user, Action.AUTHORISATION_READ)
    qs = scope(Authorisation.objects.select_related("household", "signed_by"), user=user)
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    return qs


def report_list_for_user(*, user, household_id: int | None = None) -> QuerySet[VerificationReport]:
    require(user, Action.VERIFICATION_REPORT_READ)
    qs = scope(
        VerificationReport.objects.select_related("household", "requested_by").defer("result"), user=user
    )
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    return qs


def report_get_for_user(*, user, report_id: int) -> VerificationReport:
    require(user, Action.VERIFICATION_REPORT_READ)
    qs = scope(VerificationReport.objects.select_related("household__region", "requested_by"), user=user)
    return get_scoped(qs, user=user, error=ReportNotFound, pk=report_id)


def cross_region_list_for_user(*, user, incoming: bool | None = None) -> QuerySet[CrossRegionRequest]:
    require(user, Action.CROSS_REGION_READ)
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
    require(user, Action.CROSS_REGION_READ)
    qs = scope(CrossRegionRequest.objects.select_related("from_region", "to_region"), user=user)
    return get_scoped(qs, user=user, error=CrossRegionRequestNotFound, pk=request_id)


def report_latest_for_household(*, household_id: int) -> VerificationReport | None:
    """The newest report of a household, for the workflow (callers have already checked access)."""
    return VerificationReport.objects.filter(household_id=household_id).order_by("-created_at", "-id").first()
