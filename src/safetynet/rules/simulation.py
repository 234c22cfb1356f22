"""Policy simulation: the whole population under the rules in force and under a reform.

Coverage and cost by programme and by district, winners and losers with the distribution of
gains and losses, and the households that would lose a benefit they are owed today."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook

from safetynet.audit.services import audit_record
from safetynet.core.permissions import Action, require
from safetynet.regions.models import Level
from safetynet.rules.errors import EmptyRegistry
from safetynet.rules.facts import Population
from safetynet.rules.money import to_fen
from safetynet.rules.population import population_at
from safetynet.rules.reforms import ReformSpec, reform_system
from safetynet.rules.selectors import county_names
from safetynet.rules.services import current_system, decide_population

#: programme → (households flag or count column, persons column, monthly amount column)
PROGRAMME_COLUMNS = {
    "dibao": ("dibao_persons", "dibao_persons", "dibao_amount"),  # whole households and 单人保
    "tekun": ("tekun_persons", "tekun_persons", "tekun_household_amount"),
    "low_income_margin": ("low_income_margin_eligible", "assessed_size", None),
    "living_subsidy": ("living_subsidy_persons", "living_subsidy_persons", "living_subsidy_amount"),
    "care_subsidy": ("care_subsidy_persons", "care_subsidy_persons", "care_subsidy_amount"),
}

LOSS_LIST_LIMIT = 1000


def _coverage(results: dict[str, np.ndarray], mask: np.ndarray | None = None) -> dict[str, Any]:
    """Households, persons and cost by programme. Costs are sums of the households' payable
    amounts in integer fen (``*_fen``), so they equal the decisions to the fen at any scale; the
    yuan figures are those fen divided by 100."""
    out: dict[str, Any] = {}
    for programme, (flag, persons, amount) in PROGRAMME_COLUMNS.items():
        covered = results[flag] > 0
        if mask is not None:
            covered = covered & mask
        monthly_fen = int(to_fen(results[amount][covered]).sum()) if amount else 0
        out[programme] = {
            "households": int(covered.sum()),
            "persons": int(results[persons][covered].sum()),
            **_cost(monthly_fen),
        }
    total = results["monthly_total"] if mask is None else results["monthly_total"][mask]
    out["total"] = _cost(int(to_fen(total).sum()))
    return out


def _cost(monthly_fen: int) -> dict[str, Any]:
    return {
        "monthly_cost": monthly_fen / 100,
        "annual_cost": monthly_fen * 12 / 100,
        "monthly_cost_fen": monthly_fen,
        "annual_cost_fen": monthly_fen * 12,
    }


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
    baseline, reformed = simulate_results(spec=spec, on=on, population=population)
    return simulation_report(
        spec=spec,
        on=on,
        population=population,
        baseline=baseline,
        reformed=reformed,
        region_names=region_names,
    )


def simulate_results(
    *, spec: ReformSpec, on: dt.date, population: Population
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Household-level results under the rules in force and under the reform."""
    base = current_system()
    baseline = decide_population(table=population, on=on, system=base)
    reformed = decide_population(table=population, on=on, reform=reform_system(spec, base=base))
    return baseline, reformed


def simulation_report(
    *,
    spec: ReformSpec,
    on: dt.date,
    population: Population,
    baseline: dict[str, np.ndarray],
    reformed: dict[str, np.ndarray],
    region_names: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The report of :func:`simulate` from results already computed."""
    diff_fen = to_fen(reformed["monthly_total"]) - to_fen(baseline["monthly_total"])
    diff = diff_fen / 100
    gain, loss = diff_fen > 0, diff_fen < 0
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
                "monthly_change": int(diff_fen[mask].sum()) / 100,
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


# ---------------------------------------------------------------------------------------------
# Over the registry, for the analyst's page and its downloads

#: Who may run a simulation over the whole registry (it reads every household).

PROGRAMME_LABELS = {
    "dibao": gettext_lazy("最低生活保障"),
    "tekun": gettext_lazy("特困人员救助供养"),
    "low_income_margin": gettext_lazy("低保边缘家庭"),
    "living_subsidy": gettext_lazy("困难残疾人生活补贴"),
    "care_subsidy": gettext_lazy("重度残疾人护理补贴"),
}

#: Households losing eligibility listed on the page (the downloads carry every household).
LOSING_PAGE_LIMIT = 100


@dataclass(frozen=True)
class RegistrySimulation:
    """A simulation over the registry as one user may see it: the report (every figure over the
    whole registry, as ``safetynet simulate`` prints it), the histogram of monthly changes, and
    household rows only for households in the user's region."""

    report: dict[str, Any]
    histogram: list[dict[str, Any]]
    losing: list[dict[str, Any]]
    losing_in_scope: int
    households: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _nice_step(x: float) -> float:
    scale = 10 ** math.floor(math.log10(x)) if x > 0 else 1.0
    return next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= x)


