"""Where the rules get a whole population from, without knowing the layers above them.

The rules sit below verification: they cannot read the registry and the lake's verified facts
themselves. Verification registers the function that builds the population of a date
(:func:`safetynet.verification.rules_bridge.population_from_registry`) when Django starts, and a
simulation over "the registry" asks :func:`population_at`. Callers that hold a population already
pass it to :func:`safetynet.rules.simulation.simulate_registry` directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.translation import gettext as _

from safetynet.rules.errors import NoPopulationSource
from safetynet.rules.facts import Population

#: ``on`` → (population of households with a member on the 1st of ``on``'s month, the sources
#: that had no batch in force at ``on``).
PopulationSource = Callable[[dt.date], tuple[Population, list[str]]]

_sources: list[PopulationSource] = []


def population_source_register(source: PopulationSource) -> None:
    """Make ``source`` the population the rules simulate over (the last registered wins)."""
    _sources.append(source)


def population_at(on: dt.date) -> tuple[Population, list[str]]:
    if not _sources:
        raise NoPopulationSource(_("没有可用的人口数据来源，无法测算"))
    return _sources[-1](on)
