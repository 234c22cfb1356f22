"""医疗救助 by person and category, with rigid medical expenditure counted once."""

import datetime as dt
from decimal import Decimal

from safetynet.rules.facts import HouseholdFacts, Population
from safetynet.rules.money import yuan_decimal
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import EAST, adult

MARCH = dt.date(2025, 3, 10)  # 东区: 900 urban standard, 60 yuan local flat add-on per assessed member


def mixed() -> HouseholdFacts:
    return HouseholdFacts(
        region_code=EAST,
        members=(
            adult(45, other_income=600, own_medical_expenses_12m=1200, name="儿子"),
            adult(
                80,
                relationship="sibling",  # no duty of support between them here: she is 特困
                has_capable_supporter=False,
                own_medical_expenses_12m=6000,
                name="母亲",
            ),
        ),
    )


def test_a_tekun_members_costs_are_paid_at_the_tekun_rate_and_not_deducted_from_the_dibao_income():
    decision = decide_household(household=mixed(), on=MARCH, system=yaml_system())
    # the mother is 特困: 1.3 × 900 + 100 care = 1270
    assert decision.programmes["tekun"].amount == Decimal("1270.00")
    # the son alone is the 低保 household: 600 − 1200 / 12 = 500 a head; (900 − 500) + 60 = 460
    # (were the mother's 6000 deducted too, he would get 960: her costs counted twice)
    assert decision.income_per_head == 500
    assert decision.programmes["dibao"].amount == Decimal("460.00")
    # 医疗救助: her 6000 at 100%, his 1200 at the 低保 rate 70% = 840: 6840
    medical = decision.programmes["medical_assistance"]
    assert medical.amount == Decimal("6840.00")
    assert [line.code for line in medical.lines] == [
        "medical_assistance.tekun",
        "medical_assistance.household",
        "medical_assistance.total",
    ]
    assert medical.lines[0].parameters == ("medical_assistance.rate_tekun",)
    assert "国办发〔2021〕42号" in medical.lines[0].text
    # and the population path agrees
    results = decide_population(table=Population.from_facts([mixed()]), on=MARCH, system=yaml_system())
    assert yuan_decimal(results["medical_assistance_amount"][0]) == Decimal("6840.00")
    assert yuan_decimal(results["dibao_amount"][0]) == Decimal("460.00")
