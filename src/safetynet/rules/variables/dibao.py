"""最低生活保障: household income per head below the standard, assets within the limits.

Amount: the gap to the standard for each assessed member, plus the category add-on for each
(the highest of elderly, severe disability, minor, serious illness, as a share of the standard),
plus any local flat add-on of the region. A recipient household whose income rises above the
standard through work keeps the share of its previous amount for the gradual-exit period (渐退).
"""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.money import round_payable, to_fen
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable


class dibao_income_pass(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "家庭月人均收入低于低保标准"

    def formula(household, period, parameters):
        return household("income_per_head", period) < household("dibao_standard", period)


class dibao_regular_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "符合低保条件（收入、财产）"

    def formula(household, period, parameters):
        return (
            household("dibao_income_pass", period)
            & household("assets_pass", period)
            & (household("assessed_size", period) > 0)
        )


class dibao_gradual_exit(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "处于低保渐退期"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        ceiling = regional(p, "dibao.gradual_exit.income_ceiling_multiple", county) * household(
            "dibao_standard", period
        )
        duration = regional(p, "dibao.gradual_exit.duration_months", county)
        members = household.members
        works = household.sum(members("wage_income", period) * members("assessed", period)) > 0
        return (
            ~household("dibao_regular_eligible", period)
            & (household("dibao_current_amount", period) > 0)
            & household("assets_pass", period)
            & (household("assessed_size", period) > 0)
            & (household("income_per_head", period) < ceiling)
            & works
            & (household("gradual_exit_months_used", period) < duration)
        )


class dibao_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = DateUnit.MONTH
    label = "享受低保（含渐退）"

    def formula(household, period, parameters):
        return household("dibao_regular_eligible", period) | household("dibao_gradual_exit", period)


class dibao_addon_share(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "分类施保增发比例（取最高类别）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        shares = [
            person("is_elderly", period) * regional(p, "dibao.addon.elderly", county),
            person("is_severely_disabled", period) * regional(p, "dibao.addon.severe_disability", county),
            person("is_child", period) * regional(p, "dibao.addon.child", county),
            person("serious_illness", period) * regional(p, "dibao.addon.serious_illness", county),
        ]
        return np.maximum.reduce(shares) * person("assessed", period)


class dibao_gap_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "差额部分（标准 − 人均收入）× 人数（未舍入）"

    def formula(household, period, parameters):
        gap = np.maximum(household("dibao_standard", period) - household("income_per_head", period), 0)
        return gap * household("assessed_size", period)


class dibao_addon_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "分类施保增发合计"

    def formula(household, period, parameters):
        shares = household.sum(household.members("dibao_addon_share", period))
        return shares * household("dibao_standard", period)


class dibao_local_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "本地定额增发合计"

    def formula(household, period, parameters):
        flat = regional(parameters(period), "dibao.addon.local_flat", household("county_code", period))
        return flat * household("assessed_size", period)


class dibao_single_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "单人保：低保边缘家庭中的重度残疾或重病成年人，按单人户纳入低保"
    documentation = (
        "Where the region applies it (dibao.single_person.enabled): a present adult member, not 特困, "
        "severely disabled or seriously ill, of a household that is not on 低保 but whose income per "
        "head is below dibao.single_person.household_income_multiple times the standard and whose "
        "assets pass, is assessed alone: their own countable income below the standard."
    )

    def formula(person, period, parameters):
        p = parameters(period)
        household = person.household
        county = household("county_code", period)
        standard = household("dibao_standard", period)
        multiple = regional(p, "dibao.single_person.household_income_multiple", county)
        return (
            (regional(p, "dibao.single_person.enabled", county) > 0)
            & person("assessed", period)
            & ~person("is_child", period)
            & (person("is_severely_disabled", period) | person("serious_illness", period))
            & ~household("dibao_eligible", period)
            & household("assets_pass", period)
            & (household("income_per_head", period) < multiple * standard)
            & (person("countable_income", period) < standard)
        )


class dibao_single_amount(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "单人保低保金（标准 − 本人收入 + 分类施保 + 本地定额，元/月）"

    def formula(person, period, parameters):
        household = person.household
        standard = household("dibao_standard", period)
        flat = regional(parameters(period), "dibao.addon.local_flat", household("county_code", period))
        amount = (
            np.maximum(standard - person("countable_income", period), 0)
            + person("dibao_addon_share", period) * standard
            + flat
        )
        unit = household("payment_rounding_unit", period)
        return round_payable(amount, unit) * person("dibao_single_eligible", period)


class dibao_single_persons(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "按单人保纳入低保的人数"

    def formula(household, period, parameters):
        return household.sum(household.members("dibao_single_eligible", period))


class dibao_persons(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "享受低保人数（全户或单人保）"

    def formula(household, period, parameters):
        return np.where(
            household("dibao_eligible", period),
            household("assessed_size", period),
            household("dibao_single_persons", period),
        )


class dibao_amount(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "低保金（元/月）"

    def formula(household, period, parameters):
        share = regional(
            parameters(period), "dibao.gradual_exit.amount_share", household("county_code", period)
        )
        regular = (
            household("dibao_gap_amount", period)
            + household("dibao_addon_amount", period)
            + household("dibao_local_amount", period)
        )
        exiting = household("dibao_current_amount", period) * share
        amount = np.select(
            [household("dibao_regular_eligible", period), household("dibao_gradual_exit", period)],
            [regular, exiting],
            0.0,
        )
        single = household.sum(to_fen(household.members("dibao_single_amount", period))) / 100
        return round_payable(amount, household("payment_rounding_unit", period)) + single


VARIABLES = [
    dibao_income_pass,
    dibao_regular_eligible,
    dibao_gradual_exit,
    dibao_eligible,
    dibao_addon_share,
    dibao_gap_amount,
    dibao_addon_amount,
    dibao_local_amount,
    dibao_single_eligible,
    dibao_single_amount,
    dibao_single_persons,
    dibao_persons,
    dibao_amount,
]
