"""Indicators, points scores and triggers for the monitored population, on verification's facts.

``monitor_compute`` reads the current members in scope from the registry (one query,
:func:`members_at`), runs :func:`safetynet.verification.compute.verify` once over all of them
(the same facts, batches and definitions as a verification), decides every household with the
rules on those same facts (the local 低保 standard, eligibility, gradual exit), and derives:

* the household measures and the households × indicators 0/1 deprivation matrix
  (``indicators.yaml``), as one engine expression (:mod:`.expressions`: DuckDB by default, the
  same code on Spark);
* the Alkire–Foster score of every household (``measures.alkire_foster``), its risk level
  (``levels.yaml``) and H, A, M0 overall, by county and by dimension;
* triggers (触发式): facts dated in the window ``(since, on]``.

Ages are whole years at ``on``. "Had income" means a wages, pension or unemployment-benefit fact.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.engine.backend import arrow_tables, backend_name, connect, engine_lock
from safetynet.monitoring.expressions import PEOPLE_SCHEMA, indicators_expression
from safetynet.monitoring.indicators import Library, assign_levels, level_cutoffs, library
from safetynet.monitoring.measures import AlkireFoster, alkire_foster
from safetynet.monitoring.proxies import proxy_measures
from safetynet.registry.tables import household_id_bounds, members_at
from safetynet.rules.services import decide_population
from safetynet.verification.compute import (
    FACT_ORDER,
    PERSONS_SCHEMA,
    VerificationInput,
    VerificationOutput,
    certificate_grades,
    fact_detail,
    verify_facts_and_households,
)
from safetynet.verification.rules_bridge import MEMBER_ROW, population_from_verification

EARNING = ("wages", "pensions", "unemployment_benefit")
FACT_INPUT = ("person_id", "household_id", "category", "amount")  # the facts the expression reads
# The kinds of fact monitoring reads (indicators, the rules' population, triggers) and the columns
# of their cited rows it needs, typed: not every fact with its whole row as JSON.
FACT_CATEGORIES = (*EARNING, "transfers", "medical_out_of_pocket", "housing_fund", "deceased", "imprisoned",
                   "disability", "unemployed")
FACT_FIELDS = {
    "programme": pa.string(), "disability_grade": pa.int64(), "issued_on": pa.date32(),
    "discharged_on": pa.date32(), "out_of_pocket": pa.float64(), "hospital_name": pa.string(),
    "death_date": pa.date32(), "admitted_on": pa.date32(), "registered_on": pa.date32(),
}
DECISIONS = ("dibao_standard", "dibao_eligible", "dibao_gradual_exit")
# Households verified and scored together: about 1.1M persons, a few GB of facts in memory.
PART_HOUSEHOLDS = 400_000


@dataclass
class MonitoringResult:
    on: dt.date
    since: dt.date
    household_ids: np.ndarray
    region_codes: np.ndarray
    standard: np.ndarray
    measures: dict[str, np.ndarray]
    codes: list[str]  # the computed indicators, matrix column order
    matrix: np.ndarray  # households × indicators, uint8
    weights: np.ndarray
    af: AlkireFoster | None
    levels: np.ndarray
    triggers: list[dict] = field(default_factory=list)  # household_id, code, level, reasons
    decisions: dict[str, np.ndarray] = field(default_factory=dict)  # DECISIONS, per household
    persons: int = 0

    def reasons(self, rows: np.ndarray) -> list[list[str]]:
        """For each household row of ``rows``, the indicators it is deprived in (matrix column order)."""
        if not len(rows):
            return []
        at, column = np.nonzero(self.matrix[rows])
        codes = np.array(self.codes, dtype=object)[column]
        return [part.tolist() for part in np.split(codes, np.searchsorted(at, np.arange(1, len(rows))))]

    def summary(self, lib: Library | None = None) -> dict:
        """H, A, M0 overall and by county (first 6 digits), each decomposed by dimension."""
        lib = lib or library()
        dims = {i.code: i.dimension for i in lib.computed}
        k = level_cutoffs(self.on).k

        def measure(rows: np.ndarray, af: AlkireFoster | None = None) -> dict:
            if not rows.any():
                return {"households": 0}
            af = af or alkire_foster(self.matrix[rows], self.weights, k)
            by_dim: dict[str, float] = {}
            for code, c in zip(self.codes, af.contribution.tolist(), strict=True):
                by_dim[dims[code]] = by_dim.get(dims[code], 0.0) + c
            return {"households": int(rows.sum()), "H": af.H, "A": af.A, "M0": af.M0,
                    "contribution_by_dimension": {d: round(v, 4) for d, v in by_dim.items()}}

        counties = np.array([c[:6] for c in self.region_codes], dtype=object)
        return {
            "k": k,
            # the run's own measure is the city-wide one: not computed twice
            "overall": measure(np.ones(len(self.household_ids), bool), self.af),
            "by_county": {c: measure(counties == c) for c in sorted(set(counties.tolist()))},
        }


def _age(birth: np.ndarray, on: dt.date) -> np.ndarray:
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    had_birthday = (birth - birth.astype("datetime64[Y]")).astype(int) <= (
        np.datetime64(on) - np.datetime64(on, "Y")
    ).astype(int)
    return on.year - years - (~had_birthday).astype(int)


def _details(facts: pa.Table, category: str, *, dated: str, since: dt.date,
             on: dt.date) -> tuple[np.ndarray, list[dict]]:
    """Member rows and the cited rows' fields (``FACT_FIELDS``, dates as ISO text) of one category's
    facts whose field ``dated`` lies in ``(since, on]``: the few events of the window, read in Python."""
    sub = facts.filter(pc.equal(facts.column("category"), category))
    day = sub.column(dated)
    sub = sub.filter(pc.and_(pc.greater(day, since), pc.less_equal(day, on)).fill_null(False))
    sub = sub.sort_by([(c, "ascending") for c in FACT_ORDER])  # the facts come in no order
    rows = sub.column(MEMBER_ROW).to_numpy()
    fields = sub.select(list(FACT_FIELDS))
    fields = pa.table([c.cast(pa.string()) if pa.types.is_date(c.type) else c for c in fields.columns],
                      names=fields.column_names)
    return rows, fields.to_pylist()


def _people_table(members: pa.Table, facts: pa.Table, person_hh: np.ndarray, fact_rows: np.ndarray,
                  on: dt.date) -> pa.Table:
    """The engine's ``people`` input: registry attributes plus what fact details add (``fact_rows``:
    each fact's member row)."""
    n = members.num_rows
    certificate = certificate_grades(facts, fact_rows, n)
    # Each person's programme: that of their last transfers fact in FACT_ORDER ("" with none), taken
    # in Arrow (the facts come in no order: the few transfers are sorted here).
    transfers = facts.filter(pc.equal(facts.column("category"), "transfers")).sort_by(
        [(c, "ascending") for c in FACT_ORDER])
    programmes = fact_detail(transfers, "programme").fill_null("")
    pick = np.full(n, len(programmes))
    pick[transfers.column(MEMBER_ROW).to_numpy()] = np.arange(len(programmes))
    programme = pa.concat_arrays([programmes, pa.array([""], pa.string())]).take(pa.array(pick))
    birth = members.column("birth_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return pa.table({
        "household_id": pa.array(person_hh, pa.int64()),
        "person_id": members.column("person_id"),
        "age": pa.array(_age(birth, on), pa.int64()),
        "registry_grade": members.column("disability_grade"),
        "certificate_grade": pa.array(certificate, pa.int64()),
        "disability_category": members.column("disability_category"),
        "labour_capacity": members.column("labour_capacity"),
        "relationship": members.column("relationship"),
        "serious_illness": members.column("serious_illness"),
        "chronic_illness": members.column("chronic_illness"),
        "needs_care": members.column("needs_care"),
        "programme": programme,
    }, schema=PEOPLE_SCHEMA)