def change_histogram(diff: np.ndarray, *, bins_per_side: int = 8) -> list[dict[str, Any]]:
    """Households by monthly gain (positive) or loss (negative) in round-number bins; households
    whose total does not change are left out. The bins span the 1st to 99th percentile so that a
    few large changes do not squeeze everyone else into one bar: the end bins are open
    (``from`` or ``to`` is ``None``) when some changes lie beyond them."""
    changed = diff[np.abs(diff) > 0.005]
    if len(changed) == 0:
        return []
    low, high = (float(x) for x in np.percentile(changed, [1, 99]))
    step = _nice_step(max(abs(low), abs(high), 0.01) / bins_per_side)
    lo = -step * math.ceil(max(0.0, -low) / step) or 0.0  # never -0.0
    hi = step * math.ceil(max(0.0, high) / step)
    edges = np.arange(lo, hi + step / 2, step)
    counts, _edges = np.histogram(np.clip(changed, lo, hi), bins=edges)
    bins = [
        {"from": round(float(a), 2), "to": round(float(b), 2), "count": int(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    if float(changed.min()) < lo:
        bins[0]["from"] = None
    if float(changed.max()) > hi:
        bins[-1]["to"] = None
    return bins


def _in_scope(county_codes: np.ndarray, actor: Any) -> np.ndarray:
    """Households of ``actor``'s region. Population rows carry their county only, so an account
    bound below a county sees no household rows."""
    region = getattr(actor, "region", None)
    if region is None or region.level > Level.COUNTY:
        return np.zeros(len(county_codes), dtype=bool)
    digits = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6}[region.level]
    return (county_codes // 10 ** (6 - digits)) == int(region.code[:digits])


def household_rows(
    *,
    population: Population,
    baseline: dict[str, np.ndarray],
    reformed: dict[str, np.ndarray],
    mask: np.ndarray,
    region_names: dict[int, str],
) -> list[dict[str, Any]]:
    """One row per household in ``mask``: household number (no personal data), district, monthly
    total and 低保 before and after, and the programmes it would lose."""
    numbers = population.extra.get("household_number")
    county = population.households["county_code"]
    lost = {}
    for programme, (flag, _persons, _amount) in PROGRAMME_COLUMNS.items():
        lost_mask = (baseline[flag] > 0) & ~(reformed[flag] > 0)
        if programme == "low_income_margin":
            lost_mask &= ~reformed["dibao_eligible"]
        lost[programme] = lost_mask
    rows = []
    for i in np.flatnonzero(mask).tolist():
        code = int(county[i])
        rows.append(
            {
                "household_number": str(numbers[i]) if numbers is not None else "",
                "county_code": f"{code:06d}000000",
                "district": region_names.get(code, f"{code:06d}"),
                "baseline_monthly": round(float(baseline["monthly_total"][i]), 2),
                "reform_monthly": round(float(reformed["monthly_total"][i]), 2),
                "change": round(float(reformed["monthly_total"][i] - baseline["monthly_total"][i]), 2),
                "baseline_dibao": round(float(baseline["dibao_amount"][i]), 2),
                "reform_dibao": round(float(reformed["dibao_amount"][i]), 2),
                "lost": [p for p in PROGRAMME_COLUMNS if lost[p][i]],
            }
        )
    return rows


def simulate_registry(
    *,
    actor: Any,
    spec: ReformSpec,
    on: dt.date,
    output: str = "page",
    with_households: bool = False,
    population: Population | None = None,
    missing_sources: list[str] | None = None,
) -> RegistrySimulation:
    """:func:`simulate` over the whole registry, audited as ``rules.simulate`` because it reads
    every household. ``output`` says what the run was for (``page``, ``csv``, ``xlsx``, ``cli``)
    in the audit log. ``actor=None`` is the operator at the console (``safetynet simulate``), who
    already holds the whole database; a web user needs a simulation role. ``population`` is the
    registry's population of the month (:func:`population_at` when not given)."""
    if actor is not None:
        require(actor, Action.RULES_SIMULATE)
    started = time.perf_counter()
    if population is None:
        population, missing = population_at(on)
    else:
        missing = list(missing_sources or [])
    if population.household_count == 0:
        raise EmptyRegistry(gettext("登记库中没有家庭，无法测算（先生成示范数据）"))
    names = county_names()
    baseline, reformed = simulate_results(spec=spec, on=on, population=population)
    report = simulation_report(
        spec=spec, on=on, population=population, baseline=baseline, reformed=reformed, region_names=names
    )
    report["missing_sources"] = missing
    scope_mask = _in_scope(population.households["county_code"], actor)
    visible_codes = {
        f"{int(c):06d}000000" for c in np.unique(population.households["county_code"][scope_mask])
    }
    losing = [row for row in report["losing_eligibility"] if row["county_code"] in visible_codes]
    rows = (
        household_rows(
            population=population, baseline=baseline, reformed=reformed, mask=scope_mask, region_names=names
        )
        if with_households
        else []
    )
    audit_record(
        actor=actor,
        action="rules.simulate",
        target_type="rules.reform",
        data={
            "reform": spec.as_dict(),
            "on": on.isoformat(),
            "output": output,
            "households": population.household_count,
            "household_rows": len(rows),
        },
    )
    return RegistrySimulation(
        report=report,
        histogram=change_histogram(reformed["monthly_total"] - baseline["monthly_total"]),
        losing=losing[:LOSING_PAGE_LIMIT],
        losing_in_scope=len(losing),
        households=rows,
        seconds=round(time.perf_counter() - started, 2),
    )


HOUSEHOLD_CSV_HEADER = (
    "户号",
    "区划代码",
    "区划",
    "基线月待遇合计",
    "方案月待遇合计",
    "月变化",
    "基线低保金",
    "方案低保金",
    "失去资格的项目",
)


def _household_table(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["household_number"],
            r["county_code"],
            r["district"],
            r["baseline_monthly"],
            r["reform_monthly"],
            r["change"],
            r["baseline_dibao"],
            r["reform_dibao"],
            gettext("、").join(str(PROGRAMME_LABELS[p]) for p in r["lost"]),
        ]
        for r in rows
    ]


def households_csv(rows: list[dict[str, Any]]) -> str:
    """One row per household (household number only, no personal data)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HOUSEHOLD_CSV_HEADER)
    writer.writerows(_household_table(rows))
    return buffer.getvalue()


def xlsx_available() -> bool:
    return True  # openpyxl is a dependency


SUMMARY_FIGURES = {"households": "户数", "persons": "人数", "monthly_cost": "月支出", "annual_cost": "年支出"}


def report_xlsx(result: RegistrySimulation) -> bytes:
    """A workbook: summary by programme, the district table of :func:`report_csv`, households."""
    report = result.report
    book = Workbook(write_only=True)  # streams rows: several times faster for 10⁴–10⁵ households
    summary = book.create_sheet("汇总")
    summary.append(["方案", report["reform"]["name"]])
    summary.append(["测算月份", report["month"]])
    summary.append(["家庭数", report["households"]])
    summary.append(["人数", report["persons"]])
    summary.append([])
    summary.append(
        ["项目", *(f"{when}{what}" for what in SUMMARY_FIGURES.values() for when in ("基线", "方案"))]
    )
    for programme in PROGRAMME_COLUMNS:
        b, r = report["baseline"][programme], report["reform_result"][programme]
        summary.append([str(PROGRAMME_LABELS[programme]), *(x[k] for k in SUMMARY_FIGURES for x in (b, r))])
    b, r = report["baseline"]["total"], report["reform_result"]["total"]
    summary.append(
        ["合计", None, None, None, None, *(x[k] for k in SUMMARY_FIGURES if k in b for x in (b, r))]
    )
    summary.append([])
    summary.append(["受益户", report["winners"]["count"]])
    summary.append(["受损户", report["losers"]["count"]])
    districts = book.create_sheet("按区县")
    for row in csv.reader(io.StringIO(report_csv(report))):
        districts.append([_number(x) for x in row])
    households = book.create_sheet("按家庭")
    households.append(list(HOUSEHOLD_CSV_HEADER))
    for row in _household_table(result.households):
        households.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number(text: str) -> Any:
    """CSV cells back to numbers for the workbook; codes (12 digits) stay text."""
    if len(text) == 12 and text.isdigit():
        return text
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text
