"""Eligibility conditions (申领条件) as data: each names a variable of the rules package and a
comparison, e.g. ``{"variable": "dibao_eligible", "op": "eq", "value": 1}``. A resource's
conditions all hold, or the household does not qualify; each failed test is said in words.

The variables are the rules' household results (:data:`safetynet.rules.services.RESULT_COLUMNS`)
and facts (:data:`safetynet.rules.facts.HOUSEHOLD_COLUMNS`), computed by
:func:`safetynet.rules.services.decide_population` on verified facts, plus one ratio of two of them.
A value that is not known (no verified facts) fails every test on it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.resources.errors import InvalidCondition

#: The variables a condition may name, with their titles. Each must be a rules result or fact.
VARIABLES: dict[str, object] = {
    "dibao_eligible": gettext_lazy("符合低保条件"),
    "low_income_margin_eligible": gettext_lazy("属于低保边缘家庭"),
    "tekun_persons": gettext_lazy("特困供养人数"),
    "living_subsidy_persons": gettext_lazy("困难残疾人生活补贴人数"),
    "care_subsidy_persons": gettext_lazy("重度残疾人护理补贴人数"),
    "income_per_head": gettext_lazy("家庭月人均收入（元）"),
    "dibao_standard": gettext_lazy("当地低保标准（元/月）"),
    "household_size": gettext_lazy("家庭人口"),
    "medical_assistance_amount": gettext_lazy("医疗救助测算金额（元）"),
    "temporary_assistance_amount": gettext_lazy("临时救助测算金额（元）"),
    "rural": gettext_lazy("农村家庭"),
    "medical_expenses_12m": gettext_lazy("近12个月医疗支出（元）"),
    "education_expenses_12m": gettext_lazy("近12个月教育支出（元）"),
    "deposits": gettext_lazy("存款及金融资产（元）"),
    "dwellings": gettext_lazy("住房套数"),
    "income_to_standard": gettext_lazy("人均收入与低保标准之比"),
}
DERIVED = {"income_to_standard"}

OPS = {
    "eq": (operator.eq, "="),
    "ne": (operator.ne, "≠"),
    "lt": (operator.lt, "<"),
    "le": (operator.le, "≤"),
    "gt": (operator.gt, ">"),
    "ge": (operator.ge, "≥"),
}


@dataclass(frozen=True)
class Condition:
    variable: str
    op: str
    value: float

    def text(self) -> str:
        title = str(VARIABLES[self.variable])
        if self.variable in ("dibao_eligible", "low_income_margin_eligible", "rural") and self.op in ("eq", "ne"):
            yes = (self.value == 1) == (self.op == "eq")
            return title if yes else _("不%(t)s") % {"t": title}
        value = f"{self.value:g}"
        return f"{title} {OPS[self.op][1]} {value}"

    def test(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            out = OPS[self.op][0](values.astype(np.float64), self.value)
        return np.asarray(out, dtype=bool) & ~np.isnan(values.astype(np.float64))

    def as_dict(self) -> dict:
        return {"variable": self.variable, "op": self.op, "value": self.value}


def parse_conditions(raw) -> list[Condition]:
    """Validate conditions given as data; a bad one is refused with its position and reason."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise InvalidCondition(_("申领条件须为条件列表"))
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise InvalidCondition(_("第 %(i)s 个条件格式不正确") % {"i": i}, index=i)
        variable, op, value = item.get("variable"), item.get("op"), item.get("value")
        if variable not in VARIABLES:
            raise InvalidCondition(_("第 %(i)s 个条件的变量“%(v)s”不是政策规则中的变量") % {"i": i, "v": variable},
                                   index=i, variable=str(variable))
        if op not in OPS:
            raise InvalidCondition(_("第 %(i)s 个条件的比较方式“%(o)s”无效") % {"i": i, "o": op}, index=i)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidCondition(_("第 %(i)s 个条件的取值须为数字") % {"i": i}, index=i) from None
        if not np.isfinite(number):
            raise InvalidCondition(_("第 %(i)s 个条件的取值须为数字") % {"i": i}, index=i)
        out.append(Condition(variable, op, number))
    return out


def derive(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add the derived variables to the rules' results."""
    out = dict(values)
    standard = values["dibao_standard"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["income_to_standard"] = np.where(standard > 0, values["income_per_head"] / standard, np.nan)
    return out


def evaluate(conditions: list[list[Condition]], values: dict[str, np.ndarray], n: int) -> np.ndarray:
    """``[h, r]``: household h meets every condition of resource r."""
    out = np.ones((n, len(conditions)), dtype=bool)
    for r, conds in enumerate(conditions):
        for c in conds:
            out[:, r] &= c.test(values[c.variable])
    return out


def failed(conditions: list[Condition], values: dict[str, np.ndarray], h: int) -> list[str]:
    """The conditions household ``h`` does not meet, in words (with its value where known)."""
    out = []
    for c in conditions:
        v = values[c.variable][h : h + 1]
        if not c.test(v)[0]:
            if np.isnan(float(v[0])):
                out.append(_("%(c)s（尚无核对结果）") % {"c": c.text()})
            else:
                out.append(_("%(c)s（本户为 %(v)s）") % {"c": c.text(), "v": f"{float(v[0]):g}"})
    return out
