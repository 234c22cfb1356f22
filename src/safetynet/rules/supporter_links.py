"""Supporters who are persons of the registry: each duty of support (person → supporter, from the
registry's ``SupportObligation``) becomes a supporter slot of the supported person, with the
monthly income and size of the household the supporter lives in. Both are read from a
:class:`Population` built the way every household's facts are (same verified facts, same sums),
so a supporter's household is weighed as it would be if it applied itself."""

from __future__ import annotations

import numpy as np

from safetynet.rules.facts import INCOME_KINDS, Population
from safetynet.rules.variables.supporters import MAX_SUPPORTERS


def household_income_and_size(population: Population) -> tuple[np.ndarray, np.ndarray]:
    """For each person of ``population``: the monthly income of their household before any
    disregard (every member's wages, business, property, transfer and other income, rounded to
    the fen) and its number of members."""
    return incomes_of_households(population.persons, population.person_household, population.household_count)


def incomes_of_households(
    persons: dict[str, np.ndarray], person_household: np.ndarray, household_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`household_income_and_size` from the persons' income columns (``INCOME_KINDS``; a
    kind not given is zero) and each person's household row."""
    per_person = sum(persons[kind] if kind in persons else np.zeros(len(person_household)) for kind in INCOME_KINDS)
    income = np.bincount(person_household, weights=per_person, minlength=household_count)
    size = np.bincount(person_household, minlength=household_count)
    return np.round(income[person_household], 2), size[person_household]


def attach_supporters(
    population: Population,
    *,
    person_ids: np.ndarray,
    supporter_ids: np.ndarray,
    income: np.ndarray,
    size: np.ndarray,
    lives_with: np.ndarray,
) -> int:
    """Fill the supporter slots of ``population``: pair ``i`` says ``person_ids[i]`` (a caller's
    person id, ``population.extra["person_id"]``) is owed support by ``supporter_ids[i]``, whose
    household has ``income[i]`` a month and ``size[i]`` members (the same household when
    ``lives_with[i]``). A person's first :data:`MAX_SUPPORTERS` supporters by supporter id are
    kept; pairs of persons not in the population are skipped. Returns the pairs used."""
    ids = population.extra.get("person_id")
    if ids is None or len(person_ids) == 0 or population.person_count == 0:
        return 0
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    wanted = np.asarray(person_ids, dtype=np.int64)
    at = np.clip(np.searchsorted(sorted_ids, wanted), 0, len(sorted_ids) - 1)
    who = np.where(sorted_ids[at] == wanted, order[at], -1)
    keep = (who >= 0) & (np.asarray(supporter_ids) != wanted)
    who = who[keep]
    sup_ids = np.asarray(supporter_ids, dtype=np.int64)[keep]
    income, size, lives_with = (np.asarray(a)[keep] for a in (income, size, lives_with))
    pairs = np.lexsort((sup_ids, who))
    who, income, size, lives_with = who[pairs], income[pairs], size[pairs], lives_with[pairs]
    rank = np.arange(len(who)) - np.searchsorted(who, who, side="left")
    used = rank < MAX_SUPPORTERS
    p = population.persons
    named = np.unique(who)
    for k in range(1, MAX_SUPPORTERS + 1):
        slot = used & (rank == k - 1)
        for what, values, empty in (
            ("income", income, 0.0),
            ("household_size", size, 0),
            ("lives_with", lives_with, False),
        ):
            column = p[f"supporter{k}_{what}"]
            column[named] = empty
            column[who[slot]] = values[slot]
    return int(used.sum())
