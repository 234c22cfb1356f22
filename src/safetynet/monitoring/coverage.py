"""应保尽保: who the rules say is owed 低保 but receives nothing, and who receives it but no
longer qualifies on the data.

The rules decide on the population of :func:`safetynet.rules.population.population_from_registry`
(members on the 1st of the month; income and assets from the lake through its documented seam),
vectorised by :func:`safetynet.rules.services.decide_population`. Whether a household receives
anything is read from the verification facts (``benefits`` → ``transfers``) computed by the
monitoring run, so both lists speak of the same facts as the alerts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from safetynet.monitoring.compute import MonitoringResult

_cache: dict[tuple, dict[str, np.ndarray]] = {}


def population_decisions(*, on: dt.date) -> dict[str, np.ndarray]:
    """The rules' household results for the month of ``on`` (kept per date within a run)."""
    from safetynet.registry.models import Membership
    from safetynet.rules.population import population_from_registry
    from safetynet.rules.services import decide_population

    key = (on, Membership.objects.count())
    if key not in _cache:
        _cache.clear()
        population, _notes = population_from_registry(on)
        if len(population.household_ids) == 0:
            _cache[key] = {"household_id": np.zeros(0, np.int64), "dibao_standard": np.zeros(0),
                           "dibao_eligible": np.zeros(0, bool), "dibao_gradual_exit": np.zeros(0, bool)}
        else:
            _cache[key] = decide_population(table=population, on=on)
    return _cache[key]


def coverage_lists(result: MonitoringResult) -> tuple[pa.Table, pa.Table]:
    """(likely eligible but uncovered, recipients who left eligibility) for the monitored households."""
    decisions = population_decisions(on=result.on)
    hid = np.asarray(decisions["household_id"])
    order = np.argsort(hid)
    pos = np.clip(np.searchsorted(hid[order], result.household_ids), 0, max(len(order) - 1, 0))
    found = (hid[order][pos] == result.household_ids) if len(order) else np.zeros(len(result.household_ids), bool)
    eligible = found & np.asarray(decisions["dibao_eligible"], bool)[order][pos] if len(order) else found
    gradual = found & np.asarray(decisions["dibao_gradual_exit"], bool)[order][pos] if len(order) else found
    m = result.measures
    receives_any = m["transfers_members"] > 0
    receives_cash = (m["dibao_members"] > 0) | (m["tekun_members"] > 0)
    uncovered = eligible & ~receives_any
    left = found & receives_cash & ~eligible & ~gradual

    def table(mask: np.ndarray, reason: str) -> pa.Table:
        idx = np.flatnonzero(mask)
        return pa.table({
            "household_id": pa.array(result.household_ids[idx], pa.int64()),
            "region_code": pa.array(result.region_codes[idx].tolist(), pa.string()),
            "income_ratio": pa.array(np.round(m["income_ratio"][idx], 4), pa.float64()),
            "reason": pa.array([reason] * len(idx), pa.string()),
        })

    return table(uncovered, "dibao_eligible_not_receiving"), table(left, "receiving_not_eligible")
