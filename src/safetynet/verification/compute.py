"""The verification computation (家庭经济状况核对计算): one household or the whole roll, one code.

``verify()`` looks up every given person (matched on the registry's ``id_number``; rows whose
number failed validation never reach the lake, and record linkage is the linkage module's job) in
every source in force at the verification date ``on`` (see ``safetynet.engine.lake``: the
latest snapshot batch with ``as_of <= on``; every events batch with ``as_of <= on``), and returns

* ``facts``: one row per fact, citing source, batch, row and the batch's date, with the cited
  row's declared columns as a JSON object in ``detail``, ordered by ``FACT_ORDER`` in the engine;
* ``households``: one row per household. The totals do not go through the facts: each source's
  rows are summed per ID number from the few columns a total needs, then joined to the persons
  (aggregate early, join late); both come from the same definitions (``_citations``).

``verify_to_parquet`` is the whole-roll form (bulk verification): the engine writes the facts
to Parquet itself (DuckDB ``COPY``), citing source, batch and row without the copy of the row, in
no particular order (sorting a city's facts cost about as much as finding them, and no reader
needs the whole file in an order: ``facts_of_households`` reads a few households' facts back in
``FACT_ORDER``), and returns the household totals. Since its facts are computed anyway, DuckDB
sums those totals from them (``households_from_facts``) instead of reading every source a second
time. ``verify_households`` gives the totals alone, from the sources.

It is written once as Ibis expressions and runs on DuckDB (default) or Spark with identical
results (``backend=`` or ``$SAFETYNET_ENGINE``). On DuckDB the compiled SQL is kept per date and
batch set (compiling costs more than running for one family).

A lookup of a few persons (one family's report) on DuckDB is served from an index: every fact is
a matter of one ID number (each grouping in the definitions is by ``id_number``: the wage periods,
the latest pension per scheme, the households a person's benefits name), so the facts and the
per-ID totals of every ID number in the in-force batches are computed once per date and batch
set, by the same expressions, into one table sorted by ``id_number``: an Arrow file under the lake
that every worker memory-maps (``index.index_table``). A fact there cites its source, batch and row
without a copy of the row; a lookup finds the family's rows by binary search, keeps the sources
asked for, joins the facts to the persons, reads the cited rows (``detail``) from the batches' row
stores (``index.rows_json``), and sums the household totals from the family's per-ID rows as a
whole roll's household step does. ``verify_each`` looks up several groups of persons in one read
(a family and its supporters' households). A batch landed since
the last call changes the batch set, so the next lookup uses (or first builds) a new file: a report
sees a batch landed a second ago, and never an index of other batches. The first lookup that
finds no file starts its build in the background, on a DuckDB connection of its own (building
takes tens of seconds at a million persons: no request waits for it, and none times out); until
the file is there, lookups compute their families from the sources (filtered by the family's ID
numbers, seconds at a million persons), as Spark always does. ``verification_index_build`` (the
``verification-index`` command) builds it ahead, waiting for it: after batches land, and before
a day's first report.

The platform's definitions (amounts are yuan; income and deductions are monthly):

Income
    wages                 the average monthly wage over the periods present (``tax_wages.period``)
                          in the three calendar months before the month of ``on`` (for ``on`` in
                          November: August, September, October). Each wage row is a fact worth
                          ``wage_income / number of periods present for that person``, so the
                          facts add up to the average. Plus ``public_payroll.monthly_salary``.
    pensions              ``social_insurance.monthly_pension`` where status is ``receiving``; if an
                          extract carries several periods for a person and scheme, the latest.
    unemployment_benefit  ``unemployment.monthly_benefit`` when ``on`` lies within
                          ``benefit_start..benefit_end`` (open end allowed), or, where no start
                          date is given, when the status is ``receiving_benefit``.
    business_income,      no demo source carries them yet: the columns exist and are 0.
    property_income
    transfers             ``benefits.monthly_amount`` of assistance started on or before ``on``.
Assets (value in yuan)
    deposits, wealth_products (``bank_deposits``), securities (``market_value``), housing_fund
    (``account_balance``; a fact, not a household total), vehicles (``vehicle_value``; a
    残疾人专用车 is cited as ``disability_vehicle`` and not counted), real_estate (amount
    ``assessed_value``; the household counts ``property_count`` and sums ``total_area_m2``),
    business (registrations with status 存续; amount ``registered_capital``).
Flags (amount null; the household counts distinct persons)
    deceased              ``hukou_deaths.death_date <= on``;
    imprisoned            ``prison.admitted_on <= on`` and not released by ``on``;
    public_payroll        present in ``public_payroll``;
    duplicate_membership  the person's ``id_number`` appears in ``benefits`` rows of two or more
                          different ``household_number`` values (each such row is cited);
    disability            a certificate valid at ``on``; unemployed: registered on or before ``on``;
    staff                 present in ``staff`` (民政工作人员, for the near-relative declaration).
Deductions (rigid expenditure, monthly)
    medical_out_of_pocket ``medical_expenses.out_of_pocket`` of stays discharged in the twelve
                          months up to ``on`` (after the same day a year earlier, up to and
                          including ``on``), each divided by 12.
    education             0: no source carries it yet.
Household
    ``income_total`` is the sum of the income kinds, ``deductions_total`` the sum of deductions,
    ``income_per_head = max(0, (income_total - deductions_total) / members)``. Money totals are
    rounded to the fen (0.01, half up) after summation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from safetynet.engine.backend import (
    arrow_tables,
    backend_name,
    connect,
    engine_lock,
    session,
)
from safetynet.engine.index import IndexTable, index_table, rows_json
from safetynet.engine.lake import batches_in_force, parquet_view, parquet_view_statement, source_table
from safetynet.sources.catalogue import catalogue

INCOME_KINDS = ("wages", "pensions", "unemployment_benefit", "business_income", "property_income", "transfers")
DEDUCTIONS = ("medical", "education")
FLAG_COUNTS = ("deceased", "imprisoned", "public_payroll", "duplicate_membership")
FACT_COLUMNS = ("person_id", "household_id", "source", "batch_id", "row", "as_of", "kind", "category", "amount", "detail")
HOUSEHOLD_MONEY = (
    *(f"income_{k}" for k in INCOME_KINDS),
    "income_total",
    *(f"deduction_{d}" for d in DEDUCTIONS),
    "deductions_total",
    "income_per_head",
    "deposits",
    "wealth_products",
    "securities",
    "vehicles_value",
    "real_estate_area",
)
HOUSEHOLD_COLUMNS = (
    "household_id",
    "members",
    *(f"income_{k}" for k in INCOME_KINDS),
    "income_total",
    *(f"deduction_{d}" for d in DEDUCTIONS),
    "deductions_total",
    "income_per_head",
    "deposits",
    "wealth_products",
    "securities",
    "vehicles_count",
    "vehicles_value",
    "real_estate_count",
    "real_estate_area",
    "business_count",
    *(f"{f}_count" for f in FLAG_COUNTS),
)
# Up to this many persons a lookup reads the index of facts by ID number (DuckDB) or filters each
# source by the literal ID numbers (Spark).
SMALL_INPUT = 2_000
PERSONS_SCHEMA = pa.schema(
    [pa.field("person_id", pa.int64()), pa.field("household_id", pa.int64()), pa.field("id_number", pa.string())]
)


@dataclass(frozen=True)
class VerificationInput:
    persons: pa.Table  # person_id int64, household_id int64, id_number string (the registry's number)
    on: dt.date  # verification date: facts in force at that date
    sources: tuple[str, ...] | None = None  # restrict to these sources (the family's authorisation)
    detail: bool = True  # False: the facts without the cited rows (``detail`` null), for a caller of amounts only


@dataclass(frozen=True)
class VerificationOutput:
    facts: pa.Table
    households: pa.Table


def verify(inp: VerificationInput, *, backend: str | None = None) -> VerificationOutput:
    """Facts in force at ``inp.on`` for every person, and the household totals (see module doc)."""
    return verify_each([inp], backend=backend)[0]


def verify_each(inputs: Sequence[VerificationInput], *, backend: str | None = None) -> list[VerificationOutput]:
    """:func:`verify` of each of ``inputs`` (all at one date). On DuckDB, inputs of a few persons in
    all are read from the index in one lookup (a family and its supporters' households: one read of
    the index, not one per input), each keeping its own sources; the batches in force are read once."""
    if not inputs:
        return []
    on = inputs[0].on
    if any(inp.on != on for inp in inputs):
        raise ValueError("verify_each takes inputs of one date")
    name = backend_name(backend)
    persons = [_persons(inp) for inp in inputs]
    in_force = {src: found for src, found in batches_in_force(on=on).items() if found}
    batches = [{src: found for src, found in in_force.items() if inp.sources is None or src in inp.sources}
               for inp in inputs]
    if name == "duckdb" and sum(p.num_rows for p in persons) <= SMALL_INPUT:
        asked = [(p, tuple(b), inp.detail) for p, b, inp in zip(persons, batches, inputs, strict=True)]
        # The lookup reads the index's tables only (no Parquet view of Ibis's to drop after it).
        with engine_lock():
            found = _lookup(connect(name), asked=asked, on=on, in_force=in_force)
        if found is not None:
            return [VerificationOutput(facts=facts, households=_households_final(households))
                    for facts, households in found]
    return [_computed(name, persons=p, inp=inp, batches=b) for p, b, inp in zip(persons, batches, inputs, strict=True)]


def _computed(name: str, *, persons: pa.Table, inp: VerificationInput, batches: dict) -> VerificationOutput:
    """:func:`verify` of one input computed from the sources (no index)."""
    small = persons.num_rows <= SMALL_INPUT
    with session(name) as con:
        if name == "duckdb" and not small:
            facts, households = _run_duckdb(con, persons=persons, on=inp.on, batches=batches)
        else:  # Spark; or a few persons on DuckDB while their index is being built: the sources, filtered
            facts, households = _run_ibis(con, persons=persons, on=inp.on, batches=batches, small=small)
    facts = _facts_final(facts, ordered=name == "duckdb")
    if not inp.detail:
        facts = facts.set_column(facts.schema.get_field_index("detail"), FACTS_SCHEMA.field("detail"),
                                 pa.nulls(facts.num_rows, pa.string()))
    return VerificationOutput(facts=facts, households=_households_final(households))


@dataclass(frozen=True)
class VerificationFiles:
    facts: int  # facts written
    households: pa.Table


def verify_to_parquet(inp: VerificationInput, *, facts_path: Path, backend: str | None = None) -> VerificationFiles:
    """:func:`verify` for a whole roll: the facts go straight from the engine to ``facts_path``
    (Parquet, zstd; each fact cites source, batch and row, without a copy of the row) in no
    particular order, not even the same from one run to the next (:func:`facts_of_households`
    reads a few households' facts back in ``FACT_ORDER``); and the household totals. Returns the
    number of facts and the household table.

    On DuckDB the facts, with what each adds to its household's totals, are computed once into a
    table of the connection: the file is written from it, and the totals summed from it per
    household (:func:`households_from_facts`). The sources are read, the wage periods counted and
    the rows joined to the roll on the 64-character ID once, where totals from the sources would
    do all three again. Spark sums the totals from the sources (:func:`households_expression`)."""
    name = backend_name(backend)
    persons = _persons(inp)
    batches = _batches(inp)
    with session(name) as con:
        if name == "duckdb":
            with _facts_table(con, persons=persons, on=inp.on, batches=batches) as raw:
                target = str(facts_path).replace("'", "''")
                cited = ", ".join(f'"{c}"' for c in FACTS_CITED_SCHEMA.names)
                # zstd's fastest level: a third less work than its default, for a file 13 % larger.
                written = raw.execute(f"COPY (SELECT {cited} FROM {_FACTS}) TO '{target}' "
                                      "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)").fetchone()[0]
                households = raw.sql(_compiled(con, on=inp.on, batches=batches,
                                               what="households_from_facts")).to_arrow_table()
        else:
            tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
            with arrow_tables(con, persons=persons) as named:
                facts = con.to_pyarrow(_facts_typed(facts_expression(tables=tables, persons=named["persons"], on=inp.on,
                                                                     detail=False)))
                households = con.to_pyarrow(households_expression(tables=tables, persons=named["persons"], on=inp.on))
            facts = facts.cast(FACTS_CITED_SCHEMA)
            pq.write_table(facts, facts_path, compression="zstd")
            written = facts.num_rows
    return VerificationFiles(facts=int(written), households=_households_final(households))


def facts_of_households(facts_path: Path, *, household_ids: list[int]) -> pa.Table:
    """The facts of ``household_ids`` in a facts file of :func:`verify_to_parquet`, in ``FACT_ORDER``
    (``FACTS_CITED_SCHEMA``): a scan of the file's ``household_id`` column, then the matching rows
    (the file is in no order: its row groups' statistics rule none out)."""
    if not household_ids:
        return FACTS_CITED_SCHEMA.empty_table()
    facts = pq.read_table(facts_path, filters=[("household_id", "in", list(household_ids))])
    return facts.cast(FACTS_CITED_SCHEMA).sort_by([(c, "ascending") for c in FACT_ORDER])


def verify_facts(inp: VerificationInput, *, categories: tuple[str, ...], fields: dict[str, pa.DataType],
                 backend: str | None = None, ordered: bool = True) -> pa.Table:
    """The facts of :func:`verify` of the given ``categories`` only, in ``FACT_ORDER``, citing source,
    batch and row without the copy of the row: instead each carries the cited row's ``fields``
    (name → type; null where the row's source has no such column). For a whole roll that needs a
    few columns of a few kinds of fact (monitoring), not every row as JSON.

    Not ``ordered``: in no particular order (not even the same from one call to the next). Sorting a
    city's facts costs about as much as finding them; a caller that needs an order among a few of
    them (the latest of a person's, the events of a window) sorts those."""
    name = backend_name(backend)
    persons = _persons(inp)
    batches = _batches(inp)
    schema = pa.schema([*FACTS_CITED_SCHEMA, *(pa.field(f, t) for f, t in fields.items())])
    with session(name) as con:
        tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
        if name == "duckdb":
            views = tuple((src, parquet_view(con, catalogue()[src], found)) for src, found in sorted(batches.items()))
            key = (inp.on, views, categories, tuple((f, str(t)) for f, t in fields.items()), ordered)
            sql = _facts_plans.get(key)
            if sql is None:  # compiled once per date, batch set and shape, as _plan does
                persons_t = ibis.table(ibis.schema(PERSONS_SCHEMA), name=_PERSONS)
                facts = facts_expression(tables=tables, persons=persons_t, on=inp.on, detail=False,
                                         categories=categories, fields=fields)
                sql = _facts_plans[key] = str(con.compile(facts.order_by(list(FACT_ORDER)) if ordered else facts))
                while len(_facts_plans) > _PLANS_KEPT:
                    _facts_plans.popitem(last=False)
            facts = _run_on_persons(con, sql, persons)
        else:
            with arrow_tables(con, persons=persons) as named:
                facts = con.to_pyarrow(facts_expression(tables=tables, persons=named["persons"], on=inp.on, detail=False,
                                                        categories=categories, fields=fields))
            if ordered:
                facts = facts.sort_by([(c, "ascending") for c in FACT_ORDER])
    return facts.select(schema.names).cast(schema)


def verify_facts_and_households(inp: VerificationInput, *, categories: tuple[str, ...],
                                fields: dict[str, pa.DataType], backend: str | None = None) -> VerificationOutput:
    """:func:`verify_facts` of ``categories`` with ``fields`` (not ordered) and :func:`verify_households`,
    of the same input, for a whole roll that needs both (monitoring).

    On DuckDB from one computation, as :func:`verify_to_parquet` does: every fact with its values
    and the cited rows' ``fields``, in a table of the connection; the totals summed from it
    (:func:`households_from_facts`), and the facts of ``categories`` read from it. The sources are
    read, and the rows joined to the roll on the ID, once instead of twice. Spark computes each
    as its function does."""
    name = backend_name(backend)
    if name != "duckdb":
        return VerificationOutput(
            facts=verify_facts(inp, categories=categories, fields=fields, backend=name, ordered=False),
            households=verify_households(inp, backend=name))
    persons = _persons(inp)
    batches = _batches(inp)
    schema = pa.schema([*FACTS_CITED_SCHEMA, *_fields_schema(fields)])
    columns = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' if c in _ENUMS else f'"{c}"' for c in schema.names)
    kept = ", ".join("'" + c.replace("'", "''") + "'" for c in categories)
    with session(name) as con, _facts_table(con, persons=persons, on=inp.on, batches=batches, fields=fields) as raw:
        households = raw.sql(_compiled(con, on=inp.on, batches=batches, what="households_from_facts")).to_arrow_table()
        facts = raw.sql(f"SELECT {columns} FROM {_FACTS} WHERE category IN ({kept or 'NULL'})").to_arrow_table()
    return VerificationOutput(facts=facts.select(schema.names).cast(schema), households=_households_final(households))


@contextmanager
def _facts_table(con, *, persons: pa.Table, on: dt.date, batches: dict,
                 fields: dict[str, pa.DataType] | None = None) -> Iterator:
    """The facts of ``persons`` with values (and the cited rows' ``fields``) in the DuckDB
    connection's table ``_FACTS`` for the ``with`` block, ``persons`` registered under their plan
    name; gives the raw connection."""
    raw = con.con
    facts_sql = _compiled(con, on=on, batches=batches, what="facts_valued", fields=fields)
    raw.register(_PERSONS, persons)
    try:
        raw.execute(f"CREATE OR REPLACE TEMP TABLE {_FACTS} AS {facts_sql}")
        yield raw
    finally:
        raw.execute(f"DROP TABLE IF EXISTS {_FACTS}")
        raw.unregister(_PERSONS)


def _run_on_persons(con, sql: str, persons: pa.Table) -> pa.Table:
    """A compiled plan run on DuckDB with ``persons`` registered under its fixed name for the call."""
    con.con.register(_PERSONS, persons)
    try:
        return con.con.sql(sql).to_arrow_table()
    finally:
        con.con.unregister(_PERSONS)


def verify_households(inp: VerificationInput, *, backend: str | None = None) -> pa.Table:
    """The household totals of :func:`verify` alone (no facts), from the source columns."""
    name = backend_name(backend)
    persons = _persons(inp)
    batches = _batches(inp)
    with session(name) as con:
        if name == "duckdb":
            households_sql = _compiled(con, on=inp.on, batches=batches, what="households")
            households = _run_on_persons(con, households_sql, persons)
        else:
            tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
            with arrow_tables(con, persons=persons) as named:
                households = con.to_pyarrow(households_expression(tables=tables, persons=named["persons"], on=inp.on))
    return _households_final(households)


def verification_index_build(*, on: dt.date) -> bool:
    """Build the lookup's index at ``on`` ahead of the first report that needs it (after a batch
    lands; before a new day's first report), unless it is built already. False when another
    process is building it now."""
    batches = {src: found for src, found in batches_in_force(on=on).items() if found}
    with engine_lock():
        return _index_table(connect("duckdb"), on=on, batches=batches, wait=True) is not None


def _persons(inp: VerificationInput) -> pa.Table:
    return inp.persons.select(list(PERSONS_SCHEMA.names)).cast(PERSONS_SCHEMA)


def _batches(inp: VerificationInput) -> dict:
    return {src: found for src, found in batches_in_force(on=inp.on, sources=inp.sources).items() if found}


def _facts_typed(facts: ibis.Table, *, values: bool = False, fields: dict[str, pa.DataType] | None = None) -> ibis.Table:
    """The cited facts' columns in order and type (the Parquet file's schema on either engine),
    unordered; with ``values``, and each fact's ``_n`` and ``_a`` after them; then ``fields``."""
    schema = _valued_schema(fields) if values else pa.schema([*FACTS_CITED_SCHEMA, *_fields_schema(fields)])
    return facts.select(*(facts[c].cast(ibis.dtype(schema.field(c).type)).name(c) for c in schema.names))


def _fields_schema(fields: dict[str, pa.DataType] | None) -> list[pa.Field]:
    return [pa.field(f, t) for f, t in (fields or {}).items()]


def _valued_schema(fields: dict[str, pa.DataType] | None) -> pa.Schema:
    """The facts with values (``_FACTS_VALUED_SCHEMA``), then the cited rows' ``fields``."""
    return pa.schema([*_FACTS_VALUED_SCHEMA, *_fields_schema(fields)])


def _facts_valued_sql(facts_sql: str, *, citations: list[_Citation], batches: dict, names: list[str]) -> str:
    """``facts_sql`` (the typed facts with values) on DuckDB, with its text columns as ENUMs of
    their few values: the table of them is a byte a value instead of a string, the totals' tests
    of a fact's category compare small integers, and the Parquet writer takes each column's
    dictionary as it is instead of hashing millions of strings (the file holds the same strings)."""
    values = {  # _ENUMS
        "source": {c.source for c in citations},
        "batch_id": {b.batch_id for found in batches.values() for b in found},
        "kind": {c.kind for c in citations},
        "category": {c.category for c in citations},
    }

    def column(name: str) -> str:
        if name not in values or not values[name]:
            return f'"{name}"'
        members = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values[name], key=str.encode))
        return f'CAST("{name}" AS ENUM({members})) AS "{name}"'

    return f"SELECT {', '.join(column(c) for c in names)} FROM ({facts_sql})"


