"""One validator for both paths: bad facts are refused with ``InvalidFacts`` naming the household,
the person and the field; a population's bad rows are all reported at once. And the one
membership rule: present on the 1st of the month, born = joined, died = left."""

import dataclasses
import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetynet.rules.decision import PROGRAMMES
from safetynet.rules.errors import InvalidFacts
from safetynet.rules.facts import HouseholdFacts, MemberFacts, Population
from safetynet.rules.money import yuan_decimal
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import EAST, NORTH, WEST, adult, born

MARCH = dt.date(2025, 3, 10)


def single(household, on=MARCH):
    return decide_household(household=household, on=on, system=yaml_system())


def bulk(population, on=MARCH):
    return decide_population(table=population, on=on, system=yaml_system())


def household(**member_facts) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=EAST,
        household_id=71,
        members=(
            adult(50, person_id=501, name="甲"),
            MemberFacts(
                **{"birth_date": born(48), "relationship": "spouse", "person_id": 502, **member_facts}
            ),
        ),
    )


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"wage_income": float("nan")}, "wage_income"),
        ({"wage_income": None}, "wage_income"),
        ({"wage_income": -1.0}, "wage_income"),
        ({"transfer_income": float("inf")}, "transfer_income"),
        ({"business_income": float("-inf")}, "business_income"),
        ({"labour_capacity": "maybe"}, "labour_capacity"),
        ({"relationship": "cousin"}, "relationship"),
        ({"disability_grade": 7}, "disability_grade"),
        ({"birth_date": None}, "birth_date"),
        ({"joined_on": dt.date(2020, 1, 1), "left_on": dt.date(2019, 1, 1)}, "left_on"),
        ({"died_on": dt.date(1960, 1, 1)}, "died_on"),
    ],
)
def test_a_bad_member_fact_is_refused_naming_household_person_and_field(facts, field):
    with pytest.raises(InvalidFacts) as refused:
        single(household(**facts))
    problems = refused.value.details["problems"]
    assert problems == [{"household": 71, "person": 502, "field": field, "message": problems[0]["message"]}]
    assert f"家庭 71 成员 502 的 {field}" in refused.value.message
    assert "nan" not in refused.value.message.lower()


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"deposits": float("nan")}, "deposits"),
        ({"deposits": None}, "deposits"),
        ({"medical_expenses_12m": -5}, "medical_expenses_12m"),
        ({"vehicles": -1}, "vehicles"),
        ({"temporary_case": "flood?"}, "temporary_case"),
        ({"region_code": "990100000000"}, "region_code"),
    ],
)
def test_a_bad_household_fact_is_refused_naming_household_and_field(facts, field):
    with pytest.raises(InvalidFacts) as refused:
        single(dataclasses.replace(household(), **facts))
    assert refused.value.details["problems"][0]["household"] == 71
    assert refused.value.details["problems"][0]["field"] == field
    assert refused.value.details["problems"][0]["person"] is None


def test_the_population_path_refuses_the_same_rows_and_reports_them_all_at_once():
    # given three good households, then bad values written straight into the arrays (as a feed would)
    good = [dataclasses.replace(household(), household_id=h) for h in (1, 2, 3)]
    population = Population.from_facts(good)
    population.persons["wage_income"][1] = -300.0  # household 1, second member
    population.persons["property_income"][2] = np.nan  # household 2, first member
    population.households["deposits"][2] = np.inf  # household 3
    # when / then every bad row is named, not the first only
    with pytest.raises(InvalidFacts) as refused:
        bulk(population)
    assert refused.value.details["count"] == 3
    found = {(p["household"], p["person"], p["field"]) for p in refused.value.details["problems"]}
    assert found == {(1, 502, "wage_income"), (2, 501, "property_income"), (3, None, "deposits")}


