"""Indicators, points scores and triggers for the monitored population, on verification's facts.

``monitor_compute`` runs :func:`safetynet.verification.compute.verify` once over every current
member of every household in scope (the same facts, batches and definitions as a verification),
adds the registry's member attributes (one query) and the rules' 低保 standard, and derives:

* ``MEASURES``: one numpy array per household measure (definitions below);
* the households × indicators 0/1 deprivation matrix (``indicators.yaml``), vectorised;
* the Alkire–Foster score of every household (``measures.alkire_foster``), its risk level
  (``levels.yaml``) and H, A, M0 overall, by county and by dimension;
* triggers (触发式): facts dated in the window ``(since, on]``.

Ages are whole years at ``on``. "Had income" means a wages, pension or unemployment-benefit fact.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Q

from safetynet.monitoring.indicators import Library, assign_levels, level_cutoffs, library
from safetynet.monitoring.measures import AlkireFoster, alkire_foster
from safetynet.registry.models import Membership
from safetynet.verification.compute import PERSONS_SCHEMA, VerificationInput, verify

EARNING = ("wages", "pensions", "unemployment_benefit")

MEASURES = {
    "income_ratio": "verification income_per_head ÷ the rules' 低保 standard (元/人·月)",
    "income_total": "verification income_total (monthly)",
    "income_wages": "verification income_wages (monthly)",
    "income_unemployment_benefit": "verification income_unemployment_benefit",
    "wages_per_head": "income_wages ÷ members",
    "pension_only": "1 when pensions > 0 and every other income kind is 0",
    "pension_per_elderly": "income_pensions ÷ members aged 60+ (∞ with no elderly member)",
    "single_earner_large": "1 when exactly one member had income and members ≥ 4",
    "financial_assets": "deposits + wealth_products + securities",
    "financial_assets_per_head": "financial_assets ÷ members",
    "vehicles_count": "verification vehicles_count (disability vehicles excluded)",
    "securities": "verification securities",
    "housing_fund": "sum of housing_fund facts",
    "business_count": "verification business_count",
    "serious_illness_members": "registry health_conditions contains serious",
    "chronic_members": "registry health_conditions contains chronic",
    "needs_care_members": "registry health_conditions contains needs_care",
    "ill_members": "members with chronic or serious illness",
    "hospital_stays_12m": "medical_out_of_pocket facts (stays discharged in the 12 months to on)",
    "medical_oop_12m": "verification deduction_medical × 12",
    "medical_oop_share": "medical_oop_12m ÷ (income_total × 12); ∞ when there is cost and no income",
    "disabled_members": "registry disability grade or a valid certificate",
    "severe_disabled_members": "grade 1–2 (the more severe of registry and certificate)",
    "intellectual_mental_members": "registry disability category intellectual/mental",
    "no_labour_members": "registry labour capacity none",
    "partial_labour_members": "registry labour capacity partial",
    "disabled_uncertified": "registry disability without a valid certificate fact",
    "school_age_children": "members aged 6–17",
    "preschool_children": "members aged 0–5",
    "unemployed_members": "unemployed facts (registered on or before on)",
    "earners": "members with a wages fact",
    "idle_working_age": "members aged 16–59, labour capacity full, no wages fact",
    "dependency_ratio": "(members − earners) ÷ earners; ∞ with no earner",
    "insured_members": "members with a social_insurance pension fact",
    "working_age_capable": "members aged 16–59 with labour capacity full",
    "real_estate_count": "verification real_estate_count",
    "area_per_head": "verification real_estate_area ÷ members",
    "elderly_members": "members aged 60+",
    "oldest_old_members": "members aged 80+",
    "elderly_alone": "1 when members = 1 and that member is 60+",
    "elderly_only": "1 when every member is 60+",
    "orphans": "children < 18 in a household with no member aged 18–59",
    "single_parent": "1 when the head has no spouse in the household and there is a child < 18",
    "deceased_earners": "deceased members who had income",
    "deceased_members": "verification deceased_count",
    "imprisoned_members": "verification imprisoned_count",
    "members": "current members",
    "children": "members aged 0–17",
    "dibao_members": "benefits facts of programme dibao",
    "tekun_members": "benefits facts of programme tekun",
    "margin_members": "benefits facts of programme low_income_margin",
    "disability_subsidy_members": "benefits facts of programme disability_subsidies",
    "transfers_members": "benefits facts of any programme",
    "duplicate_membership_count": "verification duplicate_membership_count",
}


@dataclass
class MonitoringResult:
    on: dt.date
    since: dt.date
    household_ids: np.ndarray
    region_codes: np.ndarray
    standard: np.ndarray
    measures: dict[str, np.ndarray]
    codes: list[str]  # the computed indicators, matrix column order
    matrix: np.ndarray  # households × indicators, uint8
    weights: np.ndarray
    af: AlkireFoster | None
    levels: np.ndarray
    triggers: list[dict] = field(default_factory=list)  # household_id, code, level, reasons
    facts: pa.Table | None = None
    households: pa.Table | None = None
    persons: int = 0

    def reasons(self, i: int) -> list[str]:
        """The indicators household row ``i`` is deprived in."""
        return [c for c, d in zip(self.codes, self.matrix[i], strict=True) if d]

    def summary(self, lib: Library | None = None) -> dict:
        """H, A, M0 overall and by county (first 6 digits), each decomposed by dimension."""
        lib = lib or library()
        dims = {i.code: i.dimension for i in lib.computed}
        k = level_cutoffs(self.on).k

        def measure(rows: np.ndarray) -> dict:
            if not rows.any():
                return {"households": 0}
            af = alkire_foster(self.matrix[rows], self.weights, k)
            by_dim: dict[str, float] = {}
            for code, c in zip(self.codes, af.contribution.tolist(), strict=True):
                by_dim[dims[code]] = by_dim.get(dims[code], 0.0) + c
            return {"households": int(rows.sum()), "H": af.H, "A": af.A, "M0": af.M0,
                    "contribution_by_dimension": {d: round(v, 4) for d, v in by_dim.items()}}

        counties = np.array([c[:6] for c in self.region_codes], dtype=object)
        return {
            "k": k,
            "overall": measure(np.ones(len(self.household_ids), bool)),
            "by_county": {c: measure(counties == c) for c in sorted(set(counties.tolist()))},
        }


def members_current(*, on: dt.date, region_path: str | None = None) -> list[tuple]:
    """Every current member in scope with the registry attributes monitoring uses: one query."""
    q = Membership.objects.filter(Q(left_on__isnull=True) | Q(left_on__gt=on), joined_on__lte=on)
    if region_path:
        q = q.filter(household__region__path__startswith=region_path)
    return list(
        q.order_by("household_id", "person_id").values_list(
            "household_id", "person_id", "person__id_number", "household__region__code", "relationship",
            "person__birth_date", "person__disability_grade", "person__disability_category",
            "person__labour_capacity", "person__health_conditions",
        )
    )


def _age(birth: np.ndarray, on: dt.date) -> np.ndarray:
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    had_birthday = (birth - birth.astype("datetime64[Y]")).astype(int) <= (
        np.datetime64(on) - np.datetime64(on, "Y")
    ).astype(int)
    return on.year - years - (~had_birthday).astype(int)


def _details(facts: pa.Table, category: str, person_index: dict[int, int]) -> tuple[np.ndarray, list[dict]]:
    """Person rows and parsed details of one category's facts (a small subset: parsed in Python)."""
    sub = facts.filter(pc.equal(facts.column("category"), category))
    rows = np.array([person_index[p] for p in sub.column("person_id").to_pylist()], dtype=np.int64)
    return rows, [json.loads(d) for d in sub.column("detail").to_pylist()]


