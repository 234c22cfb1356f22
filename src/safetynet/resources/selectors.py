"""Reads of the resource network, region-scoped and checked against the permission table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.regions.models import Region
from safetynet.registry.errors import HouseholdNotFound
from safetynet.registry.models import Household
from safetynet.resources import access
from safetynet.resources.errors import ReferralNotFound
from safetynet.resources.models import (
    CATEGORIES,
    HOLDING_STATUSES,
    OPEN_REFERRAL_STATUSES,
    ChangeStatus,
    Need,
    NeedCategory,
    NeedStatus,
    Package,
    PackageStatus,
    Provider,
    Referral,
    ReferralStatus,
    Resource,
    ResourceChange,
    ResourceStatus,
    Severity,
)
from safetynet.resources.optimiser import SEVERITY_WEIGHT
from safetynet.resources.planner import month_start


def _used_this_month(resource_ids, period: dt.date) -> dict[int, int]:
    rows = (Referral.objects.filter(resource_id__in=resource_ids, period=period, status__in=HOLDING_STATUSES)
            .values_list("resource_id").annotate(n=Count("id")).order_by())
    return dict(rows)


@dataclass
class ResourceRow:
    resource: Resource
    used: int
    capacity_left: int
    budget_left_fen: int | None


def catalogue_for_user(*, user, provider_id: int | None = None, on: dt.date | None = None) -> list[ResourceRow]:
    """Active resources with what is left this month; everyone on the staff may look."""
    require(user, Action.CATALOGUE_READ)
    qs = Resource.objects.filter(status=ResourceStatus.ACTIVE).select_related("provider", "service_area")
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    resources = list(qs.order_by("provider__kind", "provider__code", "code"))
    used = _used_this_month([r.pk for r in resources], month_start(on or timezone.localdate()))
    rows = []
    for r in resources:
        n = used.get(r.pk, 0)
        budget = None if r.budget_fen is None else max(r.budget_fen - n * r.unit_cost_fen, 0)
        rows.append(ResourceRow(r, n, max(r.capacity - n, 0), budget))
    return rows


def providers_for_maintenance(*, user) -> QuerySet[Provider]:
    require(user, Action.CATALOGUE_MAINTAIN)
    if user.role == "provider":
        return access.providers_of(user)
    return scope(Provider.objects.all(), user=user)


def changes_pending_for_user(*, user) -> QuerySet[ResourceChange]:
    require(user, Action.CATALOGUE_REVIEW)
    return (scope(ResourceChange.objects.filter(status=ChangeStatus.PENDING), user=user)
            .select_related("provider", "resource", "proposed_by").order_by("created_at", "id"))


def changes_for_provider(*, user, provider_id: int) -> QuerySet[ResourceChange]:
    provider = access.provider_for_maintenance(user=user, provider_id=provider_id)
    return provider.changes.select_related("resource", "proposed_by", "reviewed_by").order_by("-created_at", "-id")[:50]


def household_for_officer(*, user, household_id: int) -> Household:
    require(user, Action.NEEDS_READ)
    qs = scope(Household.objects.select_related("region"), user=user)
    return get_scoped(qs, user=user, error=HouseholdNotFound, pk=household_id)


@dataclass
class CategoryNeed:
    category: str
    title: str
    severity: int
    severity_title: str
    needs: list[Need] = field(default_factory=list)


def needs_profile(*, user, household_id: int) -> list[CategoryNeed]:
    """The household's open needs by category, most severe first; each category lists every
    source it came from."""
    household_for_officer(user=user, household_id=household_id)
    rows = Need.objects.filter(household_id=household_id, status=NeedStatus.OPEN).select_related("recorded_by")
    titles = dict(NeedCategory.choices)
    by_cat: dict[str, CategoryNeed] = {}
    for need in rows:
        entry = by_cat.setdefault(need.category, CategoryNeed(need.category, str(titles[need.category]), 0, ""))
        entry.needs.append(need)
        entry.severity = max(entry.severity, need.severity)
    for entry in by_cat.values():
        entry.severity_title = str(Severity(entry.severity).label)
    return sorted(by_cat.values(), key=lambda e: (-e.severity, CATEGORIES.index(e.category)))


def needs_met(*, user, household_id: int) -> QuerySet[Need]:
    household_for_officer(user=user, household_id=household_id)
    return Need.objects.filter(household_id=household_id, status=NeedStatus.MET).select_related("met_by__resource")


def package_current(*, user, household_id: int) -> Package | None:
    """This month's live package of the household (proposed or accepted), else the latest."""
    household_for_officer(user=user, household_id=household_id)
    qs = Package.objects.filter(household_id=household_id).prefetch_related("items__resource__provider")
    live = qs.filter(status__in=[PackageStatus.PROPOSED, PackageStatus.ACCEPTED]).order_by("-period", "-id").first()
    return live or qs.order_by("-created_at", "-id").first()


