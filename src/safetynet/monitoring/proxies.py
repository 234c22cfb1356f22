"""Hidden-income proxies per household, read from the lake: signs a home visit should look.

Two catalogue sources follow income that no extract reports (see ``demo.proxies`` for the demo's
version of them): ``land_contract`` (contracted arable land and its yearly subsidy, 农业农村局)
and ``electricity_use`` (average monthly consumption, 供电公司). They are never counted as income
(verification does not read them); the risk model reads them beside the indicator matrix.

Per household (row index of the part, as the engine's other inputs):

* ``land_area_mu``: contracted area summed over the members' records;
* ``land_subsidy_year``: the yearly 耕地地力保护补贴 paid on it;
* ``electricity_kwh``: average monthly consumption on the members' accounts (kWh);
* ``electricity_kwh_per_head``: that ÷ members^0.6 (consumption grows less than members do).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

import ibis
import numpy as np
import pyarrow as pa

from safetynet.engine.backend import arrow_tables, backend_name, connect, engine_lock
from safetynet.engine.lake import batches_in_force, parquet_view, source_table
from safetynet.sources.catalogue import catalogue

PROXY_SOURCES = ("land_contract", "electricity_use")
PROXY_MEASURES = ("land_area_mu", "land_subsidy_year", "electricity_kwh", "electricity_kwh_per_head")


def proxy_measures(*, id_numbers: pa.Array, person_hh: np.ndarray, members: np.ndarray, on: dt.date,
                   backend: str | None = None) -> dict[str, np.ndarray]:
    """The PROXY_MEASURES of each household (0 where no record), as float arrays of length H."""
    H = len(members)
    out = {m: np.zeros(H) for m in PROXY_MEASURES}
    known = set(catalogue())
    batches = {s: b for s, b in batches_in_force(on=on, sources=tuple(s for s in PROXY_SOURCES if s in known)).items()
               if b}
    if not batches:
        return out
    persons = pa.table({"id_number": id_numbers, "household_id": pa.array(person_hh, pa.int64())}, schema=_PERSONS_SCHEMA)
    name = backend_name(backend)
    with engine_lock():
        con = connect(name)
        if name == "duckdb":
            raw = con.con
            plans = {source: _plan(con, source, found) for source, found in batches.items()}
            raw.register(_PERSONS, persons)
            try:
                sums = {source: raw.sql(sql).to_arrow_table() for source, sql in plans.items()}
            finally:
                raw.unregister(_PERSONS)
        else:
            with arrow_tables(con, persons=persons) as t:
                sums = {source: con.to_pyarrow(_sums(con, source, found, t["persons"])) for source, found in batches.items()}
    if (land := sums.get("land_contract")) is not None:
        rows = land.column("household_id").to_numpy()
        out["land_area_mu"][rows] = land.column("area").to_numpy()
        out["land_subsidy_year"][rows] = land.column("subsidy").to_numpy()
    if (power := sums.get("electricity_use")) is not None:
        out["electricity_kwh"][power.column("household_id").to_numpy()] = power.column("kwh").to_numpy()
    out["electricity_kwh_per_head"] = out["electricity_kwh"] / np.maximum(members, 1) ** 0.6
    return out


def _sums(con, source: str, batches: tuple, persons: ibis.Table) -> ibis.Table:
    """One proxy source's sums per household of ``persons`` (id_number, household_id)."""
    j = source_table(con, catalogue()[source], batches).join(persons, "id_number")
    if source == "land_contract":
        return j.group_by("household_id").aggregate(
            area=j.contract_area_mu.cast("float64").sum(), subsidy=j.subsidy_amount.cast("float64").sum())
    return j.group_by("household_id").aggregate(kwh=j.monthly_kwh_12m.cast("float64").sum())


# On DuckDB each source's plan is compiled once per batch set (its view's name) and the SQL kept, as
# the indicator plan is: building and compiling it cost more than running it. The persons are a
# named table of the plan, registered for the call.
_PERSONS = "_proxy_persons"
_PERSONS_SCHEMA = pa.schema([pa.field("id_number", pa.string()), pa.field("household_id", pa.int64())])
_plans: OrderedDict[tuple[str, str], str] = OrderedDict()
_PLANS_KEPT = 8


def _plan(con, source: str, batches: tuple) -> str:
    key = (source, parquet_view(con, catalogue()[source], batches))
    sql = _plans.get(key)
    if sql is None:
        sql = _plans[key] = str(con.compile(_sums(con, source, batches, ibis.table(ibis.schema(_PERSONS_SCHEMA),
                                                                                    name=_PERSONS))))
        while len(_plans) > _PLANS_KEPT:
            _plans.popitem(last=False)
    return sql