def monitoring_facts(members: pa.Table, *, on: dt.date, backend: str | None = None) -> VerificationOutput:
    """Verification of ``members`` as monitoring reads it: the household totals, and the facts of
    ``FACT_CATEGORIES`` only, each with the ``FACT_FIELDS`` of its cited row (no row as JSON) and
    its person's row in ``members`` (``MEMBER_ROW``), in no order: monitoring sums and counts them
    and takes the most severe grade, but for the programme of a person's last transfers fact and
    the events of the trigger window, which are sorted where they are read (sorting a city's facts
    cost as much as finding them).

    The engine joins the facts to the members by their row (the row number stands for the person
    id in the persons it is given); each fact then takes its person and household id from that
    row. Finding a million members' rows by id afterwards cost a binary search per fact, several
    times a run. The totals are summed from the same computation of the facts
    (:func:`verify_facts_and_households`: the sources read once), counting members by row."""
    persons = members.select(PERSONS_SCHEMA.names)
    by_row = persons.set_column(0, "person_id", pa.array(np.arange(members.num_rows, dtype=np.int64)))
    verified = verify_facts_and_households(VerificationInput(persons=by_row, on=on), categories=FACT_CATEGORIES,
                                           fields=FACT_FIELDS, backend=backend)
    facts = verified.facts
    rows = facts.column("person_id").to_numpy()
    person_ids = members.column("person_id").to_numpy()  # in NumPy: Arrow's take resolves a chunk per value
    facts = facts.set_column(0, "person_id", pa.array(person_ids[rows])).append_column(MEMBER_ROW, pa.array(rows))
    return VerificationOutput(facts=facts, households=verified.households)