def _standard(household_ids: np.ndarray, on: dt.date) -> np.ndarray:
    """The local 低保 standard per household, from the rules over the registry population."""
    from safetynet.monitoring.coverage import population_decisions

    decisions = population_decisions(on=on)
    order = np.argsort(decisions["household_id"])
    pos = np.searchsorted(decisions["household_id"][order], household_ids)
    pos = np.clip(pos, 0, len(order) - 1)
    standard = decisions["dibao_standard"][order][pos].astype(float)
    found = decisions["household_id"][order][pos] == household_ids
    fallback = float(np.median(standard[found])) if found.any() else 1.0
    return np.where(found & (standard > 0), standard, fallback)


def monitor_compute(
    *, on: dt.date, since: dt.date | None = None, region_path: str | None = None, lib: Library | None = None,
    members: list[tuple] | None = None, standard: np.ndarray | None = None,
) -> MonitoringResult:
    lib = lib or library()
    since = since or on - dt.timedelta(days=31)
    rows = members if members is not None else members_current(on=on, region_path=region_path)
    computed = lib.computed
    codes = [i.code for i in computed]
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return MonitoringResult(on, since, empty, np.array([], object), np.zeros(0), {}, codes,
                                np.zeros((0, len(codes)), np.uint8), lib.weights(), None, np.array([], object))
    hh_of, pid, idn, region, rel, birth, grade, category, labour, health = zip(*rows, strict=True)
    household_ids, person_hh = np.unique(np.array(hh_of, dtype=np.int64), return_inverse=True)
    H, P = len(household_ids), len(pid)
    person_ids = np.array(pid, dtype=np.int64)
    person_index = {p: j for j, p in enumerate(pid)}
    region_codes = np.empty(H, dtype=object)
    region_codes[person_hh] = np.array(region, dtype=object)

    persons = pa.table([pa.array(person_ids), pa.array(person_hh.astype(np.int64)), pa.array(idn, pa.string())],
                       schema=PERSONS_SCHEMA)
    # verify() keys households by our row index: map back to household ids afterwards.
    out = verify(VerificationInput(persons=persons, on=on))
    facts, hh = out.facts, out.households
    assert np.array_equal(hh.column("household_id").to_numpy(), np.arange(H))

    def col(name: str) -> np.ndarray:
        return hh.column(name).to_numpy().astype(float)

    def per_household(values: np.ndarray) -> np.ndarray:
        return np.bincount(person_hh, weights=values.astype(float), minlength=H)

    def person_has(category: str, where=None) -> np.ndarray:
        sub = facts.filter(pc.equal(facts.column("category"), category))
        ids = sub.column("person_id").to_numpy()
        mask = np.isin(person_ids, ids)
        return mask

    age = _age(np.array(birth, dtype="datetime64[D]"), on)
    reg_grade = np.array([g or 0 for g in grade], dtype=np.int64)
    cert_rows, cert = _details(facts, "disability", person_index)
    cert_grade = np.zeros(P, dtype=np.int64)
    for j, d in zip(cert_rows.tolist(), cert, strict=True):
        g = int(d.get("disability_grade") or 0)
        cert_grade[j] = g if cert_grade[j] == 0 else min(cert_grade[j], g)
    grade_any = np.where(reg_grade > 0, np.where(cert_grade > 0, np.minimum(reg_grade, cert_grade), reg_grade), cert_grade)
    conditions = [set(h or ()) for h in health]
    serious = np.array(["serious" in c for c in conditions])
    chronic = np.array(["chronic" in c for c in conditions])
    needs_care = np.array(["needs_care" in c for c in conditions])
    labour = np.array(labour, dtype=object)
    category = np.array(category, dtype=object)
    rel = np.array(rel, dtype=object)
    wages = person_has("wages")
    earned = wages | person_has("pensions") | person_has("unemployment_benefit")
    pension = person_has("pensions")
    deceased = person_has("deceased")
    ben_rows, ben = _details(facts, "transfers", person_index)
    programme = np.full(P, "", dtype=object)
    programme[ben_rows] = np.array([d.get("programme", "") for d in ben], dtype=object)

    members = np.bincount(person_hh, minlength=H).astype(float)
    standard = standard if standard is not None else _standard(household_ids, on)
    income_total = col("income_total")
    fin = col("deposits") + col("wealth_products") + col("securities")
    oop_12m = col("deduction_medical") * 12
    earners = per_household(wages)
    elderly = per_household(age >= 60)
    children = per_household(age < 18)
    adults = per_household((age >= 18) & (age < 60))
    head_spouse = per_household(rel == "spouse")
    working_capable = per_household((age >= 16) & (age < 60) & (labour == "full"))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = {
            "income_ratio": col("income_per_head") / standard,
            "income_total": income_total,
            "income_wages": col("income_wages"),
            "income_unemployment_benefit": col("income_unemployment_benefit"),
            "wages_per_head": col("income_wages") / members,
            "pension_only": ((col("income_pensions") > 0) & (income_total - col("income_pensions") - col("income_transfers") <= 0)).astype(float),
            "pension_per_elderly": np.where(elderly > 0, col("income_pensions") / elderly, np.inf),
            "single_earner_large": ((per_household(earned) == 1) & (members >= 4)).astype(float),
            "financial_assets": fin,
            "financial_assets_per_head": fin / members,
            "vehicles_count": col("vehicles_count"),
            "securities": col("securities"),
            "housing_fund": _sum_category(facts, "housing_fund", person_hh, person_index, H),
            "business_count": col("business_count"),
            "serious_illness_members": per_household(serious),
            "chronic_members": per_household(chronic),
            "needs_care_members": per_household(needs_care),
            "ill_members": per_household(serious | chronic),
            "hospital_stays_12m": _count_category(facts, "medical_out_of_pocket", person_hh, person_index, H),
            "medical_oop_12m": oop_12m,
            "medical_oop_share": np.where(income_total > 0, oop_12m / (income_total * 12), np.where(oop_12m > 0, np.inf, 0.0)),
            "disabled_members": per_household(grade_any > 0),
            "severe_disabled_members": per_household((grade_any > 0) & (grade_any <= 2)),
            "intellectual_mental_members": per_household(np.isin(category, ("intellectual", "mental"))),
            "no_labour_members": per_household(labour == "none"),
            "partial_labour_members": per_household(labour == "partial"),
            "disabled_uncertified": per_household((reg_grade > 0) & (cert_grade == 0)),
            "school_age_children": per_household((age >= 6) & (age < 18)),
            "preschool_children": per_household(age < 6),
            "unemployed_members": per_household(person_has("unemployed")),
            "earners": earners,
            "idle_working_age": per_household((age >= 16) & (age < 60) & (labour == "full") & ~wages),
            "dependency_ratio": np.where(earners > 0, (members - earners) / earners, np.inf),
            "insured_members": per_household(pension | person_has("pensions")),
            "working_age_capable": working_capable,
            "real_estate_count": col("real_estate_count"),
            "area_per_head": col("real_estate_area") / members,
            "elderly_members": elderly,
            "oldest_old_members": per_household(age >= 80),
            "elderly_alone": ((members == 1) & (elderly == 1)).astype(float),
            "elderly_only": (elderly == members).astype(float),
            "orphans": np.where(adults == 0, children, 0.0),
            "single_parent": ((head_spouse == 0) & (children > 0) & (adults > 0)).astype(float),
            "deceased_earners": per_household(deceased & earned),
            "deceased_members": col("deceased_count"),
            "imprisoned_members": col("imprisoned_count"),
            "members": members,
            "children": children,
            "dibao_members": per_household(programme == "dibao"),
            "tekun_members": per_household(programme == "tekun"),
            "margin_members": per_household(programme == "low_income_margin"),
            "disability_subsidy_members": per_household(programme == "disability_subsidies"),
            "transfers_members": per_household(programme != ""),
            "duplicate_membership_count": col("duplicate_membership_count"),
        }
        matrix = np.column_stack([i.deprived(m[i.measure], standard) for i in computed]).astype(np.uint8)
    weights = lib.weights()
    cutoffs = level_cutoffs(on)
    af = alkire_foster(matrix, weights, cutoffs.k)
    levels = assign_levels(af.scores, cutoffs.for_regions(region_codes))
    result = MonitoringResult(
        on=on, since=since, household_ids=household_ids, region_codes=region_codes, standard=standard,
        measures=m, codes=codes, matrix=matrix, weights=weights, af=af, levels=levels,
        facts=facts, households=hh, persons=P,
    )
    result.triggers = _triggers(result, lib=lib, facts=facts, person_hh=person_hh, person_index=person_index,
                                earned=earned, income_total=income_total)
    return result


