"""Countable income: each member's, the household's after rigid expenditure, and per head."""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable
from safetynet.rules.variables.facts import LabourCapacity

#: Exempt income kinds → the parameter giving the share of each left out of the household's income.
EXEMPTIONS = {
    "award_income": "income.exempt_award_share",
    "compensation_income": "income.exempt_compensation_share",
    "special_care_income": "income.exempt_special_care_share",
}


class work_disregard(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "就业成本扣减（不计入收入的工资部分）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        wage = person("wage_income", period)
        share = regional(p, "income.work_disregard_share", county)
        cap = regional(p, "income.work_disregard_cap", county)
        return np.minimum(wage * share, cap)


class exempt_income(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "依法不计入家庭收入的收入（奖励性收入、一次性补偿、优抚金中豁免的部分）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        total = 0.0
        for kind, path in EXEMPTIONS.items():
            total = total + person(kind, period) * regional(p, path, county)
        return total


class imputed_income(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "推算收入（有劳动能力、就业年龄而未就业，可申请复核）"
    documentation = (
        "Where the region imputes income: a present member of working age (from "
        "income.imputed_income_age_min, below income.imputed_income_age_max), with full labour "
        "capacity, not seriously ill, not severely disabled, not found unable to take work for now "
        "(work_exempt), and with no wage or business income, counts income.imputed_income a month. "
        "The reasons state it as its own line, which the applicant may appeal."
    )

    def formula(person, period, parameters):
        p = parameters(period)
        county = person.household("county_code", period)
        age = person("age", period)
        applies = (
            (regional(p, "income.imputed_income_enabled", county) > 0)
            & person("present", period)
            & (age >= regional(p, "income.imputed_income_age_min", county))
            & (age < regional(p, "income.imputed_income_age_max", county))
            & (person("labour_capacity", period) == LabourCapacity.full)
            & ~person("serious_illness", period)
            & ~person("is_severely_disabled", period)
            & ~person("work_exempt", period)
            & (person("wage_income", period) + np.maximum(person("business_income", period), 0) <= 0)
        )
        return np.where(applies, regional(p, "income.imputed_income", county), 0.0)


class countable_income(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "计入家庭收入的个人月收入"

    def formula(person, period, parameters):
        total = (
            person("wage_income", period)
            - person("work_disregard", period)
            + person("business_income", period)
            + person("property_income", period)
            + person("transfer_income", period)
            + person("other_income", period)
            + person("support_expected", period)
            + person("award_income", period)
            + person("compensation_income", period)
            + person("special_care_income", period)
            - person("exempt_income", period)
            + person("imputed_income", period)
        )
        return total * person("present", period)


class assessed(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "计入低保家庭的成员（当月在户且不享受特困供养）"
    documentation = (
        "特困 excludes 低保: a member supported as 特困 leaves both the income and the head count."
    )

    def formula(person, period, parameters):
        return person("present", period) & ~person("tekun_eligible", period)


class household_size(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "当月在户人数"

    def formula(household, period, parameters):
        return household.sum(household.members("present", period))


class assessed_size(Variable):
    value_type = int
    entity = Household
    definition_period = DateUnit.MONTH
    label = "低保计算人数（不含特困人员）"

    def formula(household, period, parameters):
        return household.sum(household.members("assessed", period))


class household_income(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "家庭月收入（不含特困人员）"

    def formula(household, period, parameters):
        members = household.members
        return household.sum(members("countable_income", period) * members("assessed", period))


class rigid_expenditure(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "刚性支出扣减（元/月）"
    documentation = (
        "Medical costs of the 低保 household only: the unattributed ones and the assessed members' own. "
        "A 特困 member's own costs are paid by 医疗救助 at the 特困 rate and the member is not in the "
        "低保 household, so they are not deducted here as well (counted once)."
    )

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        members = household.members
        medical = household("medical_expenses_12m", period) + household.sum(
            members("own_medical_expenses_12m", period) * members("assessed", period)
        )
        return medical / 12 * regional(p, "income.medical_deduction_share", county) + household(
            "education_expenses_12m", period
        ) / 12 * regional(p, "income.education_deduction_share", county)


class income_per_head(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "家庭月人均收入"

    def formula(household, period, parameters):
        net = np.maximum(household("household_income", period) - household("rigid_expenditure", period), 0)
        size = household("assessed_size", period)
        return np.where(size > 0, net / np.maximum(size, 1), 0)


class dibao_standard(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "适用的低保标准（城市或农村）"

    def formula(household, period, parameters):
        p = parameters(period)
        county = household("county_code", period)
        return np.where(
            household("rural", period),
            regional(p, "dibao.standard.rural", county),
            regional(p, "dibao.standard.urban", county),
        )


class payment_rounding_unit(Float64Variable):
    value_type = float
    entity = Household
    definition_period = DateUnit.MONTH
    label = "应发金额舍入单位（元）"

    def formula(household, period, parameters):
        return regional(parameters(period), "payment.rounding_unit", household("county_code", period))


VARIABLES = [
    payment_rounding_unit,
    work_disregard,
    exempt_income,
    imputed_income,
    countable_income,
    assessed,
    household_size,
    assessed_size,
    household_income,
    rigid_expenditure,
    income_per_head,
    dibao_standard,
]
