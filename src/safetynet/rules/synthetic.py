"""A synthetic population as column arrays (numpy only, no database): for benchmarks and for
checking that the vectorised path agrees with one-household decisions. Not the demo city."""

from __future__ import annotations

import datetime as dt

import numpy as np

from safetynet.rules.entities import ROLE_KEYS
from safetynet.rules.facts import (
    ALWAYS,
    EXEMPT_INCOME_KINDS,
    HOUSEHOLD_COLUMNS,
    INCOME_KINDS,
    NEVER,
    PERSON_COLUMNS,
    SUPPORTER_SLOTS,
    HouseholdFacts,
    MemberFacts,
    Population,
    SupporterFacts,
)
from safetynet.rules.variables.facts import LabourCapacity, SelfCare, TemporaryCase

COUNTIES = np.array([990101, 990102, 990103, 990104, 990105, 990106], dtype=np.int32)


def synthetic_population(households: int, *, seed: int = 1, on: dt.date = dt.date(2025, 7, 1)) -> Population:
    rng = np.random.default_rng(seed)
    n_h = households
    size = rng.choice([1, 2, 3, 4, 5], size=n_h, p=[0.22, 0.3, 0.26, 0.15, 0.07])
    n_p = int(size.sum())
    person_household = np.repeat(np.arange(n_h), size)
    starts = np.cumsum(size) - size
    position = np.arange(n_p) - starts[person_household]
    role = np.where(position == 0, 0, np.where(position == 1, 1, 2)).astype(np.int16)

    age = rng.integers(0, 95, size=n_p)
    age[position == 0] = rng.integers(20, 95, size=n_h)
    today = np.datetime64(on, "D")
    birth = (
        today
        - (age * 365.25).astype("timedelta64[D]")
        - rng.integers(1, 300, size=n_p).astype("timedelta64[D]")
    )
    grade = np.where(rng.random(n_p) < 0.06, rng.integers(1, 5, size=n_p), 0).astype(np.int32)
    working_age = (age >= 18) & (age < 60)
    employed = working_age & (rng.random(n_p) < 0.6)
    wage = np.where(employed, np.round(rng.lognormal(7.6, 0.7, size=n_p), 2), 0.0)
    pension = np.where(age >= 60, np.round(rng.lognormal(6.3, 0.9, size=n_p), 2), 0.0)
    labour = np.where(grade.astype(bool) & (grade <= 2), 2, np.where(grade > 0, 1, 0)).astype(np.int16)
    left = np.full(n_p, np.datetime64(NEVER, "D"))
    leavers = (position > 0) & (rng.random(n_p) < 0.01)
    left[leavers] = today + rng.integers(-20, 20, size=int(leavers.sum())).astype("timedelta64[D]")

    died = np.full(n_p, np.datetime64(NEVER, "D"))
    deaths = (age >= 70) & (rng.random(n_p) < 0.01)
    died[deaths] = today + rng.integers(-40, 40, size=int(deaths.sum())).astype("timedelta64[D]")
    persons = {
        "birth_date": birth.astype("datetime64[D]"),
        "died_on": died,
        "joined_on": np.full(n_p, np.datetime64(ALWAYS, "D")),
        "left_on": left,
        "disability_grade": grade,
        "labour_capacity": labour,
        "self_care": np.where(grade == 1, 2, np.where(age >= 80, 1, 0)).astype(np.int16),
        "serious_illness": rng.random(n_p) < 0.03,
        "has_capable_supporter": rng.random(n_p) < 0.05,
        **_supporters(rng, n_p),
        "wage_income": wage,
        "business_income": np.where(
            rng.random(n_p) < 0.05, np.round(rng.lognormal(7, 0.8, size=n_p), 2), 0.0
        ),
        "property_income": np.where(rng.random(n_p) < 0.08, np.round(rng.lognormal(5, 1, size=n_p), 2), 0.0),
        "transfer_income": pension,
        "other_income": np.zeros(n_p),
        "own_medical_expenses_12m": np.where(
            rng.random(n_p) < 0.08, np.round(rng.lognormal(8, 1, size=n_p), 2), 0.0
        ),
        "award_income": np.where(rng.random(n_p) < 0.02, np.round(rng.uniform(50, 800, size=n_p), 2), 0.0),
        "compensation_income": np.where(
            rng.random(n_p) < 0.01, np.round(rng.uniform(100, 2000, size=n_p), 2), 0.0
        ),
        "special_care_income": np.where(
            rng.random(n_p) < 0.01, np.round(rng.uniform(300, 3000, size=n_p), 2), 0.0
        ),
        "work_exempt": working_age & ~employed & (rng.random(n_p) < 0.3),
    }
    recipient = rng.random(n_h) < 0.05
    vehicles = (rng.random(n_h) < 0.25).astype(np.int32)
    vehicle_value = np.where(vehicles > 0, np.round(rng.lognormal(10.5, 0.6, size=n_h), 2), 0.0)
    disabled = np.bincount(person_household, weights=grade > 0, minlength=n_h) > 0
    exempt = (disabled & (rng.random(n_h) < 0.3)).astype(np.int32)
    exempt_value = np.where(exempt > 0, np.round(rng.uniform(3000, 20000, size=n_h), 2), 0.0)
    hh = {
        "county_code": rng.choice(COUNTIES, size=n_h),
        "rural": rng.random(n_h) < 0.3,
        "deposits": np.round(rng.lognormal(9, 1.5, size=n_h), 2),
        "vehicles": vehicles + exempt,
        "vehicle_value": vehicle_value + exempt_value,
        "disability_vehicles": exempt,
        "disability_vehicle_value": exempt_value,
        "dwelling_area": np.round(rng.lognormal(4.3, 0.4, size=n_h), 2),
        "dwellings": rng.choice([0, 1, 2], size=n_h, p=[0.1, 0.8, 0.1]).astype(np.int32),
        "business_registrations": (rng.random(n_h) < 0.04).astype(np.int32),
        "medical_expenses_12m": np.where(
            rng.random(n_h) < 0.2, np.round(rng.lognormal(8, 1, size=n_h), 2), 0.0
        ),
        "education_expenses_12m": np.where(
            rng.random(n_h) < 0.15, np.round(rng.lognormal(8, 0.5, size=n_h), 2), 0.0
        ),
        "dibao_current_amount": np.where(recipient, np.round(rng.uniform(200, 2000, size=n_h), 2), 0.0),
        "gradual_exit_months_used": np.where(recipient, rng.integers(0, 8, size=n_h), 0).astype(np.int32),
        "temporary_case": np.where(
            rng.random(n_h) < 0.01, rng.integers(1, len(TemporaryCase), size=n_h), 0
        ).astype(np.int16),
    }
    population = Population(
        household_ids=np.arange(1, n_h + 1, dtype=np.int64),
        households={c: np.asarray(v, dtype=HOUSEHOLD_COLUMNS[c]) for c, v in hh.items()},
        person_household=person_household.astype(np.int64),
        person_role=role,
        persons={c: np.asarray(v, dtype=PERSON_COLUMNS[c]) for c, v in persons.items()},
    )
    population.validate()
    return population


