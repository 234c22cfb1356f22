"""Policy simulation: the whole population under the rules in force and under a reform.

Coverage and cost by programme and by district, winners and losers with the distribution of
gains and losses, and the households that would lose a benefit they are owed today."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import numpy as np

from safetynet.rules.facts import Population
from safetynet.rules.reforms import ReformSpec, reform_system
from safetynet.rules.services import current_system, decide_population

#: programme → (households flag or count column, persons column, monthly amount column)
PROGRAMME_COLUMNS = {
    "dibao": ("dibao_eligible", "assessed_size", "dibao_amount"),
    "tekun": ("tekun_persons", "tekun_persons", "tekun_household_amount"),
    "low_income_margin": ("low_income_margin_eligible", "assessed_size", None),
    "living_subsidy": ("living_subsidy_persons", "living_subsidy_persons", "living_subsidy_amount"),
    "care_subsidy": ("care_subsidy_persons", "care_subsidy_persons", "care_subsidy_amount"),
}

LOSS_LIST_LIMIT = 1000


def _coverage(results: dict[str, np.ndarray], mask: np.ndarray | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for programme, (flag, persons, amount) in PROGRAMME_COLUMNS.items():
        covered = results[flag] > 0
        if mask is not None:
            covered = covered & mask
        monthly = float(results[amount][covered].sum()) if amount else 0.0
        out[programme] = {
            "households": int(covered.sum()),
            "persons": int(results[persons][covered].sum()),
            "monthly_cost": round(monthly, 2),
            "annual_cost": round(monthly * 12, 2),
        }
    total = results["monthly_total"] if mask is None else results["monthly_total"][mask]
    out["total"] = {
        "monthly_cost": round(float(total.sum()), 2),
        "annual_cost": round(float(total.sum()) * 12, 2),
    }
    return out


def _distribution(values: np.ndarray) -> dict[str, Any]:
    if len(values) == 0:
        return {"count": 0}
    deciles = np.percentile(values, np.arange(10, 100, 10))
    return {
        "count": int(len(values)),
        "mean": round(float(values.mean()), 2),
        "max": round(float(values.max()), 2),
        "deciles": [round(float(x), 2) for x in deciles],
    }


def simulate(
    *, spec: ReformSpec, on: dt.date, population: Population, region_names: dict[int, str] | None = None
):
    """Baseline and reform over ``population`` for the month containing ``on``."""
    base = current_system()
    baseline = decide_population(table=population, on=on, system=base)
    reformed = decide_population(table=population, on=on, reform=reform_system(spec, base=base))
    diff = reformed["monthly_total"] - baseline["monthly_total"]
    gain, loss = diff > 0.005, diff < -0.005
    county = population.households["county_code"]
    names = region_names or {}
    districts = []
    for code in np.unique(county).tolist():
        mask = county == code
        districts.append(
            {
                "county_code": f"{code:06d}000000",
                "name": names.get(code, f"{code:06d}"),
                "baseline": _coverage(baseline, mask),
                "reform": _coverage(reformed, mask),
                "winners": int((gain & mask).sum()),
                "losers": int((loss & mask).sum()),
                "monthly_change": round(float(diff[mask].sum()), 2),
            }
        )
    districts.sort(key=lambda d: -d["monthly_change"])
    losing = []
    numbers = population.extra.get("household_number")
    for programme, (flag, _persons, amount) in PROGRAMME_COLUMNS.items():
        lost_mask = (baseline[flag] > 0) & ~(reformed[flag] > 0)
        if programme == "low_income_margin":  # moving up into 低保 is not a loss
            lost_mask &= ~reformed["dibao_eligible"]
        lost = np.flatnonzero(lost_mask)
        for i in lost[:LOSS_LIST_LIMIT].tolist():
            losing.append(
                {
                    "household_id": int(population.household_ids[i]),
                    "household_number": str(numbers[i]) if numbers is not None else "",
                    "county_code": f"{int(county[i]):06d}000000",
                    "programme": programme,
                    "baseline_amount": round(float(baseline[amount][i]), 2) if amount else 0.0,
                    "reform_amount": round(float(reformed[amount][i]), 2) if amount else 0.0,
                }
            )
    return {
        "reform": spec.as_dict(),
        "month": on.replace(day=1).isoformat(),
        "households": population.household_count,
        "persons": population.person_count,
        "baseline": _coverage(baseline),
        "reform_result": _coverage(reformed),
        "winners": {"count": int(gain.sum()), "gains": _distribution(diff[gain])},
        "losers": {"count": int(loss.sum()), "losses": _distribution(-diff[loss])},
        "districts": districts,
        "losing_eligibility": losing,
    }


def report_csv(report: dict[str, Any]) -> str:
    """One row per district and programme, baseline beside reform (for a spreadsheet)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "区划代码",
            "区划",
            "项目",
            "基线户数",
            "方案户数",
            "基线人数",
            "方案人数",
            "基线月支出",
            "方案月支出",
        ]
    )
    for d in report["districts"]:
        for programme in PROGRAMME_COLUMNS:
            b, r = d["baseline"][programme], d["reform"][programme]
            writer.writerow(
                [
                    d["county_code"],
                    d["name"],
                    programme,
                    b["households"],
                    r["households"],
                    b["persons"],
                    r["persons"],
                    b["monthly_cost"],
                    r["monthly_cost"],
                ]
            )
    return buffer.getvalue()
