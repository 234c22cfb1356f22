"""Duplicates and conflicts within a batch, and events already received (重复与冲突).

Within a batch, a row identical to an earlier one is quarantined as ``duplicate`` (counted once),
and rows with the same natural key (catalogue ``natural_key``) but other values are all
quarantined as ``conflict``, each naming the other: income is summed per person, so a copy would
count twice. An events batch also drops (as ``duplicate.previous``) rows already received in an
earlier landed batch of the source. All of it is set-based in DuckDB over the ``checked`` table.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from django.conf import settings

from safetynet.sources import readers
from safetynet.sources.catalogue import Source
from safetynet.sources.models import BatchStatus, SourceBatch
from safetynet.sources.readers import _ident as ident
from safetynet.sources.validation import typed_expr


def row_hashes_sql(source: Source) -> str:
    """``_h`` (the whole row) and ``_k`` (its natural key), computed while the row is validated."""
    cols = ", ".join(f"trim({ident(c.name)})" for c in source.columns)
    key = ", ".join(f"trim({ident(c)})" for c in source.natural_key)
    return f"hash({cols}) AS _h, hash({key}) AS _k"


def check_duplicates(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Mark, among the rows valid so far in ``checked``, copies (``duplicate``) and rows sharing a
    natural key with other values (``conflict``)."""
    key_titles = "、".join(source.column(c).title or c for c in source.natural_key)
    conflict_msg = (
        f"'conflict|与第' || (CASE WHEN k._row = k._first THEN k._last ELSE k._first END) || '行'"
        f" || (CASE WHEN k._n > 2 THEN '等' || (k._n - 1) || '行' ELSE '' END)"
        f" || '的{key_titles}相同但内容不同（冲突，均已隔离，请部门核实后重报）'"
    )
    # Set-based on one 64-bit hash per row and one per key: two group-bys over the valid rows with
    # the cheapest aggregates, and joins only against the (usually empty) groups that repeat, so a
    # clean million-row batch costs two hash aggregates (a hash collision would quarantine a row,
    # never lose it).
    con.execute(
        f"""CREATE TABLE dup_marks AS
        WITH valid AS (
            SELECT _row, _h, _k FROM checked WHERE len(_reasons) = 0
        ), copies AS (
            SELECT _h, min(_row) AS _first FROM valid GROUP BY _h HAVING count(*) > 1
        ), copy_rows AS (
            SELECT v._row, c._first FROM valid v JOIN copies c ON v._h = c._h AND v._row <> c._first
        ), conflicting AS (
            SELECT _k FROM valid GROUP BY _k HAVING min(_h) <> max(_h)
        ), kept AS (
            SELECT v._row, v._k FROM valid v SEMI JOIN conflicting USING (_k)
            WHERE v._row NOT IN (SELECT _row FROM copy_rows)
        ), keys AS (
            SELECT _k, min(_row) AS _first, max(_row) AS _last, count(*) AS _n FROM kept GROUP BY _k
        )
        SELECT _row, 'duplicate|与第' || _first || '行完全相同（重复行，只计一次）' AS _mark FROM copy_rows
        UNION ALL
        SELECT k._row, {conflict_msg} FROM (SELECT kept._row, keys.* FROM kept JOIN keys USING (_k)) k
        """
    )
    con.execute("UPDATE checked SET _reasons = [d._mark] FROM dup_marks d WHERE checked._row = d._row")


def check_resent_events(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """In an events source, a row already received in a landed batch is not a new event."""
    earlier = [
        str(Path(settings.LAKE_DIR) / p)
        for p in SourceBatch.objects.filter(source=source.name, status=BatchStatus.LANDED).values_list(
            "lake_path", flat=True
        )
    ]
    earlier = [p for p in earlier if Path(p).is_file()]
    if not earlier:
        return
    files = ", ".join(readers._lit(p) for p in earlier)
    names = ", ".join(ident(c.name) for c in source.columns)
    typed = ", ".join(typed_expr(c) for c in source.columns)
    con.execute(f"CREATE TABLE seen AS SELECT DISTINCT hash({names}) AS h FROM read_parquet([{files}], union_by_name = true)")
    con.execute(
        f"UPDATE checked SET _reasons = ['duplicate.previous|与此前批次中已接收的一行完全相同（事件重复报送，只计一次）'] "
        f"WHERE len(_reasons) = 0 AND hash({typed}) IN (SELECT h FROM seen)"
    )
