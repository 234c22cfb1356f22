"""The lake's indexes for lookups of a few persons, and the batches' row stores.

A lookup of a few persons (one family's report) reads a table built once from the batches' views
(``lake.parquet_view``) and sorted by ``id_number``, kept in an Arrow file under the lake that
every worker memory-maps (``index_table``): a lookup by a list of numbers is then a binary search
instead of a scan of a million rows. A file is named by what its rows were built
from (the SQL, the batch files, the date): when a new batch lands the next call builds a new file,
and no file is changed once written.

What a lookup cites of a row (its declared columns as JSON, ``row_json_sql``) is not copied into
such a table: it is read by batch and row from the batch's row store (``rows_json``), one Arrow
file per batch file beside the indexes, built once (with the first index that reads the batch),
memory-mapped, in compressed chunks of a few rows found by ``_row``. The batch's Parquet file holds
the same rows, but in row groups of 120,000: reading three rows of it costs about 100 ms, the store
about a tenth of a millisecond. A store is kept while an index file kept reads its batch (each
index file lists the stores it reads, ``row_stores_prune``).
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pyarrow as pa
from django.conf import settings

from safetynet.engine.backend import connect_apart
from safetynet.engine.lake import LakeBatch, quoted_path
from safetynet.sources.catalogue import Source, catalogue

# The index files this process has open: slot → (file, its table, when it was last marked used).
_attached: dict[str, tuple[Path, IndexTable, float]] = {}
# Index files kept per slot (the most recently used): a few dates and batch sets in use at once.
INDEX_FILES_KEPT = 3


def index_dir() -> Path:
    """Where the persistent indexes live: derived tables of the lake, beside its batches."""
    return Path(settings.LAKE_DIR) / "index"


class IndexTable:
    """An index file's rows, sorted by ``id_number`` and memory-mapped: the rows of a few ID
    numbers are found by binary search (microseconds; a DuckDB index scan of the same rows cost
    1–3 ms, most of it loading and decompressing the blocks each row sits in)."""

    def __init__(self, path: Path):
        self.batches = [b for b in pa.ipc.open_file(pa.memory_map(str(path))).read_all().to_batches() if b.num_rows]
        self.firsts = [b.column(0)[0].as_py() for b in self.batches]
        self.names = self.batches[0].schema.names if self.batches else []

    def rows(self, ids: Sequence[str], columns: Sequence[str]) -> list[tuple]:
        """The rows of ``ids`` (in their order), each a tuple of ``columns``."""
        if not self.batches:
            return []
        at = [self.names.index(c) for c in columns]
        out: list[tuple] = []
        for number in ids:
            b = max(bisect.bisect_left(self.firsts, number) - 1, 0)
            while b < len(self.batches):
                batch = self.batches[b]
                keys = batch.column(0)
                lo = bisect.bisect_left(_Strings(keys), number)
                hi = bisect.bisect_right(_Strings(keys), number, lo)
                if hi > lo:
                    part = batch.slice(lo, hi - lo)
                    out.extend(zip(*(part.column(i).to_pylist() for i in at), strict=True))
                if hi < batch.num_rows:
                    break
                b += 1  # the ID's rows may go on in the next batch
        return out


class _Strings:
    """A string array as a sequence of Python strings, for :mod:`bisect`."""

    def __init__(self, array: pa.Array):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> str:
        return self.array[i].as_py()


def index_table(con: ibis.BaseBackend, *, slot: str, key: str, sql: str, views: tuple[str, ...] = (),
                cited: tuple[LakeBatch, ...] = (), wait: bool = True) -> IndexTable | None:
    """The rows of ``sql`` (a query with an ``id_number`` column first) sorted by ``id_number``, in
    an Arrow file memory-mapped by this process (:class:`IndexTable`).

    The file is under :func:`index_dir`, named by ``key`` (what its rows were computed from: a
    caller puts in the SQL itself and the files' identity), and shared by every process: the
    first that needs it builds it, once, under a lock of the ``slot`` held by one process at a
    time, into a file of its own renamed into place when complete, so a reader sees a whole index
    or none. A new key (a new batch, another date, other definitions) names a new file: an index
    is never rebuilt in place, so it is never read stale. None while another process builds this
    slot (the caller computes without the index rather than wait). The slot keeps its
    ``INDEX_FILES_KEPT`` most recently used files.

    With ``wait=False`` a missing file is not built in the caller's time (a request's: the build
    takes tens of seconds at a million persons) but by a thread of this process on a DuckDB
    connection of its own (:func:`index_build_start`; ``views``: the statements that create the
    views ``sql`` reads), and the answer is None until it is there.

    The row stores of the batches ``cited`` (:func:`rows_json`) are built with the file, before it
    is renamed into place: a lookup that finds the index finds its rows' stores too."""
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    folder = index_dir() / slot
    path = folder / f"{digest}.arrow"
    held = _attached.get(slot)
    if held is not None and held[0] == path:
        # In use here: marked used (a minute at most between marks), so the pruning keeps it; one
        # pruned all the same (the slot's other files were used since) is let go and built again.
        if time.monotonic() - held[2] < 60:
            return held[1]
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)
            _attached[slot] = (path, held[1], time.monotonic())
            return held[1]
        del _attached[slot]
    if not path.exists():
        if not wait:
            index_build_start(folder=folder, path=path, sql=sql, views=views, cited=cited)
            return None
        if not _index_build(con, folder=folder, path=path, sql=sql, cited=cited):
            return None
    try:
        table = IndexTable(path)
    except FileNotFoundError:  # pruned by another process since: built again on the next call
        return None
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)  # used: kept by the pruning
    _attached[slot] = (path, table, time.monotonic())
    return table