def _run_ibis(con, *, persons: pa.Table, on: dt.date, batches: dict, small: bool) -> tuple[pa.Table, pa.Table]:
    tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
    ids = persons.column("id_number").to_pylist() if small else None
    with arrow_tables(con, persons=persons) as named:
        facts = con.to_pyarrow(facts_expression(tables=tables, persons=named["persons"], on=on, ids=ids)
                               .order_by(list(FACT_ORDER)))
        households = con.to_pyarrow(households_expression(tables=tables, persons=named["persons"], on=on, ids=ids))
    return facts, households


# On DuckDB the expressions are compiled once per (date, batch set, shape) and the SQL kept:
# building and compiling them costs about as much as running them on a city (seconds), and more
# than running them for one family. The persons are a named table of the plan. Whole rolls read
# the batches through views named by the batch set (``lake.parquet_view``).
_PERSONS = "_verification_persons"
_FACTS = "_verification_facts"  # a bulk run's facts with values, for the length of the run (DuckDB)
_ENUMS = ("source", "batch_id", "kind", "category")  # its text columns of a few values (``_facts_valued_sql``)
_plans: OrderedDict[tuple, str] = OrderedDict()
_facts_plans: OrderedDict[tuple, str] = OrderedDict()  # verify_facts's SQL
_PLANS_KEPT = 64


