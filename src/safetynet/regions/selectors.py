from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.access import get_scoped, scope
from safetynet.core.permissions import Action, require
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Level, Region, subtree_q


def region_list_for_user(*, user, parent_code: str | None = None) -> QuerySet[Region]:
    require(user, Action.REGIONS_BROWSE)
    qs = _visible(user)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs


def region_get_for_user(*, user, code: str) -> Region:
    require(user, Action.REGIONS_BROWSE)
    return get_scoped(_visible(user), user=user, error=RegionNotFound, code=code)


def region_children(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent=region).order_by("code")


def region_subtree(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(subtree_q(region.path))


def region_ancestors(*, region: Region) -> list[Region]:
    codes = [c for c in region.path.split("/") if c]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def _visible(user) -> QuerySet[Region]:
    return scope(Region.objects.all(), user=user)


def region_breadcrumb_for_user(*, user, region: Region) -> list[Region]:
    """``region``'s ancestors and itself, from the user's own region down: never above it."""
    own_path = user.region.path if getattr(user, "region_id", None) else region.path
    return [r for r in region_ancestors(region=region) if r.path.startswith(own_path)]


def region_communities_for_user(*, user) -> QuerySet[Region]:
    """The communities (村/社区) in the user's subtree, with their street, for filter lists."""

    return _visible(user).filter(level=Level.COMMUNITY).select_related("parent").order_by("code")
