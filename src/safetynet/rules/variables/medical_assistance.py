"""医疗救助, person by person and by category, with rigid medical expenditure counted once.

Out-of-pocket costs after insurance are either a member's own (``own_medical_expenses_12m``) or the
household's not attributed to anyone (``medical_expenses_12m``). A member supported as 特困 has
their own costs paid at the 特困 rate; those costs are not the 低保 household's, so they are not
deducted from its income (see ``rigid_expenditure``): counted once. The other members' costs and
the unattributed ones are paid at the household's category rate (低保, else 低保边缘 above the
deductible) — or at the 特困 rate when every member present is 特困. The total is capped per
household per year and rounded once."""

import numpy as np
from openfisca_core.periods import DateUnit

from safetynet.rules.entities import Household
from safetynet.rules.money import round_payable
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable


class medical_assistance_rate(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "医疗救助比例（本户非特困成员及未分摊费用）"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        all_tekun = (household("tekun_persons", period) > 0) & (household("assessed_size", period) == 0)
        return np.select(
            [
                all_tekun,
                household("dibao_eligible", period),
                household("low_income_margin_eligible", period),
            ],
            [
                regional(p, "medical_assistance.rate_tekun", county),
                regional(p, "medical_assistance.rate_dibao", county),
                regional(p, "medical_assistance.rate_low_income", county),
            ],
            0.0,
        )


class medical_assistance_deductible(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "医疗救助起付标准"

    def formula(household, period, parameters):
        deductible = regional(
            parameters(period), "medical_assistance.deductible_low_income", household("county_code", period)
        )
        only_margin = household("low_income_margin_eligible", period) & ~household("dibao_eligible", period)
        return deductible * only_margin


class medical_expenses_tekun_12m(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "特困成员本人的近12个月自付医疗费用"

    def formula(household, period, parameters):
        members = household.members
        return household.sum(members("own_medical_expenses_12m", period) * members("tekun_eligible", period))


class medical_expenses_household_12m(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "非特困成员及未分摊的近12个月自付医疗费用"

    def formula(household, period, parameters):
        members = household.members
        own = members("own_medical_expenses_12m", period) * members("present", period)
        return household("medical_expenses_12m", period) + household.sum(
            own * ~members("tekun_eligible", period)
        )


class medical_assistance_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "医疗救助金（按近12个月自付费用，元）"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        cap = regional(p, "medical_assistance.annual_cap", county)
        tekun_part = household("medical_expenses_tekun_12m", period) * regional(
            p, "medical_assistance.rate_tekun", county
        )
        base = np.maximum(
            household("medical_expenses_household_12m", period)
            - household("medical_assistance_deductible", period),
            0,
        )
        amount = np.minimum(tekun_part + base * household("medical_assistance_rate", period), cap)
        return round_payable(amount, household("payment_rounding_unit", period))


VARIABLES = [
    medical_assistance_rate,
    medical_assistance_deductible,
    medical_expenses_tekun_12m,
    medical_expenses_household_12m,
    medical_assistance_amount,
]
