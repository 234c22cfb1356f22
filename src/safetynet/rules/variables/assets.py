"""The household's assets against the limits (shared by 低保 and 特困)."""

from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable


class deposit_limit(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "存款上限（标准 × 月数 × 在户人数）"

    def formula(household, period, parameters):
        months = regional(parameters(period), "assets.deposit_months", household("county_code", period))
        return household("dibao_standard", period) * months * household("household_size", period)


class deposits_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "存款未超过上限"

    def formula(household, period, parameters):
        return household("deposits", period) <= household("deposit_limit", period)


def _count_within(name, path, label):
    def formula(household, period, parameters):
        return household(name, period) <= regional(parameters(period), path, household("county_code", period))

    return type(
        f"{name}_pass",
        (Variable,),
        {
            "value_type": bool,
            "entity": Household,
            "definition_period": DateUnit.MONTH,
            "label": label,
            "formula": formula,
        },
    )


vehicles_pass = _count_within("vehicles", "assets.max_vehicles", "机动车辆未超过规定")
dwellings_pass = _count_within("dwellings", "assets.max_dwellings", "住房未超过规定")
business_registrations_pass = _count_within(
    "business_registrations", "assets.max_business_registrations", "经营主体登记未超过规定"
)


class assets_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "家庭财产符合规定"

    def formula(household, period, parameters):
        return (
            household("deposits_pass", period)
            & household("vehicles_pass", period)
            & household("dwellings_pass", period)
            & household("business_registrations_pass", period)
        )


VARIABLES = [
    deposit_limit,
    deposits_pass,
    vehicles_pass,
    dwellings_pass,
    business_registrations_pass,
    assets_pass,
]
