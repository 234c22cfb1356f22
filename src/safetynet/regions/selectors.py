from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.access import get_scoped, scope
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Region


def region_list_for_user(*, user, parent_code: str | None = None) -> QuerySet[Region]:
    qs = _visible(user)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs


def region_get_for_user(*, user, code: str) -> Region:
    return get_scoped(_visible(user), user=user, error=RegionNotFound, code=code)


def region_children(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent=region).order_by("code")


def region_subtree(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path)


def region_ancestors(*, region: Region) -> list[Region]:
    codes = [c for c in region.path.split("/") if c]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def _visible(user) -> QuerySet[Region]:
    return scope(Region.objects.all(), user=user)
