"""The household's assets against the limits (shared by 低保 and 特困)."""

import numpy as np
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


class countable_vehicles(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "计入的机动车辆（残疾人功能性补偿代步机动车除外）"

    def formula(household, period, parameters):
        return household("vehicles", period) - household("disability_vehicles", period)


class countable_vehicle_value(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "计入的机动车辆价值（残疾人功能性补偿代步机动车除外，元）"

    def formula(household, period, parameters):
        return household("vehicle_value", period) - household("disability_vehicle_value", period)


class vehicles_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "机动车辆符合规定（数量；实行价值认定的地区另看总价值）"
    documentation = (
        "Without the value test: at most assets.max_vehicles vehicles. With it "
        "(assets.vehicle_value_test): at most assets.vehicle_value_max_vehicles, worth together at "
        "most assets.vehicle_value_limit. A disabled member's 功能性补偿代步机动车 counts in neither."
    )

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        count = household("countable_vehicles", period)
        by_value = regional(p, "assets.vehicle_value_test", county) > 0
        plain = count <= regional(p, "assets.max_vehicles", county)
        valued = (count <= regional(p, "assets.vehicle_value_max_vehicles", county)) & (
            household("countable_vehicle_value", period) <= regional(p, "assets.vehicle_value_limit", county)
        )
        return np.where(by_value, valued, plain)


class dwelling_area_per_head(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "人均住房建筑面积（平方米，未舍入）"

    def formula(household, period, parameters):
        size = household("household_size", period)
        return np.where(size > 0, household("dwelling_area", period) / np.maximum(size, 1), 0.0)


class dwelling_area_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "人均住房面积符合规定（实行面积认定的地区）"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        tested = regional(p, "assets.dwelling_area_test", county) > 0
        within = household("dwelling_area_per_head", period) <= regional(
            p, "assets.dwelling_area_per_head", county
        )
        return ~tested | within


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
            & household("dwelling_area_pass", period)
            & household("business_registrations_pass", period)
        )


VARIABLES = [
    deposit_limit,
    deposits_pass,
    countable_vehicles,
    countable_vehicle_value,
    vehicles_pass,
    dwellings_pass,
    dwelling_area_per_head,
    dwelling_area_pass,
    business_registrations_pass,
    assets_pass,
]
