"""Who counts in the household this month, and which categories each member falls in."""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Person
from safetynet.rules.regional import regional
from safetynet.rules.variables.facts import LabourCapacity


def _county(person, period):
    return person.household("county_code", period)


class age(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "周岁年龄（当月1日）"

    def formula(person, period, parameters):
        # Whole months from the birth month to this month, less one when the birthday falls later
        # in the month than the period's first day; whole years of those. One datetime cast
        # instead of three (this runs over every person of a million households).
        birth = person("birth_date", period)
        start = period.start
        birth_month = birth.astype("datetime64[M]")
        months = (np.datetime64(f"{start.year:04d}-{start.month:02d}", "M") - birth_month).astype(np.int64)
        later_in_month = (birth - birth_month) > np.timedelta64(start.day - 1, "D")
        return (months - later_in_month) // 12


class present(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "当月计入共同生活家庭（当月1日在户）"
    documentation = (
        "The one membership rule: a member counts for a month when they belong to the household on "
        "its first day. They join on their join date, or on their birth date if later (a child born "
        "on the 2nd counts from the next month); they leave on their leave date, or on their death "
        "date if earlier. One who leaves or dies mid-month counts for that whole month and not the "
        "next; one who joins mid-month counts from the next month."
    )

    def formula(person, period, parameters):
        first = np.datetime64(period.start.date, "D")
        joined = np.maximum(person("joined_on", period), person("birth_date", period))
        left = np.minimum(person("left_on", period), person("died_on", period))
        return (joined <= first) & (left > first)


class is_elderly(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "老年人"

    def formula(person, period, parameters):
        return person("age", period) >= regional(
            parameters(period), "categories.elderly_age", _county(person, period)
        )


class is_child(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "未成年人"

    def formula(person, period, parameters):
        return person("age", period) < regional(
            parameters(period), "categories.child_age", _county(person, period)
        )


class is_severely_disabled(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "重度残疾人"

    def formula(person, period, parameters):
        grade = person("disability_grade", period)
        limit = regional(
            parameters(period), "categories.severe_disability_max_grade", _county(person, period)
        )
        return (grade >= 1) & (grade <= limit)


class no_labour_capacity(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "无劳动能力（老年人、未成年人或经认定完全丧失劳动能力）"

    def formula(person, period, parameters):
        p = parameters(period)
        county = _county(person, period)
        age_ = person("age", period)
        return (
            (age_ >= regional(p, "categories.elderly_age", county))
            | (age_ < regional(p, "categories.no_labour_child_age", county))
            | (person("labour_capacity", period) == LabourCapacity.none)
        )


VARIABLES = [age, present, is_elderly, is_child, is_severely_disabled, no_labour_capacity]