def test_a_negative_wage_is_refused_by_both_paths():
    bad = household(wage_income=-100.0)
    with pytest.raises(InvalidFacts):
        single(bad)
    population = Population.from_facts([household()])
    population.persons["wage_income"][1] = -100.0
    with pytest.raises(InvalidFacts):
        bulk(population)


def test_a_child_born_after_the_first_of_the_month_counts_from_the_next_month():
    # given a mother alone (500 yuan) and a baby born on 5 March, no join date given
    baby = MemberFacts(birth_date=dt.date(2025, 3, 5), relationship="child", name="宝宝")
    facts = HouseholdFacts(region_code=WEST, members=(adult(30, other_income=500, name="母亲"), baby))
    # then in March only the mother counts: (950 − 500) × 1 = 450, no minor add-on
    march = single(facts, on=dt.date(2025, 3, 20))
    assert march.household_size == 1
    assert march.programmes["dibao"].amount == Decimal("450.00")
    assert all(line.code != "dibao.addon" for line in march.programmes["dibao"].lines)
    # and from April both: (950 − 250) × 2 = 1400, plus 10% × 950 = 95 for the baby
    april = single(facts, on=dt.date(2025, 4, 1))
    assert april.household_size == 2
    assert april.programmes["dibao"].amount == Decimal("1495.00")
    # and the population path agrees
    results = bulk(Population.from_facts([facts]), on=dt.date(2025, 3, 20))
    assert results["household_size"].tolist() == [1]


def test_a_member_who_died_counts_for_that_month_and_not_the_next():
    facts = HouseholdFacts(
        region_code=NORTH,
        members=(
            adult(80, transfer_income=1000, died_on=dt.date(2025, 3, 15), name="祖父"),
            adult(50, relationship="child", name="儿子"),
        ),
    )
    assert single(facts, on=dt.date(2025, 3, 20)).household_size == 2
    assert single(facts, on=dt.date(2025, 4, 1)).household_size == 1
    assert single(facts, on=dt.date(2025, 3, 1)).household_size == 2


# --- property-based: the two paths agree on any valid household, and refuse the same bad ones ---

money = st.one_of(st.just(0.0), st.decimals(min_value=0, max_value=20000, places=2).map(float))
members = st.builds(
    MemberFacts,
    birth_date=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2025, 6, 30)),
    relationship=st.sampled_from(["head", "spouse", "child", "parent", "grandchild", "other"]),
    left_on=st.one_of(st.none(), st.dates(min_value=dt.date(2025, 5, 1), max_value=dt.date(2025, 9, 1))),
    disability_grade=st.integers(0, 4),
    labour_capacity=st.sampled_from(["full", "partial", "none"]),
    self_care=st.sampled_from(["full", "partial", "none"]),
    serious_illness=st.booleans(),
    has_capable_supporter=st.booleans(),
    wage_income=money,
    business_income=st.decimals(min_value=-500, max_value=5000, places=2).map(float),
    property_income=money,
    transfer_income=money,
    award_income=money,
    compensation_income=money,
    special_care_income=money,
    work_exempt=st.booleans(),
)
SOUTH = "990104001001"  # applies 单人保, vehicle value and dwelling area tests, imputed income…


@st.composite
def vehicle_facts(draw) -> dict:
    """Vehicles with their value, some of them a disabled member's exempt vehicle (the household
    builder below keeps them only where a member is disabled)."""
    vehicles = draw(st.integers(0, 3))
    exempt = draw(st.integers(0, vehicles))
    exempt_value = draw(st.decimals(min_value=0, max_value=30000, places=2).map(float)) if exempt else 0.0
    value = exempt_value + draw(st.decimals(min_value=0, max_value=80000, places=2).map(float))
    return {
        "vehicles": vehicles,
        "vehicle_value": value,
        "disability_vehicles": exempt,
        "disability_vehicle_value": exempt_value,
    }


