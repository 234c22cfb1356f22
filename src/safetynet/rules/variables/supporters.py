"""法定赡养、抚养、扶养义务人: each member's supporters (up to :data:`MAX_SUPPORTERS`), with the
monthly income and size of the supporter's own household, and whether they live with the member.

A supporter living elsewhere is able to support when their household's income per head reaches
the region's ``supporters.capable_income_multiple`` times the 低保 standard; a member of the same
household with the duty is able when they can work and are not severely disabled. 特困 needs no able supporter
(``supported_capably``). A supporter living elsewhere who is able is expected to pay the region's
``supporters.support_share`` of their household income above that line (赡养费), counted as the
member's income; a supporter living with the member is part of the household already."""

import numpy as np
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.regional import regional
from safetynet.rules.variables.base import Float64Variable

MAX_SUPPORTERS = 4
SLOTS = range(1, MAX_SUPPORTERS + 1)


def _inputs():
    out = []
    for k in SLOTS:
        out += [
            type(
                f"supporter{k}_income",
                (Float64Variable,),
                {
                    "value_type": float,
                    "entity": Person,
                    "definition_period": DateUnit.MONTH,
                    "label": f"第{k}名义务人家庭月收入（元）",
                },
            ),
            type(
                f"supporter{k}_household_size",
                (Variable,),
                {
                    "value_type": int,
                    "entity": Person,
                    "definition_period": DateUnit.MONTH,
                    "label": f"第{k}名义务人家庭人数（0 为无此义务人）",
                },
            ),
            type(
                f"supporter{k}_lives_with",
                (Variable,),
                {
                    "value_type": bool,
                    "entity": Person,
                    "definition_period": DateUnit.MONTH,
                    "label": f"第{k}名义务人与本人共同生活",
                },
            ),
        ]
    return out


def _line(person, period, parameters):
    multiple = regional(
        parameters(period), "supporters.capable_income_multiple", person.household("county_code", period)
    )
    return multiple * person.household("dibao_standard", period)


class capable_supporters(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "有赡养、抚养、扶养能力的义务人数"

    def formula(person, period, parameters):
        line = _line(person, period, parameters)
        count = 0
        for k in SLOTS:
            size = person(f"supporter{k}_household_size", period)
            income = person(f"supporter{k}_income", period)
            count = count + ((size > 0) & (income >= line * np.maximum(size, 1)))
        return count


class co_resident_supporters(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.MONTH
    label = "共同生活的有履行能力的法定义务人数"
    documentation = (
        "Members of the household with a legal duty to this member (a child's parents: the head and "
        "spouse; a parent's child: the head; the head's spouse, children and parents; the spouse's "
        "head and children), present and able: with labour capacity and not severely disabled "
        "(the categories that 《特困人员认定办法》 art. 10 treats as unable)."
    )

    def formula(person, period, parameters):
        household = person.household
        able = (
            person("present", period)
            & ~person("no_labour_capacity", period)
            & ~person("is_severely_disabled", period)
        )

        def count(role):
            return household.sum(able, role=role)  # the projector brings it back to each member

        head, spouse = count(Household.HEAD), count(Household.SPOUSE)
        children, parents = count(Household.CHILD), count(Household.PARENT)
        return np.select(
            [
                person.has_role(Household.CHILD),
                person.has_role(Household.PARENT),
                person.has_role(Household.HEAD),
                person.has_role(Household.SPOUSE),
            ],
            [head + spouse, head, spouse + children + parents, head + children],
            0,
        )


class supported_capably(Variable):
    value_type = bool
    entity = Person
    definition_period = DateUnit.MONTH
    label = "有具备赡养、抚养、扶养能力的法定义务人"

    def formula(person, period, parameters):
        return (
            person("has_capable_supporter", period)
            | (person("capable_supporters", period) > 0)
            | (person("co_resident_supporters", period) > 0)
        )


class support_expected(Float64Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "应计赡养（抚养、扶养）费（元/月）"

    def formula(person, period, parameters):
        p = parameters(period)
        share = regional(p, "supporters.support_share", person.household("county_code", period))
        line = _line(person, period, parameters)
        total = 0.0
        for k in SLOTS:
            size = person(f"supporter{k}_household_size", period)
            above = person(f"supporter{k}_income", period) - line * size
            away = (size > 0) & ~person(f"supporter{k}_lives_with", period)
            total = total + np.maximum(above, 0) * away
        return total * share


VARIABLES = [*_inputs(), capable_supporters, co_resident_supporters, supported_capably, support_expected]
