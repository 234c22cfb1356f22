"""Ingestion (数据接入): validate a departmental file, quarantine bad rows, land the rest.

A batch lands atomically: its Parquet file is written beside its final name and moved into
place inside the transaction that records the batch, just before it commits. A crash before
that leaves the lake and the database as they were (at worst a stray ``.tmp`` or an unlisted
file that no batch names, which readers never see).
Re-sending the same bytes is a no-op. Nothing is dropped: ``received = accepted + quarantined``.

Within a batch, a row identical to an earlier one is quarantined as ``duplicate`` (counted once),
and rows with the same natural key (catalogue ``natural_key``) but other values are all
quarantined as ``conflict``, each naming the other: income is summed per person, so a copy would
count twice. An events batch also drops (as ``duplicate.previous``) rows already received in an
earlier batch of the source. Dates after the batch date are refused (``validation``).

A batch that accepts nothing, or a full extract that fails the check against the one it would
replace (:mod:`~safetynet.sources.supersession`), is **held**: in the lake but read by nobody and
replacing nothing until a data steward confirms (:func:`batch_confirm`) or rejects
(:func:`batch_reject`) it.

A row whose only fault is its ID number is linked to a registry person (``linkage``): with a
confident link it lands under the person's ID number, keeping what was sent in ``_linked_from``
and the probability in ``_match_probability`` (both null for rows matched directly); otherwise
it is quarantined as ``link.review`` and queued for a clerk (:class:`LinkReview`). A clerk's
confirmed link lands the row into its batch (a new file for the batch; the old one is kept).
"""

from __future__ import annotations

import datetime as dt
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
from safetynet.core.crypto import blind_index_sql
from safetynet.core.errors import NotFound, ValidationFailed
from safetynet.core.masking import mask_id_number
from safetynet.core.permissions import Action, require
from safetynet.registry.models import Person
from safetynet.sources import linkage, readers
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.errors import BatchNotHeld, FileRefused, LinkReviewAlreadyDecided, LinkReviewNotFound
from safetynet.sources.models import BatchStatus, LinkReview, LinkReviewStatus, QuarantinedRow, SourceBatch
from safetynet.sources.supersession import batch_stats, hold_reasons
from safetynet.sources.validation import reasons_sql, typed_expr, typed_sql

FORMATS = readers.FORMATS
#: DuckDB's memory for one ingestion; beyond it DuckDB spills to ``LAKE_DIR/tmp``.
DEFAULT_MEMORY_LIMIT = "512MB"


@dataclass(frozen=True)
class IngestResult:
    batch: SourceBatch
    duplicate: bool
    superseded: int = 0

    @property
    def held(self) -> bool:
        return self.batch.status == BatchStatus.HELD

    def as_dict(self) -> dict:
        b = self.batch
        return {
            "batch_id": b.batch_id,
            "source": b.source,
            "status": b.status,
            "held": b.status == BatchStatus.HELD,
            "hold_reasons": b.hold_reasons,
            "received": b.received,
            "accepted": b.accepted,
            "quarantined": b.quarantined,
            "duplicates": b.duplicates,
            "conflicts": b.conflicts,
            "extra_columns": b.extra_columns,
            "as_of": b.as_of.isoformat(),
            "duplicate": self.duplicate,
            "superseded": self.superseded,
            "lake_path": b.lake_path,
        }


def _batch_dir(source: Source) -> Path:
    d = Path(settings.LAKE_DIR) / "sources" / source.name
    d.mkdir(parents=True, exist_ok=True)
    return d


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_hashes(source: Source) -> str:
    """``_h`` (the whole row) and ``_k`` (its natural key), computed while the row is validated."""
    cols = ", ".join(f"trim({_ident(c.name)})" for c in source.columns)
    key = ", ".join(f"trim({_ident(c)})" for c in source.natural_key)
    return f"hash({cols}) AS _h, hash({key}) AS _k"


