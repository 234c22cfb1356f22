"""特困人员救助供养: assessed person by person.

Eligible: present in the household, without labour capacity (elderly, a minor, or assessed as
having none), without a supporter able to support them, with own income below the basic living
standard, and the household's assets within the limits. Paid the basic living standard plus the
care standard for their self-care ability.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.money import round_payable, to_fen
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable
from safetynet.rules.variables.facts import SelfCare


class tekun_basic_standard(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困人员基本生活标准"

    def formula(person, period, parameters):
        household = person.household
        multiple = regional(
            parameters(period), "tekun.support.basic_multiple", household("county_code", period)
        )
        return household("dibao_standard", period) * multiple


class tekun_care_standard(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困人员照料护理标准"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        care = person("self_care", period)
        return np.select(
            [care == SelfCare.none, care == SelfCare.partial],
            [
                regional(p, "tekun.support.care_none", county),
                regional(p, "tekun.support.care_partial", county),
            ],
            regional(p, "tekun.support.care_full_self_care", county),
        )


class tekun_income_pass(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "本人收入低于特困基本生活标准"

    def formula(person, period, parameters):
        return person("countable_income", period) < person("tekun_basic_standard", period)


class tekun_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "符合特困人员救助供养条件"

    def formula(person, period, parameters):
        return (
            person("present", period)
            & person("no_labour_capacity", period)
            & ~person("supported_capably", period)
            & person("tekun_income_pass", period)
            & person.household("assets_pass", period)
        )


class tekun_amount(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "特困供养金（元/月）"

    def formula(person, period, parameters):
        total = person("tekun_basic_standard", period) + person("tekun_care_standard", period)
        unit = person.household("payment_rounding_unit", period)
        return round_payable(total, unit) * person("tekun_eligible", period)


class tekun_persons(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "特困供养人数"

    def formula(household, period, parameters):
        return household.sum(household.members("tekun_eligible", period))


class tekun_household_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "本户特困供养金合计（元/月）"

    def formula(household, period, parameters):
        return household.sum(to_fen(household.members("tekun_amount", period))) / 100


VARIABLES = [
    tekun_basic_standard,
    tekun_care_standard,
    tekun_income_pass,
    tekun_eligible,
    tekun_amount,
    tekun_persons,
    tekun_household_amount,
]
