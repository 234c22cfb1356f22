"""Batch runs of the optimiser (a street, a county, the city): read-only planning over the
households' verified facts and needs, reported with the greedy baseline beside it."""

from __future__ import annotations

import datetime as dt
import time

from django.utils.translation import gettext as _

from safetynet.regions.models import Region
from safetynet.resources import needs, planner
from safetynet.resources.errors import InvalidBatch
from safetynet.resources.models import Need, NeedStatus


def packages_batch(*, on: dt.date, region_code: str | None = None, time_limit: float = 50.0) -> tuple[planner.Plan | None,
                                                                                                        dict]:
    """Plan packages for every household of a region subtree (all when ``region_code`` is
    empty) against the whole catalogue's capacity left this month. Needs are the households'
    stored open needs where the needs profile has been built, else derived now."""
    t0 = time.perf_counter()
    path = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise InvalidBatch(_("区划代码 %(c)s 不存在") % {"c": region_code}, region=region_code)
        path = region.path
    data = needs.household_data(on=on, region_path=path)
    timings = {"facts_seconds": round(time.perf_counter() - t0, 3)}
    if data is None:
        return None, timings
    ids = [int(h) for h in data.household_ids]
    t1 = time.perf_counter()
    stored = Need.objects.filter(household_id__in=ids, status=NeedStatus.OPEN)
    rows = list(stored) if stored.exists() else needs.derive_needs(data, ids)
    severity = needs.severity_matrix(rows, data.household_ids)
    paths = dict(Region.objects.filter(code__in=set(data.region_codes.tolist())).values_list("code", "path"))
    catalogue = planner.catalogue_load(period=on)
    timings["needs_seconds"] = round(time.perf_counter() - t1, 3)
    result = planner.plan(household_ids=data.household_ids, region_codes=data.region_codes,
                          region_paths=[paths[c] for c in data.region_codes], values=data.values,
                          severity=severity, catalogue=catalogue, time_limit=time_limit)
    timings["total_seconds"] = round(time.perf_counter() - t0, 3)
    return result, timings
