"""The engine's connection: sizes from settings, Parquet views released after each computation."""

import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.engine.backend import _duckdb, engine_settings, session


def test_duckdb_takes_its_sizes_from_settings(settings, tmp_path):
    # given explicit sizes
    settings.SAFETYNET_ENGINE_THREADS = 1
    settings.SAFETYNET_ENGINE_MEMORY_LIMIT = "1GB"
    settings.SAFETYNET_ENGINE_TEMP_DIR = tmp_path / "spill"
    # when a connection is opened
    con = _duckdb()
    # then DuckDB runs with them, and the spill folder exists
    values = dict(con.con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit', 'temp_directory')"
    ).fetchall())
    assert values["threads"] == "1"
    assert values["memory_limit"] in ("1.0 GiB", "953.6 MiB", "1.0 GB", "1GB")
    assert values["temp_directory"] == str(tmp_path / "spill") and (tmp_path / "spill").is_dir()
    assert engine_settings()["spark_master"]  # Spark is sized from the same settings


def test_a_session_drops_the_parquet_views_it_opened(tmp_path):
    # given a Parquet file and a view left by an earlier reader
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    with session("duckdb") as con:
        con.read_parquet(str(path))

    def views():
        rows = con.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND starts_with(view_name, 'ibis_read_parquet_')"
        ).fetchall()
        return {r[0] for r in rows}

    before = views()
    # when a computation reads the file three times
    with session("duckdb") as con:
        total = sum(con.to_pyarrow(con.read_parquet(str(path)).x.sum()).as_py() for _ in range(3))
        during = views()
    # then it computed, and no view it opened outlives it
    assert total == 18
    assert len(during - before) == 3
    assert views() == before