def _plan(con, *, on: dt.date, batches: dict) -> tuple[str, str]:
    """The (facts, households) SQL for this date and batch set, each compiled on first use."""
    return (_compiled(con, on=on, batches=batches, what="facts"),
            _compiled(con, on=on, batches=batches, what="households"))


def _compiled(con, *, on: dt.date, batches: dict, what: str, fields: dict[str, pa.DataType] | None = None) -> str:
    """One plan's SQL, compiled on first use: ``facts`` (:func:`verify`'s, in ``FACT_ORDER``),
    ``households`` (from the sources), ``facts_valued`` (cited, with values, unordered, then the
    cited rows' ``fields``) or ``households_from_facts`` (from the table ``_FACTS`` of those): the
    household totals alone (:func:`verify_households`) never pay for compiling the facts."""
    names = tuple((src, parquet_view(con, catalogue()[src], found)) for src, found in sorted(batches.items()))
    key = (on, what, names, tuple((f, str(t)) for f, t in (fields or {}).items()))
    sql = _plans.get(key)
    if sql is None:
        persons_t = ibis.table(ibis.schema(PERSONS_SCHEMA), name=_PERSONS)
        tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
        if what == "households":
            sql = str(con.compile(households_expression(tables=tables, persons=persons_t, on=on)))
        elif what == "households_from_facts":
            facts_t = ibis.table(ibis.schema(_FACTS_VALUED_SCHEMA), name=_FACTS)
            sql = str(con.compile(households_from_facts(persons=persons_t, facts=facts_t)))
        elif what == "facts_valued":
            facts = facts_expression(tables=tables, persons=persons_t, on=on, detail=False, values=True, fields=fields)
            sql = _facts_valued_sql(str(con.compile(_facts_typed(facts, values=True, fields=fields))),
                                    citations=_citations(tables=tables, on=on), batches=batches,
                                    names=_valued_schema(fields).names)
        else:
            facts = facts_expression(tables=tables, persons=persons_t, on=on)
            sql = str(con.compile(facts.order_by(list(FACT_ORDER))))
        _keep(_plans, key, sql)
    return sql