def referrals_for_user(*, user, status: str | None = None, household_id: int | None = None) -> QuerySet[Referral]:
    qs = access.referrals_visible(user=user)
    if status:
        qs = qs.filter(status=status)
    if household_id:
        qs = qs.filter(household_id=household_id)
    return qs.order_by("accept_due", "id")


def referral_get_for_user(*, user, referral_id: int) -> Referral:
    referral = referrals_for_user(user=user).filter(pk=referral_id).first()
    if referral is None:
        raise ReferralNotFound(_("未找到该转介，或不在您的管辖范围内"), referral_id=referral_id)
    return referral


@dataclass
class Workbench:
    referrals: list[Referral]
    capacity: list[ResourceRow]
    overdue: int


def provider_workbench(*, user) -> Workbench:
    """The provider's incoming referrals (open ones first, overdue first among them) and the
    capacity left of their resources this month."""
    require(user, Action.REFERRAL_HANDLE)
    providers = access.providers_of(user)
    referrals = list(Referral.objects.filter(provider__in=providers)
                     .select_related("resource", "household__region", "provider")
                     .order_by("accept_due", "id")[:500])
    now = timezone.now()
    order = {ReferralStatus.SENT: 0, ReferralStatus.ACCEPTED: 1, ReferralStatus.DELIVERED: 2,
             ReferralStatus.CLOSED: 3, ReferralStatus.DECLINED: 4}
    referrals.sort(key=lambda r: (order[r.status], r.accept_due, r.pk))
    overdue = sum(1 for r in referrals if referral_overdue(r, now))
    capacity = [row for row in catalogue_for_user(user=user) if row.resource.provider_id in
                set(providers.values_list("id", flat=True))]
    return Workbench(referrals, capacity, overdue)


