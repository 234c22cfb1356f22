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

Split by concern: duplicates and conflicts in :mod:`~safetynet.sources.duplicates`, the steward's
decisions on held batches in :mod:`~safetynet.sources.stewardship`, linkage of key-faulty rows
and the clerical review in :mod:`~safetynet.sources.link_review`; this module reads, checks and
lands a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.crypto import blind_index_sql
from safetynet.sources import readers
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.duplicates import check_duplicates, check_resent_events, row_hashes_sql
from safetynet.sources.errors import FileRefused
from safetynet.sources.link_review import link_key_faulty_rows, link_review_reason
from safetynet.sources.models import BatchStatus, LinkReview, QuarantinedRow, SourceBatch
from safetynet.sources.stewardship import supersede
from safetynet.sources.supersession import BatchStats, batch_stats, hold_reasons
from safetynet.sources.validation import column_checks_sql, reasons_sql, typed_sql

FORMATS = readers.FORMATS
#: DuckDB's memory for one ingestion; beyond it DuckDB spills to ``LAKE_DIR/tmp``.
DEFAULT_MEMORY_LIMIT = "384MB"


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
        # The person key's checks once (the ID number's check digit is the costliest check):
        # in the row's reasons and counted on their own, for linkage.
        key_checks = column_checks_sql(source, source.person_key, batch_date)
        reasons = reasons_sql(source, batch_date=batch_date, computed={source.person_key: "_kc"})
        con.execute(
            f"CREATE TABLE checked AS SELECT * EXCLUDE (_kc), {reasons} AS _reasons, "
            f"len(list_filter(_kc, lambda x: x IS NOT NULL)) AS _key_faults, {row_hashes_sql(source)} "
            f"FROM (SELECT *, {key_checks} AS _kc FROM raw)"
        )
        con.execute("DROP TABLE raw")
        check_duplicates(con, source)
        if source.mode == "events":
            check_resent_events(con, source)
        n_ok, n_bad, n_dup, n_conflict = con.execute(
            "SELECT count(*) FILTER (len(_reasons) = 0), count(*) FILTER (len(_reasons) > 0), "
            "count(*) FILTER (_reasons[1] LIKE 'duplicate%'), count(*) FILTER (_reasons[1] LIKE 'conflict|%') "
            "FROM checked"
        ).fetchone()
        links, link_model = link_key_faulty_rows(con, source)
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
            f"FROM landing ORDER BY _row) TO {readers._lit(str(tmp))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
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
        compared = source.mode == "snapshot" and replaced_path is not None and replaced_path.is_file()
        # Only a full extract that would replace another is compared in full; otherwise the
        # accepted count is all the check reads.
        held_because = hold_reasons(
            source=source,
            received=received,
            quarantined=n_quarantined,
            new=batch_stats(con, source, tmp) if compared else BatchStats(n_ok + n_linked, 0, {}),
            replaced=batch_stats(con, source, replaced_path) if compared else None,
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
            superseded = 0 if held_because else supersede(batch, source)
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


def _quarantine_row(row: int, reasons: list[str], raw_json: str, link: dict | None) -> QuarantinedRow:
    codes, messages = zip(*(r.split("|", 1) for r in reasons), strict=True)
    code, reason = codes[0], "；".join(messages)
    if link is not None:
        code, reason = "link.review", reason + "；" + link_review_reason(link)
    return QuarantinedRow(row_number=row, reason_code=code, reason=reason, raw=json.loads(raw_json))


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