def _keep(plans: OrderedDict, key: tuple, plan) -> None:
    plans[key] = plan
    while len(plans) > _PLANS_KEPT:
        plans.popitem(last=False)


def _run_duckdb(con, *, persons: pa.Table, on: dt.date, batches: dict) -> tuple[pa.Table, pa.Table]:
    facts_sql, households_sql = _plan(con, on=on, batches=batches)
    raw = con.con
    raw.register(_PERSONS, persons)
    try:
        return raw.sql(facts_sql).to_arrow_table(), raw.sql(households_sql).to_arrow_table()
    finally:
        raw.unregister(_PERSONS)


# The index at one date: every in-force source's facts and per-ID totals for every ID number, in
# one table of rows by ID number (``_index_table``): a fact's row has its ``kind``; a row of totals
# (``TOTALS_BY_ID_SCHEMA``, its ``_source`` as ``source``) has none. A fact's row cites its batch and
# row without a copy of the row: the lookup reads the cited rows from the batches' row stores.
# Per connection: the batch files at a date, and the index's SQL, key, views and cited batches for them.
_index_plans: dict[int, tuple[str, str, str, tuple[str, ...], tuple]] = {}


def _index_table(con, *, on: dt.date, batches: dict, wait: bool) -> IndexTable | None:
    """The index's table at ``on`` of ``batches`` (every source's in force; built on
    first need of this date and batch set, by this process or another: ``index.index_table``);
    None while it is being built. ``wait``: build it now if missing (else in the background)."""
    # The files' size and time too: a batch file rewritten in place (``lake-pseudonymise``) is new.
    files = f"{on.isoformat()}|" + "|".join(sorted(f"{b.path}:{b.path.stat().st_size}:{b.path.stat().st_mtime_ns}"
                                                   for found in batches.values() for b in found))
    for src, found in batches.items():  # the views the SQL reads, should the index be built
        parquet_view(con, catalogue()[src], found)
    plan = _index_plans.get(id(con))
    if plan is None or plan[0] != files:
        tables = {src: source_table(con, catalogue()[src], found) for src, found in batches.items()}
        facts = _facts_by_id(facts_expression(tables=tables, persons=None, on=on, detail=False))
        sql = f"SELECT * FROM ({con.compile(facts)})"
        if (totals := totals_by_id(tables=tables, on=on)) is not None:
            sql += f" UNION ALL BY NAME SELECT * EXCLUDE (_source), _source AS source FROM ({con.compile(totals)})"
        # The text columns of a few values as ENUMs: the file holds each as a dictionary (small integers).
        citations = _citations(tables=tables, on=on)
        values = {"source": {c.source for c in citations}, "kind": {c.kind for c in citations},
                  "category": {c.category for c in citations}, "_category": {c.category for c in citations},
                  "batch_id": {b.batch_id for found in batches.values() for b in found}}
        sql = f"SELECT {', '.join(_as_enum(c, values.get(c)) for c in _LOOKUP_COLUMNS)} FROM ({sql})"
        # The key: the batch files and the SQL (the definitions, the date, the views of the files).
        views = tuple(parquet_view_statement(catalogue()[src], found)[1] for src, found in batches.items())
        cited = tuple(b for src, found in sorted(batches.items()) if src in values["source"] for b in found)
        plan = _index_plans[id(con)] = (files, sql, hashlib.sha256(f"{files}|{sql}".encode()).hexdigest(), views, cited)
    _files, sql, key, views, cited = plan
    return index_table(con, slot="verification", key=key, sql=sql, views=views, cited=cited, wait=wait)


def _as_enum(name: str, values: set[str] | None) -> str:
    """The column ``name`` cast to an ENUM of its ``values`` in byte order (as is, without values)."""
    if not values:
        return f'"{name}"'
    members = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values, key=str.encode))
    return f'CAST("{name}" AS ENUM({members})) AS "{name}"'


def _facts_by_id(facts: ibis.Table) -> ibis.Table:
    return facts.select("id_number", *(facts[c].cast(ibis.dtype(FACTS_CITED_SCHEMA.field(c).type)).name(c)
                                       for c in FACTS_CITED_SCHEMA.names if c not in _WHO))


def _lookup(con, *, asked: list[tuple[pa.Table, tuple[str, ...], bool]], on: dt.date, in_force: dict
            ) -> list[tuple[pa.Table, pa.Table]] | None:
    """Each asked group's facts and household totals (``asked``: its persons, its sources, whether
    its facts carry their cited rows) from the index of the batches ``in_force`` (module doc): the
    rows of every group's persons, found by binary search in the index's sorted file; per group, its persons' rows of its sources, the facts joined to the
    persons in ``FACT_ORDER`` (with ``detail``, the cited rows read from the batches' row stores),
    the household totals summed from the per-ID rows. None while the index is being built."""
    ids = sorted({i for persons, sources, _detail in asked if sources
                  for i in persons.column("id_number").to_pylist() if i is not None})
    by_id: dict[str, list[tuple]] = defaultdict(list)
    if ids:
        table = _index_table(con, on=on, batches=in_force, wait=False)
        if table is None:
            return None
        for row in table.rows(ids, _LOOKUP_COLUMNS):
            by_id[row[0]].append(row)
    batch_of = {b.batch_id: b for found in in_force.values() for b in found}
    return [_looked_up(persons, sources=set(sources), detail=detail, by_id=by_id, batch_of=batch_of)
            for persons, sources, detail in asked]


