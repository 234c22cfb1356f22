"""Ingestion (数据接入): validate a departmental file, quarantine bad rows, land the rest.

A batch lands atomically: its Parquet file is written beside its final name and moved into
place inside the transaction that records the batch, just before it commits. A crash before
that leaves the lake and the database as they were (at worst a stray ``.tmp`` or an unlisted
file that no batch names, which readers never see).
Re-sending the same bytes is a no-op. Nothing is dropped: ``received = accepted + quarantined``.

A row whose only fault is its ID number is linked to a registry person (``linkage``): with a
confident link it lands under the person's ID number, keeping what was sent in ``_linked_from``
and the probability in ``_match_probability`` (both null for rows matched directly); otherwise
it is quarantined as ``link.review`` and queued for a clerk (:class:`LinkReview`).
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
from safetynet.core.masking import mask_id_number
from safetynet.core.permissions import Action, require
from safetynet.registry.models import Person
from safetynet.sources import linkage
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.errors import FileRefused, LinkReviewAlreadyDecided, LinkReviewNotFound
from safetynet.sources.models import LinkReview, LinkReviewStatus, QuarantinedRow, SourceBatch
from safetynet.sources.validation import reasons_sql, typed_sql

#: Who works the clerical review queue of uncertain record links (人工核对).

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
    file_name: str | None = None,
) -> IngestResult:
    """Validate and land one file of ``source_name``; see the module docstring for guarantees.

    ``file_name`` is the name the sender gave the file when ``path`` is a temporary copy."""
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
        key_reasons = reasons_sql(source, only=source.person_key)
        con.execute(
            f"CREATE TABLE checked AS SELECT *, {reasons_sql(source)} AS _reasons, "
            f"len({key_reasons}) AS _key_faults FROM raw"
        )
        n_ok, n_bad = con.execute(
            "SELECT count(*) FILTER (len(_reasons) = 0), count(*) FILTER (len(_reasons) > 0) FROM checked"
        ).fetchone()
        links = _link_key_faulty_rows(con, source)
        n_linked = con.execute("SELECT count(*) FROM accepted_links").fetchone()[0]
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
        key = f'"{source.person_key}"'
        con.execute(
            f"CREATE VIEW landing AS SELECT c.* REPLACE (coalesce(a.person_id_number, c.{key}) AS {key}), "
            f"CASE WHEN a._row IS NOT NULL THEN c.{key} END AS _linked_from, a.match_probability AS _match_probability "
            "FROM checked c LEFT JOIN accepted_links a USING (_row) WHERE len(c._reasons) = 0 OR a._row IS NOT NULL"
        )
        con.execute(
            f"COPY (SELECT {_lit(batch_id)} AS _batch, _row, {typed}, _linked_from, _match_probability FROM landing "
            f"ORDER BY _row) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)"
        )
        packed = ", ".join(f'"{c.name}" := "{c.name}"' for c in source.columns)
        bad_rows = (
            con.execute(
                f"SELECT _row, _reasons, to_json(struct_pack({packed})) FROM checked "
                "WHERE len(_reasons) > 0 AND _row NOT IN (SELECT _row FROM accepted_links) ORDER BY _row"
            ).fetchall()
            if n_bad
            else []
        )
    finally:
        con.close()
        if transcoded is not None:
            transcoded.unlink(missing_ok=True)

    quarantine = [_quarantine_row(row, reasons, raw, links.get(row)) for row, reasons, raw in bad_rows]
    reviews = [
        LinkReview(row_number=row, candidate_id=link["person_id"], probability=link["match_probability"])
        for row, link in links.items()
        if not link["accepted"]
    ]
    quarantine += [
        QuarantinedRow(row_number=row, reason_code=reason.split("|", 1)[0], reason=reason.split("|", 1)[1], raw={"line": line})
        for row, reason, line in structural
    ]
    try:
        with transaction.atomic():
            batch = SourceBatch.objects.create(
                batch_id=batch_id,
                source=source.name,
                file_name=(file_name or path.name)[:255],
                file_format=fmt,
                content_sha256=sha,
                as_of=as_of,
                received=received,
                accepted=n_ok + n_linked,
                quarantined=n_bad - n_linked + len(structural),
                lake_path=str(final.relative_to(settings.LAKE_DIR)),
                submitted_by=actor if getattr(actor, "pk", None) else None,
                seconds=time.perf_counter() - started,
            )
            for q in quarantine:
                q.batch = batch
            QuarantinedRow.objects.bulk_create(quarantine, batch_size=5000)
            for r in reviews:
                r.batch = batch
            LinkReview.objects.bulk_create(reviews, batch_size=5000)
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
                data={
                    **IngestResult(batch, False).as_dict(),
                    "superseded": superseded,
                    "linked": n_linked,
                    "link_review": len(reviews),
                },
            )
            os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return IngestResult(batch, duplicate=False)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quarantine_row(row: int, reasons: list[str], raw_json: str, link: dict | None) -> QuarantinedRow:
    codes, messages = zip(*(r.split("|", 1) for r in reasons), strict=True)
    code, reason = codes[0], "；".join(messages)
    if link is not None:
        code, reason = "link.review", reason + "；" + _link_review_reason(link)
    return QuarantinedRow(row_number=row, reason_code=code, reason=reason, raw=json.loads(raw_json))


def _link_key_faulty_rows(con: duckdb.DuckDBPyConnection, source: Source) -> dict[int, dict]:
    """Link the rows whose only fault is the person key; leaves table ``accepted_links`` in
    ``con`` and returns every linked-or-reviewed row's result by row number."""
    rows = pa.Table.from_pylist([], schema=linkage.RESULT_SCHEMA)
    if source.column(source.person_key).type == "id_number":
        con.execute(
            "CREATE TABLE link_candidates AS "
            + linkage.candidates_sql(source, "checked")
            + " WHERE len(_reasons) > 0 AND len(_reasons) = _key_faults"
        )
        faulty = con.sql("SELECT * FROM link_candidates").to_arrow_table()
        if faulty.num_rows:
            rows = linkage.link_rows(faulty)
    threshold = linkage.link_threshold()
    results = {}
    for r in rows.to_pylist():
        r["accepted"] = linkage.accepted(r, threshold)
        r["threshold"] = threshold
        results[r["unique_id"]] = r
    accepted = pa.table(
        {
            "_row": pa.array([r for r, x in results.items() if x["accepted"]], pa.int64()),
            "person_id_number": pa.array([x["person_id_number"] for x in results.values() if x["accepted"]], pa.string()),
            "match_probability": pa.array([x["match_probability"] for x in results.values() if x["accepted"]], pa.float64()),
        }
    )
    con.register("accepted_links_arrow", accepted)
    con.execute("CREATE TABLE accepted_links AS SELECT * FROM accepted_links_arrow")
    return results