# The index files being built by a thread of this process, and the lock of that map.
_building: dict[Path, threading.Thread] = {}
_building_lock = threading.Lock()


def index_build_start(*, folder: Path, path: Path, sql: str, views: tuple[str, ...],
                      cited: tuple[LakeBatch, ...] = ()) -> None:
    """Build the index file ``path`` (:func:`index_table`) in a thread of this process unless
    one is at it already; the thread's DuckDB connection is its own (``views`` first), so the
    requests go on on the shared ones meanwhile. Another process holding the slot's lock makes
    the thread end at once (that process builds it)."""
    with _building_lock:
        running = _building.get(path)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_index_build_apart, name=f"index-build-{path.stem}", daemon=True,
                                  kwargs={"folder": folder, "path": path, "sql": sql, "views": views,
                                          "cited": cited})
        _building[path] = thread
        thread.start()


def index_builds_join(timeout: float | None = None) -> None:
    """Wait for the index builds this process started (a command that exits after asking; tests)."""
    with _building_lock:
        threads = list(_building.values())
    for thread in threads:
        thread.join(timeout)


def _index_build_apart(*, folder: Path, path: Path, sql: str, views: tuple[str, ...],
                       cited: tuple[LakeBatch, ...]) -> None:
    con = connect_apart()
    try:
        for statement in views:
            con.raw_sql(statement)
        _index_build(con, folder=folder, path=path, sql=sql, cited=cited)
    finally:
        con.disconnect()


def _index_build(con: ibis.BaseBackend, *, folder: Path, path: Path, sql: str,
                 cited: tuple[LakeBatch, ...] = ()) -> bool:
    """Build the index file ``path`` (and the row stores of ``cited``) unless another process
    holds the slot's lock (False). The file's list of the row stores it reads (``_reads_path``)
    is written first: while it is there, the pruning of the stores (:func:`row_stores_prune`)
    keeps them. The slot's files beyond the ``INDEX_FILES_KEPT`` most recently used are removed
    with their lists, then the stores none of the kept files reads."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if path.exists():  # built by another process since this one looked
            return True
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
        try:
            _reads_write(path, cited)
            _arrow_file_write(con.con.sql(f"SELECT * FROM ({sql}) ORDER BY id_number"), partial)
            for batch in cited:
                row_store_build(batch, con=con.con)
            os.replace(partial, path)
        finally:  # what a failed build left
            partial.unlink(missing_ok=True)
            if not path.exists():
                _reads_path(path).unlink(missing_ok=True)
        used = sorted(folder.glob("*.arrow"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [*used[INDEX_FILES_KEPT:], *folder.glob("*.duckdb")]:  # and the files of the DuckDB index before
            old.unlink(missing_ok=True)  # a process reading it keeps its mapped file
        kept = {p.stem for p in used[:INDEX_FILES_KEPT]}
        for reads in folder.glob(f"*{_READS}"):  # of the files removed, and of builds that failed
            if reads.name.removesuffix(_READS) not in kept:
                reads.unlink(missing_ok=True)
    row_stores_prune()
    return True


def _arrow_file_write(relation: duckdb.DuckDBPyRelation, path: Path) -> None:
    """A query's rows into an uncompressed Arrow file (read memory-mapped), a million rows at a time."""
    reader = relation.to_arrow_reader(1_000_000)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
        for chunk in reader:
            writer.write_batch(chunk)


