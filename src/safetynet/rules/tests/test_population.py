"""The vectorised path gives what one-household decisions give, and reforms move amounts as
worked out by hand."""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from safetynet.rules.errors import InvalidReform
from safetynet.rules.facts import HouseholdFacts, Population
from safetynet.rules.money import yuan_decimal
from safetynet.rules.reforms import reform_parse, reform_system
from safetynet.rules.regional import regional
from safetynet.rules.services import decide_household, decide_population
from safetynet.rules.synthetic import household_facts_at, synthetic_population
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import EAST, WEST, adult, family_of_three_west

ON = dt.date(2025, 7, 1)


def test_population_agrees_with_single_decisions_on_synthetic_households():
    # given 150 varied synthetic households
    population = synthetic_population(150, seed=7, on=ON)
    # when
    results = decide_population(table=population, on=ON, system=yaml_system())
    # then each household decided alone gets the same amounts
    for i in range(population.household_count):
        decision = decide_household(household=household_facts_at(population, i), on=ON, system=yaml_system())
        assert decision.programmes["dibao"].eligible == bool(results["dibao_persons"][i] > 0), i
        # exact to the fen: the same rounding, once, on both paths
        assert decision.programmes["dibao"].amount == yuan_decimal(results["dibao_amount"][i]), i
        assert decision.monthly_total == yuan_decimal(results["monthly_total"][i]), i
    assert results["dibao_eligible"].any() and results["tekun_persons"].any()


def test_population_of_hand_worked_households():
    households = [
        family_of_three_west(),
        HouseholdFacts(region_code=EAST, members=(adult(40, other_income=300),)),
    ]
    results = decide_population(
        table=Population.from_facts(households), on=dt.date(2025, 3, 1), system=yaml_system()
    )
    assert results["dibao_amount"].tolist() == [1985, 660]


REFORM = {
    "name": "西区标准 1000",
    "changes": [
        {"path": "dibao.standard.urban", "region": "990102000000", "start": "2025-01-01", "value": 1000}
    ],
}


@pytest.mark.django_db
def test_reform_changes_amounts_as_hand_computed():
    # given 西区's standard raised from 950 to 1000 from January (July's 980 in the YAML stays)
    reform = reform_system(reform_parse(REFORM), base=yaml_system())
    household = family_of_three_west()
    # when March: (1000 − 320) × 3 + 10% × 1000
    march = decide_household(household=household, on=dt.date(2025, 3, 1), system=reform)
    july = decide_household(household=household, on=ON, system=reform)
    # then
    assert march.programmes["dibao"].amount == 2040 + 100
    assert july.dibao_standard == 980
    baseline = decide_population(table=Population.from_facts([household]), on=dt.date(2025, 3, 1))
    reformed = decide_population(
        table=Population.from_facts([household]), on=dt.date(2025, 3, 1), reform=reform
    )
    assert (baseline["dibao_amount"][0], reformed["dibao_amount"][0]) == (1985, 2140)
    # and the baseline system itself is untouched
    assert (
        decide_household(household=household, on=dt.date(2025, 3, 1), system=yaml_system()).dibao_standard
        == 950
    )


def test_reform_for_a_new_region_key():
    spec = reform_parse(
        {
            "changes": [
                {
                    "path": "dibao.addon.local_flat",
                    "region": "990102000000",
                    "start": "2025-01-01",
                    "value": 40,
                }
            ]
        }
    )
    reform = reform_system(spec, base=yaml_system())
    single = HouseholdFacts(region_code=WEST, members=(adult(40),))
    assert decide_household(household=single, on=ON, system=reform).programmes["dibao"].amount == 980 + 40


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"changes": [{"path": "dibao.nope", "region": "default", "start": "2025-01-01", "value": 1}]},
        {"changes": [{"path": "dibao.standard.urban", "region": "99", "start": "2025-01-01", "value": 1}]},
        {"changes": [{"path": "dibao.standard.urban", "region": "default", "start": "soon", "value": 1}]},
        {
            "changes": [
                {"path": "dibao.standard.urban", "region": "default", "start": "2025-01-01", "value": -5}
            ]
        },
    ],
)
def test_invalid_reforms_are_refused(data):
    with pytest.raises(InvalidReform) as err:
        reform_parse(data)
    assert err.value.code == "rules.invalid_reform"


def test_population_validation():
    population = Population.from_facts([family_of_three_west()])
    broken = dataclasses.replace(population, households={**population.households, "deposits": np.zeros(3)})
    from safetynet.rules.errors import InvalidFacts

    with pytest.raises(InvalidFacts):
        decide_population(table=broken, on=ON, system=yaml_system())


def test_a_few_counties_read_one_by_one_give_what_the_table_over_every_code_gives():
    # given the parameters in force, and counties with a standard of their own and without
    parameters = yaml_system().get_parameters_at_instant(ON.isoformat())
    counties = np.array([990101, 990102, 990103] * 30, dtype=np.int32)
    # when a family's few households are read (one by one) and a city's many (the table over every code)
    few = regional(parameters, "dibao.standard.urban", counties[:3])
    many = regional(parameters, "dibao.standard.urban", counties)
    # then each county has the same standard either way, and the counties differ
    assert few.tolist() == many[:3].tolist() == many[3:6].tolist()
    assert few.dtype == many.dtype == np.float64 and len(set(few.tolist())) > 1