def _check_duplicates(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Mark, among the rows valid so far in ``checked``, copies (``duplicate``) and rows sharing a
    natural key with other values (``conflict``)."""
    key_titles = "、".join(source.column(c).title or c for c in source.natural_key)
    conflict_msg = (
        f"'conflict|与第' || (CASE WHEN k._row = k._first THEN k._last ELSE k._first END) || '行'"
        f" || (CASE WHEN k._n > 2 THEN '等' || (k._n - 1) || '行' ELSE '' END)"
        f" || '的{key_titles}相同但内容不同（冲突，均已隔离，请部门核实后重报）'"
    )
    # Hash joins and group-bys on one 64-bit hash each, not windows sorted by every column: at a
    # million rows this is ten times faster (a hash collision would quarantine a row, never lose it).
    con.execute(
        f"""CREATE TABLE dup_marks AS
        WITH valid AS (
            SELECT _row, _h, _k FROM checked WHERE len(_reasons) = 0
        ), firsts AS (
            SELECT _h, min(_row) AS _first FROM valid GROUP BY _h
        ), kept AS (
            SELECT v._row, v._k FROM valid v JOIN firsts f ON v._h = f._h AND v._row = f._first
        ), keys AS (
            SELECT _k, min(_row) AS _first, max(_row) AS _last, count(*) AS _n FROM kept GROUP BY _k HAVING count(*) > 1
        )
        SELECT v._row, 'duplicate|与第' || f._first || '行完全相同（重复行，只计一次）' AS _mark
        FROM valid v JOIN firsts f ON v._h = f._h AND v._row <> f._first
        UNION ALL
        SELECT k._row, {conflict_msg} FROM (SELECT kept._row, keys.* FROM kept JOIN keys USING (_k)) k
        """
    )
    con.execute("UPDATE checked SET _reasons = [d._mark] FROM dup_marks d WHERE checked._row = d._row")


def _check_resent_events(con: duckdb.DuckDBPyConnection, source: Source) -> None:
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
    names = ", ".join(_ident(c.name) for c in source.columns)
    typed = ", ".join(typed_expr(c) for c in source.columns)
    con.execute(f"CREATE TABLE seen AS SELECT DISTINCT hash({names}) AS h FROM read_parquet([{files}], union_by_name = true)")
    con.execute(
        f"UPDATE checked SET _reasons = ['duplicate.previous|与此前批次中已接收的一行完全相同（事件重复报送，只计一次）'] "
        f"WHERE len(_reasons) = 0 AND hash({typed}) IN (SELECT h FROM seen)"
    )


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
    readers.check_path(path)
    fmt = readers.file_format(path)
    text = fmt != "parquet"
    utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
    scanned = readers.scan(path, text=text, check_utf8=utf8, max_line_bytes=source.max_line_bytes)
    sha = scanned.sha256
    existing = SourceBatch.objects.filter(source=source.name, content_sha256=sha).first()
    if existing is not None:
        return IngestResult(existing, duplicate=True)

    work_dir = Path(settings.LAKE_DIR) / "tmp" / f"ingest-{sha[:16]}-{os.getpid()}"
    work_dir.mkdir(parents=True, exist_ok=True)
    work_path = path
    if text and not utf8:
        work_path = work_dir / f"{sha}.{fmt}"
        readers.transcode(path, encoding, work_path)
        scanned = readers.scan(work_path, text=True, check_utf8=True, max_line_bytes=source.max_line_bytes)
        scanned.sha256 = sha

    memory = getattr(settings, "SAFETYNET_INGEST_MEMORY", DEFAULT_MEMORY_LIMIT)
    con = readers.connect(work_dir, memory_limit=memory, progress=progress)
    final = tmp = extra_final = extra_tmp = None
    try:
        structural = readers.LOADERS[fmt](con, source, work_path, scanned, work_dir)
        batch_date = as_of or timezone.localdate()
        key_reasons = reasons_sql(source, only=source.person_key, batch_date=batch_date)
        con.execute(
            f"CREATE TABLE checked AS SELECT *, {reasons_sql(source, batch_date=batch_date)} AS _reasons, "
            f"len({key_reasons}) AS _key_faults, {_row_hashes(source)} FROM raw"
        )
        con.execute("DROP TABLE raw")
        _check_duplicates(con, source)
        if source.mode == "events":
            _check_resent_events(con, source)
        n_ok, n_bad, n_dup, n_conflict = con.execute(
            "SELECT count(*) FILTER (len(_reasons) = 0), count(*) FILTER (len(_reasons) > 0), "
            "count(*) FILTER (_reasons[1] LIKE 'duplicate%'), count(*) FILTER (_reasons[1] LIKE 'conflict|%') "
            "FROM checked"
        ).fetchone()
        links, link_model = _link_key_faulty_rows(con, source)
        n_linked = con.execute("SELECT count(*) FROM accepted_links").fetchone()[0]
        received = n_ok + n_bad + len(structural)
        if received == 0:
            raise FileRefused(_("文件没有数据行"), code="source.empty")
        if as_of is None:
            as_of = con.execute(
                f"SELECT max(TRY_CAST({_ident(source.as_of_column)} AS DATE)) FROM checked WHERE len(_reasons) = 0"
            ).fetchone()[0] or timezone.localdate()
        batch_id = f"{source.name}-{as_of:%Y%m%d}-{sha[:12]}"
        final = _batch_dir(source) / f"{batch_id}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        typed = ", ".join(typed_sql(c) for c in source.columns)
        key = _ident(source.person_key)
        con.execute(
            f"CREATE VIEW landing AS SELECT c.* REPLACE (coalesce(a.person_id_number, c.{key}) AS {key}), "
            f"CASE WHEN a._row IS NOT NULL THEN {blind_index_sql(f'c.{key}', 'id')} END AS _linked_from, a.match_probability AS _match_probability "
            "FROM checked c LEFT JOIN accepted_links a USING (_row) WHERE len(c._reasons) = 0 OR a._row IS NOT NULL"
        )
        con.execute(
            f"COPY (SELECT {readers._lit(batch_id)} AS _batch, _row, {typed}, _linked_from, _match_probability "
            f"FROM landing ORDER BY _row) TO {readers._lit(str(tmp))} (FORMAT parquet, COMPRESSION zstd)"
        )
        extra_columns = [r[0] for r in con.execute("DESCRIBE raw_extra").fetchall() if r[0] != "_row"]
        if extra_columns:
            extra_final = final.with_name(f"{batch_id}.extra.parquet")
            extra_tmp = extra_final.with_suffix(".parquet.tmp")
            con.execute(
                f"COPY (SELECT * FROM raw_extra ORDER BY _row) TO {readers._lit(str(extra_tmp))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        packed = ", ".join(f"{_ident(c.name)} := {_ident(c.name)}" for c in source.columns)
        bad_rows = (
            con.execute(
                f"SELECT _row, _reasons, to_json(struct_pack({packed})) FROM checked "
                "WHERE len(_reasons) > 0 AND _row NOT IN (SELECT _row FROM accepted_links) ORDER BY _row"
            ).fetchall()
            if n_bad
            else []
        )
        n_quarantined = n_bad - n_linked + len(structural)
        replaced = (
            SourceBatch.objects.filter(
                source=source.name, status=BatchStatus.LANDED, superseded_by__isnull=True, as_of__lte=as_of
            )
            .order_by("-as_of", "-created_at")
            .first()
        )
        replaced_path = Path(settings.LAKE_DIR) / replaced.lake_path if replaced else None
        held_because = hold_reasons(
            source=source,
            received=received,
            quarantined=n_quarantined,
            new=batch_stats(con, source, tmp),
            replaced=batch_stats(con, source, replaced_path) if replaced_path and replaced_path.is_file() else None,
            replaced_id=replaced.batch_id if replaced else None,
        )
    except BaseException:
        for p in (tmp, extra_tmp):
            if p is not None:
                p.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        readers.remove_work_dir(work_dir)

    quarantine = [_quarantine_row(row, reasons, raw, links.get(row)) for row, reasons, raw in bad_rows]
    reviews = [
        LinkReview(row_number=row, candidate_id=link["person_id"], probability=link["match_probability"])
        for row, link in links.items()
        if not link["accepted"]
    ]
    quarantine += [QuarantinedRow(row_number=s.row, reason_code=s.code, reason=s.message, raw=s.raw) for s in structural]
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
                quarantined=n_quarantined,
                duplicates=n_dup,
                conflicts=n_conflict,
                extra_columns=extra_columns,
                linkage_model=link_model,
                extra_path=str(extra_final.relative_to(settings.LAKE_DIR)) if extra_final else "",
                status=BatchStatus.HELD if held_because else BatchStatus.LANDED,
                hold_reasons=held_because,
                landed_at=None if held_because else timezone.now(),
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
            superseded = 0 if held_because else _supersede(batch, source)
            audit_record(
                actor=actor,
                action="source.ingest.held" if held_because else "source.ingest",
                target=batch,
                data={
                    **IngestResult(batch, False, superseded).as_dict(),
                    "linked": n_linked,
                    "link_review": len(reviews),
                },
            )
            if extra_tmp is not None:
                os.replace(extra_tmp, extra_final)
            os.replace(tmp, final)
    except BaseException:
        for p in (tmp, extra_tmp):
            if p is not None:
                p.unlink(missing_ok=True)
        raise
    return IngestResult(batch, duplicate=False, superseded=superseded)


def _supersede(batch: SourceBatch, source: Source) -> int:
    """A landed full extract replaces the landed ones in force at or before its date."""
    if source.mode != "snapshot":
        return 0
    return (
        SourceBatch.objects.filter(
            source=source.name, status=BatchStatus.LANDED, superseded_by__isnull=True, as_of__lte=batch.as_of
        )
        .exclude(pk=batch.pk)
        .update(superseded_by=batch)
    )


def _batch_lock(batch_id: str) -> SourceBatch:
    batch = SourceBatch.objects.select_for_update().filter(batch_id=batch_id).first()
    if batch is None:
        raise NotFound(_("未找到该数据批次"), code="source.batch_not_found", batch_id=batch_id)
    return batch


@transaction.atomic
def batch_confirm(*, batch_id: str, actor, note: str) -> SourceBatch:
    """A data steward confirms a held batch (确认生效): it lands and replaces what it would have."""
    require(actor, Action.SOURCES_BATCH_DECIDE)
    batch = _batch_lock(batch_id)
    if batch.status != BatchStatus.HELD:
        raise BatchNotHeld(_("该批次不在暂扣状态（%(s)s），无需确认") % {"s": batch.get_status_display()}, batch_id=batch_id)
    if not note.strip():
        raise ValidationFailed(_("确认暂扣批次须写明理由"), code="source.batch.note_required")
    batch.status = BatchStatus.LANDED
    batch.landed_at = timezone.now()
    batch.decided_by = actor
    batch.decided_at = batch.landed_at
    batch.decision_note = note.strip()
    batch.save(update_fields=["status", "landed_at", "decided_by", "decided_at", "decision_note", "updated_at"])
    superseded = _supersede(batch, source_get(batch.source))
    audit_record(
        actor=actor,
        action="source.batch.confirm",
        target=batch,
        data={"batch": batch.batch_id, "hold_reasons": batch.hold_reasons, "superseded": superseded, "note": note},
    )
    return batch


@transaction.atomic
def batch_reject(*, batch_id: str, actor, note: str) -> SourceBatch:
    """A data steward rejects a held batch (拒收): it stays on record, read by nobody."""
    require(actor, Action.SOURCES_BATCH_DECIDE)
    batch = _batch_lock(batch_id)
    if batch.status != BatchStatus.HELD:
        raise BatchNotHeld(_("该批次不在暂扣状态（%(s)s），不能拒收") % {"s": batch.get_status_display()}, batch_id=batch_id)
    batch.status = BatchStatus.REJECTED
    batch.decided_by = actor
    batch.decided_at = timezone.now()
    batch.decision_note = note.strip()
    batch.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_record(
        actor=actor,
        action="source.batch.reject",
        target=batch,
        data={"batch": batch.batch_id, "hold_reasons": batch.hold_reasons, "note": note},
    )
    return batch



def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quarantine_row(row: int, reasons: list[str], raw_json: str, link: dict | None) -> QuarantinedRow:
    codes, messages = zip(*(r.split("|", 1) for r in reasons), strict=True)
    code, reason = codes[0], "；".join(messages)
    if link is not None:
        code, reason = "link.review", reason + "；" + _link_review_reason(link)
    return QuarantinedRow(row_number=row, reason_code=code, reason=reason, raw=json.loads(raw_json))


def _link_key_faulty_rows(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[dict[int, dict], dict | None]:
    """Link the rows whose only fault is the person key with a model trained for the source on
    the batch's rows; leaves table ``accepted_links`` in ``con`` and returns every linked-or-reviewed
    row's result by row number, and the model used (None when no row needed linking)."""
    rows = pa.Table.from_pylist([], schema=linkage.RESULT_SCHEMA)
    model = None
    if source.column(source.person_key).type == "id_number":
        con.execute(
            "CREATE TABLE link_candidates AS "
            + linkage.candidates_sql(source, "checked")
            + " WHERE len(_reasons) > 0 AND len(_reasons) = _key_faults"
        )
        faulty = con.sql("SELECT * FROM link_candidates").to_arrow_table()
        if faulty.num_rows:
            training = con.sql(
                linkage.candidates_sql(source, "checked") + " WHERE len(_reasons) = _key_faults "
                f"USING SAMPLE {linkage.TRAINING_SAMPLE} ROWS (reservoir, {linkage.SEED})"
            ).to_arrow_table()
            model = linkage.train_model(training, cache_key=source.name)
            rows = linkage.link_rows(faulty, model=model)
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
    return results, model


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
    relanded = _reland(review) if review.status == LinkReviewStatus.CONFIRMED else None
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
            "relanded_to": relanded,
        },
    )
    return review


