"""The population table for simulation and bulk decisions, built from the registry.

Members are those in their household on the 1st of the month. Income and asset facts come
from verification once it lands; UNTIL VERIFICATION LANDS they are read straight from the demo
city's raw departmental Parquet extracts under ``settings.LAKE_DIR / "incoming"`` by
:func:`_lake_facts` — a deliberately small seam, tolerant of absent sources and columns (a missing
one counts as zero and is listed in ``Population.extra['missing_sources']``-style notes). IDs with
typos simply do not match: that is verification's job, not this seam's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from django.conf import settings

from safetynet.rules.entities import RELATIONSHIP_ROLE, ROLE_KEYS
from safetynet.rules.facts import ALWAYS, HOUSEHOLD_COLUMNS, NEVER, PERSON_COLUMNS, Population
from safetynet.rules.regional import county_of


def population_from_registry(on: dt.date) -> tuple[Population, list[str]]:
    """Every household with at least one member on the 1st of ``on``'s month, and notes on
    which fact sources were missing."""
    from django.db.models import Q

    from safetynet.registry.models import Membership

    first = on.replace(day=1)
    rows = list(
        Membership.objects.filter(Q(left_on__isnull=True) | Q(left_on__gt=first), joined_on__lte=first)
        .order_by("household_id", "id")
        .values_list(
            "household_id",
            "household__number",
            "household__region__code",
            "household__rural",
            "relationship",
            "joined_on",
            "left_on",
            "person__id_number",
            "person__birth_date",
            "person__disability_grade",
            "person__labour_capacity",
            "person__health_conditions",
        )
    )
    household_ids = np.array(sorted({r[0] for r in rows}), dtype=np.int64)
    index = {hid: i for i, hid in enumerate(household_ids.tolist())}
    meta = {r[0]: (r[1], r[2], r[3]) for r in rows}
    n_h, n_p = len(household_ids), len(rows)
    numbers = [meta[h][0] for h in household_ids.tolist()]
    regions = [meta[h][1] for h in household_ids.tolist()]
    households = {c: np.zeros(n_h, dtype=t) for c, t in HOUSEHOLD_COLUMNS.items()}
    households["county_code"] = np.array([county_of(c) for c in regions], dtype=np.int32)
    households["rural"] = np.array([meta[h][2] for h in household_ids.tolist()], dtype=bool)
    households["dwellings"][:] = 1
    persons = {c: np.zeros(n_p, dtype=t) for c, t in PERSON_COLUMNS.items()}
    persons["birth_date"] = np.array([r[8] for r in rows], dtype="datetime64[D]")
    persons["joined_on"] = np.array([r[5] or ALWAYS for r in rows], dtype="datetime64[D]")
    persons["left_on"] = np.array([r[6] or NEVER for r in rows], dtype="datetime64[D]")
    persons["disability_grade"] = np.array([r[9] or 0 for r in rows], dtype=np.int32)
    persons["labour_capacity"] = np.array(
        [("full", "partial", "none").index(r[10]) for r in rows], dtype=np.int16
    )
    conditions = [set(r[11] or ()) for r in rows]
    persons["serious_illness"] = np.array(["serious" in c for c in conditions], dtype=bool)
    persons["self_care"] = np.array([2 if "needs_care" in c else 0 for c in conditions], dtype=np.int16)
    # Whether a capable supporter exists is assessed in a case; the registry alone assumes one.
    persons["has_capable_supporter"][:] = True
    person_household = np.array([index[r[0]] for r in rows], dtype=np.int64)
    person_role = np.array(
        [ROLE_KEYS.index(RELATIONSHIP_ROLE.get(r[4], "other")) for r in rows], dtype=np.int16
    )
    ids = [r[7] for r in rows]
    notes = _lake_facts(
        lake=Path(settings.LAKE_DIR) / "incoming",
        person_ids=ids,
        person_household=person_household,
        household_numbers=numbers,
        persons=persons,
        households=households,
    )
    population = Population(
        household_ids=household_ids,
        households=households,
        person_household=person_household,
        person_role=person_role,
        persons=persons,
        extra={
            "household_number": np.array(numbers, dtype=object),
            "region_code": np.array(regions, dtype=object),
        },
    )
    population.validate()
    return population, notes


def _read(lake: Path, source: str, columns: list[str]):
    """All batches of one source as a pyarrow table with ``columns``, or None if absent."""
    import pyarrow.parquet as pq

    files = sorted((lake / source).glob("*.parquet")) if (lake / source).is_dir() else []
    if not files:
        return None
    tables = []
    for f in files:
        table = pq.read_table(f)
        if not set(columns) <= set(table.column_names):
            return None
        tables.append(table.select(columns))
    import pyarrow as pa

    return pa.concat_tables(tables)


def _per_person(table, key: str, value: np.ndarray, position: dict[str, int], n: int) -> np.ndarray:
    out = np.zeros(n)
    keys = table.column(key).to_pylist()
    for k, v in zip(keys, value.tolist(), strict=True):
        j = position.get(k)
        if j is not None:
            out[j] += v
    return out


def _lake_facts(*, lake, person_ids, person_household, household_numbers, persons, households) -> list[str]:
    """UNTIL VERIFICATION LANDS: raw departmental facts by exact ID number. Returns notes."""
    notes: list[str] = []
    n_p, n_h = len(person_ids), len(household_numbers)
    position = {pid: j for j, pid in enumerate(person_ids)}

    def to_household(per_person: np.ndarray) -> np.ndarray:
        return np.bincount(person_household, weights=per_person, minlength=n_h)

    def col(table, name) -> np.ndarray:
        return np.nan_to_num(np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=float))

    wages = _read(lake, "tax_wages", ["id_number", "period", "wage_income"])
    if wages is None:
        notes.append("tax_wages")
    else:
        periods = wages.column("period").to_pylist()
        months = max(len(set(periods)), 1)
        persons["wage_income"] = np.round(
            _per_person(wages, "id_number", col(wages, "wage_income"), position, n_p) / months, 2
        )
    pensions = _read(lake, "social_insurance", ["id_number", "monthly_pension"])
    if pensions is None:
        notes.append("social_insurance")
    else:
        persons["transfer_income"] += _per_person(
            pensions, "id_number", col(pensions, "monthly_pension"), position, n_p
        )
    unemployment = _read(lake, "unemployment", ["id_number", "monthly_benefit"])
    if unemployment is None:
        notes.append("unemployment")
    else:
        persons["transfer_income"] += _per_person(
            unemployment, "id_number", col(unemployment, "monthly_benefit"), position, n_p
        )
    deposits = _read(lake, "bank_deposits", ["id_number", "deposit_balance", "wealth_products"])
    if deposits is None:
        notes.append("bank_deposits")
    else:
        value = col(deposits, "deposit_balance") + col(deposits, "wealth_products")
        households["deposits"] = to_household(_per_person(deposits, "id_number", value, position, n_p))
    vehicles = _read(lake, "vehicles", ["id_number", "disability_vehicle"])
    if vehicles is None:
        notes.append("vehicles")
    else:
        counted = 1.0 - col(vehicles, "disability_vehicle")
        households["vehicles"] = to_household(
            _per_person(vehicles, "id_number", counted, position, n_p)
        ).astype(np.int32)
    estate = _read(lake, "real_estate", ["id_number", "property_count"])
    if estate is None:
        notes.append("real_estate")
    else:
        owned = to_household(_per_person(estate, "id_number", col(estate, "property_count"), position, n_p))
        households["dwellings"] = owned.astype(np.int32)
    firms = _read(lake, "business_registration", ["id_number", "business_type", "status"])
    if firms is None:
        notes.append("business_registration")
    else:
        counted = np.array(
            [
                t != "个体工商户" and s == "存续"
                for t, s in zip(
                    firms.column("business_type").to_pylist(), firms.column("status").to_pylist(), strict=True
                )
            ],
            dtype=float,
        )
        households["business_registrations"] = to_household(
            _per_person(firms, "id_number", counted, position, n_p)
        ).astype(np.int32)
    medical = _read(lake, "medical_expenses", ["id_number", "out_of_pocket"])
    if medical is None:
        notes.append("medical_expenses")
    else:
        households["medical_expenses_12m"] = to_household(
            _per_person(medical, "id_number", col(medical, "out_of_pocket"), position, n_p)
        )
    benefits = _read(lake, "benefits", ["household_number", "programme", "monthly_amount"])
    if benefits is None:
        notes.append("benefits")
    else:
        where = {number: i for i, number in enumerate(household_numbers)}
        current = np.zeros(n_h)
        for number, programme, amount in zip(
            benefits.column("household_number").to_pylist(),
            benefits.column("programme").to_pylist(),
            col(benefits, "monthly_amount").tolist(),
            strict=True,
        ):
            if programme == "dibao" and number in where:
                current[where[number]] += amount
        households["dibao_current_amount"] = np.round(current, 2)
    return notes
