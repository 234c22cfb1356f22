"""The one validator of the facts the rules are given, used by both paths.

A single household (:class:`~safetynet.rules.facts.HouseholdFacts`) becomes a population of one
before it is checked, and a population is checked column by column, vectorised, so the same row
is refused by both paths for the same reason. Every problem names the household, the person (when
it is a person's fact) and the field; a population's problems are all reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.utils.translation import gettext as _

from safetynet.rules.entities import ROLE_KEYS
from safetynet.rules.errors import InvalidFacts
from safetynet.rules.variables.facts import LabourCapacity, SelfCare, TemporaryCase
from safetynet.rules.variables.supporters import MAX_SUPPORTERS
from safetynet.rules.variables.supporters import SLOTS as SUPPORTER_SLOTS

if TYPE_CHECKING:
    from safetynet.rules.facts import Population

#: Money facts (yuan): must be finite; all but business income (a loss is possible) not negative.
PERSON_MONEY = (
    "wage_income",
    "business_income",
    "property_income",
    "transfer_income",
    "other_income",
    "own_medical_expenses_12m",
    "award_income",
    "compensation_income",
    "special_care_income",
)
MAY_BE_NEGATIVE = frozenset({"business_income"})
HOUSEHOLD_MONEY = (
    "deposits",
    "medical_expenses_12m",
    "education_expenses_12m",
    "dibao_current_amount",
    "vehicle_value",
    "disability_vehicle_value",
)
HOUSEHOLD_COUNTS = (
    "vehicles",
    "disability_vehicles",
    "dwellings",
    "business_registrations",
    "gradual_exit_months_used",
)
#: Household measures that are not money: finite, not negative.
HOUSEHOLD_MEASURES = ("dwelling_area",)
MAX_AREA = 1e6  # m²
PERSON_DATES = ("birth_date", "joined_on", "left_on", "died_on")

#: No household's money reaches this (yuan); beyond it a figure is a data error, not a fortune.
MAX_AMOUNT = 1e12
EARLIEST = np.datetime64("1880-01-01")
LATEST = np.datetime64("2999-12-31")

#: Problems quoted in the error's message; all of them are in its details.
QUOTED = 5


@dataclass(frozen=True)
class FactProblem:
    household: int  # the caller's household id
    person: int | None  # the caller's person id, else the member's position (1-based) in the household
    field: str
    message: str

    def as_dict(self) -> dict:
        return {
            "household": self.household,
            "person": self.person,
            "field": self.field,
            "message": self.message,
        }


def fact_problems(population: Population) -> list[FactProblem]:
    """Every bad fact of ``population``, households first, in row order."""
    problems: list[FactProblem] = []
    h, p = population.households, population.persons
    ids = population.household_ids
    n_h = population.household_count
    owner = population.person_household
    person_ids = population.extra.get("person_id")
    positions: list[np.ndarray] = []  # each person's place in their household, found when first needed

    def household_rows(mask: np.ndarray, field: str, message: str) -> None:
        if not mask.any():  # the usual case: one cheap pass, no index array built
            return
        for i in np.flatnonzero(mask).tolist():
            problems.append(FactProblem(int(ids[i]), None, field, message))

    def person_rows(mask: np.ndarray, field: str, message: str) -> None:
        if not mask.any():
            return
        if not positions:
            positions.append(_positions(owner))
        position = positions[0]
        for j in np.flatnonzero(mask).tolist():
            who = (
                int(person_ids[j]) if person_ids is not None and person_ids[j] >= 0 else int(position[j]) + 1
            )
            problems.append(FactProblem(int(ids[owner[j]]), who, field, message))

    county = h["county_code"]
    household_rows(
        (county < 100000) | (county > 999999) | (county % 100 == 0),
        "region_code",
        _("区划代码无效：应为县（区）或以下的 12 位代码"),
    )
    household_rows(np.bincount(owner, minlength=n_h) == 0, "members", _("家庭至少应有一名成员"))
    for name in HOUSEHOLD_MONEY:
        values = h[name]
        household_rows(~np.isfinite(values), name, _("金额缺失或不是有效数值"))
        household_rows(np.isfinite(values) & (values < 0), name, _("金额不能为负数"))
        household_rows(np.isfinite(values) & (values > MAX_AMOUNT), name, _("金额超出合理范围"))
    for name in HOUSEHOLD_MEASURES:
        values = h[name]
        household_rows(~np.isfinite(values), name, _("面积缺失或不是有效数值"))
        household_rows(
            np.isfinite(values) & ((values < 0) | (values > MAX_AREA)), name, _("面积为负数或超出合理范围")
        )
    for name in HOUSEHOLD_COUNTS:
        household_rows(h[name] < 0, name, _("不能为负数"))
    exempt_n, exempt_value = h["disability_vehicles"], h["disability_vehicle_value"]
    household_rows(
        ((h["vehicles"] >= 0) & (exempt_n > h["vehicles"]))
        | ((h["vehicle_value"] >= 0) & (exempt_value > h["vehicle_value"])),
        "disability_vehicles",
        _("残疾人功能性补偿代步机动车的数量或价值超过全部机动车辆"),
    )
    household_rows(
        (exempt_n == 0) & (exempt_value > 0),
        "disability_vehicle_value",
        _("未登记残疾人功能性补偿代步机动车，却填写了其价值"),
    )
    disabled = np.bincount(owner, weights=p["disability_grade"] > 0, minlength=n_h) > 0
    household_rows(
        (exempt_n > 0) & ~disabled,
        "disability_vehicles",
        _("残疾人功能性补偿代步机动车须属于持证残疾的家庭成员，本户无残疾成员"),
    )
    household_rows(
        (h["temporary_case"] < 0) | (h["temporary_case"] >= _enum_size("temporary_case")),
        "temporary_case",
        _("临时救助事由无效"),
    )

    person_rows(
        (population.person_role < 0) | (population.person_role >= len(ROLE_KEYS)),
        "relationship",
        _("与户主关系无效"),
    )
    for name in PERSON_MONEY:
        values = p[name]
        person_rows(~np.isfinite(values), name, _("金额缺失或不是有效数值"))
        if name not in MAY_BE_NEGATIVE:
            person_rows(np.isfinite(values) & (values < 0), name, _("金额不能为负数"))
        person_rows(np.isfinite(values) & (np.abs(values) > MAX_AMOUNT), name, _("金额超出合理范围"))
    for name in PERSON_DATES:
        if name not in p:
            continue
        values = p[name]
        person_rows(np.isnat(values), name, _("日期缺失或无效"))
        person_rows(~np.isnat(values) & ((values < EARLIEST) | (values > LATEST)), name, _("日期不可能"))
    birth, joined, left = p["birth_date"], p["joined_on"], p["left_on"]
    person_rows(~np.isnat(left) & ~np.isnat(joined) & (left < joined), "left_on", _("离开日期早于加入日期"))
    if "died_on" in p:
        died = p["died_on"]
        person_rows(~np.isnat(died) & ~np.isnat(birth) & (died < birth), "died_on", _("死亡日期早于出生日期"))
    bad_size = np.zeros(population.person_count, dtype=bool)
    bad_income = np.zeros(population.person_count, dtype=bool)
    for k in SUPPORTER_SLOTS:
        income = p[f"supporter{k}_income"]
        bad_size |= p[f"supporter{k}_household_size"] < 0
        bad_income |= ~np.isfinite(income) | (income < 0) | (income > MAX_AMOUNT)
    person_rows(bad_size, "supporters", _("义务人超过 %(n)d 名或其家庭人数无效") % {"n": MAX_SUPPORTERS})
    person_rows(bad_income, "supporters", _("义务人家庭收入缺失、无效或为负数"))
    grade = p["disability_grade"]
    person_rows((grade < 0) | (grade > 4), "disability_grade", _("残疾等级应为 0（无）至 4"))
    for name in ("labour_capacity", "self_care"):
        person_rows((p[name] < 0) | (p[name] >= _enum_size(name)), name, _("类别无效"))
    return problems


def validate_facts(population: Population) -> None:
    """Raise :class:`InvalidFacts` listing every problem of ``population`` (none: return)."""
    problems = fact_problems(population)
    if not problems:
        return
    quoted = "；".join(
        (
            _("家庭 %(h)s 成员 %(p)s 的 %(f)s：%(m)s")
            if x.person is not None
            else _("家庭 %(h)s 的 %(f)s：%(m)s")
        )
        % {"h": x.household, "p": x.person, "f": x.field, "m": x.message}
        for x in problems[:QUOTED]
    )
    more = _("（共 %(n)d 处）") % {"n": len(problems)} if len(problems) > QUOTED else ""
    raise InvalidFacts(
        _("事实数据有误：%(list)s%(more)s") % {"list": quoted, "more": more},
        problems=[x.as_dict() for x in problems],
        count=len(problems),
    )


def _positions(owner: np.ndarray) -> np.ndarray:
    """Each person's position within their household (0-based), for households given in any order."""
    if len(owner) == 0:
        return owner
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_owner)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    out = np.empty(len(owner), dtype=np.int64)
    out[order] = np.arange(len(owner)) - run_start
    return out


_ENUMS = {"labour_capacity": LabourCapacity, "self_care": SelfCare, "temporary_case": TemporaryCase}


def _enum_size(column: str) -> int:
    return len(_ENUMS[column])
