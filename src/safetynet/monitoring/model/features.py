"""The risk model's features: one row per household of a monitoring run.

Every computed indicator (0/1, the Alkire–Foster matrix), the Alkire–Foster score, the alert
routes (points level, 应保尽保 list, triggers) and a fixed list of household measures including
the hidden-income proxies. Infinite measures (no earner, no elderly member) become a large finite
number, which trees split like any other.
"""

from __future__ import annotations

import numpy as np

from safetynet.monitoring.compute import MonitoringResult
from safetynet.monitoring.indicators import library

BIG = 1e9

#: Measures the model reads, with the words an explanation uses for them.
MEASURE_TITLES: dict[str, str] = {
    "income_ratio": "人均收入与低保标准之比",
    "income_total": "家庭月收入",
    "income_wages": "工资收入",
    "members": "家庭人口",
    "earners": "有工资收入人数",
    "idle_working_age": "有劳动能力未就业人数",
    "working_age_capable": "有劳动能力人数",
    "elderly_members": "老年人数",
    "children": "未成年人数",
    "disabled_members": "残疾人数",
    "severe_disabled_members": "重度残疾人数",
    "ill_members": "患病人数",
    "serious_illness_members": "重病人数",
    "medical_oop_12m": "近12个月医疗自付",
    "financial_assets_per_head": "人均金融资产",
    "real_estate_count": "房产套数",
    "area_per_head": "人均住房面积",
    "business_count": "市场主体数",
    "vehicles_count": "机动车数",
    "housing_fund": "公积金余额",
    "pension_per_elderly": "老年人人均养老金",
    "unemployed_members": "登记失业人数",
    "margin_members": "低保边缘人数",
    "rural": "农村家庭",
    "land_area_mu": "承包地面积(亩)",
    "land_subsidy_year": "耕地地力保护补贴(元/年)",
    "electricity_kwh": "月均用电量(千瓦时)",
    "electricity_kwh_per_head": "按人口折算的月均用电量",
}
#: Features derived from the measures: the contracted land per member (人均承包地面积), what the
#: rural means test imputes farm income from; the household's area alone does not say how many
#: it feeds.
DERIVED_TITLES: dict[str, str] = {"land_area_per_head": "人均承包地面积(亩)"}
ROUTES = {"af_score": "剥夺得分", "route_red": "红色预警", "route_orange": "橙色预警",
          "route_uncovered": "应保尽保名单", "route_trigger": "触发式预警"}


def feature_names() -> list[str]:
    return [*ROUTES, *MEASURE_TITLES, *DERIVED_TITLES, *(f"d_{i.code}" for i in library().computed)]


def feature_titles() -> dict[str, str]:
    titles = {**ROUTES, **MEASURE_TITLES, **DERIVED_TITLES}
    titles.update({f"d_{i.code}": i.title for i in library().computed})
    return titles


def feature_matrix(result: MonitoringResult, *, rows: np.ndarray, candidates: list[dict]) -> np.ndarray:
    """float32 features of the household rows ``rows`` of ``result`` (columns: :func:`feature_names`)."""
    hid = result.household_ids[rows]
    routes = {c: set() for c in ("red", "orange", "uncovered", "trigger")}
    for c in candidates:
        if c["condition"] == "points":
            routes[c["level"]].add(c["household_id"])
        elif c["condition"] == "dibao_uncovered":
            routes["uncovered"].add(c["household_id"])
        else:
            routes["trigger"].add(c["household_id"])
    cols = [result.af.scores[rows] if result.af is not None else np.zeros(len(rows))]
    cols += [np.isin(hid, np.fromiter(routes[r], np.int64, len(routes[r]))) for r in ("red", "orange", "uncovered", "trigger")]
    cols += [result.measures[m][rows] for m in MEASURE_TITLES]
    cols += [np.asarray(result.measures["land_area_mu"][rows], np.float64)
             / np.maximum(np.asarray(result.measures["members"][rows], np.float64), 1)]
    matrix = result.matrix[rows]
    x = np.column_stack([np.asarray(c, np.float64) for c in cols] + [matrix.astype(np.float64)])
    x[np.isinf(x)] = BIG
    return x.astype(np.float32)
