"""Supporters (法定赡养、抚养、扶养义务人) as facts: 特困's "no able supporter" and 低保's 赡养费
computed from them by the region's parameters. 示范市 in March 2025: standard 900; a supporter
household is able from 2 × 900 = 1,800 a head; 30% of its income above that line is 赡养费."""

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.rules.errors import InvalidFacts
from safetynet.rules.facts import HouseholdFacts, MemberFacts, Population, SupporterFacts
from safetynet.rules.money import yuan_decimal
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import NORTH, adult, born

MARCH = dt.date(2025, 3, 10)


def decide(household):
    return decide_household(household=household, on=MARCH, system=yaml_system())


def elder(*supporters: SupporterFacts) -> HouseholdFacts:
    return HouseholdFacts(
        region_code=NORTH, members=(adult(78, transfer_income=200, supporters=supporters, name="钱奶奶"),)
    )


def test_no_supporter_at_all_is_tekun():
    tekun = decide(elder()).programmes["tekun"]
    assert tekun.eligible and tekun.amount == Decimal("1270.00")  # 1.3 × 900 + 100
    assert "无法定赡养、抚养、扶养义务人" in [t.text for t in tekun.tests if t.code == "tekun.no_supporter"]


def test_supporters_below_the_line_leave_tekun_in_place():
    # a son's household of 3 with 5,000 a month: 1,666.67 a head, below 1,800
    tekun = decide(elder(SupporterFacts("child", household_income=5000, household_size=3))).programmes[
        "tekun"
    ]
    assert tekun.eligible
    (supporter_test,) = [t for t in tekun.tests if t.code == "tekun.no_supporter"]
    assert supporter_test.passed
    assert (
        supporter_test.text
        == "1 名法定义务人家庭月人均收入均低于 1800 元（低保标准的 2 倍），无赡养、抚养、扶养能力"
    )


def test_a_supporter_whose_income_makes_tekun_fail_and_whose_support_counts_for_dibao():
    # a son's household of 3 with 6,000 a month: 2,000 a head ≥ 1,800, so able
    decision = decide(elder(SupporterFacts("child", household_income=6000, household_size=3)))
    tekun = decision.programmes["tekun"]
    assert not tekun.eligible
    test = next(t for t in tekun.tests if t.code == "tekun.no_supporter")
    assert not test.passed and test.parameter == "supporters.capable_income_multiple"
    # 赡养费 (6,000 − 1,800 × 3) × 30% = 180 counts as her income: 200 + 180 = 380 a head;
    # 低保 (900 − 380) + 10% × 900 elderly add-on = 610
    assert "应计赡养费每月 180 元" in test.text
    assert decision.income_per_head == 380
    assert decision.programmes["dibao"].amount == Decimal("610.00")
    # and the population path agrees
    results = decide_population(
        table=Population.from_facts(
            [elder(SupporterFacts("child", household_income=6000, household_size=3))]
        ),
        on=MARCH,
        system=yaml_system(),
    )
    assert results["tekun_persons"].tolist() == [0]
    assert yuan_decimal(results["dibao_amount"][0]) == Decimal("610.00")


def test_a_co_resident_able_parent_is_a_supporter_an_elderly_one_is_not():
    orphan_like = MemberFacts(birth_date=born(8), relationship="grandchild", name="孙子")
    with_grandmother = HouseholdFacts(region_code=NORTH, members=(adult(75, name="祖母"), orphan_like))
    # the grandmother is the head; the boy is a grandchild (no listed parent able to support): 特困
    assert decide(with_grandmother).programmes["tekun"].eligible
    child = MemberFacts(birth_date=born(8), relationship="child", name="儿子")
    with_mother = HouseholdFacts(region_code=NORTH, members=(adult(35, name="母亲"), child))
    tekun = decide(with_mother).programmes["tekun"]
    assert not tekun.eligible


def test_too_many_supporters_are_refused():
    many = tuple(SupporterFacts("child", household_income=100) for _ in range(5))
    with pytest.raises(InvalidFacts) as refused:
        decide(elder(*many))
    assert refused.value.details["problems"][0]["field"] == "supporters"
