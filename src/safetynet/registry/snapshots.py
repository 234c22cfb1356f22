"""The roll kept in the lake while the registry has not changed (花名册快照).

Bulk verification and monitoring each read the roll (every current member of every household at
a date) from the store, a second or more at a million persons. What decides the roll is a few
columns of four tables: memberships, persons, households and regions. Database triggers on those
columns (migration ``registry.0004_roll_generation``) give the one row of
``registry_rollgeneration`` a new **generation** whenever any of them changes, however it is
written: a model's ``save``, ``bulk_create``, ``QuerySet.update``, a delete or raw SQL. Timestamps
would not do: ``bulk_create`` and ``update`` bypass ``updated_at`` and the signals.

The generation is a random 63-bit number, not a count: a database put back to an earlier state
(a restored backup, a rolled-back transaction) and changed again never reaches a generation a
snapshot was already written under, and every database starts at its own.

A snapshot is a Parquet file under ``LAKE_DIR/derived/roll/<name>/generation=<g>/``, named by the
date and the scope (region subtree, household id range). A reader reads the generation first,
then the store: a snapshot is thus never older than its generation. It is written beside its final
name and moved into place, so a reader sees a whole file or none, and writers racing on one name
each put a whole file there. Writing a generation's first snapshot removes the other generations'.

On SQLite the triggers set the generation at once (one writer at a time; a reader inside the
writing transaction sees its own new generation). On PostgreSQL the new generation is set when
the writing transaction commits (a deferred trigger, so concurrent writers do not hold the
generation row from their first write and cannot deadlock on it); until then a statement trigger
marks the transaction as having changed the roll, and its own reads bypass the snapshots.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection

GENERATION_TABLE = "registry_rollgeneration"
# A roll smaller than this is read from the store each time: it costs less than the file would.
SNAPSHOT_MIN_ROWS = 50_000
# Bumped when what a snapshot holds changes shape or meaning: files of another format are not read.
FORMAT = 1
_UNIQUE_TEXTS = ("id_number", "household_number")


def roll_generation() -> int | None:
    """The registry's current generation, or None when snapshots may not be used: the store has
    no generation row, or (PostgreSQL) this transaction changed the roll and has not committed."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"SELECT generation, current_setting('safetynet.roll_changed', true) FROM {GENERATION_TABLE}"
                        " WHERE id = 1")
        else:
            cur.execute(f"SELECT generation, NULL FROM {GENERATION_TABLE} WHERE id = 1")
        row = cur.fetchone()
    if row is None or row[1] == "on":
        return None
    return int(row[0])


def snapshot_scope(*, region_path: str | None, id_range: tuple[int, int] | None) -> dict:
    """The scope a snapshot is named by: the region subtree and the household id range (None: all)."""
    return {"region_path": region_path or None, "id_range": list(id_range) if id_range is not None else None}


def snapshot_dir() -> Path:
    return Path(settings.LAKE_DIR) / "derived" / "roll"


def roll_snapshot(*, name: str, on: dt.date, scope: dict, schema: pa.Schema, read: Callable[[], pa.Table],
                  sources: dict[str, Callable[[pa.Table], pa.Table]] | None = None) -> pa.Table:
    """The roll ``name`` at ``on`` in ``scope``: its snapshot at the registry's generation when
    there is one, else ``read()`` (from the store, one state of it), kept as the snapshot when
    large enough.
    ``sources`` names other snapshots of the same date and scope this table can be made from
    (a narrower roll from a wider one), tried in turn before the store."""
    generation = roll_generation()  # before the store's rows: a snapshot is never older than its name
    if generation is None:
        return read()
    for source, derive in [(name, None), *(sources or {}).items()]:
        found = _snapshot_read(_snapshot_path(source, generation, on, scope), scope)
        if found is not None:
            table = found if derive is None else derive(found)
            if table.schema.equals(schema):
                return table
    table = read()
    if table.num_rows >= SNAPSHOT_MIN_ROWS:
        _snapshot_write(table, path=_snapshot_path(name, generation, on, scope), scope=scope)
    return table


def _scope_key(scope: dict) -> str:
    return json.dumps(scope, sort_keys=True, ensure_ascii=False)


def _snapshot_path(name: str, generation: int, on: dt.date, scope: dict) -> Path:
    digest = hashlib.sha256(_scope_key(scope).encode()).hexdigest()[:24]
    return snapshot_dir() / f"{name}-v{FORMAT}" / f"generation={generation}" / f"{on.isoformat()}-{digest}.parquet"


def _snapshot_read(path: Path, scope: dict) -> pa.Table | None:
    try:
        table = pq.read_table(path)
    except FileNotFoundError:  # none yet, or removed with its generation since
        return None
    # The scope is written into the file: a digest's collision would not serve another region.
    if (table.schema.metadata or {}).get(b"safetynet.scope") != _scope_key(scope).encode():
        return None
    return table.replace_schema_metadata(None)


def _snapshot_write(table: pa.Table, *, path: Path, scope: dict) -> None:
    generations = path.parent.parent
    if not path.parent.exists():  # this generation's first: the earlier ones will not be read again
        for old in generations.glob("generation=*"):
            if old != path.parent:
                shutil.rmtree(old, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # Written for speed, read once or twice: no compression, no statistics, and dictionaries
        # only for the texts that repeat (an ID number or household number seldom does).
        texts = [f.name for f in table.schema if pa.types.is_string(f.type) and f.name not in _UNIQUE_TEXTS]
        pq.write_table(table.replace_schema_metadata({"safetynet.scope": _scope_key(scope)}), partial,
                       compression="none", use_dictionary=texts, write_statistics=False)
        os.replace(partial, path)
    except FileNotFoundError:  # another writer of a newer generation removed this one's folder
        partial.unlink(missing_ok=True)
