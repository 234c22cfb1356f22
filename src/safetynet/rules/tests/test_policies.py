"""The policies regions choose to apply (issue 11, item 6), each on hand-worked households and on
both paths, with the exact-threshold cases. 第四区 (990104) applies them all from 2025-01-01; the
province (default) and 西区/东区 do not, except the exemptions the national rules list.

In March 2025 第四区 takes the city's standards: urban 900, rural 700; the 低保边缘 line is
1.5 × 900 = 1350; work disregard 20% of wages, at most 300 a month."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from safetynet.rules.errors import InvalidFacts
from safetynet.rules.facts import HouseholdFacts, MemberFacts, Population
from safetynet.rules.money import yuan_decimal
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import EAST, WEST, adult, born

SOUTH = "990104001001"
MARCH = dt.date(2025, 3, 10)


def both(facts: HouseholdFacts, on=MARCH):
    """The single decision, after checking the population path gives the same amounts and flags."""
    decision = decide_household(household=facts, on=on, system=yaml_system())
    rows = decide_population(table=Population.from_facts([facts]), on=on, system=yaml_system())
    assert decision.programmes["dibao"].amount == yuan_decimal(rows["dibao_amount"][0])
    assert decision.programmes["temporary_assistance"].amount == yuan_decimal(
        rows["temporary_assistance_amount"][0]
    )
    assert decision.monthly_total == yuan_decimal(rows["monthly_total"][0])
    assert decision.programmes["dibao"].eligible == bool(rows["dibao_persons"][0] > 0)
    return decision


def codes(decision, programme="dibao"):
    return {t.code: t for t in decision.programmes[programme].tests}


# --- a. 单人保 ---


def couple(wage: float, region=SOUTH) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=region,
        members=(
            adult(50, wage_income=wage, name="王强"),
            adult(48, relationship="spouse", disability_grade=1, labour_capacity="none", name="刘梅"),
        ),
    )


def test_a_severely_disabled_adult_of_a_margin_household_is_assessed_alone():
    # (2500 − 300) / 2 = 1100 a head: not below 900 (no 低保 for the household), below 1350
    decision = both(couple(2500))
    dibao = decision.programmes["dibao"]
    assert dibao.eligible
    # 刘梅 alone: (900 − 0) + 20% × 900 severe-disability add-on = 1080
    assert dibao.amount == Decimal("1080.00")
    line = next(x for x in dibao.lines if x.code == "dibao.single_person")
    assert line.member == 1 and "刘梅按单人户纳入低保" in line.text
    assert "dibao.single_person.enabled" in line.parameters and "第四区" in line.reference
    assert not codes(decision)["dibao.income"].passed
    # the rest of the household stays 低保边缘
    assert decision.programmes["low_income_margin"].eligible


def test_single_person_household_test_at_the_exact_line_and_a_fen_below():
    at_line = both(couple(3000))  # (3000 − 300) / 2 = 1350: not below 1350
    assert not at_line.programmes["dibao"].eligible
    assert not codes(at_line)["dibao.single_person.household"].passed
    below = both(couple(2999.99))  # 2699.99 / 2 = 1349.995, below 1350 unrounded
    assert below.programmes["dibao"].amount == Decimal("1080.00")
    assert "1349.99 元，低于" in codes(below)["dibao.single_person.household"].text


def test_single_person_needs_own_income_below_the_standard_and_an_adult():
    rich_spouse = dataclasses.replace(
        couple(2500),
        members=(
            adult(50, wage_income=1500, name="王强"),
            adult(48, relationship="spouse", serious_illness=True, transfer_income=900, name="刘梅"),
        ),
    )
    # (1200 + 900) / 2 = 1050 a head; her own 900 is not below 900
    decision = both(rich_spouse)
    assert not decision.programmes["dibao"].eligible
    assert not codes(decision)["dibao.single_person.income"].passed
    child = HouseholdFacts(
        region_code=SOUTH,
        members=(
            adult(40, wage_income=2500, name="父亲"),
            MemberFacts(birth_date=born(10), relationship="child", disability_grade=1, name="孩子"),
        ),
    )
    assert not both(child).programmes["dibao"].eligible


def test_single_person_is_off_where_the_region_does_not_apply_it():
    # 西区 standard 950: 1100 a head is not below it, and 西区 has no 单人保
    decision = both(couple(2500, region=WEST))
    assert not decision.programmes["dibao"].eligible
    assert "dibao.single_person.household" not in codes(decision)


# --- b. vehicles and dwellings ---


def with_vehicles(region=SOUTH, **facts) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=region,
        members=(
            adult(50, transfer_income=500, disability_grade=3, labour_capacity="partial", name="赵刚"),
            adult(48, relationship="spouse", labour_capacity="partial", name="孙丽"),
        ),
        **facts,
    )


def test_vehicle_value_at_the_limit_passes_and_a_fen_over_fails_with_the_disability_vehicle_left_out():
    # a car of 40,000 and a disabled member's 功能性补偿代步机动车 of 15,000: 40,000 counts
    ok = both(
        with_vehicles(vehicles=2, vehicle_value=55000, disability_vehicles=1, disability_vehicle_value=15000)
    )
    test = codes(ok)["assets.vehicles"]
    assert test.passed and test.value == 40000 and test.threshold == 40000
    assert "残疾人功能性补偿代步机动车 1 辆" in test.text and "不计入" in test.text
    assert ok.programmes["dibao"].eligible  # (500/2 = 250) < 900
    over = both(
        with_vehicles(
            vehicles=2, vehicle_value=55000.01, disability_vehicles=1, disability_vehicle_value=15000
        )
    )
    assert not codes(over)["assets.vehicles"].passed and not over.programmes["dibao"].eligible
    # two cars are too many even if cheap
    assert not codes(both(with_vehicles(vehicles=2, vehicle_value=2000)))["assets.vehicles"].passed


def test_without_the_value_test_any_car_fails_but_the_disability_vehicle_does_not():
    # 东区: no value test, no vehicle allowed
    car = both(with_vehicles(region=EAST, vehicles=1, vehicle_value=3000))
    assert not codes(car)["assets.vehicles"].passed
    exempt = both(
        with_vehicles(
            region=EAST, vehicles=1, vehicle_value=3000, disability_vehicles=1, disability_vehicle_value=3000
        )
    )
    assert codes(exempt)["assets.vehicles"].passed and exempt.programmes["dibao"].eligible


def test_dwelling_area_per_head_at_the_limit_and_just_over():
    at = both(with_vehicles(dwelling_area=90))  # 90 / 2 = 45 m² a head, the limit
    assert codes(at)["assets.dwelling_area"].passed
    over = both(with_vehicles(dwelling_area=90.01))  # 45.005 > 45, unrounded
    test = codes(over)["assets.dwelling_area"]
    assert (
        not test.passed
        and test.value == 45.005
        and "人均 45.01 平方米" in test.text
        and not over.programmes["dibao"].eligible
    )
    # 东区 does not test the area
    assert "assets.dwelling_area" not in codes(both(with_vehicles(region=EAST, dwelling_area=500)))


def test_a_disability_vehicle_without_a_disabled_member_is_refused_by_both_paths():
    bad = HouseholdFacts(
        region_code=SOUTH,
        household_id=8,
        members=(adult(40),),
        vehicles=1,
        vehicle_value=1,
        disability_vehicles=1,
    )
    with pytest.raises(InvalidFacts) as one:
        decide_household(household=bad, on=MARCH, system=yaml_system())
    population = Population.from_facts([dataclasses.replace(bad, disability_vehicles=0)])
    population.households["disability_vehicles"][0] = 1
    with pytest.raises(InvalidFacts) as many:
        decide_population(table=population, on=MARCH, system=yaml_system())
    for refused in (one, many):
        assert [(p["household"], p["field"]) for p in refused.value.details["problems"]] == [
            (8, "disability_vehicles")
        ]


# --- c. imputed income ---


def test_income_is_imputed_to_a_working_age_adult_able_to_work_who_does_not_and_it_is_appealable():
    decision = both(HouseholdFacts(region_code=SOUTH, members=(adult(30, name="陈明"),)))
    # 1010.5 imputed: not below 900
    dibao = decision.programmes["dibao"]
    assert not dibao.eligible
    imputed = codes(decision)["income.imputed"]
    assert imputed.appealable and imputed.value == 1010.5 and imputed.member == 0
    assert "陈明 30 岁" in imputed.text and "1010.5" in imputed.text and "可申请复核" in imputed.text
    assert "第四区低保家庭收入认定细则" in imputed.reference
    assert "可申请复核" in dibao.summary
    assert decision.as_dict()["programmes"]["dibao"]["tests"][1]["appealable"] is True


@pytest.mark.parametrize(
    ("member", "amount"),
    [
        (adult(30, work_exempt=True), Decimal("900.00")),  # a student: nothing imputed
        (adult(60, has_capable_supporter=True), Decimal("990.00")),  # past working age; +10% elderly
        (adult(30, labour_capacity="partial"), Decimal("900.00")),
        (adult(30, wage_income=0.01), Decimal("899.99")),  # works: the wage counts (disregard 0.002)
    ],
)
def test_no_income_is_imputed_to_those_excused(member, amount):
    decision = both(HouseholdFacts(region_code=SOUTH, members=(member,)))
    assert "income.imputed" not in codes(decision)
    assert decision.programmes["dibao"].amount == amount


def test_imputation_starts_at_the_minimum_age_and_is_off_elsewhere():
    eighteen = MemberFacts(birth_date=dt.date(2007, 3, 1), relationship="head")  # 18 on 1 March
    assert "income.imputed" in codes(both(HouseholdFacts(region_code=SOUTH, members=(eighteen,))))
    west = both(HouseholdFacts(region_code=WEST, members=(adult(30),)))
    assert "income.imputed" not in codes(west) and west.programmes["dibao"].amount == Decimal("950.00")


# --- d. 急难型 临时救助 ---


def test_urgent_temporary_assistance_needs_no_income_test_where_the_region_says_so():
    well_off = HouseholdFacts(
        region_code=SOUTH, members=(adult(40, property_income=5000),), temporary_case="accident"
    )
    decision = both(well_off)
    temporary = decision.programmes["temporary_assistance"]
    assert temporary.eligible and temporary.amount == Decimal("5400.00")  # 6 × 900
    assert codes(decision, "temporary_assistance")["temporary_assistance.urgent"].passed
    disaster = both(dataclasses.replace(well_off, temporary_case="disaster"))
    assert disaster.programmes["temporary_assistance"].amount == Decimal("4500.00")  # 5 × 900
    # a case that is not urgent keeps the income test
    assert (
        not both(dataclasses.replace(well_off, temporary_case="expense_shock"))
        .programmes["temporary_assistance"]
        .eligible
    )
    # and 西区 keeps it for accidents too
    assert (
        not both(dataclasses.replace(well_off, region_code=WEST)).programmes["temporary_assistance"].eligible
    )


# --- e. income exemptions ---


def exempt_incomes(region) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=region,
        members=(
            adult(40, wage_income=1000, award_income=500, compensation_income=50.25, special_care_income=200),
        ),
    )


def test_awards_and_special_care_pensions_are_exempt_everywhere_one_off_compensation_where_listed():
    # 东区: wage 1000 − 200 disregard = 800; award and 优抚 exempt; compensation 50.25 counts:
    # 850.25 → (900 − 850.25) + 60 local flat = 109.75
    east = both(exempt_incomes(EAST))
    assert east.programmes["dibao"].amount == Decimal("109.75")
    test = codes(east)["income.exempt"]
    assert test.value == 700 and "奖励性收入、优抚对象抚恤补助" in test.text
    assert "第十一条" in test.reference
    # 第四区 also exempts the compensation: 800 → 100
    south = both(exempt_incomes(SOUTH))
    assert south.programmes["dibao"].amount == Decimal("100.00")
    assert codes(south)["income.exempt"].value == 750.25


@pytest.mark.parametrize("field", ["award_income", "compensation_income", "special_care_income"])
def test_bad_exempt_income_facts_are_refused(field):
    bad = HouseholdFacts(region_code=SOUTH, household_id=5, members=(adult(40, **{field: -1}),))
    with pytest.raises(InvalidFacts) as refused:
        decide_household(household=bad, on=MARCH, system=yaml_system())
    assert refused.value.details["problems"][0]["field"] == field
