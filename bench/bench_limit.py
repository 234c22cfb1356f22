"""Benchmark: the engine at its limit. The platform's bulk verification against a hand-written
DuckDB query over the same lake, on the same city, alternately in one process; then the
monitoring run on that city, cold, with a profile of where its time goes.

    uptime; flock /tmp/safetynet-bench.lock python bench/bench_limit.py --persons 1000000 \\
        --home-base /tmp/sn-bench-limit; uptime

The city is the demo city ``bench_monitoring.py`` builds (registry + departmental extracts landed
through ingestion, linkage off), built once under ``<home-base>/persons-<N>-seed-<S>`` and
restored as built before each use. Each part runs in a process of its own (fresh heap, its own
peak memory):

* **verification**: first one whole bulk run cold (``verification_bulk_run``, the roll read from
  the store: no snapshot of it in the lake yet); the roll of current members at ``ON``; then ``--rounds``
  rounds, each running in turn (a) the reference: one hand-written DuckDB query (``REFERENCE``,
  kept here and used only here) over the in-force batches' Parquet files giving the 24 household
  columns, rounded to the fen; (b) the platform's household totals
  (``compute.verify_households``: ``households_expression`` on the same files); (c) the platform's engine part of a
  bulk run (``compute.verify_to_parquet``: the totals and every fact written to Parquet by the
  engine). Every round checks (a) = (b) = (c)'s households column by column. Then two whole bulk
  runs (``verification_bulk_run``: the roll, its snapshot now warm; engine, results, facts, changes);
* **report**: one household's report end to end (``verification_run``) for ``--reports`` households
  at random, p50 / p95, after one warm-up report that starts the build of the lookup's index (``part_report``),
  with cProfile's top functions (``--profile``);
* **run**: the full monitoring run (``monitor_run``) once, cold: in a fresh process on the city as
  built (the roll read from the store, no snapshot of it in the lake, every plan compiled), the
  issue's "full run cold", with cProfile's top functions (``--profile``);
* **monitoring**: ``monitor_compute`` cold in a fresh process, with cProfile's top functions by
  cumulative time (``--profile``); the indicator matrix against its reference; then ``monitor_run``
  once more in that process, warm (plans compiled, the roll's snapshot written by the compute).

Each is timed as wall and as the process's CPU time (every thread), the fairer figure on a machine
shared with other jobs. A city built by older code is migrated first (``city_migrate``).

Prints the times, the ratios and the check, and writes JSON to ``bench/results/limit-*.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

import bench_monitoring  # noqa: E402  (the city builder, beside this file)

# The reference: the platform's definitions (verification/compute.py's module docstring) by hand.
# ``{name}`` is the list of the in-force batch files of that source; ``{on}``, ``{year_before}``
# and ``{months}`` the dates; persons come from the registered Arrow table ``roll``.
REFERENCE = """
WITH
wages AS (
    SELECT id_number, sum(wage_income::DOUBLE) / count(DISTINCT period) AS wages
    FROM read_parquet({tax_wages}) WHERE period IN ({months}) GROUP BY id_number),
payroll AS (
    SELECT id_number, sum(monthly_salary::DOUBLE) AS wages, count(*) AS public_payroll
    FROM read_parquet({public_payroll}) GROUP BY id_number),
pensions AS (
    SELECT id_number, sum(monthly_pension::DOUBLE) AS pensions FROM (
        SELECT id_number, monthly_pension, row_number() OVER (
            PARTITION BY id_number, scheme ORDER BY period DESC, _row DESC) AS rank
        FROM read_parquet({social_insurance}) WHERE status = 'receiving')
    WHERE rank = 1 GROUP BY id_number),
unemployment AS (
    SELECT id_number, sum(monthly_benefit::DOUBLE) AS unemployment_benefit FROM read_parquet({unemployment})
    WHERE (benefit_start IS NOT NULL AND benefit_start <= DATE '{on}' AND (benefit_end IS NULL OR benefit_end >= DATE '{on}'))
       OR (benefit_start IS NULL AND status = 'receiving_benefit')
    GROUP BY id_number),
benefits AS (
    SELECT id_number, sum(monthly_amount::DOUBLE) AS transfers,
           CASE WHEN count(DISTINCT household_number) > 1 THEN 1 END AS duplicate_membership
    FROM read_parquet({benefits}) WHERE start_date <= DATE '{on}' GROUP BY id_number),
deposits AS (
    SELECT id_number, sum(deposit_balance::DOUBLE) AS deposits, sum(wealth_products::DOUBLE) AS wealth_products
    FROM read_parquet({bank_deposits}) GROUP BY id_number),
securities AS (
    SELECT id_number, sum(market_value::DOUBLE) AS securities FROM read_parquet({securities}) GROUP BY id_number),
