"""Bulk writes of the generated registry: raw SQL, no ``Model.save`` per row.

SQLite: ``executemany`` on the raw connection inside the caller's transaction (the PRAGMAs come
from settings). PostgreSQL: psycopg 3 ``COPY … FROM STDIN``. Primary keys are assigned here,
after the largest existing one, so the same seed gives the same rows; PostgreSQL's identity
sequences are moved past them afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import Max, Model
from tqdm import tqdm

from safetynet.demo.population import REFERENCE_DATE, Population
from safetynet.registry.models import Household, Membership, Person, SupportObligation

CHUNK = 50_000
# Every generated row is stamped with the reference date, not the clock, so content is reproducible.
STAMP_SQLITE = f"{REFERENCE_DATE.isoformat()} 00:00:00"
STAMP_PG = f"{REFERENCE_DATE.isoformat()} 08:00:00+08:00"


def next_id(model: type[Model]) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _stamp() -> str:
    return STAMP_PG if connection.vendor == "postgresql" else STAMP_SQLITE


def _dates(values: np.ndarray) -> list[str | None]:
    text = values.astype("datetime64[D]").astype(str)
    return [None if t == "NaT" else t for t in text.tolist()]


def copy_rows(
    *, model: type[Model], columns: Sequence[str], rows: Sequence[tuple], label: str, progress: bool
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``model``'s table."""
    table = model._meta.db_table
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    bar = tqdm(total=len(rows), desc=label, unit="rows", disable=not progress, leave=False)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                    for start in range(0, len(rows), CHUNK):
                        for row in rows[start : start + CHUNK]:
                            copy.write_row(row)
                        bar.update(min(CHUNK, len(rows) - start))
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {qn(table)}))", [table]
                )
        else:
            connection.ensure_connection()
            raw = connection.connection.cursor()
            # A large page cache for this connection: the unique and foreign-key indexes take
            # random inserts, and the 2 MB default makes SQLite re-read pages all the time.
            raw.execute("PRAGMA cache_size = -262144")
            sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join('?' * len(columns))})"
            for start in range(0, len(rows), CHUNK):
                raw.executemany(sql, rows[start : start + CHUNK])
                bar.update(min(CHUNK, len(rows) - start))
            raw.close()
    finally:
        bar.close()


def _field(model, name: str):
    return model._meta.get_field(name)