# -- the cited rows: a row store per batch file ----------------------------------------------------


def row_json_sql(source: Source) -> str:
    """The SQL of a row's declared columns as a JSON object (text), as the engine writes a fact's
    ``detail`` (``verification.compute._cite``: the same struct of the same columns, cast the same
    way; their tests compare the two)."""
    members = ", ".join("'" + c.name.replace("'", "''") + "': " + f'"{c.name}"' for c in source.columns)
    return f"CAST(CAST({{{members}}} AS JSON) AS TEXT)"


def row_store_path(batch: LakeBatch) -> Path:
    """The row store of ``batch``'s file, named by the file and its size and time (a file rewritten
    in place, as ``lake-pseudonymise`` does, names a new store)."""
    return index_dir() / "rows" / batch.source / f"{_row_store_stem(batch.path)}.arrow"


def _row_store_stem(file: Path) -> str:
    """The name of the row store of the batch ``file`` as it is now (FileNotFoundError if gone)."""
    stat = file.stat()
    return f"{file.stem}-{stat.st_size}-{stat.st_mtime_ns}-{ROW_STORE_FORMAT}"


# The row stores' format: ZSTD-compressed record batches of ``ROW_STORE_CHUNK`` rows, the first
# ``_row`` of each in the schema's metadata (``firsts``): a lookup decompresses the chunks of the
# rows it reads, and nothing else. At a million persons the 18 stores take 236 MB instead of 1,062
# uncompressed (LZ4: 427), and a family's cited rows (ten, in five stores) are read in about
# 0.8 ms instead of 0.1 (LZ4: 0.3; chunks of 1,000 rows: 2.3 ms, the decompression of the
# chunk's other rows). Part of the stores' names: a store of another format is never read as this one.
ROW_STORE_FORMAT = "z1"
ROW_STORE_CHUNK = 128
ROW_STORE_COMPRESSION = "zstd"


