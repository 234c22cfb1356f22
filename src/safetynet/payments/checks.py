"""Pre-payment checks (发放前比对): the latest source facts about everyone in a paid household.

A line is held for review, not paid, when a current member of its household is, by the facts in
force on the roll's date: dead (公安/殡葬 death records, or a death date in the registry), serving
a sentence (司法 prison records: admitted and not released before the month began), or on the
public payroll (财政供养人员). Each hold carries its evidence: source, batch and row.

One engine expression (DuckDB by default) joins the members with the three sources' batches in
force; the same expression runs on Spark.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from safetynet.engine.backend import arrow_tables, connect, engine_lock
from safetynet.engine.lake import batches_in_force, source_table
from safetynet.sources.catalogue import catalogue

MEMBERS_SCHEMA = pa.schema([
    pa.field("household_id", pa.int64()),
    pa.field("person_id", pa.int64()),
    pa.field("id_number", pa.string()),
])
#: Priority when a household has several: the first reason found is the line's hold reason.
REASONS = ("deceased", "imprisoned", "public_payroll")
CHECK_SOURCES = ("hukou_deaths", "prison", "public_payroll")


def facts_expression(members: ibis.Table, tables: dict[str, ibis.Table], *, on: dt.date, month: dt.date) -> ibis.Table:
    """One row per (member, fact) that stops a payment: household_id, person_id, reason, source,
    batch, row, date."""
    on_lit = ibis.literal(on, type="date")
    month_lit = ibis.literal(month, type="date")

    def joined(table: ibis.Table, reason: str, source: str, date_col: str) -> ibis.Table:
        j = members.join(table, members.id_number == table.id_number)
        return j.select(
            household_id=j.household_id, person_id=j.person_id, reason=ibis.literal(reason),
            source=ibis.literal(source), batch=j._batch, row=j._row, date=j[date_col].cast("date"),
        )

    d = tables["hukou_deaths"]
    deaths = joined(d.filter(d.death_date <= on_lit), "deceased", "hukou_deaths", "death_date")
    p = tables["prison"]
    serving = p.filter((p.admitted_on <= on_lit) & (p.released_on.isnull() | (p.released_on >= month_lit)))
    prison = joined(serving, "imprisoned", "prison", "admitted_on")
    pp = tables["public_payroll"]
    payroll = joined(pp.filter(pp.since <= on_lit), "public_payroll", "public_payroll", "since")
    return deaths.union(prison).union(payroll)


def prepayment_facts(*, members: pa.Table, on: dt.date, month: dt.date, backend: str | None = None) -> pa.Table:
    """The stopping facts of ``members`` (``MEMBERS_SCHEMA``) in force on ``on``, sorted."""
    batches = batches_in_force(on=on, sources=CHECK_SOURCES)
    cat = catalogue()
    with engine_lock():
        con = connect(backend)
        with arrow_tables(con, members=members) as t:
            tables = {name: source_table(con, cat[name], batches[name]) for name in CHECK_SOURCES}
            expr = facts_expression(t["members"], tables, on=on, month=month)
            expr = expr.order_by(["household_id", "reason", "person_id", "source", "batch", "row"])
            return con.to_pyarrow(expr)


def holds_by_household(facts: pa.Table, registry_deaths: dict[int, tuple[int, dt.date]]) -> dict[int, tuple[str, list]]:
    """``{household_id: (reason, evidence)}`` from the source facts and the registry's own death
    dates (``{household_id: (person_id, death_date)}``)."""
    evidence: dict[int, list[dict]] = {}
    for row in facts.to_pylist():
        evidence.setdefault(row["household_id"], []).append({
            "reason": row["reason"], "person_id": row["person_id"], "source": row["source"],
            "batch": row["batch"], "row": row["row"], "date": row["date"].isoformat() if row["date"] else None,
        })
    for household_id, (person_id, death_date) in registry_deaths.items():
        evidence.setdefault(household_id, []).append({
            "reason": "deceased", "person_id": person_id, "source": "registry", "batch": "", "row": None,
            "date": death_date.isoformat(),
        })
    out: dict[int, tuple[str, list]] = {}
    for household_id, items in evidence.items():
        reasons = {e["reason"] for e in items}
        reason = next(r for r in REASONS if r in reasons)
        out[household_id] = (reason, items)
    return out