vehicles AS (
    SELECT id_number, count(*) AS vehicles_count, sum(vehicle_value::DOUBLE) AS vehicles_value
    FROM read_parquet({vehicles}) WHERE NOT coalesce(disability_vehicle, false) GROUP BY id_number),
estate AS (
    SELECT id_number, sum(property_count) AS real_estate_count, sum(total_area_m2::DOUBLE) AS real_estate_area
    FROM read_parquet({real_estate}) GROUP BY id_number),
business AS (
    SELECT id_number, count(*) AS business_count FROM read_parquet({business_registration})
    WHERE status = '存续' GROUP BY id_number),
deaths AS (
    SELECT DISTINCT id_number, 1 AS deceased FROM read_parquet({hukou_deaths}) WHERE death_date <= DATE '{on}'),
prison AS (
    SELECT DISTINCT id_number, 1 AS imprisoned FROM read_parquet({prison})
    WHERE admitted_on <= DATE '{on}' AND (released_on IS NULL OR released_on > DATE '{on}')),
medical AS (
    SELECT id_number, sum(out_of_pocket::DOUBLE / 12) AS medical FROM read_parquet({medical_expenses})
    WHERE discharged_on > DATE '{year_before}' AND discharged_on <= DATE '{on}' GROUP BY id_number),
per_id AS (
    SELECT id_number,
        sum(wages) AS wages, sum(pensions) AS pensions, sum(unemployment_benefit) AS unemployment_benefit,
        sum(transfers) AS transfers, sum(medical) AS medical, sum(deposits) AS deposits,
        sum(wealth_products) AS wealth_products, sum(securities) AS securities,
        sum(vehicles_count) AS vehicles_count, sum(vehicles_value) AS vehicles_value,
        sum(real_estate_count) AS real_estate_count, sum(real_estate_area) AS real_estate_area,
        sum(business_count) AS business_count, max(deceased) AS deceased, max(imprisoned) AS imprisoned,
        max(public_payroll) AS public_payroll, max(duplicate_membership) AS duplicate_membership
    FROM (
        SELECT * FROM wages UNION ALL BY NAME SELECT * FROM payroll UNION ALL BY NAME SELECT * FROM pensions
        UNION ALL BY NAME SELECT * FROM unemployment UNION ALL BY NAME SELECT * FROM benefits
        UNION ALL BY NAME SELECT * FROM deposits UNION ALL BY NAME SELECT * FROM securities
        UNION ALL BY NAME SELECT * FROM vehicles UNION ALL BY NAME SELECT * FROM estate
        UNION ALL BY NAME SELECT * FROM business UNION ALL BY NAME SELECT * FROM deaths
        UNION ALL BY NAME SELECT * FROM prison UNION ALL BY NAME SELECT * FROM medical)
    GROUP BY id_number),
h AS (
    SELECT r.household_id, count(DISTINCT r.person_id) AS members,
        coalesce(sum(wages), 0) AS income_wages, coalesce(sum(pensions), 0) AS income_pensions,
        coalesce(sum(unemployment_benefit), 0) AS income_unemployment_benefit,
        coalesce(sum(transfers), 0) AS income_transfers, coalesce(sum(medical), 0) AS deduction_medical,
        coalesce(sum(deposits), 0) AS deposits, coalesce(sum(wealth_products), 0) AS wealth_products,
        coalesce(sum(securities), 0) AS securities, coalesce(sum(vehicles_count), 0) AS vehicles_count,
        coalesce(sum(vehicles_value), 0) AS vehicles_value, coalesce(sum(real_estate_count), 0) AS real_estate_count,
        coalesce(sum(real_estate_area), 0) AS real_estate_area, coalesce(sum(business_count), 0) AS business_count,
        count(deceased) AS deceased_count, count(imprisoned) AS imprisoned_count,
        count(public_payroll) AS public_payroll_count, count(duplicate_membership) AS duplicate_membership_count
    FROM roll r LEFT JOIN per_id USING (id_number) GROUP BY r.household_id)
SELECT household_id, members,
    fen(income_wages) AS income_wages, fen(income_pensions) AS income_pensions,
    fen(income_unemployment_benefit) AS income_unemployment_benefit,
    0.0 AS income_business_income, 0.0 AS income_property_income, fen(income_transfers) AS income_transfers,
    fen(income_wages + income_pensions + income_unemployment_benefit + income_transfers) AS income_total,
    fen(deduction_medical) AS deduction_medical, 0.0 AS deduction_education, fen(deduction_medical) AS deductions_total,
    fen(greatest((income_wages + income_pensions + income_unemployment_benefit + income_transfers
                  - deduction_medical) / members, 0)) AS income_per_head,
    fen(deposits) AS deposits, fen(wealth_products) AS wealth_products, fen(securities) AS securities,
    vehicles_count::BIGINT AS vehicles_count, fen(vehicles_value) AS vehicles_value,
    real_estate_count::BIGINT AS real_estate_count, fen(real_estate_area) AS real_estate_area,
    business_count::BIGINT AS business_count, deceased_count, imprisoned_count, public_payroll_count,
    duplicate_membership_count
