"""The one interface of the rules for the rest of the platform.

* :func:`decide_household` — one household at a date, with reasons (cases, verification);
* :func:`decide_population` — a whole population table at once (monitoring, payments,
  simulation): the same formulas, vectorised.

Both use :func:`current_system`: the YAML parameters with every approved
:class:`~safetynet.rules.models.ParameterChange` applied, rebuilt when an approval lands.
Parameter administration (maker-checker) is in :mod:`safetynet.rules.parameter_admin`.
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
from django.db.models import Count, Max
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from safetynet.rules.decision import Decision
from safetynet.rules.explain import build_decision
from safetynet.rules.facts import HouseholdFacts, Population
from safetynet.rules.models import ChangeStatus, ParameterChange
from safetynet.rules.system import (
    ParameterChangeSpec,
    build_simulation,
    month_of,
    system_with_changes,
    yaml_system,
)

#: Household-level results of :func:`decide_population`, one array each.
RESULT_COLUMNS = (
    "household_size",
    "assessed_size",
    "income_per_head",
    "dibao_standard",
    "dibao_eligible",
    "dibao_gradual_exit",
    "dibao_amount",
    "dibao_persons",
    "dibao_single_persons",
    "tekun_persons",
    "tekun_household_amount",
    "low_income_margin_eligible",
    "temporary_assistance_amount",
    "medical_assistance_amount",
    "living_subsidy_persons",
    "living_subsidy_amount",
    "care_subsidy_persons",
    "care_subsidy_amount",
    "monthly_total",
    # the tests behind 低保, so a caller can say why without deciding one by one
    "dibao_income_pass",
    "deposits_pass",
    "vehicles_pass",
    "dwellings_pass",
    "dwelling_area_pass",
    "business_registrations_pass",
)

_lock = threading.Lock()
_current: dict[str, object] = {"key": None, "system": None}


def approved_changes() -> list[ParameterChangeSpec]:
    rows = (
        ParameterChange.objects.filter(status=ChangeStatus.APPROVED)
        .order_by("decided_at", "id")
        .values_list("path", "region__code", "effective_from", "value", "reference")
    )
    return [
        ParameterChangeSpec(path=p, region_key=code, start=start, value=float(value), reference=ref)
        for p, code, start, value, ref in rows
    ]


def current_system() -> TaxBenefitSystem:
    """The rules in force: YAML plus approved changes. One cheap query per call tells whether an
    approval landed since the system was built (in this or any other process)."""
    state = ParameterChange.objects.filter(status=ChangeStatus.APPROVED).aggregate(
        n=Count("id"), last=Max("id")
    )
    key = (state["n"], state["last"])
    if _current["key"] == key:
        return _current["system"]  # type: ignore[return-value]
    with _lock:
        if _current["key"] != key:
            changes = approved_changes()
            system = system_with_changes(yaml_system(), changes, "approved") if changes else yaml_system()
            _current.update(key=key, system=system)
    return _current["system"]  # type: ignore[return-value]


def decide_household(
    *, household: HouseholdFacts, on: dt.date, system: TaxBenefitSystem | None = None
) -> Decision:
    """What ``household`` is owed for the month containing ``on``, programme by programme, with
    the tests and references behind each figure.

    Decisions are monthly: members count if they belong to the household on the 1st of the month,
    and parameters apply as in force on that day."""
    system = system or current_system()
    population = Population.from_facts([household])
    month = month_of(on)
    simulation = build_simulation(system, population, month)
    return build_decision(
        simulation=simulation,
        month=month,
        system=system,
        facts=household,
        h=0,
        person_slice=slice(0, population.person_count),
    )


def decide_population(
    *,
    table: Population,
    on: dt.date,
    reform: TaxBenefitSystem | None = None,
    system: TaxBenefitSystem | None = None,
) -> dict[str, np.ndarray]:
    """Household-level results (:data:`RESULT_COLUMNS`, plus ``household_id``) for every household
    of ``table`` in the month containing ``on``; under ``reform`` if given (see
    :mod:`safetynet.rules.reforms`), else under the rules in force."""
    table.validate()
    system = reform or system or current_system()
    month = month_of(on)
    simulation = build_simulation(system, table, month)
    out = {"household_id": table.household_ids}
    for name in RESULT_COLUMNS:
        out[name] = simulation.calculate(name, month)
    return out
