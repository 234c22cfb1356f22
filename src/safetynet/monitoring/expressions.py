"""The household measures and the deprivation matrix as one Ibis expression (DuckDB or Spark).

Three inputs, all keyed by the run's household row index ``household_id`` (0…H−1):

* ``people``: one row per current member with the registry attributes and what the run read
  from fact details (``PEOPLE_SCHEMA``);
* ``facts``: verification's facts of those people;
* ``households``: verification's household totals plus ``standard``, the local 低保 standard
  (元/人·月) the rules put on each household.

:func:`indicators_expression` returns one row per household with every measure of
:data:`MEASURES` and a 0/1 column ``d_<code>`` per computed indicator of the library. The
Alkire–Foster aggregation of those columns is :func:`safetynet.monitoring.measures.alkire_foster`.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from safetynet.monitoring.indicators import OPS, Library

PEOPLE_SCHEMA = pa.schema([
    pa.field("household_id", pa.int64()),
    pa.field("person_id", pa.int64()),
    pa.field("age", pa.int64()),  # whole years at the run's date
    pa.field("registry_grade", pa.int64()),  # 0: none
    pa.field("certificate_grade", pa.int64()),  # the most severe valid certificate's grade, 0: none
    pa.field("disability_category", pa.string()),
    pa.field("labour_capacity", pa.string()),
    pa.field("relationship", pa.string()),
    pa.field("serious_illness", pa.bool_()),
    pa.field("chronic_illness", pa.bool_()),
    pa.field("needs_care", pa.bool_()),
    pa.field("programme", pa.string()),  # the programme of the person's transfers fact, "" none
])

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

INF = ibis.literal(float("inf"), type="float64")


def _n(condition: ibis.BooleanValue) -> ibis.IntegerValue:
    return condition.cast("int64")


def _flag(condition: ibis.BooleanValue) -> ibis.FloatingValue:
    return condition.cast("float64")


def _per_person_facts(facts: ibis.Table) -> ibis.Table:
    """Which kinds of facts each person has (one row per person with any fact)."""
    def has(category: str) -> ibis.BooleanValue:
        return (facts.category == category).any()

    return facts.group_by("person_id").aggregate(
        f_wages=has("wages"), f_pensions=has("pensions"), f_unemployment_benefit=has("unemployment_benefit"),
        f_deceased=has("deceased"), f_unemployed=has("unemployed"),
    )


def _per_household_facts(facts: ibis.Table) -> ibis.Table:
    return facts.group_by("household_id").aggregate(
        housing_fund=facts.amount.fill_null(0).sum(where=facts.category == "housing_fund"),
        hospital_stays_12m=_n(facts.category == "medical_out_of_pocket").sum(),
    )


def _household_people(people: ibis.Table, facts: ibis.Table) -> ibis.Table:
    flags = _per_person_facts(facts)
    p = people.left_join(flags, "person_id").drop("person_id_right")
    fact = {c: p[c].fill_null(False) for c in ("f_wages", "f_pensions", "f_unemployment_benefit", "f_deceased",
                                                "f_unemployed")}
    earned = fact["f_wages"] | fact["f_pensions"] | fact["f_unemployment_benefit"]
    grade = ibis.cases(
        ((p.registry_grade > 0) & (p.certificate_grade > 0), ibis.least(p.registry_grade, p.certificate_grade)),
        (p.registry_grade > 0, p.registry_grade),
        else_=p.certificate_grade,
    )
    working_age = (p.age >= 16) & (p.age < 60)
    capable = working_age & (p.labour_capacity == "full")
    return p.group_by("household_id").aggregate(
        earners=_n(fact["f_wages"]).sum(),
        earned=_n(earned).sum(),
        elderly=_n(p.age >= 60).sum(),
        oldest_old=_n(p.age >= 80).sum(),
        children=_n(p.age < 18).sum(),
        adults=_n((p.age >= 18) & (p.age < 60)).sum(),
        school_age=_n((p.age >= 6) & (p.age < 18)).sum(),
        preschool=_n(p.age < 6).sum(),
        spouses=_n(p.relationship == "spouse").sum(),
        working_capable=_n(capable).sum(),
        idle_working_age=_n(capable & ~fact["f_wages"]).sum(),
        serious=_n(p.serious_illness).sum(),
        chronic=_n(p.chronic_illness).sum(),
        needs_care=_n(p.needs_care).sum(),
        ill=_n(p.serious_illness | p.chronic_illness).sum(),
        disabled=_n(grade > 0).sum(),
        severe_disabled=_n((grade > 0) & (grade <= 2)).sum(),
        intellectual_mental=_n(p.disability_category.isin(("intellectual", "mental"))).sum(),
        no_labour=_n(p.labour_capacity == "none").sum(),
        partial_labour=_n(p.labour_capacity == "partial").sum(),
        disabled_uncertified=_n((p.registry_grade > 0) & (p.certificate_grade == 0)).sum(),
        unemployed=_n(fact["f_unemployed"]).sum(),
        insured=_n(fact["f_pensions"]).sum(),
        deceased_earners=_n(fact["f_deceased"] & earned).sum(),
        dibao=_n(p.programme == "dibao").sum(),
        tekun=_n(p.programme == "tekun").sum(),
        margin=_n(p.programme == "low_income_margin").sum(),
        disability_subsidy=_n(p.programme == "disability_subsidies").sum(),
        transfers=_n(p.programme != "").sum(),
    )


def measures_expression(*, people: ibis.Table, facts: ibis.Table, households: ibis.Table) -> ibis.Table:
    """One row per household: ``household_id``, ``standard`` and every measure of MEASURES."""
    a = _household_people(people, facts)
    j = households.join(a, "household_id").left_join(_per_household_facts(facts), "household_id")
    t = {c: j[c].cast("float64") for c in households.columns if c != "household_id"}
    h = {c: j[c].cast("float64") for c in a.columns if c != "household_id"}
    members, income_total, pensions = t["members"], t["income_total"], t["income_pensions"]
    fin = t["deposits"] + t["wealth_products"] + t["securities"]
    oop_12m = t["deduction_medical"] * 12
    measures = {
        "income_ratio": t["income_per_head"] / t["standard"],
        "income_total": income_total,
        "income_wages": t["income_wages"],
        "income_unemployment_benefit": t["income_unemployment_benefit"],
        "wages_per_head": t["income_wages"] / members,
        "pension_only": _flag((pensions > 0) & (income_total - pensions - t["income_transfers"] <= 0)),
        "pension_per_elderly": ibis.cases((h["elderly"] > 0, pensions / h["elderly"]), else_=INF),
        "single_earner_large": _flag((h["earned"] == 1) & (members >= 4)),
        "financial_assets": fin,
        "financial_assets_per_head": fin / members,
        "vehicles_count": t["vehicles_count"],
        "securities": t["securities"],
        "housing_fund": j.housing_fund.fill_null(0).cast("float64").round(2),
        "business_count": t["business_count"],
        "serious_illness_members": h["serious"],
        "chronic_members": h["chronic"],
        "needs_care_members": h["needs_care"],
        "ill_members": h["ill"],
        "hospital_stays_12m": j.hospital_stays_12m.fill_null(0).cast("float64"),
        "medical_oop_12m": oop_12m,
        "medical_oop_share": ibis.cases(
            (income_total > 0, oop_12m / (income_total * 12)), (oop_12m > 0, INF), else_=ibis.literal(0.0)),
        "disabled_members": h["disabled"],
        "severe_disabled_members": h["severe_disabled"],
        "intellectual_mental_members": h["intellectual_mental"],
        "no_labour_members": h["no_labour"],
        "partial_labour_members": h["partial_labour"],
        "disabled_uncertified": h["disabled_uncertified"],
        "school_age_children": h["school_age"],
        "preschool_children": h["preschool"],
        "unemployed_members": h["unemployed"],
        "earners": h["earners"],
        "idle_working_age": h["idle_working_age"],
        "dependency_ratio": ibis.cases((h["earners"] > 0, (members - h["earners"]) / h["earners"]), else_=INF),
        "insured_members": h["insured"],
        "working_age_capable": h["working_capable"],
        "real_estate_count": t["real_estate_count"],
        "area_per_head": t["real_estate_area"] / members,
        "elderly_members": h["elderly"],
        "oldest_old_members": h["oldest_old"],
        "elderly_alone": _flag((members == 1) & (h["elderly"] == 1)),
        "elderly_only": _flag(h["elderly"] == members),
        "orphans": ibis.cases((h["adults"] == 0, h["children"]), else_=ibis.literal(0.0)),
        "single_parent": _flag((h["spouses"] == 0) & (h["children"] > 0) & (h["adults"] > 0)),
        "deceased_earners": h["deceased_earners"],
        "deceased_members": t["deceased_count"],
        "imprisoned_members": t["imprisoned_count"],
        "members": members,
        "children": h["children"],
        "dibao_members": h["dibao"],
        "tekun_members": h["tekun"],
        "margin_members": h["margin"],
        "disability_subsidy_members": h["disability_subsidy"],
        "transfers_members": h["transfers"],
        "duplicate_membership_count": t["duplicate_membership_count"],
    }
    return j.select(household_id=j.household_id, standard=t["standard"],
                    **{name: value.cast("float64") for name, value in measures.items()})


def indicators_expression(*, people: ibis.Table, facts: ibis.Table, households: ibis.Table, lib: Library) -> ibis.Table:
    """:func:`measures_expression` plus ``d_<code>`` (int8, 1 = deprived) for every computed indicator,
    in no order (the caller places the rows: ordering the wide result in the engine cost a sort)."""
    m = measures_expression(people=people, facts=facts, households=households)
    deprived = {}
    for i in lib.computed:
        cutoff = m.standard * i.cutoff if i.per_standard else ibis.literal(float(i.cutoff))
        deprived[f"d_{i.code}"] = OPS[i.op](m[i.measure], cutoff).cast("int8")
    return m.mutate(**deprived)