FROM h ORDER BY household_id
"""
# The monitoring reference: the indicator matrix (``monitoring/expressions.py``'s measures and the
# library's deprivation columns) by hand, over the same files, the registry's members (``roll``)
# and each household's 低保 standard (``standard``, from the rules: an input, as it is to the
# platform's expression). ``{totals}`` is REFERENCE (the household totals); ``{deprived}`` the
# ``d_<code>`` columns written from the library's cut-offs.
MONITORING_REFERENCE = """
WITH
totals AS (SELECT * FROM ({totals})),
wage_ids AS (
    SELECT DISTINCT id_number FROM read_parquet({tax_wages}) WHERE period IN ({months})
    UNION SELECT DISTINCT id_number FROM read_parquet({public_payroll})),
pension_ids AS (SELECT DISTINCT id_number FROM read_parquet({social_insurance}) WHERE status = 'receiving'),
benefit_ids AS (
    SELECT DISTINCT id_number FROM read_parquet({unemployment})
    WHERE (benefit_start IS NOT NULL AND benefit_start <= DATE '{on}' AND (benefit_end IS NULL OR benefit_end >= DATE '{on}'))
       OR (benefit_start IS NULL AND status = 'receiving_benefit')),
unemployed_ids AS (SELECT DISTINCT id_number FROM read_parquet({unemployment}) WHERE registered_on <= DATE '{on}'),
death_ids AS (SELECT DISTINCT id_number FROM read_parquet({hukou_deaths}) WHERE death_date <= DATE '{on}'),
certificates AS (
    SELECT id_number, min(disability_grade) FILTER (WHERE disability_grade > 0) AS grade
    FROM read_parquet({disability_certificates})
    WHERE issued_on <= DATE '{on}' AND valid_until >= DATE '{on}' GROUP BY id_number),
programmes AS (
    SELECT id_number, last(programme ORDER BY _batch, _row) AS programme
    FROM read_parquet({benefits}) WHERE start_date <= DATE '{on}' GROUP BY id_number),
housing AS (
    SELECT id_number, sum(account_balance::DOUBLE) AS housing_fund FROM read_parquet({housing_fund}) GROUP BY id_number),
stays AS (
    SELECT id_number, count(*) AS stays FROM read_parquet({medical_expenses})
    WHERE discharged_on > DATE '{year_before}' AND discharged_on <= DATE '{on}' GROUP BY id_number),
people AS (
    SELECT r.household_id,
        {year} - year(r.birth_date) - CASE WHEN dayofyear(r.birth_date) <= {day_of_year} THEN 0 ELSE 1 END AS age,
        r.disability_grade AS registry_grade, coalesce(c.grade, 0) AS certificate_grade,
        CASE WHEN r.disability_grade > 0 AND coalesce(c.grade, 0) > 0 THEN least(r.disability_grade, c.grade)
             WHEN r.disability_grade > 0 THEN r.disability_grade ELSE coalesce(c.grade, 0) END AS grade,
        r.disability_category, r.labour_capacity, r.relationship, r.serious_illness, r.chronic_illness, r.needs_care,
        coalesce(pr.programme, '') AS programme, w.id_number IS NOT NULL AS f_wages,
        pe.id_number IS NOT NULL AS f_pensions, b.id_number IS NOT NULL AS f_benefit,
        u.id_number IS NOT NULL AS f_unemployed, d.id_number IS NOT NULL AS f_deceased,
        hf.housing_fund, s.stays
    FROM roll r
    LEFT JOIN wage_ids w USING (id_number) LEFT JOIN pension_ids pe USING (id_number)
    LEFT JOIN benefit_ids b USING (id_number) LEFT JOIN unemployed_ids u USING (id_number)
    LEFT JOIN death_ids d USING (id_number) LEFT JOIN certificates c USING (id_number)
    LEFT JOIN programmes pr USING (id_number) LEFT JOIN housing hf USING (id_number) LEFT JOIN stays s USING (id_number)),
