"""Observable traces of the income no source reports (hidden-income proxies).

The demo's true household income includes farm income (rural households) and business income,
which no departmental extract reports: the 应保尽保 list, built from reported income, is full
of households that look poor on paper. A real city holds records that follow that income, and
two with a plain source and legal footing are drawn here (declared in ``sources/catalogue.yaml``):

* ``land_contract`` (农村土地承包经营权登记与耕地地力保护补贴, 农业农村局): the contracted area in
  mu of a rural household and the yearly arable-land subsidy paid on it. The area follows farm
  income at a net yield of about 1,000 yuan per mu and year, with a spread of ×/÷1.4 (crop,
  transferred plots); one rural household in twelve has no record (land held in a parent's name).
* ``electricity_use`` (居民生活用电, 供电公司): the household's average monthly consumption over
  twelve months, which grows with members (∝ members^0.6) and with true income per head
  (elasticity 0.35), with a spread of ×/÷1.3.

These parameters were set once, from those plausibility arguments, before any model was trained
on them; they are not tuned to a result. The draws use a generator jumped off the city's own, so
every other extract and the ground truth are the same with or without them.
"""

from __future__ import annotations

import numpy as np

from safetynet.demo.population import Population

YIELD_PER_MU_YEAR = 1000.0  # yuan net farm income per mu and year
SUBSIDY_PER_MU = (105.0, 135.0)  # yuan per mu and year, by plot
NO_RECORD_SHARE = 1 / 12
KWH_BASE = 60.0
KWH_PRICE = 0.56


def proxy_rows(*, pop: Population, living: np.ndarray, payroll_salary: np.ndarray,
               rng: np.random.Generator) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """For each proxy source: the person rows (household heads) and their columns."""
    rng = np.random.Generator(rng.bit_generator.jumped())
    H = pop.n_households
    hh = pop.p_household
    heads = np.flatnonzero(pop.p_relationship == "head")
    income = np.bincount(hh, weights=np.where(
        living, pop.p_wage + pop.p_pension + pop.p_business + pop.p_unemployment_benefit + payroll_salary, 0.0),
        minlength=H) + pop.hh_farm_income
    members = np.bincount(hh, weights=living.astype(float), minlength=H)

    spread = np.exp(0.35 * rng.standard_normal(H))
    area = np.round(pop.hh_farm_income * 12 / YIELD_PER_MU_YEAR * spread, 1)
    recorded = pop.hh_rural & (rng.random(H) >= NO_RECORD_SHARE) & (area >= 0.1)
    per_mu = SUBSIDY_PER_MU[0] + (SUBSIDY_PER_MU[1] - SUBSIDY_PER_MU[0]) * rng.random(H)
    land = np.flatnonzero(recorded)

    per_head = np.maximum(income / np.maximum(members, 1), 150.0)
    kwh = KWH_BASE * np.maximum(members, 1) ** 0.6 * (per_head / 1000.0) ** 0.35 * np.exp(0.25 * rng.standard_normal(H))
    kwh = np.round(kwh, 1)
    occupied = np.flatnonzero(members > 0)
    return {
        "land_contract": (heads[land], {
            "contract_area_mu": area[land],
            "subsidy_year": np.full(land.size, "2025"),
            "subsidy_amount": np.round(area[land] * per_mu[land], 2),
        }),
        "electricity_use": (heads[occupied], {
            "account_number": np.strings.add("99", np.strings.zfill(occupied.astype(str), 10)),
            "monthly_kwh_12m": kwh[occupied],
            "monthly_bill_12m": np.round(kwh[occupied] * KWH_PRICE, 2),
        }),
    }
