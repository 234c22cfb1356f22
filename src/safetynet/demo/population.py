"""The synthetic population of 示范市: regions, households and persons as numpy arrays.

Everything is drawn from one ``numpy.random.Generator`` in a fixed order, so a seed gives the
same city every time. Dates are measured from :data:`REFERENCE_DATE` (never the clock).

Households follow composition templates (single elder, couple, couple with children, three
generations…) so sizes run 1–6 and single-person households are mostly elderly. Incomes are
monthly yuan, long-tailed (lognormal) by kind: wages, pensions (employee or the small resident
pension), business income, farm income of rural households, unemployment benefit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from safetynet.demo import names
from safetynet.regions.models import Level
from safetynet.regions.services import RegionSpec

REFERENCE_DATE = dt.date(2026, 10, 31)
REF = np.datetime64(REFERENCE_DATE.isoformat(), "D")
PROVINCE_CODE = "990000000000"
CITY_CODE = "990100000000"
HOUSEHOLDS_PER_COMMUNITY = 400
DAYS_PER_YEAR = 365.2425

# (weight, head age range, slots). A slot is (relationship, reference slot, age offset range in
# years from the reference member); the head is slot 0. "other" is the child's spouse (儿媳/女婿).
TEMPLATES: tuple[tuple[float, tuple[int, int], tuple[tuple[str, int, int, int], ...]], ...] = (
    (0.09, (60, 95), (("head", 0, 0, 0),)),
    (0.10, (18, 59), (("head", 0, 0, 0),)),
    (0.12, (60, 90), (("head", 0, 0, 0), ("spouse", 0, -5, 3))),
    (0.08, (22, 59), (("head", 0, 0, 0), ("spouse", 0, -5, 3))),
    (0.05, (25, 60), (("head", 0, 0, 0), ("child", 0, -38, -20))),
    (0.03, (30, 60), (("head", 0, 0, 0), ("parent", 0, 22, 34))),
    (0.22, (24, 60), (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -36, -20))),
    (0.11, (28, 55), (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -36, -20), ("child", 0, -36, -20))),
    (0.05, (28, 55), (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -20), ("parent", 0, 22, 34))),
    (
        0.04,
        (30, 55),
        (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -20), ("child", 0, -34, -20), ("parent", 0, 22, 34)),
    ),
    (
        0.04,
        (50, 80),
        (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -22), ("other", 2, -3, 3), ("grandchild", 2, -34, -20)),
    ),
    (
        0.03,
        (30, 55),
        (("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -20), ("parent", 0, 22, 34), ("parent", 0, 22, 34)),
    ),
    (
        0.02,
        (32, 55),
        (
            ("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -20), ("child", 0, -34, -20),
            ("parent", 0, 22, 34), ("parent", 0, 22, 34),
        ),
    ),
    (
        0.02,
        (50, 78),
        (
            ("head", 0, 0, 0), ("spouse", 0, -5, 3), ("child", 0, -34, -22), ("other", 2, -3, 3),
            ("grandchild", 2, -34, -20), ("grandchild", 2, -34, -20),
        ),
    ),
)
MAX_SLOTS = max(len(t[2]) for t in TEMPLATES)
MEAN_HOUSEHOLD_SIZE = sum(w * len(s) for w, _, s in TEMPLATES) / sum(w for w, _, _ in TEMPLATES)

DISABILITY_CATEGORIES = ("physical", "hearing", "visual", "mental", "intellectual", "speech", "multiple")
DISABILITY_WEIGHTS = (0.37, 0.24, 0.14, 0.07, 0.07, 0.02, 0.09)


@dataclass
class City:
    specs: list[RegionSpec]
    community_codes: np.ndarray  # str, one per community
    community_names: np.ndarray
    community_urban: np.ndarray  # bool
    community_district: np.ndarray  # int index into district_codes
    district_codes: np.ndarray
    street_codes: np.ndarray
    community_street: np.ndarray  # int index into street_codes


@dataclass
class Population:
    """Column arrays. Person rows are grouped by current household, head first."""

    city: City
    # households
    hh_number: np.ndarray
    hh_community: np.ndarray
    hh_rural: np.ndarray
    hh_address: np.ndarray
    hh_joined: np.ndarray  # when the head set up the household
    hh_farm_income: np.ndarray  # monthly, rural households
    # persons
    p_household: np.ndarray
    p_relationship: np.ndarray
    p_sex: np.ndarray
    p_birth: np.ndarray  # datetime64[D]
    p_age: np.ndarray  # whole years at REFERENCE_DATE
    p_name: np.ndarray
    p_id_number: np.ndarray
    p_phone: np.ndarray
    p_hukou_community: np.ndarray
    p_disability: np.ndarray  # "" or a DisabilityCategory value
    p_disability_grade: np.ndarray  # 0 when none
    p_chronic: np.ndarray
    p_serious: np.ndarray
    p_needs_care: np.ndarray
    p_labour: np.ndarray
    p_joined: np.ndarray
    p_left: np.ndarray  # NaT unless the person died (reported) and so left
    p_death: np.ndarray  # NaT unless the registry records a death
    p_wage: np.ndarray
    p_pension: np.ndarray
    p_pension_kind: np.ndarray  # "", "employee", "resident"
    p_business: np.ndarray
    p_unemployed: np.ndarray
    p_unemployment_benefit: np.ndarray
    p_employer: np.ndarray  # index into names.EMPLOYERS, -1 when no wage
    # historic memberships: a grown child who moved out of the parents' household
    hist_person: np.ndarray
    hist_household: np.ndarray
    hist_joined: np.ndarray
    hist_left: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def n_households(self) -> int:
        return len(self.hh_number)

    @property
    def n_persons(self) -> int:
        return len(self.p_household)


def city_layout(*, households: int, rng: np.random.Generator) -> City:
    """Districts, streets and communities scaled to the number of households (~400 each)."""
    n_comm = max(4, math.ceil(households / HOUSEHOLDS_PER_COMMUNITY))
    n_street = max(2, math.ceil(n_comm / 12))
    n_dist = min(len(names.DISTRICT_NAMES), max(2, math.ceil(n_street / 10)))
    n_urban_dist = max(1, math.ceil(n_dist / 2))
    street_district = np.arange(n_street) * n_dist // n_street
    comm_street = np.arange(n_comm) * n_street // n_comm

    specs = [
        RegionSpec(PROVINCE_CODE, "示范省", Level.PROVINCE, None, True),
        RegionSpec(CITY_CODE, "示范市", Level.CITY, PROVINCE_CODE, True),
    ]
    district_codes = np.array([f"9901{d + 1:02d}000000" for d in range(n_dist)])
    urban_district = np.arange(n_dist) < n_urban_dist
    for d in range(n_dist):
        specs.append(
            RegionSpec(district_codes[d], names.DISTRICT_NAMES[d], Level.COUNTY, CITY_CODE, bool(urban_district[d]))
        )
    street_codes = []
    street_urban = np.zeros(n_street, bool)
    street_seat = np.zeros(n_street, bool)  # the county seat town: half urban
    street_no = np.zeros(n_dist, int)
    for s in range(n_street):
        d = street_district[s]
        street_no[d] += 1
        code = f"{district_codes[d][:6]}{street_no[d]:03d}000"
        street_codes.append(code)
        urban = bool(urban_district[d])
        street_urban[s] = urban
        street_seat[s] = not urban and street_no[d] == 1
        word = names.PLACE_WORDS[s % len(names.PLACE_WORDS)]
        suffix = "街道" if urban else ("镇" if street_seat[s] or s % 3 else "乡")
        specs.append(RegionSpec(code, f"{word}{suffix}", Level.STREET, district_codes[d], urban or bool(street_seat[s])))
    street_codes_arr = np.array(street_codes)

    u = rng.random(n_comm)
    comm_urban = np.where(
        street_urban[comm_street], u >= 0.1, np.where(street_seat[comm_street], u < 0.5, u < 0.05)
    )
    comm_codes = []
    comm_names = []
    comm_no = np.zeros(n_street, int)
    for c in range(n_comm):
        s = comm_street[c]
        comm_no[s] += 1
        code = f"{street_codes[s][:9]}{comm_no[s]:03d}"
        word = names.PLACE_WORDS[(c * 7 + s) % len(names.PLACE_WORDS)]
        name = f"{word}社区" if comm_urban[c] else f"{word}村"
        if c >= len(names.PLACE_WORDS):
            name = f"{word}{'社区' if comm_urban[c] else '村'}{c // len(names.PLACE_WORDS) + 1}"
        comm_codes.append(code)
        comm_names.append(name)
        specs.append(RegionSpec(code, name, Level.COMMUNITY, street_codes[s], bool(comm_urban[c])))
    return City(
        specs=specs,
        community_codes=np.array(comm_codes),
        community_names=np.array(comm_names),
        community_urban=comm_urban,
        community_district=street_district[comm_street],
        district_codes=district_codes,
        street_codes=street_codes_arr,
        community_street=comm_street,
    )


def _years(days: np.ndarray) -> np.ndarray:
    return (days / DAYS_PER_YEAR).astype(np.int64)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.round(median * np.exp(sigma * rng.standard_normal(n)), 2)


def generate_population(*, households: int, rng: np.random.Generator) -> Population:
    city = city_layout(households=households, rng=rng)
    H = households
    n_comm = len(city.community_codes)
    hh_comm = np.arange(H) * n_comm // H
    hh_rural = ~city.community_urban[hh_comm]

    weights = np.array([t[0] for t in TEMPLATES])
    tmpl = rng.choice(len(TEMPLATES), size=H, p=weights / weights.sum())
    sizes = np.array([len(t[2]) for t in TEMPLATES])[tmpl]

    # Ages (in days) and sex per (household, slot).
    age = np.full((H, MAX_SLOTS), -1.0)
    male = np.zeros((H, MAX_SLOTS), bool)
    surname = np.zeros((H, MAX_SLOTS), np.int64)
    rel = np.full((H, MAX_SLOTS), "", dtype="<U10")
    n_surnames = len(names.SURNAMES)
    sw = 0.93 ** np.arange(n_surnames)
    sw /= sw.sum()
    for t, (_, (lo, hi), slots) in enumerate(TEMPLATES):
        idx = np.flatnonzero(tmpl == t)
        if idx.size == 0:
            continue
        n = idx.size
        for j, (relationship, ref, glo, ghi) in enumerate(slots):
            rel[idx, j] = relationship
            if j == 0:
                age[idx, 0] = lo + rng.random(n) * (hi + 1 - lo)
                male[idx, 0] = rng.random(n) < 0.62
                surname[idx, 0] = rng.choice(n_surnames, size=n, p=sw)
                continue
            ref_age = age[idx, ref]
            lo_eff = np.maximum(glo, -ref_age)
            hi_eff = np.maximum(ghi, lo_eff)
            age[idx, j] = np.clip(ref_age + lo_eff + rng.random(n) * (hi_eff - lo_eff), 0, 103.5)
            if relationship in ("spouse", "other"):
                male[idx, j] = ~male[idx, ref]
            else:
                male[idx, j] = rng.random(n) < 0.51
            own = rng.choice(n_surnames, size=n, p=sw)
            if relationship in ("child", "grandchild"):
                # Children take the father's surname: the head's, or the spouse's when she is the head.
                father = np.where(male[idx, 0] | (sizes[idx] < 2), surname[idx, 0], surname[idx, 1])
                surname[idx, j] = father if relationship == "child" else np.where(male[idx, ref], surname[idx, ref], own)
            elif relationship == "parent":
                surname[idx, j] = np.where(male[idx, j], surname[idx, 0], own)
            else:
                surname[idx, j] = own

    present = age >= 0
    hh_of = np.repeat(np.arange(H), sizes)
    flat = present.ravel()
    p_age_years_f = age.ravel()[flat]
    p_rel = rel.ravel()[flat]
    p_male = male.ravel()[flat]
    p_surname = surname.ravel()[flat]
    N = p_rel.size
    age_days = np.floor(p_age_years_f * DAYS_PER_YEAR).astype(np.int64)
    p_birth = REF - age_days.astype("timedelta64[D]")
    # Whole years at the reference date, as a person would state their age.
    p_age = _age_on(p_birth, REF)
    p_sex = np.where(p_male, "M", "F")

    # Names: surname + one or two given characters from the sex's pool.
    mg, fg = np.array(names.MALE_GIVEN), np.array(names.FEMALE_GIVEN)
    g1 = np.where(p_male, mg[rng.integers(0, mg.size, N)], fg[rng.integers(0, fg.size, N)])
    g2 = np.where(p_male, mg[rng.integers(0, mg.size, N)], fg[rng.integers(0, fg.size, N)])
    two = rng.random(N) < 0.72
    given = np.where(two, np.strings.add(g1, g2), g1)
    p_name = np.strings.add(np.array(names.SURNAMES)[p_surname], given)

    # Hukou: mostly the community lived in; some registered elsewhere in the city.
    p_hukou = hh_comm[hh_of].copy()
    moved = rng.random(N) < 0.06
    p_hukou[moved] = rng.integers(0, n_comm, int(moved.sum()))
    p_id = make_resident_ids(
        address=np.array([int(c[:6]) for c in city.district_codes])[city.community_district[p_hukou]],
        birth=p_birth,
        male=p_male,
        rng=rng,
    )

    prefixes = np.array(names.PHONE_PREFIXES)
    phone = np.strings.add(prefixes[rng.integers(0, prefixes.size, N)], _digits(rng.integers(0, 10**8, N), 8))
    p_phone = np.where(p_age >= 12, phone, "")

    # Health and disability: more with age.
    p_dis_prob = 0.03 + 0.09 * (p_age >= 60) + 0.10 * (p_age >= 80)
    disabled = rng.random(N) < p_dis_prob
    cat_idx = rng.choice(len(DISABILITY_CATEGORIES), size=N, p=DISABILITY_WEIGHTS)
    p_disability = np.where(disabled, np.array(DISABILITY_CATEGORIES)[cat_idx], "")
    p_grade = np.where(disabled, rng.choice(np.arange(1, 5), size=N, p=[0.12, 0.20, 0.28, 0.40]), 0)
    p_chronic = rng.random(N) < (0.03 + 0.25 * (p_age >= 45) + 0.20 * (p_age >= 65))
    p_serious = rng.random(N) < (0.004 + 0.012 * (p_age >= 45) + 0.02 * (p_age >= 70))
    p_needs_care = (p_grade == 1) | ((p_age >= 85) & (rng.random(N) < 0.3)) | (p_serious & (rng.random(N) < 0.15))
    p_labour = np.full(N, "full", dtype="<U7")
    partial = (p_grade == 3) | ((p_age >= 60) & (p_age < 70)) | p_chronic & (rng.random(N) < 0.1) | p_serious
    p_labour[partial] = "partial"
    none = (p_age < 16) | (p_age >= 70) | ((p_grade >= 1) & (p_grade <= 2)) | p_needs_care
    p_labour[none] = "none"

    # Membership dates: the head set the household up between 0 and 30 years ago, as an adult.
    head_age = age[:, 0]
    hh_joined = REF - np.floor(rng.random(H) * np.minimum(30.0, head_age - 18) * DAYS_PER_YEAR).astype(
        "timedelta64[D]"
    )
    p_hh_joined = hh_joined[hh_of]
    later = p_hh_joined + np.floor(rng.random(N) * (REF - p_hh_joined).astype(np.int64)).astype("timedelta64[D]")
    p_joined = np.where(
        np.isin(p_rel, ("head", "spouse")),
        p_hh_joined,
        np.where(np.isin(p_rel, ("child", "grandchild")), np.maximum(p_birth, p_hh_joined), later),
    )
    p_joined = np.maximum(p_joined, p_birth)

    # Reported deaths: some elderly spouses and parents died; the registry knows and they left.
    died = np.isin(p_rel, ("spouse", "parent")) & (p_age >= 65) & (rng.random(N) < 0.04)
    death_day = REF - np.floor(rng.random(N) * 3 * DAYS_PER_YEAR).astype("timedelta64[D]")
    death_day = np.maximum(death_day, p_joined)
    p_death = np.where(died, death_day, np.datetime64("NaT"))
    p_left = p_death.copy()
    alive = ~died

    # Incomes (monthly yuan).
    rural = hh_rural[hh_of]
    working_age = (p_age >= 18) & (p_age < 60)
    can_work = working_age & (p_labour != "none") & alive
    employed = can_work & (rng.random(N) < np.where(rural, 0.62, 0.76)) & (rng.random(N) > (p_labour == "partial") * 0.5)
    wage = np.where(rural, _lognormal(rng, 3000, 0.5, N), _lognormal(rng, 5200, 0.6, N))
    p_wage = np.where(employed, np.maximum(wage, 2100.0), 0.0)
    p_employer = np.where(employed, rng.integers(0, len(names.EMPLOYERS), N), -1)
    pension_age = (p_age >= 60) | (~p_male & (p_age >= 55))
    employee_pension = pension_age & (rng.random(N) < np.where(rural, 0.25, 0.72))
    resident_pension = pension_age & ~employee_pension
    p_pension = np.where(
        employee_pension, _lognormal(rng, 3300, 0.35, N), np.where(resident_pension, 150 + rng.random(N) * 100, 0.0)
    ).round(2)
    p_pension = np.where(alive, p_pension, 0.0)
    p_pension_kind = np.where(employee_pension, "employee", np.where(resident_pension, "resident", ""))
    business = can_work & ~employed & (rng.random(N) < 0.12)
    p_business = np.where(business, _lognormal(rng, 5500, 0.9, N), 0.0)
    p_unemployed = can_work & ~employed & ~business & (rng.random(N) < 0.35)
    p_unemp_benefit = np.where(p_unemployed & (rng.random(N) < 0.45), np.round(1600 + rng.random(N) * 400, 0), 0.0)
    hh_farm = np.where(hh_rural, _lognormal(rng, 900, 0.7, H), 0.0)

    # Addresses.
    words = np.array(names.PLACE_WORDS)
    sw_arr = np.array(names.STREET_WORDS)
    urban_addr = np.strings.add(
        np.strings.add(words[rng.integers(0, words.size, H)], sw_arr[rng.integers(0, sw_arr.size, H)]),
        np.strings.add(
            np.strings.add(_num(rng.integers(1, 300, H)), "号"),
            np.strings.add(np.strings.add(_num(rng.integers(1, 30, H)), "栋"), np.strings.add(_num(rng.integers(101, 2600, H)), "室")),
        ),
    )
    rural_addr = np.strings.add(
        np.strings.add(city.community_names[hh_comm], np.strings.add(_num(rng.integers(1, 12, H)), "组")),
        np.strings.add(_num(rng.integers(1, 120, H)), "号"),
    )
    hh_address = np.where(hh_rural, rural_addr, urban_addr)
    hh_number = np.strings.add(np.strings.add("H", city.community_codes[hh_comm]), _digits(_rank_within(hh_comm) + 1, 5))

    # Grown children who left their parents' household: the head of a younger household has a
    # historic membership as a child in an older one (a parent's), ending when they set up home.
    head_rows = np.flatnonzero(p_rel == "head")
    head_age_y = p_age[head_rows]
    order = np.argsort(head_age_y, kind="stable")
    sorted_age = head_age_y[order]
    movers = head_rows[(head_age_y >= 22) & (head_age_y <= 55) & (rng.random(head_rows.size) < 0.3)]
    m_age = p_age[movers]
    lo = np.searchsorted(sorted_age, m_age + 20, "left")
    hi = np.searchsorted(sorted_age, m_age + 38, "right")
    ok = hi > lo
    movers, lo, hi = movers[ok], lo[ok], hi[ok]
    pick = lo + np.floor(rng.random(movers.size) * (hi - lo)).astype(np.int64)
    parent_hh = p_household_of(head_rows[order[pick]], hh_of)
    hist_left = p_joined[movers]
    hist_joined = np.minimum(p_birth[movers], hist_left)

    return Population(
        city=city,
        hh_number=hh_number,
        hh_community=hh_comm,
        hh_rural=hh_rural,
        hh_address=hh_address,
        hh_joined=hh_joined,
        hh_farm_income=hh_farm,
        p_household=hh_of,
        p_relationship=p_rel,
        p_sex=p_sex,
        p_birth=p_birth,
        p_age=p_age,
        p_name=p_name,
        p_id_number=p_id,
        p_phone=p_phone,
        p_hukou_community=p_hukou,
        p_disability=p_disability,
        p_disability_grade=p_grade,
        p_chronic=p_chronic,
        p_serious=p_serious,
        p_needs_care=p_needs_care,
        p_labour=p_labour,
        p_joined=p_joined,
        p_left=p_left,
        p_death=p_death,
        p_wage=p_wage,
        p_pension=p_pension,
        p_pension_kind=p_pension_kind,
        p_business=p_business,
        p_unemployed=p_unemployed,
        p_unemployment_benefit=p_unemp_benefit,
        p_employer=p_employer,
        hist_person=movers,
        hist_household=parent_hh,
        hist_joined=hist_joined,
        hist_left=hist_left,
    )


def p_household_of(rows: np.ndarray, hh_of: np.ndarray) -> np.ndarray:
    return hh_of[rows]


def _age_on(birth: np.ndarray, on: np.datetime64) -> np.ndarray:
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    oy = on.astype("datetime64[Y]").astype(np.int64) + 1970
    b_md = (birth - birth.astype("datetime64[Y]")).astype(np.int64)
    o_md = int((on - on.astype("datetime64[Y]")).astype(np.int64))
    # Day-of-year comparison is off by one around 29 February in leap years; harmless here.
    return oy - by - (b_md > o_md)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2… within each run of equal values of a sorted or grouped array (stable)."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    counts = np.diff(np.r_[start, g.size])
    ranks_sorted = np.arange(g.size) - np.repeat(start, counts)
    out = np.empty_like(ranks_sorted)
    out[order] = ranks_sorted
    return out


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    if values.size == 0:  # np.strings.zfill fails on empty arrays
        return np.array([], dtype=f"<U{width}")
    return np.strings.zfill(values.astype(np.int64).astype(str), width)


def _num(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64).astype(str)


_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def check_characters(first17: np.ndarray) -> np.ndarray:
    """Vectorised ISO 7064 MOD 11-2 over an (n, 17) array of digits: the check characters as bytes."""
    return _CHECK[(first17 @ _WEIGHTS) % 11]


def make_resident_ids(
    *, address: np.ndarray, birth: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Unique valid 18-character numbers (the vectorised ``registry.idnumber.make_resident_id``).

    The 3-digit sequence is unique within (address code, birth date, sex): a random start per
    group, then consecutive; odd for men, even for women.
    """
    ymd = birth.astype("datetime64[D]")
    y = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    m = (ymd.astype("datetime64[M]").astype(np.int64) % 12) + 1
    d = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    date_num = y * 10000 + m * 100 + d
    group = (address.astype(np.int64) * 100_000_000 + date_num) * 2 + male.astype(np.int64)
    rank = _rank_within(group)
    if rank.size and rank.max() >= 500:
        raise ValueError("more than 500 people of one sex born on one day in one county")
    start = rng.integers(0, 500, rank.size)
    # One start per group: take the start drawn for the group's first member.
    order = np.argsort(group, kind="stable")
    g = group[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    group_start = np.empty(rank.size, np.int64)
    group_start[order] = np.repeat(start[order[first]], np.diff(np.r_[first, g.size]))
    seq = ((group_start + rank) % 500) * 2 + male.astype(np.int64)
    digits = np.empty((rank.size, 17), np.int64)
    for i, (value, width, pos) in enumerate(((address, 6, 0), (date_num, 8, 6), (seq, 3, 14))):
        del i
        v = value.astype(np.int64)
        for k in range(width):
            digits[:, pos + width - 1 - k] = v % 10
            v = v // 10
    chars = np.empty((rank.size, 18), np.uint8)
    chars[:, :17] = digits + ord("0")
    chars[:, 17] = check_characters(digits)
    return chars.view("S18").ravel().astype("U18")


def digits_of(ids: np.ndarray) -> np.ndarray:
    """(n, 17) digits of the first 17 characters of ID numbers."""
    b = np.ascontiguousarray(ids.astype("S18")).view(np.uint8).reshape(-1, 18)
    return b[:, :17].astype(np.int64) - ord("0")