h AS (
    SELECT household_id,
        sum(f_wages::BIGINT) AS earners, sum((f_wages OR f_pensions OR f_benefit)::BIGINT) AS earned,
        sum((age >= 60)::BIGINT) AS elderly, sum((age >= 80)::BIGINT) AS oldest_old,
        sum((age < 18)::BIGINT) AS children, sum((age >= 18 AND age < 60)::BIGINT) AS adults,
        sum((age >= 6 AND age < 18)::BIGINT) AS school_age, sum((age < 6)::BIGINT) AS preschool,
        sum((relationship = 'spouse')::BIGINT) AS spouses,
        sum((age >= 16 AND age < 60 AND labour_capacity = 'full')::BIGINT) AS working_capable,
        sum((age >= 16 AND age < 60 AND labour_capacity = 'full' AND NOT f_wages)::BIGINT) AS idle_working_age,
        sum(serious_illness::BIGINT) AS serious, sum(chronic_illness::BIGINT) AS chronic,
        sum(needs_care::BIGINT) AS needs_care, sum((serious_illness OR chronic_illness)::BIGINT) AS ill,
        sum((grade > 0)::BIGINT) AS disabled, sum((grade > 0 AND grade <= 2)::BIGINT) AS severe_disabled,
        sum((disability_category IN ('intellectual', 'mental'))::BIGINT) AS intellectual_mental,
        sum((labour_capacity = 'none')::BIGINT) AS no_labour, sum((labour_capacity = 'partial')::BIGINT) AS partial_labour,
        sum((registry_grade > 0 AND certificate_grade = 0)::BIGINT) AS disabled_uncertified,
        sum(f_unemployed::BIGINT) AS unemployed, sum(f_pensions::BIGINT) AS insured,
        sum((f_deceased AND (f_wages OR f_pensions OR f_benefit))::BIGINT) AS deceased_earners,
        sum((programme = 'dibao')::BIGINT) AS dibao, sum((programme = 'tekun')::BIGINT) AS tekun,
        sum((programme = 'low_income_margin')::BIGINT) AS margin,
        sum((programme = 'disability_subsidies')::BIGINT) AS disability_subsidy,
        sum((programme <> '')::BIGINT) AS transfers,
        round(coalesce(sum(housing_fund), 0), 2) AS housing_fund, coalesce(sum(stays), 0) AS stays
    FROM people GROUP BY household_id),
m AS (
    SELECT t.household_id, s.standard,
        t.income_per_head / s.standard AS income_ratio, t.income_total, t.income_wages, t.income_unemployment_benefit,
        t.income_wages / t.members AS wages_per_head,
        (t.income_pensions > 0 AND t.income_total - t.income_pensions - t.income_transfers <= 0)::DOUBLE AS pension_only,
        CASE WHEN h.elderly > 0 THEN t.income_pensions / h.elderly ELSE 'inf'::DOUBLE END AS pension_per_elderly,
        (h.earned = 1 AND t.members >= 4)::DOUBLE AS single_earner_large,
        t.deposits + t.wealth_products + t.securities AS financial_assets,
        (t.deposits + t.wealth_products + t.securities) / t.members AS financial_assets_per_head,
        t.vehicles_count, t.securities, h.housing_fund, t.business_count,
        h.serious AS serious_illness_members, h.chronic AS chronic_members, h.needs_care AS needs_care_members,
        h.ill AS ill_members, h.stays AS hospital_stays_12m, t.deduction_medical * 12 AS medical_oop_12m,
        CASE WHEN t.income_total > 0 THEN t.deduction_medical * 12 / (t.income_total * 12)
             WHEN t.deduction_medical * 12 > 0 THEN 'inf'::DOUBLE ELSE 0.0 END AS medical_oop_share,
        h.disabled AS disabled_members, h.severe_disabled AS severe_disabled_members,
        h.intellectual_mental AS intellectual_mental_members, h.no_labour AS no_labour_members,
        h.partial_labour AS partial_labour_members, h.disabled_uncertified, h.school_age AS school_age_children,
        h.preschool AS preschool_children, h.unemployed AS unemployed_members, h.earners,
        h.idle_working_age,
        CASE WHEN h.earners > 0 THEN (t.members - h.earners) / h.earners ELSE 'inf'::DOUBLE END AS dependency_ratio,
        h.insured AS insured_members, h.working_capable AS working_age_capable, t.real_estate_count,
        t.real_estate_area / t.members AS area_per_head, h.elderly AS elderly_members,
        h.oldest_old AS oldest_old_members, (t.members = 1 AND h.elderly = 1)::DOUBLE AS elderly_alone,
        (h.elderly = t.members)::DOUBLE AS elderly_only, CASE WHEN h.adults = 0 THEN h.children ELSE 0.0 END AS orphans,
        (h.spouses = 0 AND h.children > 0 AND h.adults > 0)::DOUBLE AS single_parent,
        h.deceased_earners, t.deceased_count AS deceased_members, t.imprisoned_count AS imprisoned_members,
        t.members, h.children, h.dibao AS dibao_members, h.tekun AS tekun_members, h.margin AS margin_members,
        h.disability_subsidy AS disability_subsidy_members, h.transfers AS transfers_members,
        t.duplicate_membership_count
    FROM totals t JOIN h USING (household_id) JOIN standard s USING (household_id))