def referral_overdue(referral: Referral, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if referral.status == ReferralStatus.SENT:
        return referral.accept_due < now
    if referral.status == ReferralStatus.ACCEPTED and referral.deliver_due:
        return referral.deliver_due < now
    return False


def referral_plain_words(referral: Referral) -> str:
    """What is coming, for the household and its proxy, in plain words."""
    r = referral
    name, provider = r.resource.name, r.resource.provider.name
    day = timezone.localtime
    if r.status == ReferralStatus.SENT:
        return _("我们已请%(p)s为您提供“%(n)s”，对方会在 %(d)s 前答复。") % {
            "p": provider, "n": name, "d": day(r.accept_due).strftime("%Y-%m-%d")}
    if r.status == ReferralStatus.ACCEPTED:
        return _("%(p)s已同意为您提供“%(n)s”，最迟 %(d)s 前安排好。") % {
            "p": provider, "n": name, "d": day(r.deliver_due).strftime("%Y-%m-%d") if r.deliver_due else ""}
    if r.status == ReferralStatus.DECLINED:
        return _("%(p)s这次不能提供“%(n)s”（原因：%(why)s）。社区会为您另找办法。") % {
            "p": provider, "n": name, "why": r.decline_reason}
    if r.status == ReferralStatus.DELIVERED:
        return _("“%(n)s”已经提供给您。如有问题，请告诉社区。") % {"n": name}
    return _("“%(n)s”已办完：%(o)s。") % {"n": name, "o": r.get_outcome_display()}


def dashboard_for_user(*, user) -> dict:
    """Unmet need by district and category (open needs, weighted by severity), met needs, and
    per category: the households in need against the capacity left of resources meeting it
    (where money would do most: the categories with the most weighted unmet need per unit left)."""
    require(user, Action.RESOURCES_DASHBOARD)
    open_needs = scope(Need.objects.filter(status=NeedStatus.OPEN), user=user)
    by_district: dict[str, dict[str, float]] = {}
    households: dict[str, int] = {}
    for code, category, severity, n in (open_needs.values_list("household__region__code", "category", "severity")
                                        .annotate(n=Count("id")).order_by()):
        county = code[:6] + "0" * (len(code) - 6)
        row = by_district.setdefault(county, {})
        row[category] = row.get(category, 0.0) + float(SEVERITY_WEIGHT[severity]) * n
    for category, n in (open_needs.values_list("category").annotate(n=Count("household", distinct=True)).order_by()):
        households[category] = n
    names = dict(Region.objects.filter(code__in=by_district).values_list("code", "name"))
    met = dict(scope(Need.objects.filter(status=NeedStatus.MET), user=user).values_list("category")
               .annotate(n=Count("id")).order_by())
    rows = catalogue_for_user(user=user)
    left: dict[str, int] = {c: 0 for c in CATEGORIES}
    for row in rows:
        for category, percent in (row.resource.meets or {}).items():
            if category in left and int(percent) >= 50:
                left[category] += row.capacity_left
    weighted = {c: sum(d.get(c, 0.0) for d in by_district.values()) for c in CATEGORIES}
    titles = dict(NeedCategory.choices)
    pressure = sorted(({"category": c, "title": str(titles[c]), "weighted_unmet": round(weighted[c], 1),
                        "households": households.get(c, 0), "capacity_left": left[c],
                        "per_unit": round(weighted[c] / max(left[c], 1), 2)} for c in CATEGORIES),
                      key=lambda r: -r["per_unit"])
    referrals = scope(Referral.objects.all(), user=user)
    by_status = dict(referrals.values_list("status").annotate(n=Count("id")).order_by())
    overdue = referrals.filter(Q(status=ReferralStatus.SENT, accept_due__lt=timezone.now())
                               | Q(status=ReferralStatus.ACCEPTED, deliver_due__lt=timezone.now())).count()
    spent = (referrals.filter(status__in=HOLDING_STATUSES, period=month_start(timezone.localdate()))
             .aggregate(fen=Sum("resource__unit_cost_fen"))["fen"] or 0)
    return {
        "by_district": {code: {"name": names.get(code, code), "categories": cats}
                        for code, cats in sorted(by_district.items())},
        "met": met,
        "pressure": pressure,
        "referrals_by_status": by_status,
        "referrals_open": sum(by_status.get(s, 0) for s in OPEN_REFERRAL_STATUSES),
        "referrals_overdue": overdue,
        "spent_this_month_fen": int(spent),
    }


def needs_queue_for_user(*, user, limit: int = 200) -> list[dict]:
    """Households in the user's region with open needs, the most severe first, then the most
    weighted need; with this month's package status."""
    require(user, Action.PACKAGE_PROPOSE)
    open_needs = scope(Need.objects.filter(status=NeedStatus.OPEN), user=user)
    rows = (open_needs.values("household_id").annotate(top=Max("severity"), n=Count("category", distinct=True))
            .order_by("-top", "-n", "household_id")[:limit])
    ids = [r["household_id"] for r in rows]
    households = Household.objects.select_related("region").in_bulk(ids)
    period = month_start(timezone.localdate())
    packages = dict(Package.objects.filter(household_id__in=ids, period=period,
                                           status__in=[PackageStatus.PROPOSED, PackageStatus.ACCEPTED])
                    .values_list("household_id", "status"))
    labels = dict(PackageStatus.choices)
    return [{"household": households[r["household_id"]], "top": r["top"], "top_title": str(Severity(r["top"]).label),
             "categories": r["n"], "package": str(labels[packages[r["household_id"]]]) if r["household_id"] in packages
             else ""} for r in rows]