def indicator_table(*, members: pa.Table, verified: VerificationOutput, standard: np.ndarray, on: dt.date,
                    lib: Library, backend: str | None = None) -> pa.Table:
    """One row per household of ``members`` (``household_id``: its row index, in household id
    order): ``standard``, every measure and the ``d_<code>`` columns (:func:`indicators_expression`).
    ``verified`` is :func:`monitoring_facts` of ``members``."""
    household_ids, person_hh = np.unique(members.column("household_id").to_numpy(), return_inverse=True)
    # The engine's inputs are keyed by the household's row index.
    fact_rows = verified.facts.column(MEMBER_ROW).to_numpy()
    facts = verified.facts.set_column(1, "household_id", pa.array(person_hh[fact_rows]))
    totals = verified.households
    totals = totals.set_column(0, "household_id", pa.array(np.searchsorted(household_ids, totals.column("household_id").to_numpy())))
    totals = totals.append_column("standard", pa.array(standard, pa.float64()))
    people = _people_table(members, facts, person_hh, fact_rows, on)
    inputs = {"people": people, "facts": facts.select(FACT_INPUT), "households": totals}
    name = backend_name(backend)
    with engine_lock():
        con = connect(name)
        if name == "duckdb":
            raw = con.con
            sql = _indicators_sql(con, lib=lib, schemas={k: t.schema for k, t in inputs.items()})
            for key, table in inputs.items():
                raw.register(_INDICATOR_INPUTS[key], table)
            try:
                out = raw.sql(sql).to_arrow_table()
            finally:
                for key in inputs:
                    raw.unregister(_INDICATOR_INPUTS[key])
        else:
            with arrow_tables(con, **inputs) as t:
                out = con.to_pyarrow(indicators_expression(**t, lib=lib))
    return _household_order(out)


def _household_order(table: pa.Table) -> pa.Table:
    """``table`` (one row per household row index 0…H−1, in any order) in household order: each
    column placed by an index in NumPy where it has no nulls (an ORDER BY in the engine sorted the
    whole wide result; Arrow's take cost more still), else by Arrow's take."""
    order = np.empty(table.num_rows, dtype=np.int64)
    order[table.column("household_id").to_numpy()] = np.arange(table.num_rows)
    columns = [pa.array(c.to_numpy()[order], c.type) if c.null_count == 0 and (pa.types.is_integer(c.type) or pa.types.is_floating(c.type))
               else c.take(pa.array(order)) for c in table.columns]
    return pa.table(columns, schema=table.schema)


# On DuckDB the indicator expression is compiled once per shape (the library's computed indicators
# and the inputs' schemas) and its SQL kept: building and compiling it cost about as much as
# running it on a city. The inputs are named tables of the plan, registered for each call.
_INDICATOR_INPUTS = {"people": "_monitoring_people", "facts": "_monitoring_facts", "households": "_monitoring_households"}
_indicator_plans: OrderedDict[tuple, str] = OrderedDict()
_PLANS_KEPT = 8


def _indicators_sql(con, *, lib: Library, schemas: dict[str, pa.Schema]) -> str:
    key = (tuple((i.code, i.measure, i.op, i.cutoff, i.per_standard) for i in lib.computed),
           tuple((k, str(s)) for k, s in sorted(schemas.items())))
    sql = _indicator_plans.get(key)
    if sql is None:
        tables = {k: ibis.table(ibis.schema(s), name=_INDICATOR_INPUTS[k]) for k, s in schemas.items()}
        sql = _indicator_plans[key] = str(con.compile(indicators_expression(**tables, lib=lib)))
        while len(_indicator_plans) > _PLANS_KEPT:
            _indicator_plans.popitem(last=False)
    return sql