SELECT household_id, standard, {measures}, {deprived} FROM m ORDER BY household_id
"""
# Half up to the fen as compute._to_fen does it (the same doubles).
FEN = "CREATE OR REPLACE MACRO fen(x) AS sign(x) * floor(abs(x) * 100 + 0.5 + 1e-7) / 100"


PARTS = ("verification", "report", "run", "monitoring")


def cpu_s() -> float:
    """This process's CPU time (every thread: the engine's too): beside wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _months_before(on: dt.date, n: int) -> list[str]:
    index = on.year * 12 + on.month - 1
    return [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(n, 0, -1)]


def reference_sql(on: dt.date) -> str:
    from safetynet.engine.lake import batches_in_force

    files = {src: "[" + ", ".join(f"'{b.path}'" for b in found) + "]" for src, found in batches_in_force(on=on).items()}
    try:
        year_before = on.replace(year=on.year - 1)
    except ValueError:
        year_before = on.replace(year=on.year - 1, day=28)
    return REFERENCE.format(on=on.isoformat(), year_before=year_before.isoformat(),
                            months=", ".join(f"'{m}'" for m in _months_before(on, 3)), **files)


def monitoring_reference_sql(on: dt.date, lib) -> str:
    from safetynet.engine.lake import batches_in_force
    from safetynet.monitoring.expressions import MEASURES

    files = {src: "[" + ", ".join(f"'{b.path}'" for b in found) + "]" for src, found in batches_in_force(on=on).items()}
    try:
        year_before = on.replace(year=on.year - 1)
    except ValueError:
        year_before = on.replace(year=on.year - 1, day=28)
    deprived = []
    for i in lib.computed:
        cutoff = f"standard * {i.cutoff}" if i.per_standard else repr(float(i.cutoff))
        deprived.append(f"({i.measure} {'=' if i.op == '==' else i.op} {cutoff})::TINYINT AS d_{i.code}")
    return MONITORING_REFERENCE.format(
        totals=reference_sql(on), on=on.isoformat(), year_before=year_before.isoformat(), year=on.year,
        day_of_year=on.timetuple().tm_yday, months=", ".join(f"'{m}'" for m in _months_before(on, 3)),
        measures=", ".join(f"{m}::DOUBLE AS {m}" for m in MEASURES), deprived=", ".join(deprived), **files)


def compare(reference, platform) -> dict:
    """Column by column: the number of households whose value differs (0 everywhere: identical)."""
    import pyarrow as pa

    assert reference.column_names == platform.column_names, (reference.column_names, platform.column_names)
    differ = {}
    for name in reference.column_names:
        a, b = reference.column(name), platform.column(name).cast(reference.schema.field(name).type)
        if len(a) != len(b):
            differ[name] = abs(len(a) - len(b))
            continue
        equal = pa.compute.equal(a, b).fill_null(False)
        both_null = pa.compute.and_(a.is_null(), b.is_null())
        differ[name] = len(a) - pa.compute.sum(pa.compute.or_(equal, both_null)).as_py()
    return {"rows": reference.num_rows, "columns": len(differ), "differing": {k: v for k, v in differ.items() if v},
            "identical": not any(differ.values())}


_BULK_KEPT = ("households", "persons", "facts", "seconds_persons", "seconds_engine", "seconds_total")


