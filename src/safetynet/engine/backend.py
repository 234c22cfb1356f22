"""Connecting to the engine's backend: DuckDB in-process (default) or Spark.

The choice comes from the ``name`` argument, else the ``SAFETYNET_ENGINE`` environment
variable, else ``duckdb``. One connection per backend is created per process (per worker) and
reused: the Spark session in particular is expensive to start (tens of seconds for the JVM).

Sizes are explicit, from settings (``SAFETYNET_ENGINE_THREADS``, ``SAFETYNET_ENGINE_MEMORY_LIMIT``,
``SAFETYNET_ENGINE_TEMP_DIR``; on Spark ``SAFETYNET_SPARK_MASTER``, ``SAFETYNET_SPARK_DRIVER_MEMORY``,
``SAFETYNET_SPARK_PARTITIONS``): DuckDB spills to the temporary folder instead of failing or
taking the machine, and two workers on one host do not each assume they own every core.

Ibis names every Parquet file it reads as a view (``ibis_read_parquet_*``) and never drops it;
:func:`session` drops the views a computation created when it ends, so a long-lived worker does
not collect thousands of them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator

import ibis
import pyarrow as pa
from django.conf import settings
from django.utils.translation import gettext as _

from safetynet.engine.errors import UnknownBackend

BACKENDS = ("duckdb", "spark")
DEFAULT = "duckdb"

_lock = threading.RLock()
_connections: dict[str, ibis.BaseBackend] = {}


def backend_name(name: str | None = None) -> str:
    """The backend to use: ``name`` if given, else ``$SAFETYNET_ENGINE``, else DuckDB."""
    chosen = (name or os.environ.get("SAFETYNET_ENGINE") or DEFAULT).strip().lower()
    if chosen not in BACKENDS:
        raise UnknownBackend(
            _("未知的计算引擎：%(name)s。可用：%(names)s") % {"name": chosen, "names": "、".join(BACKENDS)},
        )
    return chosen


def connect(name: str | None = None) -> ibis.BaseBackend:
    """The process's shared Ibis connection to the chosen backend (created on first use)."""
    chosen = backend_name(name)
    with _lock:
        con = _connections.get(chosen)
        if con is None:
            con = _duckdb() if chosen == "duckdb" else _spark()
            _connections[chosen] = con
        return con


def connect_apart() -> ibis.BaseBackend:
    """A new DuckDB connection of the engine's sizes, not shared and not under :func:`engine_lock`:
    for a long build that runs beside the requests (``index.index_build_start``). The caller
    disconnects it."""
    return _duckdb()


def engine_lock() -> threading.RLock:
    """Held while a computation runs: a DuckDB connection serves one query at a time."""
    return _lock


def engine_settings() -> dict:
    """The engine's sizes as configured (see the module docstring)."""
    return {
        "threads": int(settings.SAFETYNET_ENGINE_THREADS),
        "memory_limit": str(settings.SAFETYNET_ENGINE_MEMORY_LIMIT),
        "temp_directory": str(settings.SAFETYNET_ENGINE_TEMP_DIR),
        "spark_master": str(settings.SAFETYNET_SPARK_MASTER),
        "spark_driver_memory": str(settings.SAFETYNET_SPARK_DRIVER_MEMORY),
        "spark_partitions": int(settings.SAFETYNET_SPARK_PARTITIONS),
    }


def _duckdb() -> ibis.BaseBackend:
    sizes = engine_settings()
    os.makedirs(sizes["temp_directory"], exist_ok=True)
    con = ibis.duckdb.connect(
        threads=sizes["threads"], memory_limit=sizes["memory_limit"], temp_directory=sizes["temp_directory"],
    )
    con.raw_sql("SET enable_progress_bar = false")
    # Results are ordered where order matters (ORDER BY); insertion order need not be kept.
    con.raw_sql("SET preserve_insertion_order = false")
    return con


_READ_VIEW = "ibis_read_parquet_"


def _read_views(con: ibis.BaseBackend) -> set[str]:
    if con.name == "duckdb":
        rows = con.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND starts_with(view_name, ?)", [_READ_VIEW]
        ).fetchall()
        return {r[0] for r in rows}
    return {t.name for t in spark_session().catalog.listTables() if t.isTemporary and t.name.startswith(_READ_VIEW)}


@contextlib.contextmanager
def session(name: str | None = None) -> Iterator[ibis.BaseBackend]:
    """The shared connection, held for one computation; the Parquet views it opened are dropped
    at the end (those that existed before are left alone)."""
    with _lock:
        con = connect(name)
        before = _read_views(con)
        try:
            yield con
        finally:
            for view in _read_views(con) - before:
                if con.name == "duckdb":
                    con.con.execute(f'DROP VIEW IF EXISTS "{view}"')
                else:
                    spark_session().catalog.dropTempView(view)


def spark_session():
    """The one SparkSession of this process: quiet, UTC, few shuffle partitions (small jobs)."""
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from pyspark.sql import SparkSession

    sizes = engine_settings()
    os.makedirs(sizes["temp_directory"], exist_ok=True)
    spark = (
        SparkSession.builder.master(sizes["spark_master"])
        .appName("safetynet-engine")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(sizes["spark_partitions"]))
        .config("spark.default.parallelism", str(sizes["threads"]))
        .config("spark.local.dir", sizes["temp_directory"])
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # to_json keeps null fields, as DuckDB does: a fact's detail is the same on both.
        .config("spark.sql.jsonGenerator.ignoreNullFields", "false")
        .config("spark.driver.memory", sizes["spark_driver_memory"])
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark() -> ibis.BaseBackend:
    return ibis.pyspark.connect(spark_session())


@contextlib.contextmanager
def materialised(con: ibis.BaseBackend, expr: ibis.Table) -> Iterator[ibis.Table]:
    """``expr`` computed once and kept for the block (read by several queries), then released.

    DuckDB holds it as a temporary table (dropped by name: Ibis 12's own release emits an empty
    ``DROP`` under DuckDB 2); Spark caches the DataFrame behind a temporary view.
    """
    if con.name == "duckdb":
        name = f"_materialised_{uuid.uuid4().hex}"
        table = con.create_table(name, expr, temp=True)
        try:
            yield table
        finally:
            con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
    else:
        # Ibis's Spark cache compiles the query without registering in-memory tables first.
        con._run_pre_execute_hooks(expr)
        with expr.cache() as table:
            yield table


@contextlib.contextmanager
def arrow_tables(con: ibis.BaseBackend, **tables: pa.Table) -> Iterator[dict[str, ibis.Table]]:
    """Arrow tables as named tables of ``con`` for the block, released after it.

    ``ibis.memtable`` would do, but Ibis keeps a memtable registered (and its data alive) until the
    process exits: a worker that scores a city in parts would hold every part's facts at once.
    DuckDB reads the Arrow data in place; Spark gets temporary views.
    """
    names = {key: f"_arrow_{key}_{uuid.uuid4().hex}" for key in tables}
    if con.name == "duckdb":
        for key, table in tables.items():
            con.con.register(names[key], table)
        try:
            yield {key: con.table(name) for key, name in names.items()}
        finally:
            for name in names.values():
                con.con.unregister(name)
    else:
        spark = spark_session()
        for key, table in tables.items():
            spark.createDataFrame(table.to_pandas()).createOrReplaceTempView(names[key])
        try:
            yield {key: con.table(name) for key, name in names.items()}
        finally:
            for name in names.values():
                spark.catalog.dropTempView(name)