def _looked_up(persons: pa.Table, *, sources: set[str], detail: bool, by_id: dict[str, list[tuple]],
               batch_of: dict) -> tuple[pa.Table, pa.Table]:
    """One group's facts and household totals from the index's rows ``by_id`` (:func:`_lookup`)."""
    # A family's rows are few: they are read as Python rows (an Arrow result, its filters and sort
    # cost more than their work on a few dozen rows), joined to the persons and ordered here, and
    # the facts made one Arrow table at the end.
    who: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for person, household, number in zip(*(persons.column(c).to_pylist() for c in PERSONS_SCHEMA.names), strict=True):
        if number is not None:
            who[number].append((person, household))
    rows = [row for number in who for row in by_id.get(number, ()) if row[1] in sources]
    kind = _LOOKUP_COLUMNS.index("kind")
    facts = [(person, household, *row[1:_FACT_END]) for row in rows if row[kind] is not None
             for person, household in who[row[0]]]
    facts.sort(key=_fact_order)
    details = _cited_rows(facts, batch_of) if detail else [None] * len(facts)
    columns = [*zip(*facts, strict=True), details] if facts else [()] * len(FACTS_SCHEMA)
    facts_table = pa.table([pa.array(c, f.type) for c, f in zip(columns, FACTS_SCHEMA, strict=True)], schema=FACTS_SCHEMA)
    totals = [(row[0], *row[_FACT_END:]) for row in rows if row[kind] is None]
    return facts_table, _family_households(persons, totals)