def part_verification(*, on: dt.date, rounds: int) -> dict:
    import duckdb

    from safetynet.verification.bulk import persons_current, verification_bulk_run
    from safetynet.verification.compute import VerificationInput, verify_households, verify_to_parquet

    # First, a whole bulk run cold: the roll read from the store (no snapshot of it in the lake yet).
    t, c = time.perf_counter(), cpu_s()
    run = verification_bulk_run(on=on)
    cold = {k: run.as_dict()[k] for k in _BULK_KEPT} | {"seconds_wall": round(time.perf_counter() - t, 3),
                                                       "seconds_cpu": round(cpu_s() - c, 3), "load": _load()}
    print("bulk_run_cold", json.dumps(cold), flush=True)
    t = time.perf_counter()
    roll = persons_current(on=on)
    roll_s = time.perf_counter() - t
    sql = reference_sql(on)
    ref_con = duckdb.connect()  # the reference's own connection, sized as the engine's
    from safetynet.engine.backend import engine_settings

    sizes = engine_settings()
    ref_con.execute(f"SET threads = {sizes['threads']}; SET memory_limit = '{sizes['memory_limit']}'")
    ref_con.execute(FEN)
    ref_con.register("roll", roll)
    out_dir = Path(tempfile.mkdtemp(prefix="limit-facts-"))
    rows = []
    for r in range(rounds):
        t, c = time.perf_counter(), cpu_s()
        reference = ref_con.sql(sql).to_arrow_table()
        ref_s, ref_cpu = time.perf_counter() - t, cpu_s() - c

        t, c = time.perf_counter(), cpu_s()
        totals = verify_households(VerificationInput(persons=roll, on=on))
        totals_s, totals_cpu = time.perf_counter() - t, cpu_s() - c

        t, c = time.perf_counter(), cpu_s()
        files = verify_to_parquet(VerificationInput(persons=roll, on=on), facts_path=out_dir / f"facts-{r}.parquet")
        engine_s, engine_cpu = time.perf_counter() - t, cpu_s() - c
        (out_dir / f"facts-{r}.parquet").unlink()

        row = {"round": r + 1, "reference_s": round(ref_s, 3), "platform_totals_s": round(totals_s, 3),
               "platform_engine_s": round(engine_s, 3), "ratio_totals": round(totals_s / ref_s, 2),
               "ratio_engine": round(engine_s / ref_s, 2), "reference_cpu_s": round(ref_cpu, 3),
               "platform_totals_cpu_s": round(totals_cpu, 3), "platform_engine_cpu_s": round(engine_cpu, 3),
               "ratio_totals_cpu": round(totals_cpu / ref_cpu, 2), "ratio_engine_cpu": round(engine_cpu / ref_cpu, 2),
               "facts": files.facts,
               "check_totals": compare(reference, totals), "check_engine": compare(reference, files.households),
               "load": _load()}
        print("verification", json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    bulk = []
    for _ in range(2):
        t, c = time.perf_counter(), cpu_s()
        run = verification_bulk_run(on=on)
        wall, cpu = time.perf_counter() - t, cpu_s() - c
        bulk.append({k: run.as_dict()[k] for k in _BULK_KEPT} | {"seconds_wall": round(wall, 3),
                                                                 "seconds_cpu": round(cpu, 3), "load": _load()})
        print("bulk_run", json.dumps(bulk[-1]), flush=True)
    return {"persons": roll.num_rows, "roll_seconds": round(roll_s, 2), "bulk_run_cold": cold, "rounds": rows,
            "median_ratio_totals": statistics.median(r["ratio_totals"] for r in rows),
            "median_ratio_engine": statistics.median(r["ratio_engine"] for r in rows),
            "bulk_runs": bulk, "max_rss_mb": max_rss_mb()}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def part_report(*, on: dt.date, reports: int, profile: bool) -> dict:
    """One household's verification report, end to end (``verification_run``: authorisation check,
    the engine's lookup, the report body with the rules' standing, the stored report and its audit
    entry), for ``reports`` households drawn at random from the roll, each with an authorisation
    of every source recorded first (not timed). One warm-up report is not counted: the first of its
    date and batch set, it is computed from the sources (``first_report_s``) while it starts the
    build of the lookup's index of facts by ID number in the background, the file every worker then
    reads (``index_build_s``: from the first report's start until the file is there; the process's
    peak memory after it, the file's size; the index is built once per date and batch set, by
    ``verification-index`` or in the background after the first report that needs it, while the
    reports are computed from the sources). ``bodies_sha256`` hashes the timed reports' bodies
    (written beside the part's JSON as ``limit-report-bodies.json``): two versions of the code that
    give the same reports give the same hash. ``index_mb``: the index files and the row stores."""
    import cProfile
    import hashlib
    import io
    import pstats
    import random

    from django.conf import settings

    from safetynet.accounts.models import User
    from safetynet.core.roles import Role
    from safetynet.engine.index import index_builds_join, index_dir
    from safetynet.regions.models import Region
    from safetynet.registry.models import Household
    from safetynet.registry.selectors import household_members_at
    from safetynet.sources.catalogue import catalogue
    from safetynet.verification.services import authorisation_record, verification_run

    root = Region.objects.order_by("level", "pk").first()
    centre, _ = User.objects.get_or_create(username="bench-verification-centre",
                                           defaults={"role": Role.VERIFICATION_CENTRE, "region": root})
    ids = list(Household.objects.filter(region__path__startswith=centre.region.path).values_list("pk", flat=True))
    picks, chosen = random.Random(19).sample(ids, min(len(ids), reports * 3)), []
    # in chunks: SQLite refuses an expression tree deeper than 1,000 (a prefetch of 600 households' members)
    for household in (h for i in range(0, len(picks), 200) for h in Household.objects.filter(
            pk__in=picks[i:i + 200]).select_related("region").prefetch_related("memberships__person")):
        members = household_members_at(household=household, on=on)
        if members and len(chosen) <= reports:
            authorisation_record(actor=centre, household_id=household.pk, signed_by_id=members[0].person_id,
                                 person_ids=[m.person_id for m in members], sources=sorted(catalogue()),
                                 signed_on=on, valid_until=on + dt.timedelta(days=365))
            chosen.append(household.pk)
    t = time.perf_counter()
    verification_run(actor=centre, household_id=chosen[0], purpose="基准测试核对", on=on)  # warm-up
    first_s = time.perf_counter() - t
    index_builds_join()
    index_s = time.perf_counter() - t
    first_rss_mb = max_rss_mb()
    index_mb = sum(p.stat().st_size for p in index_dir().rglob("*.arrow")) / 2**20
    times, cpus, facts, bodies = [], [], 0, []
    prof = cProfile.Profile() if profile else None
    for household_id in chosen[1:]:
        if prof:
            prof.enable()
        t, cpu = time.perf_counter(), cpu_s()
        report = verification_run(actor=centre, household_id=household_id, purpose="基准测试核对", on=on)
        times.append((time.perf_counter() - t) * 1000)
        cpus.append((cpu_s() - cpu) * 1000)
        if prof:
            prof.disable()
        facts += sum(len(m["facts"]) for m in report.result["members"])
        bodies.append(report.result)
    # What the reports say, to compare two versions of the code: the hash here, the reports beside the part's JSON.
    text = json.dumps(bodies, ensure_ascii=False, sort_keys=True)
    (Path(settings.HOME) / "limit-report-bodies.json").write_text(text)
    out = {"reports": len(times), "facts": facts, "bodies_sha256": hashlib.sha256(text.encode()).hexdigest(), "first_report_s": round(first_s, 1), "index_build_s": round(index_s, 1),
           "first_report_max_rss_mb": first_rss_mb, "index_mb": round(index_mb),
           "p50_ms": round(statistics.median(times), 1),
           "p95_ms": round(_pct(times, 0.95), 1), "max_ms": round(max(times), 1),
           "cpu_p50_ms": round(statistics.median(cpus), 1), "cpu_p95_ms": round(_pct(cpus, 0.95), 1), "load": _load(),
           "max_rss_mb": max_rss_mb()}
    print("report", json.dumps(out), flush=True)
    if prof:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue().splitlines()[:100]
        print("\n".join(out["profile"]))
    return out


def part_monitoring(*, on: dt.date, profile: bool, rounds: int) -> dict:
    import cProfile
    import io
    import pstats

    import duckdb
    import numpy as np
    import pyarrow as pa

    from safetynet.engine.backend import engine_settings
    from safetynet.monitoring.compute import indicator_table, monitor_compute, monitoring_facts
    from safetynet.monitoring.indicators import library
    from safetynet.registry.tables import members_at

    out = {}
    t, cpu = time.perf_counter(), cpu_s()
    if profile:
        prof = cProfile.Profile()
        prof.enable()
    result = monitor_compute(on=on, since=on - dt.timedelta(days=31))
    out["compute_cold_s"] = round(time.perf_counter() - t, 2)
    out["compute_cold_cpu_s"] = round(cpu_s() - cpu, 2)
    if profile:
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(35)
        out["profile"] = text.getvalue().splitlines()[:90]
    out["households"] = len(result.household_ids)
    print("monitoring_compute", json.dumps({k: v for k, v in out.items() if k != "profile"}), flush=True)

    # The indicator matrix: the platform (verification as monitoring reads it, then the measures
    # and deprivation expression) against MONITORING_REFERENCE, alternately, from the same members
    # and the same standards (the rules' decision is an input to both).
    lib = library()
    t = time.perf_counter()
    members = members_at(on=on)
    out["members_s"] = round(time.perf_counter() - t, 2)
    household_ids = np.unique(members.column("household_id").to_numpy())
    assert np.array_equal(household_ids, result.household_ids)
    standard = pa.table({"household_id": pa.array(household_ids, pa.int64()), "standard": pa.array(result.standard)})
    del result
    sql = monitoring_reference_sql(on, lib)
    ref_con = duckdb.connect()
    sizes = engine_settings()
    ref_con.execute(f"SET threads = {sizes['threads']}; SET memory_limit = '{sizes['memory_limit']}'")
    ref_con.execute(FEN)
    ref_con.register("roll", members)
    ref_con.register("standard", standard)
    rows = []
    for r in range(rounds):
        t, cpu = time.perf_counter(), cpu_s()
        reference = ref_con.sql(sql).to_arrow_table()
        ref_s, ref_cpu = time.perf_counter() - t, cpu_s() - cpu
        t, cpu = time.perf_counter(), cpu_s()
        verified = monitoring_facts(members, on=on)
        table = indicator_table(members=members, verified=verified, standard=standard.column("standard").to_numpy(),
                                on=on, lib=lib)
        platform_s, platform_cpu = time.perf_counter() - t, cpu_s() - cpu
        del verified
        table = table.set_column(0, "household_id", pa.array(household_ids[table.column("household_id").to_numpy()]))
        row = {"round": r + 1, "reference_s": round(ref_s, 3), "platform_s": round(platform_s, 3),
               "ratio": round(platform_s / ref_s, 2), "reference_cpu_s": round(ref_cpu, 2),
               "platform_cpu_s": round(platform_cpu, 2), "ratio_cpu": round(platform_cpu / ref_cpu, 2),
               "check": compare(reference, table), "load": _load()}
        print("indicator_matrix", json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
        del reference, table
    out["indicator_matrix"] = rows
    out["median_ratio_indicator_matrix"] = statistics.median(r["ratio"] for r in rows)
    ref_con.close()
    del members, standard

    out |= _full_run(on=on, profile=profile)
    out["load"] = _load()
    out["max_rss_mb"] = max_rss_mb()
    print("monitoring", json.dumps({k: v for k, v in out.items() if k not in ("profile", "profile_full_run", "indicator_matrix")}), flush=True)
    return out


def _full_run(*, on: dt.date, profile: bool) -> dict:
    """``monitor_run`` once at ``on``: wall and CPU seconds, its counts, and its profile."""
    import cProfile
    import io
    import pstats

    from safetynet.monitoring.tasks import monitor_run

    out = {}
    t, cpu = time.perf_counter(), cpu_s()
    if profile:
        prof = cProfile.Profile()
        prof.enable()
    counts = monitor_run(on=on)
    out["full_run_s"] = round(time.perf_counter() - t, 2)
    out["full_run_cpu_s"] = round(cpu_s() - cpu, 2)
    if profile:
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
        out["profile_full_run"] = text.getvalue().splitlines()[:100]
    out["full_run"] = {k: counts[k] for k in ("households_scored", "persons", "indicators_computed", "seconds_compute",
                                             "seconds_total")}
    return out


def part_run(*, on: dt.date, profile: bool) -> dict:
    """The full monitoring run, cold: the first thing this fresh process does on the city as built."""
    out = _full_run(on=on, profile=profile) | {"load": _load(), "max_rss_mb": max_rss_mb()}
    print("monitoring_run_cold", json.dumps({k: v for k, v in out.items() if k != "profile_full_run"}), flush=True)
    return out


def city_migrate(home: Path) -> None:
    """Apply migrations the city's database has not had (a city built by older code), and keep the
    result as the city's built state."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SAFETYNET_HOME": str(home), "DJANGO_SETTINGS_MODULE": "safetynet.settings"}
    django = [sys.executable, "-m", "django"]
    if subprocess.run([*django, "migrate", "--check"], env=env, capture_output=True, check=False).returncode == 0:
        return
    subprocess.run([*django, "migrate", "--noinput"], env=env, check=True)
    shutil.copyfile(home / bench_monitoring.DATABASE, home / bench_monitoring.SNAPSHOT)


def work(step: str, *, rounds: int, reports: int, profile: bool) -> None:
    import django

    django.setup()
    from django.conf import settings

    from safetynet.demo.population import REFERENCE_DATE

    if step == "verification":
        result = part_verification(on=REFERENCE_DATE, rounds=rounds)
    elif step == "report":
        result = part_report(on=REFERENCE_DATE, reports=reports, profile=profile)
    elif step == "run":
        result = part_run(on=REFERENCE_DATE, profile=profile)
    else:
        result = part_monitoring(on=REFERENCE_DATE, profile=profile, rounds=rounds)
    (Path(settings.HOME) / f"limit-{step}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--reports", type=int, default=100, help="single-household reports timed (report part)")
    parser.add_argument("--profile", action="store_true", help="profile the cold monitoring computation and the reports")
    parser.add_argument("--home-base", help="folder of the per-N homes (default: a new temp dir); cities there are reused")
    parser.add_argument("--worker", choices=PARTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args.worker, rounds=args.rounds, reports=args.reports, profile=args.profile)
        return
    base = Path(args.home_base or tempfile.mkdtemp(prefix="sn-bench-limit-"))
    home = base / f"persons-{args.persons}-seed-{args.seed}"
    out = {"machine": bench_monitoring.machine() | {"platform": platform.platform()}, "load_before": _load(),
           "persons_requested": args.persons, "home": str(home)}
    if not bench_monitoring.home_prepare(home, persons=args.persons, seed=args.seed):
        if bench_monitoring.worker("build", persons=args.persons, seed=args.seed, home=home) != 0:
            raise SystemExit("the city build failed")
    city_migrate(home)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SAFETYNET_HOME": str(home), "DJANGO_SETTINGS_MODULE": "safetynet.settings"}
    for part in args.parts:
        bench_monitoring.city_restore(home, lake_files=set(json.loads((home / bench_monitoring.MARKER).read_text())["lake_files"]))
        cmd = [sys.executable, __file__, "--worker", part, "--rounds", str(args.rounds), "--reports", str(args.reports)]
        cmd += ["--profile"] if args.profile else []
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            raise SystemExit(f"the {part} part failed")
        out[part] = json.loads((home / f"limit-{part}.json").read_text())
    out["load_after"] = _load()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"limit-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
