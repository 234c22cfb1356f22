"""The lake as the engine sees it: the departmental batches in force at a date, as Ibis tables.

In force at date ``on`` (the platform's definition):

* a **snapshot** source (each batch a full extract): the latest batch with ``as_of <= on`` that
  was not superseded by another batch also in force at ``on`` (a batch superseded later, by an
  extract dated after ``on``, is still the truth *at* ``on``);
* an **events** source (deaths, hospital stays): every batch with ``as_of <= on``.

Only landed batches count: a held batch (it failed the supersession check, or accepted nothing)
or a rejected one is never read, and never replaced anything.

Every table keeps the lake's ``_batch`` and ``_row`` and gains ``_as_of`` (the batch's date), so a
derived value can cite the batch and row it came from. A source with no batch in force reads as
an empty table of the declared schema.

On DuckDB a whole-roll computation reads each source's files through a view named by its batch
set (``parquet_view``), so the compiled query can be kept and run again. A lookup of a few persons
reads an index built from such views (``safetynet.engine.index``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import ibis
import pyarrow as pa
from django.conf import settings

from safetynet.engine.backend import connect, engine_lock
from safetynet.sources.catalogue import Source, catalogue
from safetynet.sources.models import BatchStatus, SourceBatch

ARROW_TYPES = {
    "id_number": pa.string(),
    "string": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "decimal": pa.decimal128(18, 2),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class LakeBatch:
    source: str
    batch_id: str
    as_of: dt.date
    path: Path


def batches_in_force(*, on: dt.date, sources: tuple[str, ...] | None = None) -> dict[str, tuple[LakeBatch, ...]]:
    """For each source (all catalogue sources when ``sources`` is None), its batches in force at ``on``."""
    names = tuple(catalogue()) if sources is None else tuple(sources)
    rows = (
        SourceBatch.objects.filter(source__in=names, as_of__lte=on, status=BatchStatus.LANDED)
        .values_list("pk", "source", "batch_id", "as_of", "lake_path", "superseded_by__as_of")
        .order_by("source", "as_of", "pk")
    )
    candidates: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        candidates[row[1]].append(row)
    lake = Path(settings.LAKE_DIR)
    out: dict[str, tuple[LakeBatch, ...]] = {}
    for name in names:
        found = candidates.get(name, [])
        if catalogue()[name].mode == "snapshot":
            found = [r for r in found if r[5] is None or r[5] > on][-1:]
        out[name] = tuple(LakeBatch(name, r[2], r[3], lake / r[4]) for r in found)
    return out


def source_schema(source: Source) -> pa.Schema:
    """The landed schema: ``_batch``, ``_row`` and the declared columns, typed."""
    fields = [pa.field("_batch", pa.string()), pa.field("_row", pa.int64())]
    fields += [pa.field(c.name, ARROW_TYPES[c.type]) for c in source.columns]
    return pa.schema(fields)


def source_table(con: ibis.BaseBackend, source: Source, batches: tuple[LakeBatch, ...]) -> ibis.Table:
    """The rows of ``batches`` (all of one source) as one Ibis table on ``con``, with ``_as_of``."""
    if not batches:
        empty = source_schema(source).empty_table().append_column("_as_of", pa.array([], pa.date32()))
        return ibis.memtable(empty)
    paths = [str(b.path) for b in batches]
    if con.name == "duckdb":
        t = con.table(parquet_view(con, source, batches))
    else:  # Ibis's Spark reader takes one path (a list is read as a glob pattern)
        t = ibis.union(*(con.read_parquet(p) for p in paths)) if len(paths) > 1 else con.read_parquet(paths[0])
    if len(batches) == 1:
        as_of = ibis.literal(batches[0].as_of, type="date")
    else:
        as_of = ibis.cases(*((t._batch == b.batch_id, ibis.literal(b.as_of, type="date")) for b in batches))
    return t.mutate(_as_of=as_of)


def quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


_view_names: dict[tuple[int, str], str] = {}


def parquet_view_statement(source: Source, batches: tuple[LakeBatch, ...]) -> tuple[str, str]:
    """The name of :func:`parquet_view`'s view over ``batches`` and the statement that creates it."""
    key = "|".join(sorted(str(b.path) for b in batches))
    name = f"lake_files_{source.name}_{hashlib.sha1(key.encode()).hexdigest()[:16]}"
    paths = ", ".join("'" + str(b.path).replace("'", "''") + "'" for b in batches)
    return name, f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{paths}])"


def parquet_view(con: ibis.BaseBackend, source: Source, batches: tuple[LakeBatch, ...]) -> str:
    """The name of a DuckDB view over ``batches``' Parquet files, named by the batch set.

    A stable name lets a compiled query be kept and run again (Ibis's own ``read_parquet`` names
    each read afresh and never drops the view); the view of a superseded batch set is dropped
    when the next set is first read."""
    name, statement = parquet_view_statement(source, batches)
    slot = (id(con), source.name)
    old = _view_names.get(slot)
    if old == name:
        return name
    con.raw_sql(statement)
    if old is not None:
        con.raw_sql(f"DROP VIEW IF EXISTS {old}")
    _view_names[slot] = name
    return name


def id_numbers_changed(*, landed_after: dt.datetime | None, on: dt.date) -> tuple[set[str], list[str]]:
    """The ID numbers whose facts may differ because of the batches landed (``landed_at``: at
    ingestion, or when a held batch was confirmed) after ``landed_after``
    (with ``as_of <= on``), and those batches' ids.

    An events batch changes the facts of everyone in it. A snapshot batch changes the facts of
    the people whose rows differ from the batch it superseded (rows in one and not the other,
    compared on the declared columns), including people who dropped out of the new extract."""

    landed = SourceBatch.objects.filter(as_of__lte=on, status=BatchStatus.LANDED).order_by("landed_at", "pk")
    if landed_after is not None:
        landed = landed.filter(landed_at__gt=landed_after)
    lake = Path(settings.LAKE_DIR)
    ids: set[str] = set()
    with engine_lock():
        con = connect("duckdb")
        for batch in landed:
            source = catalogue()[batch.source]
            declared = [c.name for c in source.columns]
            new = con.read_parquet(str(lake / batch.lake_path)).select(declared)
            before = SourceBatch.objects.filter(superseded_by=batch).order_by("-as_of", "-pk").first()
            if source.mode == "snapshot" and before is not None:
                old = con.read_parquet(str(lake / before.lake_path)).select(declared)
                changed = new.difference(old).union(old.difference(new))
            else:
                changed = new
            ids.update(con.to_pyarrow(changed.select("id_number").distinct()).column(0).to_pylist())
    ids.discard(None)
    return ids, [b.batch_id for b in landed]