def _link_review_reason(link: dict) -> str:
    if link["person_id"] is None:
        return _("系统未找到可能对应的登记人员，待人工核对")
    who = f"{link['person_name']}({mask_id_number(link['person_id_number'])})"
    values = {"who": who, "p": link["match_probability"], "t": link["threshold"]}
    if link["match_probability"] >= link["threshold"]:
        return _("系统匹配到的最可能人员为 %(who)s 概率 %(p).2f，但另有人员概率 %(r).2f，无法确定，待人工核对") % {
            **values,
            "r": link["runner_up_probability"],
        }
    return _("系统匹配到的最可能人员为 %(who)s 概率 %(p).2f，低于阈值 %(t).2f，待人工核对") % values


@transaction.atomic
def link_review_decide(*, review_id: int, actor, person_id: int | None, note: str = "") -> LinkReview:
    """A clerk's decision on a queued link: ``person_id`` confirms that person (the proposed
    candidate or another one), ``None`` rejects the link."""
    require(actor, Action.SOURCES_LINK_REVIEW)
    review = LinkReview.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise LinkReviewNotFound(_("待核对记录不存在：%(id)s") % {"id": review_id}, review_id=review_id)
    if review.status != LinkReviewStatus.PENDING:
        raise LinkReviewAlreadyDecided(
            _("该记录已核对（%(s)s），不能重复核对") % {"s": review.get_status_display()}, review_id=review_id
        )
    proposed = review.candidate_id
    if person_id is not None:
        if not Person.objects.filter(pk=person_id).exists():
            raise LinkReviewNotFound(_("人员不存在：%(id)s") % {"id": person_id}, person_id=person_id)
        review.candidate_id = person_id
        review.status = LinkReviewStatus.CONFIRMED
    else:
        review.status = LinkReviewStatus.REJECTED
    review.decided_by = actor if getattr(actor, "pk", None) else None
    review.decided_at = timezone.now()
    review.note = note
    review.save(update_fields=["candidate", "status", "decided_by", "decided_at", "note", "updated_at"])
    audit_record(
        actor=actor,
        action=f"source.link_review.{review.status}",
        target=review,
        data={
            "batch": review.batch.batch_id,
            "row_number": review.row_number,
            "proposed_person_id": proposed,
            "person_id": review.candidate_id,
            "probability": review.probability,
            "note": note,
        },
    )
    return review


def source_ingest_folder(*, folder: Path | str, actor=None, progress: bool = False) -> list[IngestResult]:
    """Ingest every file under ``folder/<source>/`` in name order (a drop folder, as departments'
    SFTP exchanges are laid out). Files already ingested are no-ops, so a rerun changes nothing."""
    folder = Path(folder)
    results = []
    for source_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(p for p in source_dir.iterdir() if p.suffix.lower() in FORMATS):
            results.append(source_ingest(source_name=source_dir.name, path=path, actor=actor, progress=progress))
    return results