def _cited_rows(facts: list[tuple], batch_of: dict) -> list[str | None]:
    """Each fact's cited row as JSON (its ``detail``), read by batch and row from the row stores."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for fact in facts:
        wanted[fact[_BATCH]].append(fact[_ROW])
    found = {}
    for batch_id, rows in wanted.items():
        found.update(zip(((batch_id, r) for r in rows), rows_json(batch_of[batch_id], rows), strict=True))
    return [found[(fact[_BATCH], fact[_ROW])] for fact in facts]


def _fact_order(fact: tuple) -> tuple:
    """A fact's place in ``FACT_ORDER``, as Arrow's ascending sort places it (nulls last)."""
    return tuple((fact[i] is None, fact[i]) for i in _FACT_KEYS)


def _family_households(persons: pa.Table, totals: list[tuple]) -> pa.Table:
    """:func:`households_from_totals` on a family's per-ID rows (``totals``: tuples of ``id_number``,
    ``_category``, ``_amount``, ``_n``, ``_a``), summed in Python as the query does: per ID and
    column (null when no value), then per household over the persons matched by ID number; a flag
    counts the distinct persons it is set for; totals before the rounding to the fen."""
    by_id: dict[tuple[str, str], float | int | None] = {}
    for number, category, *values in totals:
        for column, value in _TOTALS.get(category, ()):
            v, before = values[_VALUES.index(value)], by_id.get((number, column))
            by_id[(number, column)] = before if v is None else v if before is None else before + v
    flags = [f"{flag}_count" for flag in FLAG_COUNTS]
    summed = [column for category, columns in _TOTALS.items() for column, _v in columns if category not in FLAG_COUNTS]
    households: dict[int, dict] = {}
    for person, household, number in zip(*(persons.column(c).to_pylist() for c in PERSONS_SCHEMA.names), strict=True):
        h = households.setdefault(household, {"persons": set(), **{f: set() for f in flags}})
        h["persons"].add(person)
        for column in summed:
            v = by_id.get((number, column))
            if v is not None:
                h[column] = v if h.get(column) is None else h[column] + v
        for f in flags:
            if by_id.get((number, f)) is not None:
                h[f].add(person)
    rows = []
    for household, h in households.items():
        money = {c: float(h.get(c) or 0.0) for c in summed if not c.endswith("_count")}
        money |= {"income_business_income": 0.0, "income_property_income": 0.0, "deduction_education": 0.0}
        income_total = money["income_wages"]
        for kind in INCOME_KINDS[1:]:
            income_total += money[f"income_{kind}"]
        deductions_total = money["deduction_medical"] + money["deduction_education"]
        members = len(h["persons"])
        rows.append({"household_id": household, "members": members, **money,
                     **{c: int(h.get(c) or 0) for c in summed if c.endswith("_count")},
                     **{f: len(h[f]) for f in flags}, "income_total": income_total,
                     "deductions_total": deductions_total,
                     "income_per_head": max((income_total - deductions_total) / members, 0.0)})
    return pa.Table.from_pylist(rows, schema=_HOUSEHOLD_SCHEMA)


_VALUES = ("_amount", "_n", "_a")
_HOUSEHOLD_SCHEMA = pa.schema([pa.field(c, pa.int64() if c in ("household_id", "members") or c.endswith("_count")
                                        else pa.float64()) for c in HOUSEHOLD_COLUMNS])


# -- facts ---------------------------------------------------------------------------------------

_NULL_FLOAT = ibis.literal(None, type="float64")


def _money(col: ibis.Value) -> ibis.Value:
    return col.cast("float64")


def _cite(
    t: ibis.Table,
    persons: ibis.Table | None,
    *,
    source: str,
    kind: str,
    category: str,
    amount: Callable[[ibis.Table], ibis.Value] | None = None,
    count: Callable[[ibis.Table], ibis.Value] | None = None,
    area: Callable[[ibis.Table], ibis.Value] | None = None,
    detail: bool = True,
    fields: dict[str, pa.DataType] | None = None,
    values: bool = False,
) -> ibis.Table:
    """The rows of ``t`` matched to ``persons``, as facts of one category (with ``detail``, the
    cited row's declared columns as JSON text; with ``fields``, those columns of the row, typed;
    with ``values``, what the fact adds to its household's count and area, ``_n`` and ``_a``).
    Without ``persons``, every row of ``t`` as a fact of its ``id_number``."""
    declared = [c.name for c in catalogue()[source].columns]
    j = t if persons is None else t.join(persons, "id_number")
    who = dict(id_number=j.id_number) if persons is None else dict(person_id=j.person_id, household_id=j.household_id)
    columns = dict(
        **who,
        source=ibis.literal(source),
        batch_id=j._batch,
        row=j._row.cast("int64"),
        as_of=j._as_of,
        kind=ibis.literal(kind),
        category=ibis.literal(category),
        amount=(amount(j) if amount else _NULL_FLOAT).cast("float64"),
    )
    if detail:
        columns["detail"] = ibis.struct({c: j[c] for c in declared}).cast("json").cast("string")
    if values:
        columns["_n"] = (count(j) if count else ibis.literal(1)).cast("int64")
        columns["_a"] = (area(j) if area else ibis.literal(0.0)).cast("float64")
    for f, dtype in (fields or {}).items():
        typ = ibis.dtype(dtype)
        columns[f] = j[f].cast(typ) if f in declared else ibis.null(typ)
    return j.select(**columns)


def _months_before(on: dt.date, n: int) -> list[str]:
    """The ``n`` calendar months before the month of ``on``, as ``YYYY-MM`` periods."""
    index = on.year * 12 + on.month - 1
    return [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(n, 0, -1)]


def _year_before(on: dt.date) -> dt.date:
    try:
        return on.replace(year=on.year - 1)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 1, day=28)


def _date(d: dt.date) -> ibis.Value:
    return ibis.literal(d, type="date")


@dataclass(frozen=True)
class _Citation:
    """One kind of fact drawn from one source: the rows ``table`` of ``source`` cited as ``category``.

    ``per_person`` gives, where the household totals need less than the cited rows, the per-ID
    aggregate directly (``id_number, _amount, _n, _a``): the wage average needs no per-row
    period count, the duplicate-membership flag no row of its own."""

    source: str
    table: ibis.Table
    kind: str
    category: str
    amount: Callable[[ibis.Table], ibis.Value] | None = None
    count: Callable[[ibis.Table], ibis.Value] | None = None
    area: Callable[[ibis.Table], ibis.Value] | None = None
    per_person: ibis.Table | None = None


def _citations(*, tables: dict[str, ibis.Table], on: dt.date, ids: list[str] | None = None) -> list[_Citation]:
    """Every kind of fact at ``on`` from the in-force ``tables`` (one per source): the platform's
    definitions (module docstring), written once for the facts and the household totals."""
    day = _date(on)
    if ids is not None:
        tables = {name: t.filter(t.id_number.isin(ids)) for name, t in tables.items()}
    out: list[_Citation] = []

    def cite(source: str, t: ibis.Table, kind: str, category: str, **kw) -> None:
        out.append(_Citation(source, t, kind, category, **kw))

    if (t := tables.get("tax_wages")) is not None:
        months = _months_before(on, 3)
        window = t.filter(t.period.isin(months))

        def present(rows: ibis.Table) -> ibis.Value:
            # The number of the three months present among a person's rows: one flag per month,
            # where counting distinct periods keeps a set of them per person.
            return sum(((rows.period == m).any().cast("int64") for m in months[1:]),
                       (rows.period == months[0]).any().cast("int64"))

        # The periods counted from the two columns they need: from ``window`` itself, the engine
        # would keep every column of the window's rows for the join back (DuckDB materialises a
        # subquery read twice, all of its columns).
        narrow = t.select("id_number", "period").filter(lambda x: x.period.isin(months))
        periods = narrow.group_by("id_number").aggregate(_periods=present(narrow))
        w = window.join(periods, "id_number")
        average = window.group_by("id_number").aggregate(
            _amount=_money(window.wage_income).sum() / present(window),
            _n=window.id_number.count())
        average = average.mutate(_a=ibis.literal(0.0))
        cite("tax_wages", w, "income", "wages", amount=lambda r: _money(r.wage_income) / r._periods,
             per_person=average)
    if (t := tables.get("public_payroll")) is not None:
        cite("public_payroll", t, "income", "wages", amount=lambda r: _money(r.monthly_salary))
        cite("public_payroll", t, "flag", "public_payroll")
    if (t := tables.get("social_insurance")) is not None:
        r = t.filter(t.status == "receiving")
        latest = ibis.row_number().over(group_by=[r.id_number, r.scheme], order_by=[ibis.desc(r.period), ibis.desc(r._row)])
        r = r.mutate(_rank=latest).filter(lambda x: x._rank == 0).drop("_rank")
        cite("social_insurance", r, "income", "pensions", amount=lambda x: _money(x.monthly_pension))
    if (t := tables.get("unemployment")) is not None:
        in_period = t.benefit_start.notnull() & (t.benefit_start <= day) & (t.benefit_end.isnull() | (t.benefit_end >= day))
        undated = t.benefit_start.isnull() & (t.status == "receiving_benefit")
        cite("unemployment", t.filter(in_period | undated), "income", "unemployment_benefit",
             amount=lambda x: _money(x.monthly_benefit))
        cite("unemployment", t.filter(t.registered_on <= day), "flag", "unemployed")
    if (t := tables.get("benefits")) is not None:
        b = t.filter(t.start_date <= day)
        cite("benefits", b, "income", "transfers", amount=lambda x: _money(x.monthly_amount))
        households = b.group_by("id_number").aggregate(_households=b.household_number.nunique())
        twice = households.filter(households._households > 1)
        cite("benefits", b.semi_join(twice.select("id_number"), "id_number"), "flag", "duplicate_membership",
             per_person=twice.select("id_number", _amount=_NULL_FLOAT, _n=ibis.literal(1, type="int64"),
                                     _a=ibis.literal(0.0)))
    if (t := tables.get("bank_deposits")) is not None:
        cite("bank_deposits", t, "asset", "deposits", amount=lambda x: _money(x.deposit_balance))
        cite("bank_deposits", t, "asset", "wealth_products", amount=lambda x: _money(x.wealth_products))
    if (t := tables.get("securities")) is not None:
        cite("securities", t, "asset", "securities", amount=lambda x: _money(x.market_value))
    if (t := tables.get("housing_fund")) is not None:
        cite("housing_fund", t, "asset", "housing_fund", amount=lambda x: _money(x.account_balance))
    if (t := tables.get("vehicles")) is not None:
        exempt = t.disability_vehicle.fill_null(False)
        cite("vehicles", t.filter(~exempt), "asset", "vehicles", amount=lambda x: _money(x.vehicle_value))
        cite("vehicles", t.filter(exempt), "asset", "disability_vehicle", amount=lambda x: _money(x.vehicle_value))
    if (t := tables.get("real_estate")) is not None:
        cite("real_estate", t, "asset", "real_estate", amount=lambda x: _money(x.assessed_value),
             count=lambda x: x.property_count, area=lambda x: _money(x.total_area_m2))
    if (t := tables.get("business_registration")) is not None:
        cite("business_registration", t.filter(t.status == "存续"), "asset", "business",
             amount=lambda x: _money(x.registered_capital))
    if (t := tables.get("hukou_deaths")) is not None:
        cite("hukou_deaths", t.filter(t.death_date <= day), "flag", "deceased")
    if (t := tables.get("prison")) is not None:
        inside = (t.admitted_on <= day) & (t.released_on.isnull() | (t.released_on > day))
        cite("prison", t.filter(inside), "flag", "imprisoned")
    if (t := tables.get("disability_certificates")) is not None:
        cite("disability_certificates", t.filter((t.issued_on <= day) & (t.valid_until >= day)), "flag", "disability")
    if (t := tables.get("staff")) is not None:
        cite("staff", t, "flag", "staff")
    if (t := tables.get("medical_expenses")) is not None:
        stays = t.filter((t.discharged_on > _date(_year_before(on))) & (t.discharged_on <= day))
        cite("medical_expenses", stays, "deduction", "medical_out_of_pocket",
             amount=lambda x: _money(x.out_of_pocket) / 12)
    return out


FACT_ORDER = ("household_id", "person_id", "kind", "category", "source", "batch_id", "row")


def facts_expression(
    *, tables: dict[str, ibis.Table], persons: ibis.Table | None, on: dt.date, ids: list[str] | None = None,
    detail: bool = True, categories: tuple[str, ...] | None = None, fields: dict[str, pa.DataType] | None = None,
    values: bool = False,
) -> ibis.Table:
    """All facts of ``persons`` at ``on`` from the in-force ``tables`` (one per source), as one table
    (unordered: a caller orders by ``FACT_ORDER`` last). Without ``detail`` a fact cites its source, batch and row only (the cited row
    is read from the batch on demand). ``categories`` keeps those kinds of fact only; ``fields``
    adds those columns of the cited row (see :func:`verify_facts`); ``values`` adds what each fact
    adds to its household's totals besides its amount (``_n``, ``_a``: see :func:`households_from_facts`).
    Without ``persons``, the facts of every ID number in ``tables``, each with its ``id_number``
    instead of a person and household.

    The facts of every kind are joined to the persons once, after their union (one hash table of
    the persons, not one per kind of fact); with ``detail``, each kind is joined first, so the
    cited rows are turned into JSON only for the persons' rows."""
    first = persons if detail else None
    parts = [
        _cite(c.table, first, source=c.source, kind=c.kind, category=c.category, amount=c.amount, count=c.count,
              area=c.area, detail=detail, fields=fields, values=values)
        for c in _citations(tables=tables, on=on, ids=ids)
        if categories is None or c.category in categories
    ]
    if not parts:  # nothing in force: no facts, in the facts' shape
        if persons is None:
            none = ibis.memtable(pa.table({"id_number": pa.array([], pa.string())}))
            who = dict(id_number=none.id_number)
        else:
            none = persons.filter(ibis.literal(False))
            who = dict(person_id=none.person_id, household_id=none.household_id)
        columns = dict(
            **who, source=ibis.null("string"),
            batch_id=ibis.null("string"), row=ibis.null("int64"), as_of=ibis.null("date"), kind=ibis.null("string"),
            category=ibis.null("string"), amount=_NULL_FLOAT, detail=ibis.null("string"),
        )
        if not detail:
            del columns["detail"]
        columns |= {f: ibis.null(ibis.dtype(t)) for f, t in (fields or {}).items()}
        if values:
            columns |= {"_n": ibis.null("int64"), "_a": _NULL_FLOAT}
        return none.select(**columns)
    facts = ibis.union(*parts) if len(parts) > 1 else parts[0]
    if persons is None or first is not None:
        return facts
    j = facts.join(persons, "id_number")
    return j.select(j.person_id, j.household_id, *(j[c] for c in facts.columns if c != "id_number"))


# -- households ----------------------------------------------------------------------------------


# The categories the household totals read: (output column, what is summed) per category.
_TOTALS = {
    "wages": (("income_wages", "_amount"),),
    "pensions": (("income_pensions", "_amount"),),
    "unemployment_benefit": (("income_unemployment_benefit", "_amount"),),
    "transfers": (("income_transfers", "_amount"),),
    "medical_out_of_pocket": (("deduction_medical", "_amount"),),
    "deposits": (("deposits", "_amount"),),
    "wealth_products": (("wealth_products", "_amount"),),
    "securities": (("securities", "_amount"),),
    "vehicles": (("vehicles_count", "_n"), ("vehicles_value", "_amount")),
    "real_estate": (("real_estate_count", "_n"), ("real_estate_area", "_a")),
    "business": (("business_count", "_n"),),
    **{flag: ((f"{flag}_count", "_n"),) for flag in FLAG_COUNTS},
}


# Each kind of fact's sums per ID number, as ``totals_by_id`` gives them (one row per ID and kind).
TOTALS_BY_ID_SCHEMA = pa.schema([
    pa.field("id_number", pa.string()), pa.field("_source", pa.string()), pa.field("_category", pa.string()),
    pa.field("_amount", pa.float64()), pa.field("_n", pa.int64()), pa.field("_a", pa.float64()),
])


def households_expression(
    *, tables: dict[str, ibis.Table], persons: ibis.Table, on: dt.date, ids: list[str] | None = None
) -> ibis.Table:
    """One row per household of ``persons``: members and the totals (module doc), aggregated early
    and joined late: each source's rows are summed per ID number first (:func:`totals_wide_by_id`,
    only the columns a total needs), and only then joined to the persons and summed per household
    (:func:`households_from_totals`)."""
    return households_from_totals(persons=persons, totals=totals_wide_by_id(tables=tables, on=on, ids=ids))


# The household totals' per-ID columns, in ``_TOTALS``'s order (money as doubles, counts as integers).
_TOTAL_COLUMNS = tuple(column for columns in _TOTALS.values() for column, _value in columns)


def totals_wide_by_id(*, tables: dict[str, ibis.Table], on: dt.date, ids: list[str] | None = None) -> ibis.Table | None:
    """The household totals' sums per ID number, one row per ID number and a column per total
    (``_TOTAL_COLUMNS``, null where the ID has no such fact); None when no source is in force.

    The kinds of fact that cite the same rows (a deposit's balance and its wealth products, a
    payroll row's salary and its flag) are summed in one grouping; each grouping fills its own
    columns, the others null, and their union is summed per ID number: plain sums, where a pivot
    of one row per ID and kind (:func:`totals_by_id`) would test each row's kind for every column."""
    groups: list[tuple[ibis.Table, dict[str, Callable[[ibis.Table], ibis.Value]]]] = []
    parts = []
    for c in _citations(tables=tables, on=on, ids=ids):
        if c.category not in _TOTALS:
            continue
        if c.per_person is not None:
            agg = c.per_person
            parts.append(agg.select("id_number", **{column: agg[value] for column, value in _TOTALS[c.category]}))
            continue
        values = {
            "_amount": lambda t, c=c: c.amount(t) if c.amount else _NULL_FLOAT,
            "_n": lambda t, c=c: c.count(t) if c.count else ibis.literal(1),
            "_a": lambda t, c=c: c.area(t) if c.area else ibis.literal(0.0),
        }
        columns = {column: values[value] for column, value in _TOTALS[c.category]}
        same = next((g for g in groups if g[0].equals(c.table) and not g[1].keys() & columns.keys()), None)
        if same is None:
            groups.append((c.table, columns))
        else:
            same[1].update(columns)
    for t, columns in groups:
        rows = t.select("id_number", **{column: value(t).cast(_total_type(column)) for column, value in columns.items()})
        parts.append(rows.group_by("id_number").aggregate(**{column: rows[column].sum() for column in columns}))
    if not parts:
        return None
    typed = [
        part.select("id_number", **{
            column: (part[column] if column in part.columns else ibis.null()).cast(_total_type(column))
            for column in _TOTAL_COLUMNS
        })
        for part in parts
    ]
    union = ibis.union(*typed) if len(typed) > 1 else typed[0]
    return union.group_by("id_number").aggregate(**{column: union[column].sum() for column in _TOTAL_COLUMNS})


def _total_type(column: str) -> str:
    return "int64" if column.endswith("_count") else "float64"


def totals_by_id(*, tables: dict[str, ibis.Table], on: dt.date, ids: list[str] | None = None) -> ibis.Table | None:
    """The sums each kind of fact adds to the household totals, per ID number (``TOTALS_BY_ID_SCHEMA``:
    one row per ID number and kind of fact of ``tables``); None when no source is in force."""
    parts = []
    for c in _citations(tables=tables, on=on, ids=ids):
        if c.category not in _TOTALS:
            continue
        agg = c.per_person
        if agg is None:
            t = c.table
            t = t.select(
                "id_number",
                _amount=(c.amount(t) if c.amount else _NULL_FLOAT).cast("float64"),
                _n=(c.count(t) if c.count else ibis.literal(1)).cast("int64"),
                _a=(c.area(t) if c.area else ibis.literal(0.0)).cast("float64"),
            )
            agg = t.group_by("id_number").aggregate(_amount=t._amount.sum(), _n=t._n.sum(), _a=t._a.sum())
        parts.append(agg.select("id_number", _source=ibis.literal(c.source), _category=ibis.literal(c.category),
                                _amount=agg._amount.cast("float64"), _n=agg._n.cast("int64"),
                                _a=agg._a.cast("float64")))
    return (ibis.union(*parts) if len(parts) > 1 else parts[0]) if parts else None


def households_from_totals(*, persons: ibis.Table, totals: ibis.Table | None) -> ibis.Table:
    """One row per household of ``persons`` from the per-ID sums (:func:`totals_wide_by_id`), joined
    to the persons and summed per household; the four flags count distinct persons among the few
    flagged rows."""
    members = persons.group_by("household_id").aggregate(members=persons.person_id.nunique())
    if totals is not None:
        j = persons.join(totals, "id_number")
        money = [column for category, columns in _TOTALS.items() for column, value in columns
                 if category not in FLAG_COUNTS]
        per_household = j.group_by("household_id").aggregate(**{column: j[column].sum() for column in money})
        flags = [f"{flag}_count" for flag in FLAG_COUNTS]
        flagged = j.filter(ibis.or_(*(j[f].notnull() for f in flags)))
        counted = flagged.group_by("household_id").aggregate(
            **{f: flagged.person_id.nunique(where=flagged[f].notnull()) for f in flags})
        h = members.left_join(per_household, "household_id").drop("household_id_right")
        h = h.left_join(counted, "household_id").drop("household_id_right")
    else:
        h = members
    return _household_columns(h)


def households_from_facts(*, persons: ibis.Table, facts: ibis.Table) -> ibis.Table:
    """One row per household of ``persons`` from their facts with values (:func:`facts_expression`
    with ``values``), as :func:`households_expression` gives it: each total is its kinds of fact
    summed per household (the amounts; ``_n`` for counts, ``_a`` for the area), a flag the distinct
    persons among its few facts. The same sums as from the sources per ID number, added in
    another order (money is rounded to the fen after: ``_to_fen``).

    For a whole roll whose facts are computed anyway (bulk verification): the totals then read no
    source again, and their grouping is by the household's integer key, not the 64-character ID."""
    members = persons.group_by("household_id").aggregate(members=persons.person_id.nunique())
    summed = {column: (category, value) for category, columns in _TOTALS.items() if category not in FLAG_COUNTS
              for column, value in columns}
    value = {"_amount": facts.amount, "_n": facts._n, "_a": facts._a}
    per_household = facts.group_by("household_id").aggregate(**{
        column: value[v].sum(where=facts.category == category) for column, (category, v) in summed.items()})
    flagged = facts.filter(facts.category.isin(list(FLAG_COUNTS)))
    counted = flagged.group_by("household_id").aggregate(
        **{f"{flag}_count": flagged.person_id.nunique(where=flagged.category == flag) for flag in FLAG_COUNTS})
    h = members.left_join(per_household, "household_id").drop("household_id_right")
    h = h.left_join(counted, "household_id").drop("household_id_right")
    return _household_columns(h)


def _household_columns(h: ibis.Table) -> ibis.Table:
    """``HOUSEHOLD_COLUMNS`` from one row per household of its members and summed totals (null: none)."""
    sums: dict[str, ibis.Value] = {}
    zero = ibis.literal(0.0)
    for columns in _TOTALS.values():
        for column, _value in columns:
            present = column in h.columns
            if column.endswith("_count"):
                sums[column] = h[column].fill_null(0).cast("int64") if present else ibis.literal(0, type="int64")
            else:
                sums[column] = h[column].fill_null(0.0).cast("float64") if present else zero
    money = {c: v for c, v in sums.items() if not c.endswith("_count")}
    counts = {c: v for c, v in sums.items() if c.endswith("_count")}
    money["income_business_income"] = zero
    money["income_property_income"] = zero
    money["deduction_education"] = zero
    income_total = sum((money[f"income_{k}"] for k in INCOME_KINDS[1:]), money["income_wages"])
    deductions_total = money["deduction_medical"] + money["deduction_education"]
    per_head = ibis.greatest((income_total - deductions_total) / h.members, zero)
    return h.select(
        household_id=h.household_id,
        members=h.members.cast("int64"),
        **money,
        **counts,
        income_total=income_total,
        deductions_total=deductions_total,
        income_per_head=per_head,
    ).select(*HOUSEHOLD_COLUMNS)


# -- results in a stable shape -------------------------------------------------------------------


def _empty_facts() -> pa.Table:
    fields = [
        ("person_id", pa.int64()),
        ("household_id", pa.int64()),
        ("source", pa.string()),
        ("batch_id", pa.string()),
        ("row", pa.int64()),
        ("as_of", pa.date32()),
        ("kind", pa.string()),
        ("category", pa.string()),
        ("amount", pa.float64()),
        ("detail", pa.string()),
    ]
    return pa.schema(fields).empty_table()


FACTS_SCHEMA = _empty_facts().schema
# A fact as the bulk run writes it: the citation without the copy of the cited row.
FACTS_CITED_SCHEMA = pa.schema([f for f in FACTS_SCHEMA if f.name != "detail"])
# And what each adds to its household's totals besides its amount (``facts_expression``'s ``values``).
_FACTS_VALUED_SCHEMA = pa.schema([*FACTS_CITED_SCHEMA, pa.field("_n", pa.int64()), pa.field("_a", pa.float64())])
# Who a fact is about.
_WHO = ("person_id", "household_id")
# What a lookup reads of the index: the ID number, a cited fact's columns (``source`` first), a per-ID total's.
_LOOKUP_COLUMNS = ("id_number", *(n for n in FACTS_CITED_SCHEMA.names if n not in _WHO), "_category", *_VALUES)
_FACT_END = 1 + len(FACTS_CITED_SCHEMA) - len(_WHO)
_FACT_KEYS = tuple(FACTS_SCHEMA.names.index(c) for c in FACT_ORDER)
_BATCH, _ROW = FACTS_SCHEMA.names.index("batch_id"), FACTS_SCHEMA.names.index("row")


def _facts_final(facts: pa.Table, *, ordered: bool) -> pa.Table:
    """The facts in ``FACTS_SCHEMA``; in ``FACT_ORDER`` (DuckDB's ``ORDER BY`` keeps it in the
    result; a Spark collect need not, so that table is sorted here)."""
    facts = facts.select(list(FACT_COLUMNS)).cast(FACTS_SCHEMA)
    return facts if ordered else facts.sort_by([(c, "ascending") for c in FACT_ORDER])


def _to_fen(values: np.ndarray) -> np.ndarray:
    """Round half up to 0.01 as ``k / 100``: the same double whichever order the engine summed in
    (sums that differ in the last bit would otherwise round to different doubles)."""
    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5 + 1e-7) / 100