def _with_vehicles(household: HouseholdFacts, vehicles: dict) -> HouseholdFacts:
    if not any(m.disability_grade for m in household.members):
        vehicles = {**vehicles, "disability_vehicles": 0, "disability_vehicle_value": 0.0}
        vehicles["vehicle_value"] = max(vehicles["vehicle_value"], 0.0)
    return dataclasses.replace(household, **vehicles)


households_plain = st.builds(
    HouseholdFacts,
    region_code=st.sampled_from([EAST, WEST, NORTH, SOUTH]),
    members=st.lists(members, min_size=1, max_size=6).map(tuple),
    rural=st.booleans(),
    deposits=st.decimals(min_value=0, max_value=400000, places=2).map(float),
    vehicles=st.integers(0, 2),
    dwellings=st.integers(0, 2),
    medical_expenses_12m=money,
    education_expenses_12m=money,
    dibao_current_amount=money,
    gradual_exit_months_used=st.integers(0, 8),
    temporary_case=st.sampled_from(
        ["none", "accident", "serious_illness", "expense_shock", "other", "disaster"]
    ),
    dwelling_area=st.decimals(min_value=0, max_value=400, places=2).map(float),
)
households = st.builds(_with_vehicles, households_plain, vehicle_facts())
AMOUNTS = {
    "dibao": "dibao_amount",
    "tekun": "tekun_household_amount",
    "temporary_assistance": "temporary_assistance_amount",
    "medical_assistance": "medical_assistance_amount",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(households, min_size=1, max_size=4))
def test_both_paths_agree_on_random_valid_households(facts):
    on = dt.date(2025, 7, 1)
    results = bulk(Population.from_facts(facts), on=on)
    for i, household_facts in enumerate(facts):
        decision = single(household_facts, on=on)
        assert set(decision.programmes) == set(PROGRAMMES)
        for programme, column in AMOUNTS.items():
            assert decision.programmes[programme].amount == yuan_decimal(results[column][i]), programme
        assert decision.monthly_total == yuan_decimal(results["monthly_total"][i])
        assert decision.programmes["dibao"].eligible == bool(results["dibao_persons"][i] > 0)


BAD = st.sampled_from(
    [
        ("person", "wage_income", math.nan),
        ("person", "wage_income", None),
        ("person", "transfer_income", -0.01),
        ("person", "property_income", math.inf),
        ("household", "deposits", math.nan),
        ("household", "deposits", -1.0),
        ("household", "education_expenses_12m", None),
        ("person", "award_income", -1.0),
        ("person", "compensation_income", math.nan),
        ("household", "dwelling_area", math.inf),
        ("household", "vehicle_value", -0.01),
    ]
)


@settings(max_examples=30, deadline=None)
@given(households, BAD, st.integers(0, 5))
def test_invalid_facts_are_refused_by_both_paths(facts, bad, which):
    where, field, value = bad
    facts = dataclasses.replace(facts, household_id=9)
    index = which % len(facts.members)
    population = Population.from_facts([facts])
    if where == "person":
        members = list(facts.members)
        members[index] = dataclasses.replace(members[index], **{field: value})
        bad_facts = dataclasses.replace(facts, members=tuple(members))
        population.persons[field][index] = np.nan if value is None else value
    else:
        bad_facts = dataclasses.replace(facts, **{field: value})
        population.households[field][0] = np.nan if value is None else value
    with pytest.raises(InvalidFacts) as one:
        single(bad_facts)
    with pytest.raises(InvalidFacts) as many:
        bulk(population)
    strip = [(p["household"], p["field"]) for p in one.value.details["problems"]]
    assert strip == [(p["household"], p["field"]) for p in many.value.details["problems"]] == [(9, field)]


def test_numbers_that_do_not_fit_are_refused_not_crashed_on():
    huge = dataclasses.replace(household(), vehicles=2**40, deposits=1e300, household_id=2**70)
    with pytest.raises(InvalidFacts) as refused:
        single(huge)
    assert {p["field"] for p in refused.value.details["problems"]} == {"vehicles", "deposits"}
