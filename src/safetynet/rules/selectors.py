"""Reads of the rules: parameters with their dated history, and parameter changes in scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from safetynet.core.access import scope
from safetynet.regions.models import Level, Region, subtree_q
from safetynet.rules.models import ParameterChange
from safetynet.rules.regional import node_at
from safetynet.rules.services import current_system
from safetynet.rules.system import regional_parameter_paths


def parameter_list(*, on: dt.date) -> list[dict[str, Any]]:
    """Every region-indexed parameter: description, unit, and per region the dated values with
    their references (approved changes included), and the value in force on ``on`` per region."""
    parameters = current_system().parameters
    day = on.isoformat()
    out = []
    for path in regional_parameter_paths():
        node = node_at(parameters, path)
        regions = []
        for key, child in node.children.items():
            history = [
                {"from": at.instant_str, "value": at.value, "reference": at.metadata.get("reference", "")}
                for at in sorted(child.values_list, key=lambda a: a.instant_str)
            ]
            in_force = next((h["value"] for h in reversed(history) if h["from"] <= day), None)
            regions.append({"region": key, "in_force": in_force, "history": history})
        out.append(
            {
                "path": path,
                "description": node.description,
                "unit": node.metadata.get("unit", ""),
                "regions": regions,
            }
        )
    return out


def parameter_change_list_for_user(*, user: Any, status: str | None = None) -> QuerySet[ParameterChange]:
    qs = scope(ParameterChange.objects.select_related("region", "proposed_by", "decided_by"), user=user)
    if status:
        qs = qs.filter(status=status)
    return qs


def county_names() -> dict[int, str]:
    """Names of the provinces, cities and counties by 6-digit code (the simulation's districts)."""
    return {
        int(code[:6]): name
        for code, name in Region.objects.filter(level__lte=Level.COUNTY).values_list("code", "name")
    }


def parameter_regions(*, user: Any = None) -> QuerySet:
    """Regions a parameter may be set for (province, city, county), within ``user``'s subtree if given."""
    qs = Region.objects.filter(level__lte=Level.COUNTY).order_by("code")
    if user is not None:
        if getattr(user, "region", None) is None:
            return qs.none()
        qs = qs.filter(subtree_q(user.region.path))
    return qs