def _reland(review: LinkReview) -> str | None:
    """Land a confirmed row into its batch: a new file for the batch holds its rows and this one
    under the confirmed person's ID number (the old file stays as it was; the batch names the new
    one when the transaction commits). Returns the new lake path, or None if already landed."""
    batch = SourceBatch.objects.select_for_update().get(pk=review.batch_id)
    row = QuarantinedRow.objects.select_for_update().filter(batch=batch, row_number=review.row_number).first()
    if row is None or row.relanded_at is not None or not isinstance(row.raw, dict):
        return None
    source = source_get(batch.source)
    lake = Path(settings.LAKE_DIR)
    old = lake / batch.lake_path
    version = len(list(old.parent.glob(f"{batch.batch_id}*.parquet")))
    new = old.with_name(f"{batch.batch_id}.v{version + 1}.parquet")
    tmp = new.with_suffix(".parquet.tmp")
    key = source.person_key
    values = {c.name: (None if row.raw.get(c.name) is None else str(row.raw.get(c.name))) for c in source.columns}
    values[key] = review.candidate.id_number
    one = pa.table({c.name: pa.array([values[c.name]], pa.string()) for c in source.columns})
    con = duckdb.connect()
    try:
        con.register("relanded_raw", one)
        typed = ", ".join(typed_sql(c) for c in source.columns)
        sent = row.raw.get(key)
        con.execute(
            f"COPY (SELECT * FROM read_parquet({readers._lit(str(old))}) UNION ALL BY NAME "
            f"SELECT {readers._lit(batch.batch_id)} AS _batch, {int(row.row_number)}::BIGINT AS _row, {typed}, "
            f"{blind_index_sql(readers._lit(str(sent))) if sent is not None else 'NULL'}::VARCHAR AS _linked_from, "
            f"{float(review.probability) if review.probability is not None else 'NULL'}::DOUBLE AS _match_probability "
            f"FROM relanded_raw ORDER BY _row) TO {readers._lit(str(tmp))} (FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        con.close()
    row.relanded_at = timezone.now()
    row.save(update_fields=["relanded_at"])
    batch.lake_path = str(new.relative_to(lake))
    batch.accepted += 1
    batch.quarantined -= 1
    if batch.status == BatchStatus.LANDED:  # the monitoring run after this one looks at the batch again
        batch.landed_at = row.relanded_at
    batch.save(update_fields=["lake_path", "accepted", "quarantined", "landed_at", "updated_at"])
    os.replace(tmp, new)
    return batch.lake_path


def source_ingest_folder(*, folder: Path | str, actor=None, progress: bool = False) -> list[IngestResult]:
    """Ingest every file under ``folder/<source>/`` in name order (a drop folder, as departments'
    SFTP exchanges are laid out). Files already ingested are no-ops, so a rerun changes nothing."""
    folder = Path(folder)
    results = []
    for source_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(p for p in source_dir.iterdir() if p.suffix.lower() in FORMATS):
            results.append(source_ingest(source_name=source_dir.name, path=path, actor=actor, progress=progress))
    return results


def lake_pseudonymise(*, actor=None) -> dict[str, int]:
    """Rewrite landed batches written before the lake was pseudonymised: the person key and
    ``_linked_from`` as blind indexes, ``personal`` columns as keyed hashes (what ingestion now
    lands). A file already pseudonymised is left alone, so a rerun changes nothing. Returns the
    files rewritten per source; derived runs (verification, monitoring) are to be run again."""
    lake = Path(settings.LAKE_DIR)
    done: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for batch in SourceBatch.objects.exclude(lake_path="").order_by("pk"):
            source = source_get(batch.source)
            path = lake / batch.lake_path
            if not path.is_file():
                continue
            key = _ident(source.person_key)
            file = readers._lit(str(path))
            clear = con.execute(f"SELECT count(*) FROM read_parquet({file}) WHERE length({key}) <> 64").fetchone()[0]
            if not clear:
                continue
            replaced = [f"{blind_index_sql(_ident(c.name), 'id' if c.type == 'id_number' else 'personal')} AS {_ident(c.name)}"
                        for c in source.columns if c.type == "id_number" or c.personal]
            replaced.append(f"{blind_index_sql('_linked_from')} AS _linked_from")
            tmp = path.with_suffix(".parquet.tmp")
            con.execute(f"COPY (SELECT * REPLACE ({', '.join(replaced)}) FROM read_parquet({file}) ORDER BY _row) "
                        f"TO {readers._lit(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
            os.replace(tmp, path)
            done[source.name] = done.get(source.name, 0) + 1
    finally:
        con.close()
    audit_record(actor=actor, action="source.lake_pseudonymise", target_type="sources.lake", data={"files": done})
    return done
