"""临时救助: a one-off amount by case type, a multiple of the monthly standard, for a household
whose income per head is below the low-income line (or already supported)."""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household
from safetynet.rules.money import round_payable
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable
from safetynet.rules.variables.facts import TemporaryCase

CASE_PATHS = {
    TemporaryCase.accident: "temporary_assistance.accident",
    TemporaryCase.serious_illness: "temporary_assistance.serious_illness",
    TemporaryCase.expense_shock: "temporary_assistance.expense_shock",
    TemporaryCase.other: "temporary_assistance.other",
    TemporaryCase.disaster: "temporary_assistance.disaster",
}

#: 急难型 cases: granted without the income test where the region says so.
URGENT_CASES = (TemporaryCase.accident, TemporaryCase.serious_illness, TemporaryCase.disaster)


class temporary_assistance_multiple(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "临时救助倍数（按事由）"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        case = household("temporary_case", period)
        return np.select(
            [case == kind for kind in CASE_PATHS],
            [regional(p, path, county) for path in CASE_PATHS.values()],
            0.0,
        )


class temporary_assistance_urgent(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "急难型临时救助（不作收入审查，先行救助）"

    def formula(household, period, parameters):
        p = parameters(period)
        case = household("temporary_case", period)
        urgent = np.isin(np.asarray(case.view(np.ndarray)), [c.index for c in URGENT_CASES])
        on = (
            regional(p, "temporary_assistance.urgent_without_income_test", household("county_code", period))
            > 0
        )
        return urgent & on


class temporary_assistance_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "符合临时救助条件"

    def formula(household, period, parameters):
        supported = (
            household("dibao_eligible", period)
            | (household("tekun_persons", period) > 0)
            | (household("dibao_single_persons", period) > 0)
        )
        poor = household("income_per_head", period) < household("low_income_line", period)
        return (household("temporary_case", period) != TemporaryCase.none) & (
            supported | poor | household("temporary_assistance_urgent", period)
        )


class temporary_assistance_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "临时救助金（一次性，元）"

    def formula(household, period, parameters):
        amount = household("temporary_assistance_multiple", period) * household("dibao_standard", period)
        payable = round_payable(amount, household("payment_rounding_unit", period))
        return payable * household("temporary_assistance_eligible", period)


VARIABLES = [
    temporary_assistance_multiple,
    temporary_assistance_urgent,
    temporary_assistance_eligible,
    temporary_assistance_amount,
]
