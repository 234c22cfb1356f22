"""Departmental extracts, planted anomalies and the ground truth, from a generated population.

Truth first: every person's real incomes and assets are drawn, the households that truly need
help are found, a benefits roll is drawn from them (with coverage gaps and some wrong
inclusions), then anomalies are planted into recipient households and source rows and each is
recorded. Precision is measured against this record, never tuned on it.

The demo's poverty lines (later issues own the real, dated parameters): 低保 standard
900 yuan/month per head in urban communities, 700 in rural ones; a household truly needs help
when its true income per head is below the standard, its financial assets per head are at
most 24 months of the standard, it owns no vehicle (a 残疾人专用车 excepted) and at most one
property, and nobody in it is on the public payroll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from pypinyin import lazy_pinyin

from safetynet.demo import names
from safetynet.demo.population import REF, REFERENCE_DATE, Population, check_characters, digits_of
from safetynet.demo.proxies import proxy_rows
from safetynet.demo.sources import PLANTED_SCHEMA, SOURCES, TYPO_SOURCES
from safetynet.supervision.scan import EXCLUSIVE_PAIRS

URBAN_STANDARD = 900.0
RURAL_STANDARD = 700.0
ASSET_MONTHS = 24
PERIOD = "2026-09"
BATCH = REFERENCE_DATE.strftime("%Y%m%d")
NAT = np.datetime64("NaT", "D")


@dataclass
class Extracts:
    tables: dict[str, pa.Table]
    planted: pa.Table
    needy: pa.Table
    summary: dict = field(default_factory=dict)


class _Builder:
    """Collects column chunks of one source; rows are later sorted by id_number."""

    def __init__(self, name: str, pop: Population) -> None:
        self.source = SOURCES[name]
        self.pop = pop
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(self, persons: np.ndarray, *, planted: np.ndarray | int = -1, **cols) -> None:
        persons = np.asarray(persons, np.int64)
        n = persons.size
        if n == 0:
            return
        chunk = {"id_number": self.pop.p_id_number[persons], "name": self.pop.p_name[persons]}
        for c in self.source.columns:
            if c.name in ("id_number", "name"):
                continue
            if c.name == "reported_on":
                chunk[c.name] = np.full(n, REF)
                continue
            value = cols.pop(c.name)
            chunk[c.name] = np.broadcast_to(np.asarray(value), (n,)).copy()
        if cols:
            raise KeyError(f"unknown columns for {self.source.name}: {sorted(cols)}")
        chunk["_planted"] = np.broadcast_to(np.asarray(planted, np.int64), (n,)).copy()
        chunk["_person"] = persons
        self.chunks.append(chunk)

    def columns(self) -> dict[str, np.ndarray]:
        keys = [c.name for c in self.source.columns] + ["_planted", "_person"]
        if not self.chunks:
            return {k: np.array([], dtype=_empty_dtype(self.source, k)) for k in keys}
        out = {k: np.concatenate([ch[k] for ch in self.chunks]) for k in keys}
        # Sorted by ID number (as a department's dump would be); the 17 digits fit an int64.
        order = np.argsort(_id_keys(self.pop)[out["_person"]], kind="stable")
        return {k: v[order] for k, v in out.items()}


def _id_keys(pop: Population) -> np.ndarray:
    if "id_key" not in pop.extra:
        pop.extra["id_key"] = digits_of(pop.p_id_number) @ (10 ** np.arange(16, -1, -1, dtype=np.int64))
    return pop.extra["id_key"]


def _empty_dtype(source, key: str):
    for c in source.columns:
        if c.name == key:
            return {"string": "<U1", "date": "datetime64[D]", "int": np.int64, "float": float, "bool": bool}[c.type]
    return np.int64


def _days(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    return np.floor(lo + rng.random(n) * (hi - lo)).astype("timedelta64[D]")


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    # np.strings.zfill fails on empty arrays.
    return np.strings.zfill(values.astype(str), width) if values.size else np.array([], dtype=f"<U{width}")


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, float), 2)


class _Planter:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, *, kind: str, household: str, id_number: str, source: str, **detail) -> int:
        self.rows.append(
            {
                "kind": kind,
                "household_number": household,
                "id_number": id_number,
                "source": source,
                "source_row": -1,
                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            }
        )
        return len(self.rows) - 1


def build_extracts(*, pop: Population, rng: np.random.Generator) -> Extracts:
    N, H = pop.n_persons, pop.n_households
    hh = pop.p_household
    hh_no = pop.hh_number
    planter = _Planter()
    b = {name: _Builder(name, pop) for name in SOURCES}
    comm_codes = pop.city.community_codes
    rural_p = pop.hh_rural[hh]
    adult = pop.p_age >= 18
    registry_dead = ~np.isnat(pop.p_death)

    # --- deaths the registry does not know (late or never reported) ---
    unreported = ~registry_dead & (pop.p_age >= 70) & (rng.random(N) < 0.004)
    living = ~registry_dead & ~unreported

    # --- true incomes and assets ---
    income_p = np.where(living, pop.p_wage + pop.p_pension + pop.p_business + pop.p_unemployment_benefit, 0.0)
    deposit_owner = adult & living & (rng.random(N) < 0.8)
    personal = pop.p_wage + pop.p_pension + pop.p_business
    deposit = np.where(deposit_owner, _money(np.exp(rng.normal(np.log(1500 + 3 * personal), 1.1))), 0.0)
    wealth = np.where(deposit_owner & (rng.random(N) < 0.1), _money(np.exp(rng.normal(np.log(50000), 0.8, N))), 0.0)
    securities_owner = adult & living & (personal > 3000) & (rng.random(N) < 0.1)
    securities = np.where(securities_owner, _money(np.exp(rng.normal(np.log(60000), 1.2, N))), 0.0)

    def hh_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(hh, weights=values, minlength=H)

    members = np.bincount(hh, weights=living.astype(float), minlength=H)
    members_safe = np.maximum(members, 1)
    standard = np.where(pop.hh_rural, RURAL_STANDARD, URBAN_STANDARD)
    base_income = hh_sum(income_p) + pop.hh_farm_income
    per_head = base_income / members_safe
    fin_assets = hh_sum(deposit + wealth + securities)

    heads = np.flatnonzero(pop.p_relationship == "head")  # one per household, in household order
    head_of = heads  # household index -> head row
    owns_car = (rng.random(H) < np.clip(0.04 + per_head / 9000, 0, 0.7)) & living[head_of] & (pop.p_age[head_of] < 80)
    props = np.where(
        rng.random(H) < np.where(pop.hh_rural, 0.9, 0.8), 1 + (rng.random(H) < np.clip(per_head / 20000, 0, 0.5)), 0
    ).astype(np.int64)
    base_needy = (
        (per_head < standard) & (fin_assets / members_safe <= ASSET_MONTHS * standard) & ~owns_car & (props <= 1)
    ) & (members > 0)

    # --- the benefits roll: most needy households covered, some near-poor on 低保边缘 ---
    u = rng.random(H)
    receiving = np.full(H, "", dtype="<U20")
    receiving[base_needy & (u < 0.75)] = "dibao"
    single_no_labour = (members == 1) & np.isin(pop.p_labour[head_of], ("none",)) & (pop.p_age[head_of] >= 16)
    receiving[(receiving == "dibao") & single_no_labour & living[head_of]] = "tekun"
    margin = ~base_needy & (per_head < 1.5 * standard) & (members > 0) & (u < 0.25) & ~owns_car
    receiving[margin] = "low_income_margin"
    # Wrongly included: not needy, yet on 低保 (hidden income the verification should find).
    wrong = ~base_needy & (receiving == "") & (members > 0) & (rng.random(H) < 0.003)
    receiving[wrong] = "dibao"
    for h in np.flatnonzero(wrong):
        planter.add(
            kind="ineligible_recipient", household=hh_no[h], id_number=pop.p_id_number[head_of[h]], source="benefits",
            income_per_head=round(float(per_head[h]), 2), standard=float(standard[h]),
        )
    cash = np.isin(receiving, ("dibao", "tekun"))
    start = REF - _days(rng, H, 30, 6 * 365)

    # Per-person benefit rows for every living member of a receiving household.
    rec_p = (receiving[hh] != "") & living
    prog_p = receiving[hh]
    hh_amount = np.where(
        receiving == "tekun",
        np.round(1.3 * standard, 0),
        np.where(receiving == "dibao", np.maximum(np.round((standard - per_head) * members_safe, 0), 100.0), 0.0),
    )
    share = hh_amount[hh] / members_safe[hh]
    rows = np.flatnonzero(rec_p)
    b["benefits"].add(
        rows, household_number=hh_no[hh[rows]], region_code=comm_codes[pop.hh_community[hh[rows]]],
        programme=prog_p[rows], relationship=pop.p_relationship[rows], monthly_amount=_money(share[rows]),
        start_date=start[hh[rows]],
    )
    dis_sub = living & (pop.p_disability_grade >= 1) & (pop.p_disability_grade <= 2) & cash[hh]
    rows = np.flatnonzero(dis_sub)
    b["benefits"].add(
        rows, household_number=hh_no[hh[rows]], region_code=comm_codes[pop.hh_community[hh[rows]]],
        programme="disability_subsidies", relationship=pop.p_relationship[rows],
        monthly_amount=np.where(pop.p_disability_grade[rows] == 1, 190.0, 90.0), start_date=start[hh[rows]],
    )

    # --- ordinary source rows (what departments hold about everyone) ---
    rows = np.flatnonzero(pop.p_disability != "")
    cat_digit = np.searchsorted(np.array(sorted(set(pop.p_disability[rows].tolist()) | {""})), pop.p_disability[rows])
    issued = np.maximum(pop.p_birth[rows], REF - _days(rng, rows.size, 30, 10 * 365))
    b["disability_certificates"].add(
        rows,
        certificate_number=np.strings.add(
            np.strings.add(pop.p_id_number[rows], cat_digit.astype(str)), pop.p_disability_grade[rows].astype(str)
        ),
        disability_category=pop.p_disability[rows], disability_grade=pop.p_disability_grade[rows].astype(np.int64),
        issued_on=issued, valid_until=issued + np.timedelta64(10 * 365, "D"),
    )

    employers = np.array(names.EMPLOYERS)
    credit = np.array([f"91990100MA{i:07d}A" for i in range(len(names.EMPLOYERS))])
    earners = np.flatnonzero((pop.p_wage > 0) & ~registry_dead)
    emp = pop.p_employer[earners]
    b["social_insurance"].add(
        earners, scheme="employee_pension", status="contributing", employer_name=employers[emp],
        contribution_base=_money(np.maximum(pop.p_wage[earners], 4000.0)), monthly_pension=0.0, period=PERIOD,
    )
    pens = np.flatnonzero((pop.p_pension_kind != "") & ~registry_dead)
    b["social_insurance"].add(
        pens, scheme=np.where(pop.p_pension_kind[pens] == "employee", "employee_pension", "resident_pension"),
        status=np.where(unreported[pens], "suspended", "receiving"), employer_name="", contribution_base=0.0,
        monthly_pension=_money(np.where(unreported[pens], 0.0, pop.p_pension[pens])), period=PERIOD,
    )
    for k, month in enumerate(("2026-07", "2026-08", PERIOD)):
        wage = _money(pop.p_wage[earners] * (0.92 + 0.16 * rng.random(earners.size)) if k < 2 else pop.p_wage[earners])
        b["tax_wages"].add(
            earners, employer_credit_code=credit[emp], employer_name=employers[emp], period=month, wage_income=wage,
            tax_withheld=_money(np.maximum(wage - 5000, 0) * 0.03),
        )
    rows = np.flatnonzero(pop.p_unemployed & living)
    ben = pop.p_unemployment_benefit[rows] > 0
    reg = REF - _days(rng, rows.size, 20, 700)
    b["unemployment"].add(
        rows, registered_on=reg, status=np.where(ben, "receiving_benefit", "registered"),
        monthly_benefit=pop.p_unemployment_benefit[rows],
        benefit_start=np.where(ben, reg + np.timedelta64(15, "D"), NAT),
        benefit_end=np.where(ben, reg + np.timedelta64(15 + 365, "D"), NAT),
    )
    # Hospital stays: mostly the seriously and chronically ill.
    p_stay = np.where(pop.p_serious, 0.9, np.where(pop.p_chronic, 0.12, 0.02)) * living
    rows = np.flatnonzero(rng.random(N) < p_stay)
    rows = np.concatenate([rows, rows[pop.p_serious[rows] & (rng.random(rows.size) < 0.5)]])  # second stays
    n = rows.size
    admitted = REF - _days(rng, n, 5, 365)
    total = _money(np.exp(rng.normal(np.where(pop.p_serious[rows], np.log(60000), np.log(9000)), 0.8)))
    reimb = np.where(rural_p[rows], 0.55, 0.65) + 0.1 * rng.random(n)
    ins = _money(total * reimb)
    diag = np.array(names.DIAGNOSES)
    b["medical_expenses"].add(
        rows, hospital_name=np.array(names.HOSPITALS)[rng.integers(0, len(names.HOSPITALS), n)],
        diagnosis=diag[np.where(pop.p_serious[rows], rng.integers(0, 4, n), rng.integers(3, diag.size, n))],
        admitted_on=admitted, discharged_on=admitted + _days(rng, n, 2, 40), total_cost=total, insurance_paid=ins,
        out_of_pocket=_money(total - ins),
    )

    def add_vehicle(rows: np.ndarray, *, disability: bool, planted: np.ndarray | int = -1) -> None:
        n = rows.size
        value = _money(np.exp(rng.normal(np.log(30000 if disability else 110000), 0.5, n)))
        types = np.array(names.VEHICLE_TYPES)
        vtype = np.full(n, types[4]) if disability else types[np.where(rng.random(n) < 0.8, 0, rng.integers(1, 4, n))]
        letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
        plate = np.strings.add(
            np.strings.add("示", letters[rng.integers(0, 6, n)]),
            np.strings.add(letters[rng.integers(0, letters.size, n)], _zfill(rng.integers(0, 10**4, n), 4)),
        )
        b["vehicles"].add(
            rows, plate_number=plate, vehicle_type=vtype, vehicle_value=value,
            purchase_date=REF - _days(rng, n, 60, 12 * 365), disability_vehicle=disability, planted=planted,
        )

    add_vehicle(head_of[owns_car], disability=False)
    dis_car = living & (pop.p_disability == "physical") & (pop.p_disability_grade >= 2) & (rng.random(N) < 0.08) & adult
    add_vehicle(np.flatnonzero(dis_car), disability=True)

    rows = head_of[props > 0]
    pc = props[props > 0]
    area = np.round(np.where(pop.hh_rural[hh[rows]], 90 + 80 * rng.random(rows.size), 45 + 70 * rng.random(rows.size)) * pc, 1)
    price = np.where(pop.hh_rural[hh[rows]], 1200, 9000) * (0.7 + 0.6 * rng.random(rows.size))
    b["real_estate"].add(rows, property_count=pc, total_area_m2=area, assessed_value=_money(area * price))

    rows = np.flatnonzero(pop.p_business > 0)
    n = rows.size
    words = np.array(names.PLACE_WORDS)
    kinds = np.array(("商店", "餐馆", "五金店", "理发店", "建材经营部", "物流有限公司", "科技有限公司"))
    kind = rng.integers(0, kinds.size, n)
    b["business_registration"].add(
        rows, business_name=np.strings.add(np.strings.add("示范市", words[rng.integers(0, words.size, n)]), kinds[kind]),
        credit_code=np.strings.add("92990100", _zfill(rng.integers(0, 10**10, n), 10)),
        business_type=np.where(kind >= 5, "有限责任公司", "个体工商户"),
        registered_capital=np.where(kind >= 5, _money(np.round(np.exp(rng.normal(np.log(500000), 0.8, n)), -4)), 0.0),
        status=np.where(rng.random(n) < 0.92, "存续", "注销"), established_on=REF - _days(rng, n, 90, 15 * 365),
    )
    rows = np.flatnonzero(deposit_owner)
    banks = np.array(names.BANKS)
    b["bank_deposits"].add(
        rows, bank_name=banks[rng.integers(0, banks.size, rows.size)], deposit_balance=deposit[rows],
        wealth_products=wealth[rows],
    )
    rows = np.flatnonzero(securities_owner)
    b["securities"].add(
        rows, account_type=np.where(rng.random(rows.size) < 0.7, "A股", "基金"), market_value=securities[rows]
    )
    rows = np.flatnonzero((pop.p_wage > 0) & ~registry_dead & ~rural_p & (rng.random(N) < 0.6))
    contrib = _money(pop.p_wage[rows] * 0.24)
    b["housing_fund"].add(
        rows, account_balance=_money(contrib * rng.random(rows.size) * 120), monthly_contribution=contrib,
        status="contributing",
    )
    # Public payroll: some wage earners work for the state (their wage is the salary). Never in a
    # household on a cash roll: a 财政供养 member's salary counts in the household's income and the
    # law keeps such households off 低保/特困 unless filed (备案) and reviewed, so in this city a
    # public employee in a paid household is exactly a planted anomaly (below), as the truth says.
    # (Drawn for every earner as before, then filtered: the random stream, and the rest of the
    # city, are unchanged.)
    pub = earners[rng.random(earners.size) < 0.06]
    pub_emp = rng.integers(0, len(names.PUBLIC_EMPLOYERS), pub.size)
    pub_since = np.maximum(REF - _days(rng, pub.size, 100, 20 * 365), pop.p_birth[pub] + np.timedelta64(18 * 365, "D"))
    keep = receiving[hh[pub]] == ""
    pub, pub_emp, pub_since = pub[keep], pub_emp[keep], pub_since[keep]
    b["public_payroll"].add(
        pub, employer_name=np.array([e for e, _ in names.PUBLIC_EMPLOYERS])[pub_emp],
        employer_type=np.array([t for _, t in names.PUBLIC_EMPLOYERS])[pub_emp], monthly_salary=pop.p_wage[pub],
        since=pub_since,
    )
    # Prison: a few adults outside the benefits roll (serving, or released).
    rows = np.flatnonzero(adult & living & (pop.p_age < 60) & (rng.random(N) < 0.0015) & (receiving[hh] == ""))
    add_prison = _prison_adder(b["prison"], rng)
    add_prison(rows, serving=rng.random(rows.size) < 0.5)

    # Registry-known deaths.
    rows = np.flatnonzero(registry_dead)
    b["hukou_deaths"].add(
        rows, sex=pop.p_sex[rows], death_date=pop.p_death[rows],
        death_place=np.where(rng.random(rows.size) < 0.6, "医院", "家中"),
        hukou_region_code=comm_codes[pop.p_hukou_community[rows]],
    )
    # Civil-affairs staff: ordinary working-age people.
    n_staff = max(4, len(comm_codes) + 3 * len(pop.city.street_codes))
    cand = np.flatnonzero(living & (pop.p_age >= 23) & (pop.p_age < 58) & (receiving[hh] == "") & (pop.p_wage > 0))
    staff = np.sort(rng.choice(cand, size=min(n_staff, cand.size), replace=False))
    _add_staff(b["staff"], pop, staff, rng, planted=-1)
    is_staff = np.zeros(N, bool)
    is_staff[staff] = True

    # --- planting into cash recipient households ---
    rec_h = np.flatnonzero(cash & (members > 0) & ~wrong)
    n_rec = rec_h.size
    used_h = np.zeros(H, bool)
    payroll_salary = np.zeros(N)
    vehicle_planted = np.zeros(H, bool)

    def pick(candidates_h: np.ndarray, rate: float) -> np.ndarray:
        c = candidates_h[~used_h[candidates_h]]
        k = min(c.size, max(1, round(rate * n_rec)))
        chosen = np.sort(rng.choice(c, size=k, replace=False)) if k else c[:0]
        used_h[chosen] = True
        return chosen

    def member_rows(h: int, mask: np.ndarray) -> np.ndarray:
        lo, hi = np.searchsorted(hh, h, "left"), np.searchsorted(hh, h, "right")
        r = np.arange(lo, hi)
        return r[mask[lo:hi]]

    hh_has = lambda mask: np.bincount(hh, weights=mask.astype(float), minlength=H) > 0  # noqa: E731

    # Unreported deaths in recipient households: the benefit goes on being paid.
    elderly_living = living & (pop.p_age >= 60)
    for h in pick(rec_h[hh_has(elderly_living)[rec_h] & (members[rec_h] >= 1)], 0.01):
        r = member_rows(h, elderly_living)[0]
        unreported[r] = True
        living[r] = False
    rows = np.flatnonzero(unreported)
    d_date = np.maximum(REF - _days(rng, rows.size, 10, 400), pop.p_joined[rows])
    ids = [
        planter.add(
            kind="unreported_death", household=hh_no[hh[r]], id_number=pop.p_id_number[r], source="hukou_deaths",
            death_date=str(d), receiving=str(receiving[hh[r]]),
        )
        for r, d in zip(rows.tolist(), d_date.tolist(), strict=True)
    ]
    b["hukou_deaths"].add(
        rows, sex=pop.p_sex[rows], death_date=d_date, death_place=np.where(rng.random(rows.size) < 0.5, "医院", "家中"),
        hukou_region_code=comm_codes[pop.p_hukou_community[rows]], planted=np.array(ids, np.int64),
    )

    # Hidden vehicles.
    adult_living = living & adult
    for h in pick(rec_h[hh_has(adult_living)[rec_h]], 0.02):
        r = member_rows(h, adult_living)[:1]
        i = planter.add(kind="hidden_vehicle", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="vehicles")
        add_vehicle(r, disability=False, planted=i)
        vehicle_planted[h] = True

    # Recipients on the public payroll.
    working = living & (pop.p_age >= 22) & (pop.p_age < 60)
    for h in pick(rec_h[hh_has(working)[rec_h]], 0.005):
        r = member_rows(h, working)[:1]
        salary = _money(np.exp(rng.normal(np.log(6500), 0.3, 1)))
        payroll_salary[r] = salary
        i = planter.add(
            kind="public_payroll_recipient", household=hh_no[h], id_number=pop.p_id_number[r[0]],
            source="public_payroll", monthly_salary=float(salary[0]),
        )
        e = int(rng.integers(0, len(names.PUBLIC_EMPLOYERS)))
        b["public_payroll"].add(
            r, employer_name=names.PUBLIC_EMPLOYERS[e][0], employer_type=names.PUBLIC_EMPLOYERS[e][1],
            monthly_salary=salary, since=REF - _days(rng, 1, 200, 3000), planted=i,
        )

    # Recipients in prison.
    for h in pick(rec_h[hh_has(working)[rec_h]], 0.003):
        r = member_rows(h, working)[:1]
        i = planter.add(kind="imprisoned_recipient", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="prison")
        add_prison(r, serving=np.array([True]), planted=i)

    # The same person on two households' rolls.
    dup_cand = rec_h[(members[rec_h] >= 2)]
    targets = rec_h.copy()
    for h in pick(dup_cand, 0.005):
        r = member_rows(h, living & (pop.p_relationship != "head"))[:1]
        if r.size == 0:
            continue
        others = targets[targets != h]
        if others.size == 0:
            continue
        h2 = int(others[rng.integers(0, others.size)])
        i = planter.add(
            kind="duplicate_benefit", household=hh_no[h2], id_number=pop.p_id_number[r[0]], source="benefits",
            listed_in=[hh_no[h], hh_no[h2]], programme=str(receiving[h2]),
        )
        b["benefits"].add(
            r, household_number=hh_no[h2], region_code=comm_codes[pop.hh_community[h2]], programme=receiving[h2],
            relationship="other", monthly_amount=_money(hh_amount[h2] / members_safe[h2]), start_date=REF - _days(rng, 1, 30, 400),
            planted=i,
        )
        pair = {str(receiving[h]), str(receiving[h2])}
        if any(pair == set(exclusive) for exclusive in EXCLUSIVE_PAIRS):
            # Paid in two programmes the law makes exclusive: that is an anomaly of its own, and the truth says so.
            planter.add(
                kind="exclusive_programmes", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="benefits",
                programmes=sorted(pair),
            )

    # 特困 and 低保 at once (they exclude each other).
    old = living & (pop.p_age >= 60)
    dibao_h = rec_h[(receiving[rec_h] == "dibao") & hh_has(old)[rec_h]]
    for h in pick(dibao_h, 0.005):
        r = member_rows(h, old)[:1]
        i = planter.add(
            kind="exclusive_programmes", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="benefits",
            programmes=["dibao", "tekun"],
        )
        b["benefits"].add(
            r, household_number=hh_no[h], region_code=comm_codes[pop.hh_community[h]], programme="tekun",
            relationship=pop.p_relationship[r], monthly_amount=np.round(1.3 * standard[h], 0), start_date=REF - _days(rng, 1, 30, 400),
            planted=i,
        )

    # Staff relatives: a grown child who moved out of a recipient household now works in civil affairs.
    hist_h = np.zeros(H, bool)
    hist_h[pop.hist_household] = True
    mover_living = living[pop.hist_person] & (pop.p_age[pop.hist_person] >= 22) & (pop.p_age[pop.hist_person] < 60)
    mover_ok = np.zeros(H, bool)
    mover_ok[pop.hist_household[mover_living & ~is_staff[pop.hist_person]]] = True
    chosen = pick(rec_h[mover_ok[rec_h]], 0.005)
    for h in chosen:
        k = np.flatnonzero((pop.hist_household == h) & mover_living & ~is_staff[pop.hist_person])[0]
        r = pop.hist_person[k : k + 1]
        is_staff[r] = True
        i = planter.add(
            kind="staff_relative", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="staff",
            relationship="child", recipient_head=pop.p_id_number[head_of[h]],
        )
        _add_staff(b["staff"], pop, r, rng, planted=i)
    if chosen.size == 0:  # small cities: a staff member living in a recipient household
        for h in pick(rec_h[hh_has(working & ~is_staff)[rec_h]], 0.005):
            r = member_rows(h, working & ~is_staff)[:1]
            i = planter.add(
                kind="staff_relative", household=hh_no[h], id_number=pop.p_id_number[r[0]], source="staff",
                relationship=str(pop.p_relationship[r[0]]), recipient_head=pop.p_id_number[head_of[h]],
            )
            _add_staff(b["staff"], pop, r, rng, planted=i)

    # Observable traces of the income no extract reports (see demo.proxies).
    for name, (rows, columns) in proxy_rows(pop=pop, living=living, payroll_salary=payroll_salary, rng=rng).items():
        b[name].add(rows, **columns)

    # --- tables, then typos on rows nobody else planted into ---
    cols = {name: builder.columns() for name, builder in b.items()}
    typo_rate = {"name": 0.004, "id": 0.003}
    chars = np.array(names.MALE_GIVEN + names.FEMALE_GIVEN)
    # The kinds of fault added later draw from their own stream, so every earlier draw is unchanged.
    typo_rng = rng.spawn(1)[0]
    for name in TYPO_SOURCES:
        c = cols[name]
        free = np.flatnonzero(c["_planted"] < 0)
        if free.size == 0:
            continue
        picks = rng.random(free.size)
        name_rows = free[picks < typo_rate["name"]]
        id_rows = free[(picks >= typo_rate["name"]) & (picks < typo_rate["name"] + typo_rate["id"])]
        for r in name_rows.tolist():
            true = str(c["name"][r])
            pos = int(rng.integers(1, len(true))) if len(true) > 1 else 0
            new_char = str(chars[rng.integers(0, chars.size)])
            if new_char == true[pos]:
                new_char = str(chars[(np.flatnonzero(chars == new_char)[0] + 1) % chars.size])
            # A clerk keying from speech writes a homophone; from a scan, a look-alike character.
            kind = ("random", "homophone", "lookalike")[int(typo_rng.integers(0, 3))]
            kind, new_char = _typo_character(true, pos, kind, new_char, typo_rng)
            typo = true[:pos] + new_char + true[pos + 1 :]
            c["name"][r] = typo
            c["_planted"][r] = planter.add(
                kind="name_typo", household=hh_no[hh[c["_person"][r]]], id_number=str(c["id_number"][r]), source=name,
                reported_name=typo, true_name=true, error=kind,
            )
        if id_rows.size:
            true_ids = c["id_number"][id_rows].copy()
            d = digits_of(true_ids)
            transpose = rng.random(id_rows.size) < 0.5
            pos = rng.integers(0, 16, id_rows.size)
            for j in range(id_rows.size):
                row = d[j]
                p = int(pos[j])
                if transpose[j] and row[p] != row[p + 1]:
                    row[p], row[p + 1] = row[p + 1], row[p]
                else:
                    transpose[j] = False
                    row[p] = (row[p] + 1 + int(rng.integers(0, 9))) % 10
            # A quarter of the faults are a birth date keyed day-first (MMDD → DDMM) where it reads as a date.
            swapped = np.zeros(id_rows.size, bool)
            for j in range(id_rows.size):
                row = d[j]
                mm, dd = row[10] * 10 + row[11], row[12] * 10 + row[13]
                if typo_rng.random() < 0.25 and 1 <= dd <= 12 and mm != dd:
                    true_row = digits_of(true_ids[j : j + 1])[0]
                    row[:] = true_row
                    row[10], row[11], row[12], row[13] = true_row[12], true_row[13], true_row[10], true_row[11]
                    swapped[j] = True
                    transpose[j] = False
            chk = check_characters(d)
            keep = np.empty((id_rows.size, 18), np.uint8)
            keep[:, :17] = d + ord("0")
            keep[:, 17] = np.frombuffer(np.ascontiguousarray(true_ids.astype("S18")).tobytes(), np.uint8).reshape(-1, 18)[:, 17]
            del chk  # the true check character is kept, so it no longer matches
            typos = keep.view("S18").ravel().astype("U18")
            for j, r in enumerate(id_rows.tolist()):
                c["id_number"][r] = typos[j]
                detail = {}
                if typo_rng.random() < 0.1:  # the name mistyped too, by sound
                    true = str(c["name"][r])
                    pos = len(true) - 1
                    kind, new_char = _typo_character(true, pos, "homophone", true[pos], typo_rng)
                    if kind == "homophone":
                        c["name"][r] = true[:pos] + new_char
                        detail = {"reported_name": str(c["name"][r]), "true_name": true}
                error = "birth_date_swapped" if swapped[j] else "transposition" if transpose[j] else "substitution"
                c["_planted"][r] = planter.add(
                    kind="id_typo", household=hh_no[hh[c["_person"][r]]], id_number=str(true_ids[j]), source=name,
                    reported_id_number=str(typos[j]), error=error, **detail,
                )

    for name, c in cols.items():
        rows = np.flatnonzero(c["_planted"] >= 0)
        for r, p in zip(rows.tolist(), c["_planted"][rows].tolist(), strict=True):
            if planter.rows[p]["source"] == name:
                planter.rows[p]["source_row"] = r
    tables = {name: _to_table(SOURCES[name], c) for name, c in cols.items()}

    # --- final truth ---
    income_true = hh_sum(np.where(living, pop.p_wage + pop.p_pension + pop.p_business + pop.p_unemployment_benefit + payroll_salary, 0.0))
    income_true += pop.hh_farm_income
    members_true = np.bincount(hh, weights=living.astype(float), minlength=H)
    per_head_true = income_true / np.maximum(members_true, 1)
    on_payroll = hh_has(payroll_salary > 0)
    needy = (
        (per_head_true < standard) & (fin_assets / np.maximum(members_true, 1) <= ASSET_MONTHS * standard)
        & ~owns_car & ~vehicle_planted & (props <= 1) & ~on_payroll & (members_true > 0)
    )
    nh = np.flatnonzero(needy)
    elderly = hh_has(living & (pop.p_age >= 60))
    disabled = hh_has(living & (pop.p_disability != ""))
    serious = hh_has(living & pop.p_serious)
    needy_table = pa.table(
        {
            "household_number": pa.array(hh_no[nh].tolist(), pa.string()),
            "region_code": pa.array(comm_codes[pop.hh_community[nh]].tolist(), pa.string()),
            "rural": pa.array(pop.hh_rural[nh], pa.bool_()),
            "members": pa.array(members_true[nh].astype(np.int64), pa.int64()),
            "income_per_head": pa.array(np.round(per_head_true[nh], 2), pa.float64()),
            "standard": pa.array(standard[nh], pa.float64()),
            "financial_assets": pa.array(np.round(fin_assets[nh], 2), pa.float64()),
            "has_elderly": pa.array(elderly[nh], pa.bool_()),
            "has_disabled": pa.array(disabled[nh], pa.bool_()),
            "has_serious_illness": pa.array(serious[nh], pa.bool_()),
            "receiving": pa.array(receiving[nh].tolist(), pa.string()),
        }
    )
    planted = pa.Table.from_pylist(planter.rows, schema=PLANTED_SCHEMA)
    kinds: dict[str, int] = {}
    for row in planter.rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    summary = {
        "reference_date": REFERENCE_DATE.isoformat(),
        "batch": BATCH,
        "standards": {"urban": URBAN_STANDARD, "rural": RURAL_STANDARD, "asset_months": ASSET_MONTHS},
        "households": H,
        "persons": N,
        "needy_households": int(needy.sum()),
        "needy_covered": int((needy & cash).sum()),
        "receiving_households": {p: int((receiving == p).sum()) for p in ("dibao", "tekun", "low_income_margin")},
        "planted": dict(sorted(kinds.items())),
        "source_rows": {name: t.num_rows for name, t in tables.items()},
        "unreported_deaths": int(unreported.sum()),
    }
    return Extracts(tables=tables, planted=planted, needy=needy_table, summary=summary)


def _prison_adder(builder: _Builder, rng: np.random.Generator):
    def add(rows: np.ndarray, *, serving: np.ndarray, planted: np.ndarray | int = -1) -> None:
        n = rows.size
        admitted = REF - _days(rng, n, 30, 6 * 365)
        expected = admitted + _days(rng, n, 365, 8 * 365)
        served = np.floor((REF - admitted).astype(np.int64) * rng.random(n)).astype("timedelta64[D]")
        released = np.where(serving, NAT, admitted + served)
        expected = np.where(serving, np.maximum(expected, REF + np.timedelta64(30, "D")), expected)
        # 示范省女子监狱 holds women only; the 看守所 anyone.
        prison = np.where(
            builder.pop.p_sex[rows] == "F", np.where(rng.random(n) < 0.7, 1, 2), np.where(rng.random(n) < 0.7, 0, 2)
        )
        builder.add(
            rows, prison_name=np.array(names.PRISONS)[prison], admitted_on=admitted,
            expected_release_on=expected, released_on=released, planted=planted,
        )

    return add


def _add_staff(builder: _Builder, pop: Population, rows: np.ndarray, rng: np.random.Generator, *, planted) -> None:
    n = rows.size
    posts = np.array(names.STAFF_POSTS)
    builder.add(
        rows, employer_name=names.CIVIL_AFFAIRS_EMPLOYER, post=posts[rng.integers(0, posts.size, n)],
        region_code=pop.city.community_codes[pop.hh_community[pop.p_household[rows]]],
        since=REF - _days(rng, n, 100, 3000), planted=planted,
    )


#: Characters often read for one another from a scan or handwriting (形近字). No maintained
#: machine-readable table was found, so the demo plants from this short list of well-known pairs.
LOOKALIKE = {
    "王": "玉", "玉": "王", "李": "季", "季": "李", "刘": "浏", "陈": "阵", "杨": "扬", "扬": "杨", "明": "朋",
    "朋": "明", "兰": "兴", "未": "末", "末": "未", "己": "已", "已": "己", "土": "士", "士": "土", "日": "曰",
    "天": "夭", "人": "入", "大": "太", "太": "大", "东": "车", "洁": "沽", "辉": "挥", "晨": "晟", "军": "车",
    "宁": "宇", "宇": "宁", "林": "材", "海": "梅", "梅": "海", "云": "去", "娟": "涓", "丽": "骊", "文": "交",
}
_HOMOPHONES: dict[str, list[str]] = {}


def _homophones() -> dict[str, list[str]]:
    """Given-name characters grouped by their toneless pinyin (伟/玮/卫…)."""
    if not _HOMOPHONES:
        pool = sorted(set(names.MALE_GIVEN + names.FEMALE_GIVEN + tuple("玮卫薇维炜蔚方坊纳闽靖婧莉立丽力蔷垒君阳扬涌雁洁捷涓娟韬鸣铭桦萍屏")))
        for ch in pool:
            _HOMOPHONES.setdefault(lazy_pinyin(ch)[0], []).append(ch)
    return _HOMOPHONES


def _typo_character(true: str, pos: int, kind: str, fallback: str, rng: np.random.Generator) -> tuple[str, str]:
    """A wrong character for ``true[pos]`` of the given kind, or ``("random", fallback)`` if there is none."""
    ch = true[pos]
    if kind == "homophone":
        options = [o for o in _homophones().get(lazy_pinyin(ch)[0], []) if o != ch]
        if options:
            return kind, options[int(rng.integers(0, len(options)))]
    elif kind == "lookalike" and ch in LOOKALIKE:
        return kind, LOOKALIKE[ch]
    return "random", fallback


def _to_table(source, cols: dict[str, np.ndarray]) -> pa.Table:
    arrays = []
    for c in source.columns:
        v = cols[c.name]
        if c.type == "string":
            arrays.append(pa.array(v.astype(str).tolist() if v.dtype.kind != "U" else v, pa.string()))
        elif c.type == "date":
            arrays.append(pa.array(v.astype("datetime64[D]"), pa.date32(), from_pandas=True))
        else:
            arrays.append(pa.array(v, {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}[c.type]))
    return pa.Table.from_arrays(arrays, schema=source.schema())