def _households_final(households: pa.Table) -> pa.Table:
    households = households.select(list(HOUSEHOLD_COLUMNS))
    columns = []
    for name in HOUSEHOLD_COLUMNS:
        col = households.column(name)
        if name in HOUSEHOLD_MONEY:
            col = pa.array(_to_fen(col.cast(pa.float64()).to_numpy(zero_copy_only=False)), pa.float64())
        else:
            col = col.cast(pa.int64())
        columns.append(col)
    return pa.table(columns, names=list(HOUSEHOLD_COLUMNS)).sort_by("household_id")


# -- reading facts back ---------------------------------------------------------------------------


_FACTS_DETAIL = "_verification_facts_detail"


def fact_detail(facts: pa.Table, key: str) -> pa.Array:
    """One field of every fact's ``detail`` (the cited row as JSON text), as text; null where the
    field is absent. Parsed by DuckDB in one pass rather than row by row, on the engine's own
    connection (a new in-memory database costs tens of milliseconds, more than a family's facts).
    Facts that carry the field as a column of its own (:func:`verify_facts`) give that column, as text."""
    if key in facts.column_names:
        return facts.column(key).cast(pa.string()).combine_chunks()
    path = "$." + key.replace('"', "")
    with engine_lock():  # reads the registered table only: no Parquet view to drop after it
        raw = connect("duckdb").con
        raw.register(_FACTS_DETAIL, facts.select(["detail"]))
        try:
            out = raw.sql(f"SELECT json_extract_string(detail, $path) FROM {_FACTS_DETAIL}",
                          params={"path": path}).to_arrow_table()
        finally:
            raw.unregister(_FACTS_DETAIL)
    return out.column(0).combine_chunks()


def certificate_grades(facts: pa.Table, fact_rows: np.ndarray, n: int) -> np.ndarray:
    """Per person row (``fact_rows[i]`` is fact ``i``'s person row, ``n`` rows): the most severe
    grade (1 most severe) among their valid disability certificates; 0 with none."""
    is_certificate = pc.equal(facts.column("category"), "disability").to_numpy(zero_copy_only=False)
    grades = fact_detail(facts.filter(is_certificate), "disability_grade").cast(pa.int64()).fill_null(0).to_numpy()
    rows = fact_rows[is_certificate][grades > 0]
    out = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(out, rows, grades[grades > 0])
    return np.where(out == np.iinfo(np.int64).max, 0, out)