def _sum_category(facts: pa.Table, category: str, person_hh, person_index, H: int) -> np.ndarray:
    sub = facts.filter(pc.equal(facts.column("category"), category))
    rows = np.array([person_index[p] for p in sub.column("person_id").to_pylist()], dtype=np.int64)
    amounts = np.nan_to_num(sub.column("amount").to_numpy(zero_copy_only=False).astype(float))
    return np.bincount(person_hh[rows], weights=amounts, minlength=H) if len(rows) else np.zeros(H)


def _count_category(facts: pa.Table, category: str, person_hh, person_index, H: int) -> np.ndarray:
    sub = facts.filter(pc.equal(facts.column("category"), category))
    rows = np.array([person_index[p] for p in sub.column("person_id").to_pylist()], dtype=np.int64)
    return np.bincount(person_hh[rows], minlength=H).astype(float) if len(rows) else np.zeros(H)


def _in_window(value: str | None, since: dt.date, on: dt.date) -> bool:
    return bool(value) and since < dt.date.fromisoformat(value) <= on


def _triggers(result: MonitoringResult, *, lib: Library, facts: pa.Table, person_hh, person_index, earned,
              income_total) -> list[dict]:
    """Events dated in ``(since, on]``: at most one row per household and trigger code."""
    since, on, hids = result.since, result.on, result.household_ids
    fired: dict[tuple[int, str], dict] = {}

    def fire(code: str, h: int, reasons: dict) -> None:
        key = (int(hids[h]), code)
        if key in fired:
            fired[key]["reasons"]["events"] += reasons["events"]
            return
        t = lib.trigger(code)
        fired[key] = {"household_id": int(hids[h]), "code": code, "level": t.level,
                      "reasons": {"title": t.title, "explanation": t.explanation, **reasons}}

    codes = {t.code for t in lib.triggers}
    if "hospital_bill" in codes:
        params = lib.trigger("hospital_bill").params
        rows, stays = _details(facts, "medical_out_of_pocket", person_index)
        recent: dict[int, list] = {}
        for j, d in zip(rows.tolist(), stays, strict=True):
            if _in_window(d.get("discharged_on"), since, on):
                recent.setdefault(int(person_hh[j]), []).append(d)
        for h, ds in recent.items():
            oop = sum(float(d.get("out_of_pocket") or 0) for d in ds)
            annual = float(income_total[h]) * 12
            if oop >= params["minimum_out_of_pocket"] and (annual <= 0 or oop >= params["share_of_annual_income"] * annual):
                fire("hospital_bill", h, {"out_of_pocket": round(oop, 2), "annual_income": round(annual, 2),
                                          "events": [{"hospital": d.get("hospital_name"),
                                                      "discharged_on": d.get("discharged_on")} for d in ds]})
    for category, code, date_key in (("deceased", "breadwinner_death", "death_date"),
                                     ("imprisoned", "breadwinner_prison", "admitted_on")):
        if code not in codes:
            continue
        rows, ds = _details(facts, category, person_index)
        for j, d in zip(rows.tolist(), ds, strict=True):
            if earned[j] and _in_window(d.get(date_key), since, on):
                fire(code, int(person_hh[j]), {"events": [{"name": d.get("name"), date_key: d.get(date_key)}]})
    if "severe_disability_new" in codes:
        max_grade = lib.trigger("severe_disability_new").params.get("max_grade", 2)
        rows, ds = _details(facts, "disability", person_index)
        for j, d in zip(rows.tolist(), ds, strict=True):
            if int(d.get("disability_grade") or 9) <= max_grade and _in_window(d.get("issued_on"), since, on):
                fire("severe_disability_new", int(person_hh[j]),
                     {"events": [{"name": d.get("name"), "grade": d.get("disability_grade"), "issued_on": d.get("issued_on")}]})
    if "job_loss" in codes:
        rows, ds = _details(facts, "unemployed", person_index)
        for j, d in zip(rows.tolist(), ds, strict=True):
            if _in_window(d.get("registered_on"), since, on):
                fire("job_loss", int(person_hh[j]), {"events": [{"name": d.get("name"), "registered_on": d.get("registered_on")}]})
    return list(fired.values())
