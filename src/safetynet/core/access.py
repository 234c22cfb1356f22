"""Region scoping: the one place that decides which rows a user may see.

Every selector and ``access_*`` helper builds its queryset with :func:`scope`; views and API
endpoints never query models directly. A staff account sees the subtree of the region it is
bound to; a citizen sees only records linked to their own person; anyone else sees nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.roles import SELF_SERVICE_ROLES, STAFF_ROLES

M = TypeVar("M", bound=Model)


def _region_fields(model: type[Model]) -> tuple[str, ...]:
    """A model names the foreign key(s) to Region that place it; a row with several (a request
    between two counties) is visible from the subtree of either."""
    field = getattr(model, "REGION_FIELD", None)
    if field is None:
        raise TypeError(f"{model.__name__} declares no REGION_FIELD and cannot be region-scoped")
    return (field,) if isinstance(field, str) else tuple(field)


def subtree_filter(region: Any, field: str) -> Q:
    """``field`` (a foreign key to Region, possibly through relations) lies in ``region``'s subtree."""
    return Q(**{f"{field}__in": region.subtree().values("pk")})


def scope(queryset: QuerySet[M], *, user: Any, citizen_filter: Q | None = None) -> QuerySet[M]:
    """Narrow ``queryset`` to what ``user`` may see.

    ``citizen_filter`` says which rows belong to a citizen's own person (by default none do):
    e.g. ``Q(id=user.person_id)`` for persons.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.role in STAFF_ROLES:
        if user.region_id is None:
            return queryset.none()
        visible = Q()
        for field in _region_fields(queryset.model):
            visible |= subtree_filter(user.region, field)
        return queryset.filter(visible)
    if user.role in SELF_SERVICE_ROLES and citizen_filter is not None and user.person_id:
        return queryset.filter(citizen_filter)
    return queryset.none()


def get_scoped(queryset: QuerySet[M], *, user: Any, error: type[NotFound] = NotFound, **lookup: Any) -> M:
    """Fetch one row of ``queryset``, or raise ``error``: a record in another region is
    indistinguishable from one that does not exist.

    This does not scope by itself: ``queryset`` must already be narrowed to what ``user`` may
    see, by :func:`scope` (with the citizen filter the model needs) or by an app's own
    ``*_visible_to`` selector built on it. ``user`` names whose view this is.
    """
    obj = queryset.filter(**lookup).first()
    if obj is None:
        # A lookup named like the error's own arguments (``code=`` for regions) must not
        # replace the error code, so such keys go into the details as ``lookup_<key>``.
        details = {(f"lookup_{k}" if k in ("code", "message") else k): str(v) for k, v in lookup.items()}
        raise error(_not_found_message(queryset.model), **details)
    return obj


def _not_found_message(model: type[Model]) -> str:
    return _("未找到该%(what)s，或不在您的管辖范围内") % {"what": model._meta.verbose_name}
