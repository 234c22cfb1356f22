"""The rules system (an OpenFisca TaxBenefitSystem), simulations built from column arrays, and
parameter changes applied on top of the YAML: approved changes and simulated reforms alike."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.parameters import Parameter, ParameterNode
from openfisca_core.periods import Period, period
from openfisca_core.reforms import Reform
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from safetynet.rules import entities
from safetynet.rules.facts import ENUM_COLUMNS, Population
from safetynet.rules.regional import DEFAULT_KEY, node_at, regional_paths
from safetynet.rules.variables import ALL as VARIABLES

PARAMETERS_DIR = Path(__file__).resolve().parent / "parameters"


class SafetyNetRules(TaxBenefitSystem):
    """Entities person and household, the variables of every programme, the YAML parameters."""

    def __init__(self) -> None:
        super().__init__(entities.entities)
        self._parameters_at_instant_cache = {}
        self.add_variables(*VARIABLES)
        self.load_parameters(str(PARAMETERS_DIR))


@functools.cache
def yaml_system() -> SafetyNetRules:
    """The rules exactly as the YAML files state them (no approved changes)."""
    return SafetyNetRules()


@dataclass(frozen=True)
class ParameterChangeSpec:
    """Set the parameter at ``path`` for ``region_key`` (a 12-digit code or ``default``) to
    ``value`` from ``start`` on (until the next dated value of that region, if any)."""

    path: str
    region_key: str
    start: dt.date
    value: float
    reference: str = ""


def apply_changes(parameters: ParameterNode, changes: Iterable[ParameterChangeSpec]) -> ParameterNode:
    """Write ``changes`` into ``parameters`` (in order: a later change wins) and return it."""
    for change in changes:
        node = node_at(parameters, change.path)
        child = node.children.get(change.region_key)
        start = change.start.isoformat()
        if child is None:
            data = {"value": float(change.value), "metadata": {"reference": change.reference}}
            node.add_child(
                change.region_key, Parameter(f"{node.name}.{change.region_key}", {"values": {start: data}})
            )
            continue
        # Values after ``start`` that the YAML already dates stay; the change covers the interval
        # from ``start`` to the next dated value, as a decree does.
        later = [at for at in child.values_list if at.instant_str > start]
        stop = period(f"day:{later[-1].instant_str}").start.offset(-1, "day") if later else None
        child.update(start=period(f"day:{start}").start, stop=stop, value=float(change.value))
        for at in child.values_list:
            if at.instant_str == start:
                at.metadata = {
                    **child.metadata,
                    "reference": change.reference or child.metadata.get("reference", ""),
                }
    return parameters


def system_with_changes(
    base: TaxBenefitSystem, changes: list[ParameterChangeSpec], key: str
) -> TaxBenefitSystem:
    """A Reform of ``base`` with ``changes`` applied to a copy of its parameters."""

    class _Changes(Reform):
        name = key

        def apply(self) -> None:
            self.modify_parameters(modifier_function=lambda parameters: apply_changes(parameters, changes))

    reform = _Changes(base)
    reform.key = key
    return reform


def month_of(on: dt.date) -> Period:
    return period(f"{on:%Y-%m}")


def build_simulation(system: TaxBenefitSystem, population: Population, month: Period) -> Simulation:
    """A simulation over ``population`` for ``month``, set straight from its arrays."""
    builder = SimulationBuilder()
    builder.create_entities(system)
    persons = builder.populations["person"]
    persons.ids = np.arange(population.person_count)
    persons.count = population.person_count
    households = builder.populations["household"]
    households.ids = population.household_ids
    households.count = population.household_count
    households.members_entity_id = population.person_household
    roles = np.array(households.entity.flattened_roles, dtype=object)
    households.members_role = roles[population.person_role]
    simulation = builder.build(system)
    for data in (population.households, population.persons):
        for name, values in data.items():
            if name in ENUM_COLUMNS:
                values = EnumArray(values, ENUM_COLUMNS[name])
            variable = system.variables[name]
            target = month if variable.definition_period != "eternity" else period("eternity")
            simulation.set_input(name, target, values)
    return simulation


def regional_parameter_paths() -> list[str]:
    return regional_paths(yaml_system().parameters)


def is_regional_key(key: str) -> bool:
    return key == DEFAULT_KEY or (len(key) == 12 and key.isdigit())
