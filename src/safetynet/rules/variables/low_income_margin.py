"""低保边缘家庭: not in 低保, income per head below a multiple of the standard, assets within the
(looser) limits. Recognition only (no monthly cash): it opens medical and other special help."""

from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable


class low_income_line(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "低保边缘收入线（标准 × 倍数）"

    def formula(household, period, parameters):
        multiple = regional(
            parameters(period), "low_income_margin.multiple", household("county_code", period)
        )
        return household("dibao_standard", period) * multiple


class low_income_deposit_limit(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "低保边缘存款上限"

    def formula(household, period, parameters):
        months = regional(
            parameters(period), "low_income_margin.deposit_months", household("county_code", period)
        )
        return household("dibao_standard", period) * months * household("household_size", period)


class low_income_margin_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "认定为低保边缘家庭"

    def formula(household, period, parameters):
        return (
            ~household("dibao_eligible", period)
            & (household("assessed_size", period) > 0)
            & (household("income_per_head", period) < household("low_income_line", period))
            & (household("deposits", period) <= household("low_income_deposit_limit", period))
            & household("vehicles_pass", period)
            & household("dwellings_pass", period)
            & household("dwelling_area_pass", period)
            & household("business_registrations_pass", period)
        )


VARIABLES = [low_income_line, low_income_deposit_limit, low_income_margin_eligible]