def row_store_build(batch: LakeBatch, *, con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Build ``batch``'s row store unless it is there: ``_row`` and the row as JSON
    (:func:`row_json_sql`), in ``_row`` order (the batch file's), in the format above, written
    apart and renamed into place. Stores of files no longer in the lake, or rewritten since, are
    removed. ``con``: the DuckDB connection to read the batch with (a new one if None)."""
    path = row_store_path(batch)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        own = con is None
        con = duckdb.connect() if own else con
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
        try:
            rows = con.sql(f"SELECT _row, {row_json_sql(catalogue()[batch.source])} AS detail "
                           f"FROM read_parquet({quoted_path(batch.path)}) ORDER BY _row").to_arrow_table()
            _row_store_write(rows, partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
            if own:
                con.close()
        files = set()
        for file in batch.path.parent.glob("*.parquet"):
            with contextlib.suppress(FileNotFoundError):
                files.add(_row_store_stem(file))
        for old in path.parent.glob("*.arrow"):
            if old.stem not in files:
                old.unlink(missing_ok=True)
    return path


def _row_store_write(rows: pa.Table, path: Path) -> None:
    """``rows`` (``_row`` ascending, then the JSON) into a row store file ``path``."""
    firsts = rows.column(0).to_numpy()[::ROW_STORE_CHUNK].tolist()
    schema = rows.schema.with_metadata({"firsts": json.dumps(firsts)})
    options = pa.ipc.IpcWriteOptions(compression=ROW_STORE_COMPRESSION)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema, options=options) as writer:
        for start in range(0, rows.num_rows, ROW_STORE_CHUNK):
            writer.write_batch(rows.slice(start, ROW_STORE_CHUNK).combine_chunks().to_batches()[0])


# The row stores this process has open (memory-mapped): path → the first ``_row`` of each record
# batch of the file, the file's reader and the lock of its reads (one thread at a time).
_row_stores: OrderedDict[Path, tuple[list[int], pa.ipc.RecordBatchFileReader, threading.Lock]] = OrderedDict()
_row_stores_lock = threading.Lock()
ROW_STORES_OPEN = 64


def rows_json(batch: LakeBatch, rows: Sequence[int]) -> list[str | None]:
    """The rows of ``batch`` numbered ``rows`` (its ``_row``), each as its declared columns in JSON
    (:func:`row_json_sql`; None for a number the batch does not hold), read from the batch's row
    store: built first if it is not there (a lookup's index builds its batches' stores, but a
    store no kept index reads is pruned, :func:`row_stores_prune`, even while a process still reads
    that index: such a lookup builds the store again)."""
    path = row_store_path(batch)
    with _row_stores_lock:
        store = _row_stores.get(path)
        if store is not None:
            _row_stores.move_to_end(path)
    if store is None:
        store = _row_store_open(batch, path)
        with _row_stores_lock:
            _row_stores[path] = store
            while len(_row_stores) > ROW_STORES_OPEN:
                _row_stores.popitem(last=False)
    firsts, reader, reading = store
    chunks: dict[int, tuple[np.ndarray, pa.Array]] = {}
    out: list[str | None] = []
    for number in rows:
        chunk = bisect.bisect_right(firsts, number) - 1
        if chunk < 0:
            out.append(None)
            continue
        if chunk not in chunks:
            with reading:
                read = reader.get_batch(chunk)  # decompressed here, the chunk alone
            chunks[chunk] = (read.column(0).to_numpy(), read.column(1))
        numbers, details = chunks[chunk]
        at = int(np.searchsorted(numbers, number))
        out.append(details[at].as_py() if at < len(numbers) and numbers[at] == number else None)
    return out


def _row_store_open(batch: LakeBatch, path: Path) -> tuple[list[int], pa.ipc.RecordBatchFileReader, threading.Lock]:
    """The row store ``path`` of ``batch`` memory-mapped (built first if missing, or pruned meanwhile)."""
    for _attempt in range(3):
        try:
            # The mapping outlives a later unlink; a chunk is too small to decompress in threads.
            reader = pa.ipc.open_file(pa.memory_map(str(path)), options=pa.ipc.IpcReadOptions(use_threads=False))
        except FileNotFoundError:
            row_store_build(batch)
            continue
        return json.loads(reader.schema.metadata[b"firsts"]), reader, threading.Lock()
    raise FileNotFoundError(path)  # pruned three times over while being opened


# -- which row stores are kept -----------------------------------------------------------------------

# Beside each index file, the row stores it reads (their names under ``rows``) and their batch files.
_READS = ".reads.json"


def _reads_path(index_file: Path) -> Path:
    return index_file.with_name(f"{index_file.stem}{_READS}")


def _reads_write(index_file: Path, cited: tuple[LakeBatch, ...]) -> None:
    """Write the list of the row stores ``index_file`` reads, before the stores are built, under
    the lock of the pruning: a pruning either sees the list or ends before the stores are built."""
    reads = {str(row_store_path(b).relative_to(index_dir() / "rows")): str(b.path) for b in cited}
    partial = _reads_path(index_file).with_suffix(f".{os.getpid()}.partial")
    with _prune_lock():
        partial.write_text(json.dumps(reads, sort_keys=True))
        os.replace(partial, _reads_path(index_file))


@contextlib.contextmanager
def _prune_lock():
    rows = index_dir() / "rows"
    rows.mkdir(parents=True, exist_ok=True)
    with open(rows / ".prune.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def row_stores_prune() -> list[Path]:
    """Remove the row stores that no index file's list (``_READS``, of the files kept and of those
    being built) names, and those whose batch file is gone or rewritten since; the stores removed.
    An index file without a list (built before the lists were kept) keeps every store of a file
    still in the lake. A process that has a store open reads on (its mapping outlives the unlink);
    one that opens it afterwards builds it again (:func:`rows_json`)."""
    rows = index_dir() / "rows"
    removed = []
    with _prune_lock():
        read: dict[str, str] | None = {}
        for reads in index_dir().glob(f"*/*{_READS}"):
            with contextlib.suppress(FileNotFoundError):
                read.update(json.loads(reads.read_text()))
        if any(not _reads_path(f).exists() for f in index_dir().glob("*/*.arrow") if f.parent != rows):
            read = None
        for store in rows.glob("*/*.arrow"):
            name = str(store.relative_to(rows))
            if read is None:
                keep = True  # its batch file is checked when a store of its source is built
            else:
                file = read.get(name)
                try:
                    keep = file is not None and _row_store_stem(Path(file)) == store.stem
                except FileNotFoundError:
                    keep = False
            if not keep:
                store.unlink(missing_ok=True)
                removed.append(store)
    return removed
