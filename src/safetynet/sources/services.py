"""Ingestion (数据接入): validate a departmental file, quarantine bad rows, land the rest.

A batch lands atomically: its Parquet file is written beside its final name and moved into
place inside the transaction that records the batch, just before it commits. A crash before
that leaves the lake and the database as they were (at worst a stray ``.tmp`` or an unlisted
file that no batch names, which readers never see).
Re-sending the same bytes is a no-op. Nothing is dropped: ``received = accepted + quarantined``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.errors import FileRefused
from safetynet.sources.models import QuarantinedRow, SourceBatch
from safetynet.sources.validation import reasons_sql, typed_sql

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
STRUCTURAL = "structure"


@dataclass(frozen=True)
class IngestResult:
    batch: SourceBatch
    duplicate: bool

    def as_dict(self) -> dict:
        b = self.batch
        return {
            "batch_id": b.batch_id,
            "source": b.source,
            "received": b.received,
            "accepted": b.accepted,
            "quarantined": b.quarantined,
            "as_of": b.as_of.isoformat(),
            "duplicate": self.duplicate,
            "lake_path": b.lake_path,
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRefused(
            _("不支持的文件格式 %(s)s：请提交 CSV、Parquet 或 JSON Lines 文件") % {"s": path.suffix or "(无扩展名)"},
            code="source.format",
        )
    return fmt


def _check_utf8(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                hint = ""
                try:
                    path.read_bytes().decode("gb18030")
                    hint = _("；该文件看来是GBK/GB18030编码，请转为UTF-8，或以 --encoding gb18030 重新提交")
                except UnicodeDecodeError:
                    pass
                raise FileRefused(
                    _("文件不是UTF-8编码：第 %(o)d 字节处无法解码%(hint)s") % {"o": offset + exc.start, "hint": hint},
                    code="source.encoding",
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRefused(_("文件不是UTF-8编码：结尾处字符不完整"), code="source.encoding") from None


def _missing_columns_error(source: Source, present: set[str]) -> None:
    missing = [c for c in source.required_columns if c not in present]
    if missing:
        raise FileRefused(
            _("文件缺少必需的列：%(cols)s") % {"cols": "、".join(missing)}, code="source.missing_columns", missing=missing
        )


def _load_csv(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> list[tuple[int, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise FileRefused(_("文件为空，没有表头"), code="source.empty")
    present = {h.strip() for h in header}
    _missing_columns_error(source, present)
    con.execute(
        "CREATE TABLE parsed AS SELECT * FROM read_csv(?, all_varchar = true, header = true, "
        "store_rejects = true, rejects_table = 'rejects', rejects_scan = 'reject_scans', "
        "auto_detect = true, delim = ',', quote = '\"', escape = '\"')",
        [str(path)],
    )
    rejects = con.execute(
        "SELECT line - 1 AS row_no, string_agg(DISTINCT error_type, '；'), any_value(csv_line) "
        "FROM rejects GROUP BY line ORDER BY line"
    ).fetchall()
    reject_rows = [r[0] for r in rejects]
    # Data rows that parsed keep file order; number them around the rejected lines.
    n_ok = con.execute("SELECT count(*) FROM parsed").fetchone()[0]
    con.execute(
        "CREATE TABLE ok_numbers AS SELECT row_no FROM range(1, ? + 1) t(row_no) "
        "WHERE row_no NOT IN (SELECT unnest(?::BIGINT[])) ORDER BY row_no",
        [n_ok + len(reject_rows), reject_rows],
    )
    cols = [c for c in source.columns if c.name in present]
    select = ", ".join(f'"{c.name}"' for c in cols) + "".join(
        f', NULL::VARCHAR AS "{c.name}"' for c in source.columns if c.name not in present
    )
    con.execute(
        f"CREATE TABLE raw AS SELECT n.row_no AS _row, {select} FROM "
        "(SELECT *, row_number() OVER () AS _i FROM parsed) p "
        "JOIN (SELECT row_no, row_number() OVER (ORDER BY row_no) AS _i FROM ok_numbers) n USING (_i)"
    )
    return [(row, f"{STRUCTURAL}|" + _("行结构错误（%(t)s）") % {"t": kinds}, line) for row, kinds, line in rejects]


def _load_parquet(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> list[tuple[int, str, str]]:
    try:
        present = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    except duckdb.Error as exc:
        raise FileRefused(
            _("Parquet 文件无法读取（不完整或已损坏）：%(e)s") % {"e": str(exc).splitlines()[0]}, code="source.corrupt"
        ) from None
    _missing_columns_error(source, present)
    select = ", ".join(
        f'CAST("{c.name}" AS VARCHAR) AS "{c.name}"' if c.name in present else f'NULL::VARCHAR AS "{c.name}"'
        for c in source.columns
    )
    try:
        con.execute(
            f"CREATE TABLE raw AS SELECT file_row_number + 1 AS _row, {select} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise FileRefused(
            _("Parquet 文件无法读取（不完整或已损坏）：%(e)s") % {"e": str(exc).splitlines()[0]}, code="source.corrupt"
        ) from None
    return []


def _load_jsonl(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> list[tuple[int, str, str]]:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise FileRefused(_("文件没有数据行"), code="source.empty")
    lines_table = pa.table({"_row": [n for n, _line in numbered], "line": [line for _n, line in numbered]})
    con.register("lines_arrow", lines_table)
    con.execute("CREATE TABLE lines AS SELECT *, CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END AS ok FROM lines_arrow")
    keys = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT unnest(json_keys(line)) FROM (SELECT line FROM lines WHERE ok LIMIT 1000)"
        ).fetchall()
    }
    _missing_columns_error(source, keys)
    select = ", ".join(f"line ->> {_json_path(c.name)} AS \"{c.name}\"" for c in source.columns)
    con.execute(f"CREATE TABLE raw AS SELECT _row, {select} FROM lines WHERE ok")
    bad = con.execute("SELECT _row, line FROM lines WHERE NOT ok ORDER BY _row").fetchall()
    return [(row, f"{STRUCTURAL}|" + _("不是有效的JSON对象"), line) for row, line in bad]


def _json_path(name: str) -> str:
    return "'$.\"" + name.replace("'", "''") + "\"'"


LOADERS = {"csv": _load_csv, "parquet": _load_parquet, "jsonl": _load_jsonl}


def _batch_dir(source: Source) -> Path:
    d = Path(settings.LAKE_DIR) / "sources" / source.name
    d.mkdir(parents=True, exist_ok=True)
    return d


def source_ingest(
    *,
    source_name: str,
    path: Path | str,
    actor=None,
    as_of: dt.date | None = None,
    encoding: str = "utf-8",
    progress: bool = False,
) -> IngestResult:
    """Validate and land one file of ``source_name``; see the module docstring for guarantees."""
    started = time.perf_counter()
    source = source_get(source_name)
    path = Path(path)
    if not path.is_file():
        raise FileRefused(_("文件不存在：%(p)s") % {"p": path}, code="source.file_missing")
    fmt = _file_format(path)
    sha = _sha256(path)
    existing = SourceBatch.objects.filter(source=source.name, content_sha256=sha).first()
    if existing is not None:
        return IngestResult(existing, duplicate=True)

    work_path = path
    transcoded: Path | None = None
    if fmt != "parquet":
        if encoding.lower().replace("-", "") not in ("utf8", "utf8sig"):
            transcoded = Path(settings.LAKE_DIR) / "tmp" / f"{sha}.{fmt}"
            transcoded.parent.mkdir(parents=True, exist_ok=True)
            try:
                transcoded.write_text(path.read_bytes().decode(encoding), encoding="utf-8")
            except (UnicodeDecodeError, LookupError) as exc:
                raise FileRefused(
                    _("无法按 %(enc)s 编码读取文件：%(e)s") % {"enc": encoding, "e": exc}, code="source.encoding"
                ) from None
            work_path = transcoded
        _check_utf8(work_path)

    con = duckdb.connect()
    try:
        con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        structural = LOADERS[fmt](con, source, work_path)
        con.execute(f"CREATE TABLE checked AS SELECT *, {reasons_sql(source)} AS _reasons FROM raw")
        n_ok, n_bad = con.execute(
            "SELECT count(*) FILTER (len(_reasons) = 0), count(*) FILTER (len(_reasons) > 0) FROM checked"
        ).fetchone()
        received = n_ok + n_bad + len(structural)
        if received == 0:
            raise FileRefused(_("文件没有数据行"), code="source.empty")
        if as_of is None:
            as_of = con.execute(
                f'SELECT max(TRY_CAST("{source.as_of_column}" AS DATE)) FROM checked WHERE len(_reasons) = 0'
            ).fetchone()[0] or timezone.localdate()
        batch_id = f"{source.name}-{as_of:%Y%m%d}-{sha[:12]}"
        final = _batch_dir(source) / f"{batch_id}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        typed = ", ".join(typed_sql(c) for c in source.columns)
        con.execute(
            f"COPY (SELECT {_lit(batch_id)} AS _batch, _row, {typed} FROM checked "
            f"WHERE len(_reasons) = 0 ORDER BY _row) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)"
        )
        packed = ", ".join(f'"{c.name}" := "{c.name}"' for c in source.columns)
        bad_rows = (
            con.execute(
                f"SELECT _row, _reasons, to_json(struct_pack({packed})) FROM checked "
                "WHERE len(_reasons) > 0 ORDER BY _row"
            ).fetchall()
            if n_bad
            else []
        )
    finally:
        con.close()
        if transcoded is not None:
            transcoded.unlink(missing_ok=True)

    quarantine = [_quarantine_row(row, reasons, raw) for row, reasons, raw in bad_rows]
    quarantine += [
        QuarantinedRow(row_number=row, reason_code=reason.split("|", 1)[0], reason=reason.split("|", 1)[1], raw={"line": line})
        for row, reason, line in structural
    ]
    try:
        with transaction.atomic():
            batch = SourceBatch.objects.create(
                batch_id=batch_id,
                source=source.name,
                file_name=path.name,
                file_format=fmt,
                content_sha256=sha,
                as_of=as_of,
                received=received,
                accepted=n_ok,
                quarantined=n_bad + len(structural),
                lake_path=str(final.relative_to(settings.LAKE_DIR)),
                submitted_by=actor if getattr(actor, "pk", None) else None,
                seconds=time.perf_counter() - started,
            )
            for q in quarantine:
                q.batch = batch
            QuarantinedRow.objects.bulk_create(quarantine, batch_size=5000)
            superseded = 0
            if source.mode == "snapshot":
                superseded = (
                    SourceBatch.objects.filter(source=source.name, superseded_by__isnull=True, as_of__lte=as_of)
                    .exclude(pk=batch.pk)
                    .update(superseded_by=batch)
                )
            audit_record(
                actor=actor,
                action="source.ingest",
                target=batch,
                data={**IngestResult(batch, False).as_dict(), "superseded": superseded},
            )
            os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return IngestResult(batch, duplicate=False)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quarantine_row(row: int, reasons: list[str], raw_json: str) -> QuarantinedRow:
    codes, messages = zip(*(r.split("|", 1) for r in reasons), strict=True)
    return QuarantinedRow(
        row_number=row, reason_code=codes[0], reason="；".join(messages), raw=json.loads(raw_json)
    )