@dataclass
class _Part:
    """What one range of households yields before the city-wide aggregation."""

    household_ids: np.ndarray
    region_codes: np.ndarray
    standard: np.ndarray
    measures: dict[str, np.ndarray]
    matrix: np.ndarray
    decisions: dict[str, np.ndarray]
    triggers: list[dict]
    persons: int


def monitor_compute(
    *, on: dt.date, since: dt.date | None = None, region_path: str | None = None,
    household_ids: Iterable[int] | None = None, trigger_batches: Iterable[str] | None = None,
    lib: Library | None = None, backend: str | None = None, part_households: int = PART_HOUSEHOLDS,
) -> MonitoringResult:
    """Everything monitoring derives for the households in scope (all, the region subtree
    ``region_path``, or just ``household_ids``: the incremental run). ``trigger_batches``
    restricts the triggers to facts of those batches (an incremental run: the new ones).

    The households are taken in ranges of ``part_households`` household ids, each verified and
    scored on its own, so memory stays bounded whatever the city's size; the Alkire–Foster
    aggregation and the levels are computed once over all of them."""
    lib = lib or library()
    since = since or on - dt.timedelta(days=31)
    codes = [i.code for i in lib.computed]
    if household_ids is not None:
        ranges = [None]
    else:
        low, high = household_id_bounds()
        ranges = [(lo, lo + part_households - 1) for lo in range(low, high + 1, part_households)]
    parts = []
    for id_range in ranges:
        members = members_at(on=on, region_path=region_path, household_ids=household_ids, id_range=id_range)
        if members.num_rows:
            parts.append(_compute_part(members, on=on, since=since, lib=lib, backend=backend,
                                       trigger_batches=trigger_batches))
        del members
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return MonitoringResult(on, since, empty, np.array([], object), np.zeros(0), {}, codes,
                                np.zeros((0, len(codes)), np.uint8), lib.weights(), None, np.array([], object))
    matrix = np.concatenate([p.matrix for p in parts])
    region_codes = np.concatenate([p.region_codes for p in parts])
    weights = lib.weights()
    cutoffs = level_cutoffs(on)
    af = alkire_foster(matrix, weights, cutoffs.k)
    return MonitoringResult(
        on=on, since=since, household_ids=np.concatenate([p.household_ids for p in parts]), region_codes=region_codes,
        standard=np.concatenate([p.standard for p in parts]),
        measures={k: np.concatenate([p.measures[k] for p in parts]) for k in parts[0].measures},
        codes=codes, matrix=matrix, weights=weights, af=af,
        levels=assign_levels(af.scores, cutoffs.for_regions(region_codes)),
        triggers=[t for p in parts for t in p.triggers],
        decisions={k: np.concatenate([p.decisions[k] for p in parts]) for k in DECISIONS},
        persons=sum(p.persons for p in parts),
    )


