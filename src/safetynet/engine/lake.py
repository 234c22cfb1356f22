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
reads tables built once from such views and indexed on ``id_number``, kept in DuckDB files under
the lake that every worker attaches read-only (``index_database``): a lookup by a list of numbers
is then an index scan instead of a scan of a million rows. A file is named by what its tables were
built from (the SQL, the batch files, the date): when a new batch lands the next call builds a new
file, and no file is changed once written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
from django.conf import settings

from safetynet.engine.backend import connect, connect_apart, engine_lock, lookup_connection
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


# The index files this process has attached to its lookup connection: slot → (file, alias).
_attached: dict[str, tuple[Path, str]] = {}
# Index files kept per slot (the most recently used): a few dates and batch sets in use at once.
INDEX_FILES_KEPT = 3


def index_dir() -> Path:
    """Where the persistent indexes live: derived tables of the lake, beside its batches."""
    return Path(settings.LAKE_DIR) / "index"


def index_database(con: ibis.BaseBackend, *, slot: str, key: str, tables: dict[str, str],
                   views: tuple[str, ...] = (), wait: bool = True) -> str | None:
    """The alias of a read-only DuckDB database attached to the lookup connection
    (``lookup_connection``) that holds, as table ``name``, the rows of each ``tables[name]`` (SQL)
    with an index on ``id_number``.

    The database is a file under :func:`index_dir`, named by ``key`` (what its rows were computed
    from: a caller puts in the SQL itself and the files' identity), and shared by every process:
    the first that needs it builds it, once, under a lock of the ``slot`` held by one process at a
    time, into a file of its own renamed into place when complete, so a reader sees a whole index
    or none. A new key (a new batch, another date, other definitions) names a new file: an index
    is never rebuilt in place, so it is never read stale. None while another process builds this
    slot (the caller computes without the index rather than wait). The slot keeps its
    ``INDEX_FILES_KEPT`` most recently used files.

    With ``wait=False`` a missing file is not built in the caller's time (a request's: the build
    takes tens of seconds at a million persons) but by a thread of this process on a DuckDB
    connection of its own (:func:`index_build_start`; ``views``: the statements that create the
    views ``tables`` read), and the answer is None until it is there."""
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    folder = index_dir() / slot
    path = folder / f"{digest}.duckdb"
    held = _attached.get(slot)
    if held is not None and held[0] == path:
        return held[1]
    if not path.exists():
        if not wait:
            index_build_start(folder=folder, path=path, tables=tables, views=views)
            return None
        if not _index_build(con, folder=folder, path=path, tables=tables):
            return None
    alias = f"index_{slot}_{digest}"
    reader = lookup_connection()
    try:
        reader.execute(f"ATTACH IF NOT EXISTS {_quoted(path)} AS {alias} (READ_ONLY)")
    except duckdb.IOException:  # pruned by another process since: built again on the next call
        return None
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)  # used: kept by the pruning
    if held is not None:
        reader.execute(f"DETACH DATABASE IF EXISTS {held[1]}")
    _attached[slot] = (path, alias)
    return alias


# The index files being built by a thread of this process, and the lock of that map.
_building: dict[Path, threading.Thread] = {}
_building_lock = threading.Lock()


def index_build_start(*, folder: Path, path: Path, tables: dict[str, str], views: tuple[str, ...]) -> None:
    """Build the index file ``path`` (:func:`index_database`) in a thread of this process unless
    one is at it already; the thread's DuckDB connection is its own (``views`` first), so the
    requests go on on the shared ones meanwhile. Another process holding the slot's lock makes
    the thread end at once (that process builds it)."""
    with _building_lock:
        running = _building.get(path)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_index_build_apart, name=f"index-build-{path.stem}", daemon=True,
                                  kwargs={"folder": folder, "path": path, "tables": tables, "views": views})
        _building[path] = thread
        thread.start()


def index_builds_join(timeout: float | None = None) -> None:
    """Wait for the index builds this process started (a command that exits after asking; tests)."""
    with _building_lock:
        threads = list(_building.values())
    for thread in threads:
        thread.join(timeout)


def _index_build_apart(*, folder: Path, path: Path, tables: dict[str, str], views: tuple[str, ...]) -> None:
    con = connect_apart()
    try:
        for statement in views:
            con.raw_sql(statement)
        _index_build(con, folder=folder, path=path, tables=tables)
    finally:
        con.disconnect()


def _index_build(con: ibis.BaseBackend, *, folder: Path, path: Path, tables: dict[str, str]) -> bool:
    """Build the index file ``path`` unless another process holds the slot's lock (False)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if path.exists():  # built by another process since this one looked
            return True
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        try:
            con.raw_sql(f"ATTACH {_quoted(partial)} AS _index_build")
            try:
                # Not sorted by ID number: the index finds the rows either way, and sorting a million
                # persons' facts with their rows as JSON took 4.3 GB at the peak instead of 2.4.
                for name, sql in tables.items():
                    con.raw_sql(f'CREATE TABLE _index_build."{name}" AS SELECT * FROM ({sql})')
                    con.raw_sql(f'CREATE INDEX "{name}_id_number" ON _index_build."{name}" (id_number)')
                con.raw_sql("CHECKPOINT _index_build")
            finally:
                con.raw_sql("DETACH DATABASE _index_build")
            os.replace(partial, path)
        finally:  # what a failed build left
            partial.unlink(missing_ok=True)
            partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
        used = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in used[INDEX_FILES_KEPT:]:
            old.unlink(missing_ok=True)  # a process reading it keeps its open file
    return True


def _quoted(path: Path) -> str:
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
