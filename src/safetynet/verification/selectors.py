"""Reads of verification: authorisations, reports and cross-region requests, region-scoped and,
because they hold a family's financial data, limited to the roles that work with it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.access import get_scoped, scope
from safetynet.core.errors import ValidationFailed
from safetynet.core.masking import mask_identifiers
from safetynet.core.permissions import Action, require
from safetynet.regions.models import subtree_q
from safetynet.registry.models import Person
from safetynet.verification.errors import AuthorisationNotFound, CrossRegionRequestNotFound, ReportNotFound
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


def authorisation_scan_open(*, user, authorisation_id: int) -> Authorisation:
    """The signed scan of an authorisation, for those who may read it; every download is
    recorded in the audit log with its purpose (下载留痕)."""
    auth = authorisation_list_for_user(user=user).filter(pk=authorisation_id).first()
    if auth is None or not auth.document_path:
        raise AuthorisationNotFound(_("未找到该授权书扫描件，或不在您的管辖范围内"))
    audit_record(actor=user, action="verification.authorisation_scan_read", target=auth, purpose="查验核对授权书",
                 data={"household_id": auth.household_id, "sha256": auth.document_sha256})
    return auth


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


#: Where a report was read: the page, its PDF or the API.
REPORT_CHANNELS = frozenset({"page", "pdf", "api"})


def report_read_for_user(*, user, report_id: int, channel: str, purpose: str = "") -> VerificationReport:
    """A report for reading, and the reading recorded in the audit log (查阅留痕): a report
    holds a family's balances, wages and property.

    ID and phone numbers inside the facts are masked unless the reader states a purpose, which
    needs the right to see full identities and is kept with the audit entry. The returned
    report's ``result`` is the masked copy in that case; it is never saved."""
    if channel not in REPORT_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    report = report_get_for_user(user=user, report_id=report_id)
    purpose = (purpose or "").strip()
    full = bool(purpose)
    if full:
        require(user, Action.PERSON_VIEW_FULL)
        if len(purpose) < 2:
            raise ValidationFailed(_("查看完整身份信息须说明事由"), code="audit.purpose_required")
    audit_record(
        actor=user,
        action="verification_report.read",
        target=report,
        purpose=purpose or report.purpose,
        data={"channel": channel, "full": full, "household_id": report.household_id},
    )
    report.result = _identities_resolved(report.result, household_id=report.household_id)
    if not full:
        report.result = mask_identifiers(report.result)
    return report


def _identities_resolved(value, *, household_id: int):
    """The stored report names persons in its facts by blind index (the lake holds no ID number);
    for reading, each index of a member of the household (now or before) becomes the number,
    which the caller then masks unless a purpose was stated."""
    numbers = dict(Person.objects.filter(memberships__household_id=household_id)
                   .values_list("id_number_index", "id_number").distinct())

    def resolve(v):
        if isinstance(v, dict):
            return {k: resolve(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [resolve(x) for x in v]
        if isinstance(v, str) and len(v) >= 64:
            for index, number in numbers.items():
                if index in v:
                    v = v.replace(index, number)
        return v

    return resolve(value) if numbers else value


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
