"""Money exact to the fen: thresholds compared on unrounded values, amounts held in float64 (not
OpenFisca's float32), payable amounts rounded once, half up, to the unit a region's parameter
names, and the figures worked out by hand below."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from safetynet.rules.decision import citations
from safetynet.rules.facts import HouseholdFacts, MemberFacts, Population
from safetynet.rules.money import round_payable, to_fen
from safetynet.rules.reforms import reform_parse
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.simulation import simulation_report
from safetynet.rules.synthetic import synthetic_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import NORTH, adult, born

MARCH = dt.date(2025, 3, 10)  # 示范市 urban standard 900 (北区 has none of its own)


def decide(household, on=MARCH):
    return decide_household(household=household, on=on, system=yaml_system())


def test_every_float_variable_is_float64():
    system = yaml_system()
    floats = [v for v in system.variables.values() if v.value_type is float]
    assert floats and all(v.dtype == np.float64 for v in floats)


def three_with(income: float) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=NORTH,
        members=(
            adult(40, property_income=income, name="甲"),
            adult(38, relationship="spouse", name="乙"),
            adult(70, relationship="parent", name="丙"),
        ),
    )


def test_income_per_head_below_the_standard_by_a_fraction_of_a_fen_is_eligible():
    # given 2,699.99 yuan for 3 people: 899.99666… a head, below the 900 standard
    decision = decide(three_with(2699.99))
    dibao = decision.programmes["dibao"]
    # then eligible: gap (900 − 899.99666…) × 3 = 0.01, plus the elder's add-on 10% × 900 = 90
    assert dibao.tests[0].passed and dibao.eligible
    assert dibao.amount == Decimal("90.01")
    # and the reason shows the unrounded comparison, not "900, 不低于 900"
    assert "家庭月人均收入 899.9967 元，低于本市2025年低保标准 900 元" in dibao.summary
    assert dibao.tests[0].value == pytest.approx(899.996667, abs=1e-6)
    # and the population path agrees to the fen
    results = decide_population(
        table=Population.from_facts([three_with(2699.99)]), on=MARCH, system=yaml_system()
    )
    assert bool(results["dibao_eligible"][0]) and to_fen(results["dibao_amount"]).tolist() == [9001]


def test_income_per_head_exactly_at_the_standard_is_refused():
    decision = decide(three_with(2700))
    assert not decision.programmes["dibao"].eligible
    assert "家庭月人均收入 900 元，不低于本市2025年低保标准 900 元" in decision.programmes["dibao"].summary


def thirteen(deposits: float) -> HouseholdFacts:
    members = (adult(45, name="户主"),) + tuple(
        MemberFacts(birth_date=born(10 + i), relationship="child") for i in range(12)
    )
    return HouseholdFacts(region_code=NORTH, members=members, deposits=deposits)


def test_deposits_one_fen_over_a_limit_above_262144_yuan_are_refused():
    # given 13 people: limit 900 × 24 months × 13 = 280,800 yuan (float32 cannot tell 280,800.01 from it)
    assert np.float32(280_800.01) == np.float32(280_800)
    at, over = thirteen(280_800.00), thirteen(280_800.01)
    # then at the limit the household passes, one fen over it is refused, on both paths
    assert decide(at).programmes["dibao"].eligible
    refused = decide(over).programmes["dibao"]
    assert not refused.eligible
    assert "存款及有价证券 280800.01 元，超过上限 280800 元" in refused.summary
    results = decide_population(table=Population.from_facts([at, over]), on=MARCH, system=yaml_system())
    assert results["deposits_pass"].tolist() == [True, False]
    assert results["dibao_eligible"].tolist() == [True, False]


def test_round_payable_is_half_up_once_and_to_the_unit():
    amounts = np.array([0.125, 2.675, 1.005, 828.5, 829.49, 829.6, 0.0])
    assert to_fen(round_payable(amounts, 0.01)).tolist() == [13, 268, 101, 82850, 82949, 82960, 0]
    assert to_fen(round_payable(amounts, 1)).tolist() == [0, 300, 100, 82900, 82900, 83000, 0]


def test_a_region_that_pays_whole_yuan_rounds_the_total_once_half_up():
    # given 北区 pays whole yuan from 2026 (its rounding parameter); 示范市 standard 930 since 2025-07
    single = HouseholdFacts(region_code=NORTH, members=(adult(40, property_income=101.5),))
    # then December 2025: 930 − 101.5 = 828.5 paid to the fen
    december = decide(single, on=dt.date(2025, 12, 1)).programmes["dibao"]
    assert december.amount == Decimal("828.50")
    # and January 2026: 828.5 rounds half up to 829 (not to the even 828), citing the rule
    january = decide(single, on=dt.date(2026, 1, 1)).programmes["dibao"]
    assert january.amount == Decimal("829.00")
    total = january.lines[-1]
    assert total.code == "dibao.total" and total.parameters == ("payment.rounding_unit",)
    assert "按元发放，角以下四舍五入" in total.text and "北民发〔2025〕11号" in total.reference


def test_simulation_totals_are_the_sum_of_household_amounts_to_the_fen():
    population = synthetic_population(3000, seed=3, on=dt.date(2025, 7, 1))
    results = decide_population(table=population, on=dt.date(2025, 7, 1), system=yaml_system())
    spec = reform_parse(
        {
            "name": "标准不变",
            "changes": [
                {
                    "path": "dibao.standard.urban",
                    "region": "990100000000",
                    "start": "2025-07-01",
                    "value": 930,
                }
            ],
        }
    )
    report = simulation_report(
        spec=spec, on=dt.date(2025, 7, 1), population=population, baseline=results, reformed=results
    )
    by_hand = sum((Decimal(f"{x:.2f}") for x in results["monthly_total"].tolist()), Decimal(0))
    assert Decimal(report["baseline"]["total"]["monthly_cost_fen"]) / 100 == by_hand
    dibao = sum((Decimal(f"{x:.2f}") for x in results["dibao_amount"].tolist()), Decimal(0))
    assert Decimal(report["baseline"]["dibao"]["monthly_cost_fen"]) / 100 == dibao


def test_citations_split_document_and_article():
    refs = citations(
        "《最低生活保障审核确认办法》（民发〔2021〕57号）第二十二条；《示范省分类施保实施办法》第四条〔示例〕"
    )
    assert refs == [
        {
            "document": "《最低生活保障审核确认办法》（民发〔2021〕57号）",
            "article": "第二十二条",
            "text": "《最低生活保障审核确认办法》（民发〔2021〕57号）第二十二条",
        },
        {
            "document": "《示范省分类施保实施办法》",
            "article": "第四条",
            "text": "《示范省分类施保实施办法》第四条〔示例〕",
        },
    ]
