"""Linking rows whose only fault is the person key, and the clerical review of the rest (人工核对).

During ingestion, :func:`link_key_faulty_rows` trains the source's model on the batch's rows and
links the key-faulty ones (:mod:`~safetynet.sources.linkage`); a confident link lands the row,
the rest are queued as :class:`LinkReview`. A clerk's confirmed link re-lands its row into its
batch (a new file for the batch; the old one is kept).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core.crypto import blind_index_sql
from safetynet.core.masking import mask_id_number
from safetynet.core.permissions import Action, require
from safetynet.registry.models import Person
from safetynet.sources import linkage, readers
from safetynet.sources.catalogue import Source, source_get
from safetynet.sources.errors import LinkReviewAlreadyDecided, LinkReviewNotFound
from safetynet.sources.models import BatchStatus, LinkReview, LinkReviewStatus, QuarantinedRow, SourceBatch
from safetynet.sources.validation import typed_sql


def link_key_faulty_rows(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[dict[int, dict], dict | None]:
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


def link_review_reason(link: dict) -> str:
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
