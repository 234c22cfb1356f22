"""Fetch-and-check helpers: a row comes back only if the user may act on it (region scope, the
permission table, and for providers' staff, their own provider)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases.models import ProxyMandate
from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.core.roles import SELF_SERVICE_ROLES, Role
from safetynet.registry.models import Membership
from safetynet.resources.errors import (
    PackageNotFound,
    ProviderNotFound,
    ReferralNotFound,
    ResourceNotFound,
)
from safetynet.resources.models import Package, Provider, Referral, Resource


def providers_of(user) -> QuerySet[Provider]:
    """The providers a provider's staff member works for (none for anyone else)."""
    if user is None or not user.is_authenticated or user.role != Role.PROVIDER:
        return Provider.objects.none()
    return Provider.objects.filter(staff=user)


def provider_for_maintenance(*, user, provider_id: int) -> Provider:
    """A provider whose catalogue ``user`` may maintain: their own (provider staff) or any in
    their region (admin)."""
    require(user, Action.CATALOGUE_MAINTAIN)
    if user.role == Role.PROVIDER:
        provider = providers_of(user).filter(pk=provider_id).first()
        if provider is None:
            # another provider's entries are answered as not there, like another region's rows
            raise ProviderNotFound(_("未找到该资源提供方，或您不是其经办人员"), provider_id=provider_id)
        return provider
    return get_scoped(scope(Provider.objects.all(), user=user), user=user, error=ProviderNotFound, pk=provider_id)


def resource_for_maintenance(*, user, resource_id: int) -> Resource:
    resource = Resource.objects.select_related("provider").filter(pk=resource_id).first()
    if resource is None:
        raise ResourceNotFound(_("未找到该救助资源"), resource_id=resource_id)
    provider_for_maintenance(user=user, provider_id=resource.provider_id)
    return resource


def package_for_officer(*, user, package_id: int) -> Package:
    require(user, Action.PACKAGE_PROPOSE)
    qs = scope(Package.objects.select_related("household__region"), user=user)
    return get_scoped(qs, user=user, error=PackageNotFound, pk=package_id)


def referral_for_provider(*, user, referral_id: int) -> Referral:
    """A referral to one of the user's providers."""
    require(user, Action.REFERRAL_HANDLE)
    qs = Referral.objects.filter(provider__in=providers_of(user)).select_related("resource", "provider", "household")
    referral = qs.filter(pk=referral_id).first()
    if referral is None:
        raise ReferralNotFound(_("未找到该转介，或不是转给您所在单位的"), referral_id=referral_id)
    return referral


def referrals_visible(*, user) -> QuerySet[Referral]:
    """Referrals ``user`` may follow: staff in their region, providers' staff their providers',
    a citizen their household's, a proxy their grantors' households'."""
    require(user, Action.REFERRAL_FOLLOW)
    base = Referral.objects.select_related("resource__provider", "household__region", "package")
    if user.role == Role.PROVIDER:
        return base.filter(provider__in=providers_of(user))
    if user.role in SELF_SERVICE_ROLES:
        return base.filter(household_id__in=households_followed(user=user))
    return scope(base, user=user)


def households_followed(*, user) -> list[int]:
    """The households a citizen belongs to now, and those of the people who gave ``user`` a
    mandate still in force (代办委托)."""
    if not user.person_id:
        return []
    today = timezone.localdate()
    grantors = ProxyMandate.objects.filter(proxy_user=user, revoked_at__isnull=True, valid_until__gte=today
                                           ).values("grantor_id")
    return list(Membership.objects.filter(Q(person_id=user.person_id) | Q(person_id__in=grantors),
                                          left_on__isnull=True).values_list("household_id", flat=True).distinct())


__all__ = ["households_followed", "package_for_officer", "provider_for_maintenance", "providers_of", "referral_for_provider",
           "referrals_visible", "resource_for_maintenance"]