def _compute_part(members: pa.Table, *, on: dt.date, since: dt.date, lib: Library, backend: str | None,
                  trigger_batches: Iterable[str] | None) -> _Part:
    household_ids, first, person_hh = np.unique(members.column("household_id").to_numpy(), return_index=True,
                                                return_inverse=True)
    H, P = len(household_ids), members.num_rows
    verified = monitoring_facts(members, on=on, backend=backend)
    decided = decide_population(table=population_from_verification(members=members, verified=verified, supporters_on=on), on=on)
    assert np.array_equal(decided["household_id"], household_ids)
    decisions = {k: np.asarray(decided[k]) for k in DECISIONS}
    standard = decisions["dibao_standard"].astype(float)
    standard = np.where(standard > 0, standard, np.median(standard[standard > 0]) if (standard > 0).any() else 1.0)
    table = indicator_table(members=members, verified=verified, standard=standard, on=on, lib=lib, backend=backend)
    assert np.array_equal(table.column("household_id").to_numpy(), np.arange(H))
    facts = verified.facts
    del verified
    measures = {c: table.column(c).to_numpy() for c in table.column_names if c != "household_id" and not c.startswith("d_")}
    # Beside the indicators, for the risk model: the hidden-income proxies and where the household lives.
    measures.update(proxy_measures(id_numbers=members.column("id_number"), person_hh=person_hh,
                                   members=measures["members"], on=on, backend=backend))
    measures["rural"] = members.column("rural").to_numpy(zero_copy_only=False)[first].astype(float)
    earning = facts.column(MEMBER_ROW).filter(pc.is_in(facts.column("category"), pa.array(EARNING)))
    earned = np.zeros(P, bool)
    earned[earning.to_numpy()] = True
    events = facts if trigger_batches is None else facts.filter(
        pc.is_in(facts.column("batch_id"), pa.array(list(trigger_batches), pa.string())))
    return _Part(
        household_ids=household_ids,
        region_codes=members.column("region_code").to_numpy(zero_copy_only=False)[first].astype(object),
        standard=standard, measures=measures,
        matrix=np.column_stack([table.column(f"d_{i.code}").to_numpy() for i in lib.computed]).astype(np.uint8),
        decisions=decisions,
        triggers=_triggers(on=on, since=since, household_ids=household_ids, lib=lib, facts=events, person_hh=person_hh,
                           earned=earned, income_total=measures["income_total"]),
        persons=P,
    )


def _triggers(*, on: dt.date, since: dt.date, household_ids: np.ndarray, lib: Library, facts: pa.Table, person_hh,
              earned, income_total) -> list[dict]:
    """Events dated in ``(since, on]``: at most one row per household and trigger code."""
    hids = household_ids
    fired: dict[tuple[int, str], dict] = {}

    def fire(code: str, h: int, reasons: dict) -> None:
        key = (int(hids[h]), code)
        if key in fired:
            fired[key]["reasons"]["events"] += reasons["events"]
            return
        t = lib.trigger(code)
        fired[key] = {"household_id": int(hids[h]), "code": code, "level": t.level,
                      "reasons": {"title": t.title, "explanation": t.explanation, **reasons}}

    codes = {t.code for t in lib.triggers}
    if "hospital_bill" in codes:
        params = lib.trigger("hospital_bill").params
        rows, stays = _details(facts, "medical_out_of_pocket", dated="discharged_on", since=since, on=on)
        recent: dict[int, list] = {}
        for j, d in zip(rows.tolist(), stays, strict=True):
            recent.setdefault(int(person_hh[j]), []).append(d)
        for h, ds in recent.items():
            oop = sum(float(d.get("out_of_pocket") or 0) for d in ds)
            annual = float(income_total[h]) * 12
            if oop >= params["minimum_out_of_pocket"] and (annual <= 0 or oop >= params["share_of_annual_income"] * annual):
                fire("hospital_bill", h, {"out_of_pocket": round(oop, 2), "annual_income": round(annual, 2),
                                          "events": [{"hospital": d.get("hospital_name"),
                                                      "discharged_on": d.get("discharged_on")} for d in ds]})
    # Events carry dates, not the source's name: the lake holds names only as keyed hashes.
    for category, code, date_key in (("deceased", "breadwinner_death", "death_date"),
                                     ("imprisoned", "breadwinner_prison", "admitted_on")):
        if code not in codes:
            continue
        rows, ds = _details(facts, category, dated=date_key, since=since, on=on)
        for j, d in zip(rows.tolist(), ds, strict=True):
            if earned[j]:
                fire(code, int(person_hh[j]), {"events": [{date_key: d.get(date_key)}]})
    if "severe_disability_new" in codes:
        max_grade = lib.trigger("severe_disability_new").params.get("max_grade", 2)
        rows, ds = _details(facts, "disability", dated="issued_on", since=since, on=on)
        for j, d in zip(rows.tolist(), ds, strict=True):
            if int(d.get("disability_grade") or 9) <= max_grade:
                fire("severe_disability_new", int(person_hh[j]),
                     {"events": [{"grade": d.get("disability_grade"), "issued_on": d.get("issued_on")}]})
    if "job_loss" in codes:
        rows, ds = _details(facts, "unemployed", dated="registered_on", since=since, on=on)
        for j, d in zip(rows.tolist(), ds, strict=True):
            fire("job_loss", int(person_hh[j]), {"events": [{"registered_on": d.get("registered_on")}]})
    return list(fired.values())