def _supporters(rng, n_p: int) -> dict[str, np.ndarray]:
    """0 to 3 supporters living elsewhere, each with a household of 1–5 and its monthly income."""
    count = rng.choice([0, 1, 2, 3], size=n_p, p=[0.3, 0.35, 0.25, 0.1])
    out = {}
    for k in SUPPORTER_SLOTS:
        has = count >= k
        out[f"supporter{k}_household_size"] = np.where(has, rng.integers(1, 6, size=n_p), 0).astype(np.int32)
        out[f"supporter{k}_income"] = np.where(has, np.round(rng.lognormal(8.3, 0.8, size=n_p), 2), 0.0)
        out[f"supporter{k}_lives_with"] = np.zeros(n_p, dtype=bool)
    return out


def household_facts_at(population: Population, index: int) -> HouseholdFacts:
    """Household ``index`` of a population as :class:`HouseholdFacts` (for one-household checks)."""
    h, p = population.households, population.persons
    rows = np.flatnonzero(population.person_household == index)
    labour, care, cases = list(LabourCapacity), list(SelfCare), list(TemporaryCase)
    relationship = {
        "head": "head",
        "spouse": "spouse",
        "child": "child",
        "parent": "parent",
        "other": "other",
    }

    def day(value) -> dt.date | None:
        d = value.astype(dt.date)
        return None if d in (ALWAYS, NEVER) else d

    members = tuple(
        MemberFacts(
            birth_date=p["birth_date"][j].astype(dt.date),
            relationship=relationship[ROLE_KEYS[population.person_role[j]]],
            joined_on=day(p["joined_on"][j]),
            left_on=day(p["left_on"][j]),
            died_on=day(p["died_on"][j]),
            disability_grade=int(p["disability_grade"][j]),
            labour_capacity=labour[p["labour_capacity"][j]].name,
            self_care=care[p["self_care"][j]].name,
            serious_illness=bool(p["serious_illness"][j]),
            has_capable_supporter=bool(p["has_capable_supporter"][j]),
            supporters=tuple(
                SupporterFacts(
                    relation="child",
                    household_income=float(p[f"supporter{k}_income"][j]),
                    household_size=int(p[f"supporter{k}_household_size"][j]),
                    lives_with=bool(p[f"supporter{k}_lives_with"][j]),
                )
                for k in SUPPORTER_SLOTS
                if p[f"supporter{k}_household_size"][j] > 0
            ),
            **{kind: float(p[kind][j]) for kind in (*INCOME_KINDS, *EXEMPT_INCOME_KINDS)},
            work_exempt=bool(p["work_exempt"][j]),
            own_medical_expenses_12m=float(p["own_medical_expenses_12m"][j]),
        )
        for j in rows
    )
    return HouseholdFacts(
        region_code=f"{int(h['county_code'][index]):06d}001001",
        members=members,
        rural=bool(h["rural"][index]),
        deposits=float(h["deposits"][index]),
        vehicles=int(h["vehicles"][index]),
        vehicle_value=float(h["vehicle_value"][index]),
        disability_vehicles=int(h["disability_vehicles"][index]),
        disability_vehicle_value=float(h["disability_vehicle_value"][index]),
        dwelling_area=float(h["dwelling_area"][index]),
        dwellings=int(h["dwellings"][index]),
        business_registrations=int(h["business_registrations"][index]),
        medical_expenses_12m=float(h["medical_expenses_12m"][index]),
        education_expenses_12m=float(h["education_expenses_12m"][index]),
        dibao_current_amount=float(h["dibao_current_amount"][index]),
        gradual_exit_months_used=int(h["gradual_exit_months_used"][index]),
        temporary_case=cases[h["temporary_case"][index]].name,
        household_id=int(population.household_ids[index]),
    )
