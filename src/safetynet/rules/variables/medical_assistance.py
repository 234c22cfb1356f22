"""医疗救助: a share of the last 12 months' out-of-pocket costs after insurance, by the
household's category (特困 > 低保 > 低保边缘), above a deductible, up to an annual cap."""

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
    label = "医疗救助比例"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        return np.select(
            [
                household("tekun_persons", period) > 0,
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
        only_margin = (
            household("low_income_margin_eligible", period)
            & ~household("dibao_eligible", period)
            & (household("tekun_persons", period) == 0)
        )
        return deductible * only_margin


class medical_assistance_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "医疗救助金（按近12个月自付费用，元）"

    def formula(household, period, parameters):
        cap = regional(parameters(period), "medical_assistance.annual_cap", household("county_code", period))
        base = np.maximum(
            household("medical_expenses_12m", period) - household("medical_assistance_deductible", period), 0
        )
        amount = np.minimum(base * household("medical_assistance_rate", period), cap)
        return round_payable(amount, household("payment_rounding_unit", period))


VARIABLES = [medical_assistance_rate, medical_assistance_deductible, medical_assistance_amount]