def write_registry(*, pop: Population, community_ids: np.ndarray, progress: bool) -> dict[str, int]:
    """Households, persons and memberships (current and historic). Returns row counts."""
    stamp = _stamp()
    hh_base, p_base, m_base = next_id(Household), next_id(Person), next_id(Membership)
    H, N = pop.n_households, pop.n_persons

    hh_ids = np.arange(hh_base, hh_base + H)
    rows = list(
        zip(
            hh_ids.tolist(), [stamp] * H, [stamp] * H, pop.hh_number.tolist(),
            community_ids[pop.hh_community].tolist(), _field(Household, "address").seal_many(pop.hh_address.tolist()),
            pop.hh_rural.tolist(),
            strict=True,
        )
    )
    copy_rows(
        model=Household, columns=("id", "created_at", "updated_at", "number", "region_id", "address", "rural"),
        rows=rows, label="家庭 households", progress=progress,
    )
    del rows

    p_ids = np.arange(p_base, p_base + N)
    health_code = pop.p_chronic.astype(np.int64) + 2 * pop.p_serious + 4 * pop.p_needs_care
    health_json = np.array(
        [
            json.dumps([c for bit, c in ((1, "chronic"), (2, "serious"), (4, "needs_care")) if code & bit])
            for code in range(8)
        ]
    )[health_code]
    grade = [g or None for g in pop.p_disability_grade.tolist()]
    residence = community_ids[pop.hh_community[pop.p_household]]
    # Stored as the model stores them: sealed, with their blind indexes (core.fields).
    id_field, phone_field = _field(Person, "id_number"), _field(Person, "phone")
    ids, phones = pop.p_id_number.tolist(), pop.p_phone.tolist()
    rows = list(
        zip(
            p_ids.tolist(), [stamp] * N, [stamp] * N, id_field.seal_many(ids), id_field.index_many(ids),
            pop.p_name.tolist(), pop.p_sex.tolist(), _dates(pop.p_birth), phone_field.seal_many(phones),
            phone_field.index_many(phones),
            community_ids[pop.p_hukou_community].tolist(), residence.tolist(), pop.p_disability.tolist(), grade,
            pop.p_labour.tolist(), health_json.tolist(), _dates(pop.p_death),
            strict=True,
        )
    )
    copy_rows(
        model=Person,
        columns=(
            "id", "created_at", "updated_at", "id_number", "id_number_index", "name", "sex", "birth_date", "phone",
            "phone_index", "hukou_region_id",
            "residence_region_id", "disability_category", "disability_grade", "labour_capacity",
            "health_conditions", "death_date",
        ),
        rows=rows, label="人员 persons", progress=progress,
    )
    del rows

    dead = ~np.isnat(pop.p_left)
    M_hist = pop.hist_person.size
    m_hh = np.concatenate([hh_ids[pop.p_household], hh_ids[pop.hist_household]])
    m_person = np.concatenate([p_ids, p_ids[pop.hist_person]])
    m_rel = np.concatenate([pop.p_relationship, np.full(M_hist, "child")])
    m_joined = _dates(np.concatenate([pop.p_joined, pop.hist_joined]))
    m_left = _dates(np.concatenate([pop.p_left, pop.hist_left]))
    reason = np.concatenate([np.where(dead, "死亡", ""), np.full(M_hist, "分户迁出")])
    M = m_hh.size
    rows = list(
        zip(
            np.arange(m_base, m_base + M).tolist(), [stamp] * M, [stamp] * M, m_hh.tolist(), m_person.tolist(),
            m_rel.tolist(), m_joined, m_left, reason.tolist(),
            strict=True,
        )
    )
    copy_rows(
        model=Membership,
        columns=(
            "id", "created_at", "updated_at", "household_id", "person_id", "relationship", "joined_on", "left_on",
            "leave_reason",
        ),
        rows=rows, label="成员关系 memberships", progress=progress,
    )
    supported, supporter = support_pairs(pop)
    S = supported.size
    rows = list(
        zip(
            np.arange(next_id(SupportObligation), next_id(SupportObligation) + S).tolist(), [stamp] * S, [stamp] * S,
            p_ids[supported].tolist(), p_ids[supporter].tolist(), ["child"] * S,
            strict=True,
        )
    )
    copy_rows(
        model=SupportObligation,
        columns=("id", "created_at", "updated_at", "person_id", "supporter_id", "relation"),
        rows=rows, label="赡养义务 support obligations", progress=progress,
    )
    return {
        "households": H, "persons": N, "memberships": M, "historic_memberships": M_hist, "support_obligations": S,
    }


def support_pairs(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """(supported, supporter) person rows: a grown child who left their parents' household (a
    historic membership) owes support (赡养) to the head of that household and to the head's
    spouse, whatever household the child lives in now."""
    head = np.full(pop.n_households, -1)
    spouse = np.full(pop.n_households, -1)
    rows = np.arange(pop.n_persons)
    head[pop.p_household[pop.p_relationship == "head"]] = rows[pop.p_relationship == "head"]
    spouse[pop.p_household[pop.p_relationship == "spouse"]] = rows[pop.p_relationship == "spouse"]
    supported = np.concatenate([head[pop.hist_household], spouse[pop.hist_household]])
    supporter = np.concatenate([pop.hist_person, pop.hist_person])
    keep = (supported >= 0) & (supported != supporter)
    pairs = np.unique(np.stack([supported[keep], supporter[keep]]), axis=1)
    return pairs[0], pairs[1]


def write_parquet(table: pa.Table, path: Path) -> None:
    """Deterministic bytes: no pandas metadata, no timestamps, fixed compression."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=3, row_group_size=1_000_000)
    tmp.replace(path)

