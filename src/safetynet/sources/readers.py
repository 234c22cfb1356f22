"""Reading a departmental file in bounded memory (读取): checks on the path, one streaming scan,
and a loader per format that leaves the rows as all-text tables in a DuckDB connection.

Memory never grows with the file: the scan reads 1 MiB at a time (content hash, UTF-8 check,
longest line); CSV and Parquet are read by DuckDB, which streams row groups and chunks and
spills to ``LAKE_DIR/tmp`` beyond its memory limit; JSON Lines are read a bounded line at a time.
A physical line longer than the source's ``max_line_bytes`` is a quarantined row (its first
bytes kept as evidence), never a crash; an over-long header line refuses the file.

Each loader creates ``raw`` (``_row`` and the declared columns, as text) and ``raw_extra``
(``_row`` and the columns the file had beyond the catalogue's) and returns the structural faults.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from django.utils.translation import gettext as _

from safetynet.sources.catalogue import Source
from safetynet.sources.errors import FileRefused

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK = 1 << 20
#: How much of an over-long line is kept in the quarantine as evidence.
EVIDENCE_CHARS = 200
#: Lines of a JSON Lines file handed to DuckDB at a time.
JSONL_BATCH = 100_000
#: Replaces an over-long CSV line in the working copy: one field, so DuckDB rejects it in place
#: and the rows after it keep their numbers.
_CSV_MARKER = b"\x01safetynet:line-too-long"


@dataclass
class Structural:
    row: int
    code: str
    message: str
    raw: dict


@dataclass
class Scan:
    sha256: str
    size: int
    #: Physical line number (1 = first line) → (length in bytes, first bytes) of each over-long line.
    long_lines: dict[int, tuple[int, bytes]] = field(default_factory=dict)


def check_path(path: Path) -> None:
    """Refuse what is not a readable file, each case with its own message."""
    if path.is_dir():
        raise FileRefused(
            _("这是一个目录，不是文件：%(p)s。请指定目录中的某个文件（整个目录请用 ingest_folder）") % {"p": path},
            code="source.is_directory",
        )
    if not path.exists():
        raise FileRefused(_("文件不存在：%(p)s") % {"p": path}, code="source.file_missing")
    if not path.is_file():
        raise FileRefused(_("不是普通文件（设备、管道或套接字）：%(p)s") % {"p": path}, code="source.not_a_file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise FileRefused(
            _("文件无法读取（%(e)s）：%(p)s。请检查文件权限") % {"e": exc.strerror or exc, "p": path},
            code="source.unreadable",
        ) from None


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRefused(
            _("不支持的文件格式 %(s)s：请提交 CSV、Parquet 或 JSON Lines 文件") % {"s": path.suffix or "(无扩展名)"},
            code="source.format",
        )
    return fmt


def scan(path: Path, *, text: bool, check_utf8: bool, max_line_bytes: int) -> Scan:
    """One pass over the bytes: hash, and for text files the UTF-8 check and over-long lines."""
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if text and check_utf8 else None
    out = Scan(sha256="", size=0)
    line_no, line_len, head = 1, 0, b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
            if decoder is not None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    _refuse_encoding(path, out.size + exc.start)
            if text and max_line_bytes >= len(chunk) and 0 <= chunk.find(b"\n") <= max_line_bytes - line_len:
                # No line inside this chunk can be over-long (none is longer than the chunk), and
                # the one it continues ends in time: count line breaks, split nothing.
                line_no += chunk.count(b"\n")
                line_len, head = len(chunk) - chunk.rfind(b"\n") - 1, b""
            elif text:
                pieces = chunk.split(b"\n")
                if line_len + len(pieces[0]) > max_line_bytes or max(map(len, pieces)) > max_line_bytes:
                    line_no, line_len, head = _long_lines(pieces, line_no, line_len, head, max_line_bytes, out)
                else:
                    line_no += len(pieces) - 1
                    line_len = len(pieces[-1]) if len(pieces) > 1 else line_len + len(pieces[0])
                    head = b""
            out.size += len(chunk)
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRefused(_("文件不是UTF-8编码：结尾处字符不完整"), code="source.encoding") from None
    if text and line_len > max_line_bytes:
        out.long_lines[line_no] = (line_len, head)
    out.sha256 = h.hexdigest()
    return out


def _long_lines(pieces, line_no, line_len, head, limit, out: Scan):
    """The slow path of :func:`scan` for a chunk that holds (part of) an over-long line."""
    for i, piece in enumerate(pieces):
        if len(head) < EVIDENCE_CHARS * 4:
            head += piece[: EVIDENCE_CHARS * 4 - len(head)]
        line_len += len(piece)
        if i < len(pieces) - 1:  # the line ends here
            if line_len > limit:
                out.long_lines[line_no] = (line_len, head)
            line_no, line_len, head = line_no + 1, 0, b""
    return line_no, line_len, head


def _refuse_encoding(path: Path, offset: int) -> None:
    hint = ""
    with path.open("rb") as fh:
        sample = fh.read(4 * CHUNK)
    try:
        sample.decode("gb18030")
        hint = _("；该文件看来是GBK/GB18030编码，请转为UTF-8，或以 --encoding gb18030 重新提交")
    except UnicodeDecodeError:
        pass
    raise FileRefused(
        _("文件不是UTF-8编码：第 %(o)d 字节处无法解码%(hint)s") % {"o": offset, "hint": hint}, code="source.encoding"
    )


def transcode(path: Path, encoding: str, target: Path) -> None:
    """Copy a text file in another encoding to UTF-8, a bounded piece at a time."""
    try:
        with path.open(encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
            for piece in iter(lambda: src.read(CHUNK), ""):
                dst.write(piece)
    except (UnicodeDecodeError, LookupError) as exc:
        target.unlink(missing_ok=True)
        raise FileRefused(_("无法按 %(enc)s 编码读取文件：%(e)s") % {"enc": encoding, "e": exc}, code="source.encoding") from None


def _evidence(length: int, head: bytes) -> dict:
    text = head.decode("utf-8", errors="replace")[:EVIDENCE_CHARS]
    return {"line": text + "…", "bytes": length}


def _too_long(row: int, length: int, head: bytes, limit: int) -> Structural:
    return Structural(
        row,
        "line.too_long",
        _("行过长：%(n)d 字节，超过本数据源的上限 %(m)d 字节（只保留了开头部分作为证据）") % {"n": length, "m": limit},
        _evidence(length, head),
    )


def _refuse_long_header(source: Source, scanned: Scan) -> None:
    if 1 in scanned.long_lines:
        length, _head = scanned.long_lines[1]
        raise FileRefused(
            _("第一行（表头）长 %(n)d 字节，超过上限 %(m)d 字节：文件可能没有换行符，或不是本数据源的文件")
            % {"n": length, "m": source.max_line_bytes},
            code="source.line_too_long",
            bytes=length,
        )


def _missing_columns_error(source: Source, present: set[str]) -> None:
    missing = [c for c in source.required_columns if c not in present]
    if missing:
        raise FileRefused(
            _("文件缺少必需的列：%(cols)s") % {"cols": "、".join(missing)}, code="source.missing_columns", missing=missing
        )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_header(path: Path, limit: int) -> list[str] | None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        line = fh.readline(limit + 1)
    return next(csv.reader([line]), None)


def _without_long_lines(path: Path, scanned: Scan, work_dir: Path) -> Path:
    """A working copy of a CSV file with each over-long line replaced by :data:`_CSV_MARKER`."""
    target = work_dir / f"{scanned.sha256}.lines.csv"
    line_no = 0
    with path.open("rb") as src, target.open("wb") as dst:
        while True:
            line = src.readline(CHUNK)
            if not line:
                break
            line_no += 1
            if line_no in scanned.long_lines:
                while line and not line.endswith(b"\n"):
                    line = src.readline(CHUNK)
                dst.write(_CSV_MARKER + b"\n")
                continue
            dst.write(line)
            while not line.endswith(b"\n"):  # a line longer than CHUNK but within the limit
                line = src.readline(CHUNK)
                if not line:
                    break
                dst.write(line)
    return target


def load_csv(con: duckdb.DuckDBPyConnection, source: Source, path: Path, scanned: Scan, work_dir: Path) -> list[Structural]:
    _refuse_long_header(source, scanned)
    header = _read_header(path, source.max_line_bytes)
    if not header or not any(h.strip() for h in header):
        raise FileRefused(_("文件为空，没有表头"), code="source.empty")
    present = [h.strip() for h in header]
    _missing_columns_error(source, set(present))
    work = _without_long_lines(path, scanned, work_dir) if scanned.long_lines else path
    try:
        con.execute(
            "CREATE TABLE parsed AS SELECT * FROM read_csv(?, all_varchar = true, header = true, "
            "store_rejects = true, rejects_table = 'rejects', rejects_scan = 'reject_scans', "
            "auto_detect = true, delim = ',', quote = '\"', escape = '\"', max_line_size = ?)",
            [str(work), source.max_line_bytes + 16],
        )
    except duckdb.Error as exc:
        raise FileRefused(
            _("CSV 文件无法解析：%(e)s") % {"e": str(exc).splitlines()[0][:300]}, code="source.unparseable"
        ) from None
    finally:
        if work != path:
            work.unlink(missing_ok=True)
    rejects = con.execute(
        "SELECT line - 1 AS row_no, string_agg(DISTINCT error_type, '；'), any_value(csv_line) "
        "FROM rejects GROUP BY line ORDER BY line"
    ).fetchall()
    reject_rows = [r[0] for r in rejects]
    n_ok = con.execute("SELECT count(*) FROM parsed").fetchone()[0]
    if reject_rows:
        con.execute(
            "CREATE TABLE ok_numbers AS SELECT row_no FROM range(1, ? + 1) t(row_no) "
            "WHERE row_no NOT IN (SELECT unnest(?::BIGINT[])) ORDER BY row_no",
            [n_ok + len(reject_rows), reject_rows],
        )
    parsed_cols = [r[0] for r in con.execute("DESCRIBE parsed").fetchall()]
    declared = {c.name for c in source.columns}
    select = ", ".join(
        f"{_ident(c.name)}" if c.name in parsed_cols else f"NULL::VARCHAR AS {_ident(c.name)}" for c in source.columns
    )
    extras = [c for c in parsed_cols if c.strip() not in declared and c.strip()]
    # Row numbers: with no rejected line, the table's own row id (in file order) is the row
    # number, and no window or join over the whole file is needed (it set the memory peak of a
    # 2 GB file); otherwise the n-th parsed row takes the n-th line number not rejected.
    numbered = (
        "(SELECT *, rowid + 1 AS row_no FROM parsed) n"
        if not reject_rows
        else "(SELECT *, row_number() OVER () AS _i FROM parsed) p "
        "JOIN (SELECT row_no, row_number() OVER (ORDER BY row_no) AS _i FROM ok_numbers) n USING (_i)"
    )
    con.execute(f"CREATE TABLE raw AS SELECT n.row_no AS _row, {select} FROM {numbered}")
    if extras:
        extra_select = "".join(f", {_ident(c)} AS {_ident(c.strip())}" for c in extras)
        con.execute(f"CREATE TABLE raw_extra AS SELECT n.row_no AS _row{extra_select} FROM {numbered}")
    else:
        con.execute("CREATE TABLE raw_extra (_row BIGINT)")
    con.execute("DROP TABLE parsed")
    out = []
    for row, kinds, line in rejects:
        physical = row + 1
        if physical in scanned.long_lines:
            length, head = scanned.long_lines[physical]
            out.append(_too_long(row, length, head, source.max_line_bytes))
        else:
            out.append(Structural(row, "structure", _("行结构错误（%(t)s）") % {"t": kinds}, {"line": line}))
    return out


def load_parquet(con: duckdb.DuckDBPyConnection, source: Source, path: Path, scanned: Scan, work_dir: Path) -> list[Structural]:
    def corrupt(exc: Exception) -> FileRefused:
        return FileRefused(
            _("Parquet 文件无法读取（不完整或已损坏）：%(e)s") % {"e": str(exc).splitlines()[0]}, code="source.corrupt"
        )

    try:
        present = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    except duckdb.Error as exc:
        raise corrupt(exc) from None
    _missing_columns_error(source, set(present))
    declared = {c.name for c in source.columns}
    select = ", ".join(
        f"CAST({_ident(c.name)} AS VARCHAR) AS {_ident(c.name)}" if c.name in present else f"NULL::VARCHAR AS {_ident(c.name)}"
        for c in source.columns
    )
    extras = [c for c in present if c not in declared and c != "file_row_number"]
    try:
        con.execute(
            f"CREATE TABLE raw AS SELECT file_row_number + 1 AS _row, {select} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
        extra_select = "".join(f", CAST({_ident(c)} AS VARCHAR) AS {_ident(c)}" for c in extras)
        con.execute(
            f"CREATE TABLE raw_extra AS SELECT file_row_number + 1 AS _row{extra_select} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise corrupt(exc) from None
    return []


def _jsonl_lines(path: Path, limit: int):
    """(line number, text) of each non-blank line, and the over-long lines as :class:`Structural`."""
    with path.open("rb") as fh:
        line_no = 0
        while True:
            line = fh.readline(limit + 1)
            if not line:
                return
            line_no += 1
            if len(line) > limit and not line.endswith(b"\n"):
                length, head = len(line), line[: EVIDENCE_CHARS * 4]
                while line and not line.endswith(b"\n"):
                    line = fh.readline(CHUNK)
                    length += len(line)
                yield line_no, _too_long(line_no, length - (1 if line.endswith(b"\n") else 0), head, limit)
                continue
            text = line.decode("utf-8")
            if line_no == 1:
                text = text.removeprefix("\ufeff")
            if text.strip():
                yield line_no, text.rstrip("\r\n")


def load_jsonl(con: duckdb.DuckDBPyConnection, source: Source, path: Path, scanned: Scan, work_dir: Path) -> list[Structural]:
    con.execute("CREATE TABLE lines (_row BIGINT, line VARCHAR)")
    structural: list[Structural] = []
    rows: list[int] = []
    texts: list[str] = []

    def flush() -> None:
        if rows:
            con.register("lines_chunk", pa.table({"_row": pa.array(rows, pa.int64()), "line": pa.array(texts, pa.string())}))
            con.execute("INSERT INTO lines SELECT * FROM lines_chunk")
            con.unregister("lines_chunk")
            rows.clear()
            texts.clear()

    for line_no, item in _jsonl_lines(path, source.max_line_bytes):
        if isinstance(item, Structural):
            structural.append(item)
            continue
        rows.append(line_no)
        texts.append(item)
        if len(rows) >= JSONL_BATCH:
            flush()
    flush()
    if not structural and not con.execute("SELECT count(*) FROM lines").fetchone()[0]:
        raise FileRefused(_("文件没有数据行"), code="source.empty")
    con.execute(
        "CREATE TABLE checked_lines AS SELECT *, "
        "CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END AS ok FROM lines"
    )
    con.execute("DROP TABLE lines")
    keys = {r[0] for r in con.execute("SELECT DISTINCT unnest(json_keys(line)) FROM checked_lines WHERE ok").fetchall()}
    if keys or structural == []:
        _missing_columns_error(source, keys)
    declared = {c.name for c in source.columns}
    extras = sorted(keys - declared)
    select = ", ".join(f"line ->> {_json_path(c.name)} AS {_ident(c.name)}" for c in source.columns)
    con.execute(f"CREATE TABLE raw AS SELECT _row, {select} FROM checked_lines WHERE ok")
    extra_select = "".join(f", line ->> {_json_path(c)} AS {_ident(c)}" for c in extras)
    con.execute(f"CREATE TABLE raw_extra AS SELECT _row{extra_select} FROM checked_lines WHERE ok")
    bad = con.execute("SELECT _row, line FROM checked_lines WHERE NOT ok ORDER BY _row").fetchall()
    structural += [Structural(row, "structure", _("不是有效的JSON对象"), {"line": line}) for row, line in bad]
    return sorted(structural, key=lambda s: s.row)


def _json_path(name: str) -> str:
    return "'$.\"" + name.replace("'", "''") + "\"'"


LOADERS = {"csv": load_csv, "parquet": load_parquet, "jsonl": load_jsonl}


def connect(work_dir: Path, *, memory_limit: str, progress: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that spills to ``work_dir`` beyond ``memory_limit``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(work_dir)})
    con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
    return con


def remove_work_dir(work_dir: Path) -> None:
    if work_dir.is_dir():
        for p in work_dir.iterdir():
            if p.is_file():
                p.unlink(missing_ok=True)
        try:
            os.rmdir(work_dir)
        except OSError:
            pass
