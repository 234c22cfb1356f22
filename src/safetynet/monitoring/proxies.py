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

import numpy as np
import pyarrow as pa

from safetynet.engine.backend import arrow_tables, backend_name, connect, engine_lock
from safetynet.engine.lake import batches_in_force, source_table
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
    persons = pa.table({"id_number": id_numbers, "household_id": pa.array(person_hh, pa.int64())})
    name = backend_name(backend)
    with engine_lock():
        con = connect(name)
        with arrow_tables(con, persons=persons) as t:
            p = t["persons"]
            if "land_contract" in batches:
                land = source_table(con, catalogue()["land_contract"], batches["land_contract"])
                j = land.join(p, "id_number")
                sums = con.to_pyarrow(j.group_by("household_id").aggregate(
                    area=j.contract_area_mu.cast("float64").sum(), subsidy=j.subsidy_amount.cast("float64").sum()))
                rows = sums.column("household_id").to_numpy()
                out["land_area_mu"][rows] = sums.column("area").to_numpy()
                out["land_subsidy_year"][rows] = sums.column("subsidy").to_numpy()
            if "electricity_use" in batches:
                power = source_table(con, catalogue()["electricity_use"], batches["electricity_use"])
                j = power.join(p, "id_number")
                sums = con.to_pyarrow(j.group_by("household_id").aggregate(kwh=j.monthly_kwh_12m.cast("float64").sum()))
                rows = sums.column("household_id").to_numpy()
                out["electricity_kwh"][rows] = sums.column("kwh").to_numpy()
    out["electricity_kwh_per_head"] = out["electricity_kwh"] / np.maximum(members, 1) ** 0.6
    return out
