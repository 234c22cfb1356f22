"""残疾人两项补贴.

Living subsidy (困难残疾人生活补贴): a disabled member of a 低保 household, not paid to a member
supported as 特困 (their support already covers basic living). Care subsidy (重度残疾人护理补贴):
every severely disabled member (grade 1 or 2), whatever the income; it may be paid with 特困.
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.money import round_payable, to_fen
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable


class living_subsidy_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "符合困难残疾人生活补贴条件"

    def formula(person, period, parameters):
        grade = person("disability_grade", period)
        return (
            person("present", period)
            & (grade >= 1)
            & (grade <= 4)
            & (person.household("dibao_eligible", period) | person("dibao_single_eligible", period))
            & ~person("tekun_eligible", period)
        )


class living_subsidy(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "困难残疾人生活补贴（元/月）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        amount = np.where(
            person("is_severely_disabled", period),
            regional(p, "disability_subsidies.living_subsidy_severe", county),
            regional(p, "disability_subsidies.living_subsidy_other", county),
        )
        unit = person.household("payment_rounding_unit", period)
        return round_payable(amount, unit) * person("living_subsidy_eligible", period)


class care_subsidy_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "符合重度残疾人护理补贴条件"

    def formula(person, period, parameters):
        return person("present", period) & person("is_severely_disabled", period)


class care_subsidy(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "重度残疾人护理补贴（元/月）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        amount = np.where(
            person("disability_grade", period) == 1,
            regional(p, "disability_subsidies.care_subsidy_grade1", county),
            regional(p, "disability_subsidies.care_subsidy_grade2", county),
        )
        unit = person.household("payment_rounding_unit", period)
        return round_payable(amount, unit) * person("care_subsidy_eligible", period)


def _household_sum(name, source, label, value_type=float):
    def formula(household, period, parameters):
        values = household.members(source, period)
        if value_type is float:  # amounts: summed in integer fen
            return household.sum(to_fen(values)) / 100
        return household.sum(values)

    return type(
        name,
        (Float64Variable if value_type is float else Variable,),
        {
            "value_type": value_type,
            "entity": Household,
            "definition_period": DateUnit.MONTH,
            "label": label,
            "formula": formula,
        },
    )


living_subsidy_amount = _household_sum("living_subsidy_amount", "living_subsidy", "本户生活补贴合计（元/月）")
care_subsidy_amount = _household_sum("care_subsidy_amount", "care_subsidy", "本户护理补贴合计（元/月）")
living_subsidy_persons = _household_sum(
    "living_subsidy_persons", "living_subsidy_eligible", "享受生活补贴人数", int
)
care_subsidy_persons = _household_sum(
    "care_subsidy_persons", "care_subsidy_eligible", "享受护理补贴人数", int
)


class monthly_total(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "按月发放合计（低保、特困、两项补贴）"

    def formula(household, period, parameters):
        fen = (
            to_fen(household("dibao_amount", period))
            + to_fen(household("tekun_household_amount", period))
            + to_fen(household("living_subsidy_amount", period))
            + to_fen(household("care_subsidy_amount", period))
        )
        return fen / 100


VARIABLES = [
    living_subsidy_eligible,
    living_subsidy,
    care_subsidy_eligible,
    care_subsidy,
    living_subsidy_amount,
    care_subsidy_amount,
    living_subsidy_persons,
    care_subsidy_persons,
    monthly_total,
]
