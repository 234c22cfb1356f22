"""The registry as columns for batch jobs: every member at a date, one query, as Arrow.

Bulk verification, the rules' population and the monitoring run read the same table, so they
speak of the same people. The query is plain SQL through Django's connection (the ORM's
per-row converters cost more than the query at a million rows). PostgreSQL sends its result as
CSV (``COPY … TO STDOUT``), parsed by Arrow's CSV reader without a Python object per value.
SQLite's rows are turned into Arrow a slice at a time (``_FETCH``) with the garbage collector
paused: a million rows held as Python tuples at once cost a gigabyte, and the collections they
set off walk the whole heap for nothing (building the CSV text in SQLite instead costs more than
the tuples do). ``health_conditions`` (a JSON list) is read as text and parsed once per distinct
value.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.db import connection
from django.db.models import Max, Min, Q

from safetynet.regions.models import Region
from safetynet.registry.models import Household, Membership, Person, SupportObligation

MEMBERS_SCHEMA = pa.schema([
    pa.field("household_id", pa.int64()),
    pa.field("person_id", pa.int64()),
    pa.field("id_number", pa.string()),
    pa.field("household_number", pa.string()),
    pa.field("region_code", pa.string()),
    pa.field("rural", pa.bool_()),
    pa.field("relationship", pa.string()),
    pa.field("joined_on", pa.date32()),
    pa.field("left_on", pa.date32()),
    pa.field("birth_date", pa.date32()),
    pa.field("disability_grade", pa.int64()),  # 0: none recorded
    pa.field("disability_category", pa.string()),
    pa.field("labour_capacity", pa.string()),
    pa.field("serious_illness", pa.bool_()),
    pa.field("chronic_illness", pa.bool_()),
    pa.field("needs_care", pa.bool_()),
    pa.field("death_date", pa.date32()),  # null: alive (the rules' implicit leave date)
])
# Up to this many household ids per query (SQLite's limit on bound parameters is 32,766).
_CHUNK = 10_000


def members_at(
    *, on: dt.date, region_path: str | None = None, household_ids: Iterable[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> pa.Table:
    """Members on ``on`` (joined on or before, not left by then) of every household, or of those in
    the region subtree ``region_path`` / among ``household_ids`` / with an id in ``id_range``
    (inclusive); ordered by household, person."""
    scope = {"region_path": region_path, "id_range": id_range}
    if household_ids is not None:
        ids = sorted(set(int(h) for h in household_ids))
        chunks = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
        parts = [_query(on=on, household_ids=chunk, **scope) for chunk in chunks]
        households = [_households(household_ids=chunk, **scope) for chunk in chunks]
    else:
        parts = [_query(on=on, household_ids=None, **scope)]
        households = [_households(household_ids=None, **scope)]
    return _table(pa.concat_tables([_RAW.empty_table(), *parts]),
                  pa.concat_tables([_HOUSEHOLDS.empty_table(), *households]))


def household_id_bounds() -> tuple[int, int]:
    """The lowest and highest household id ((0, -1) with none): the ranges a batch job walks."""
    bounds = Household.objects.aggregate(low=Min("id"), high=Max("id"))
    return (bounds["low"], bounds["high"]) if bounds["low"] is not None else (0, -1)


# The query's columns as read: dates as days since 1970, booleans as integers, the health list as JSON text.
# What is the household's (its number, region, rural) is read once per household (``_HOUSEHOLDS``),
# not once per member: a third of the values to turn into Python objects and back.
_RAW = pa.schema([
    *(MEMBERS_SCHEMA.field(c) for c in ("household_id", "person_id", "id_number")),
    pa.field("relationship", pa.string()), pa.field("joined_on", pa.int32()),
    pa.field("left_on", pa.int32()), pa.field("birth_date", pa.int32()), pa.field("disability_grade", pa.int64()),
    pa.field("disability_category", pa.string()), pa.field("labour_capacity", pa.string()),
    pa.field("health_conditions", pa.string()), pa.field("death_date", pa.int32()),
])
_HOUSEHOLDS = pa.schema([
    pa.field("household_id", pa.int64()), MEMBERS_SCHEMA.field("household_number"), MEMBERS_SCHEMA.field("region_code"),
    pa.field("rural", pa.int64()),
])
_FETCH = 20_000  # rows turned into Arrow at a time


def _scope(*, region_path: str | None, household_ids: list[int] | None, id_range: tuple[int, int] | None,
           household: str) -> tuple[str, list]:
    """The SQL conditions (each after AND) and parameters of a scope, on the household id column
    ``household``, the region table being ``r``."""
    sql, params = "", []
    if region_path:
        sql += " AND r.path LIKE %s ESCAPE '\\'"
        params.append(region_path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if id_range is not None:
        sql += f" AND {household} BETWEEN %s AND %s"
        params += list(id_range)
    if household_ids is not None:
        sql += f" AND {household} IN ({', '.join(['%s'] * len(household_ids))})"
        params += household_ids
    return sql, params


def _query(*, on: dt.date, region_path: str | None, household_ids: list[int] | None,
           id_range: tuple[int, int] | None) -> pa.Table:
    if household_ids is not None and not household_ids:
        return _RAW.empty_table()
    m, p, h, r = (x._meta.db_table for x in (Membership, Person, Household, Region))
    sql = (
        # Dates as days since 1970 and the health list as text, cast in SQL: the same integers and
        # text from SQLite and PostgreSQL, without the driver's per-value converters (an integer
        # costs less to make and to read into Arrow than the date's text does).
        f"SELECT m.household_id, m.person_id, p.id_number_index, m.relationship, {_days('m.joined_on')},"
        f" {_days('m.left_on')}, {_days('p.birth_date')}, p.disability_grade, p.disability_category,"
        f" p.labour_capacity, CAST(p.health_conditions AS TEXT), {_days('p.death_date')}"
        f" FROM {m} m JOIN {p} p ON p.id = m.person_id JOIN {h} h ON h.id = m.household_id"
        f" JOIN {r} r ON r.id = h.region_id"
        " WHERE m.joined_on <= %s AND (m.left_on IS NULL OR m.left_on > %s)"
    )
    where, params = _scope(region_path=region_path, household_ids=household_ids, id_range=id_range,
                           household="m.household_id")
    # Ordered in Arrow, not by SQLite: its sort of a million whole rows costs more than the read.
    raw = _read(sql + where, [on, on, *params], _RAW)
    return raw.take(pc.sort_indices(raw, [("household_id", "ascending"), ("person_id", "ascending")]))


def _days(column: str) -> str:
    """SQL for the date ``column`` as days since 1970-01-01 (null stays null)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"  # a date's julian day ends in .5


def _households(*, region_path: str | None, household_ids: list[int] | None,
                id_range: tuple[int, int] | None) -> pa.Table:
    """The households of a scope (those without a member at the date too), by id."""
    if household_ids is not None and not household_ids:
        return _HOUSEHOLDS.empty_table()
    h, r = Household._meta.db_table, Region._meta.db_table
    where, params = _scope(region_path=region_path, household_ids=household_ids, id_range=id_range,
                           household="h.id")
    sql = (f"SELECT h.id, h.number, r.code, CAST(h.rural AS INTEGER) FROM {h} h JOIN {r} r ON r.id = h.region_id"
           f" WHERE 1 = 1{where}")
    households = _read(sql, params, _HOUSEHOLDS)
    return households.take(pc.sort_indices(households, [("household_id", "ascending")]))


def _read(sql: str, params: list, schema: pa.Schema) -> pa.Table:
    return _copied(sql, params, schema) if connection.vendor == "postgresql" else _fetched(sql, params, schema)


def _copied(sql: str, params: list, schema: pa.Schema) -> pa.Table:
    """PostgreSQL: the query's result as CSV (``COPY … TO STDOUT``), read by Arrow."""
    with connection.cursor() as cur, cur.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data:
        return schema.empty_table()
    # COPY's CSV: NULL is an empty field, an empty text a quoted one ("").
    convert = pcsv.ConvertOptions(column_types=schema, null_values=[""], strings_can_be_null=True,
                                  quoted_strings_can_be_null=False)
    return pcsv.read_csv(pa.py_buffer(data), read_options=pcsv.ReadOptions(column_names=schema.names),
                         convert_options=convert)


def _fetched(sql: str, params: list, schema: pa.Schema) -> pa.Table:
    """SQLite: the rows turned into Arrow a slice at a time, with the collector paused (every row
    is a new tuple, and a million of them would set off full collections that walk the whole heap,
    a third of the time, to find no garbage)."""
    batches = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            while rows := cur.fetchmany(_FETCH):
                columns = zip(*rows, strict=True)
                batches.append(pa.record_batch([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)],
                                               schema=schema))
    finally:
        if collecting:
            gc.enable()
    return pa.Table.from_batches(batches, schema=schema)


def _table(raw: pa.Table, households: pa.Table) -> pa.Table:
    if not raw.num_rows:
        return MEMBERS_SCHEMA.empty_table()
    # health_conditions: a few distinct JSON lists among a million members, each parsed once.
    health = raw.column("health_conditions").combine_chunks().dictionary_encode(null_encoding="encode")
    parsed = [frozenset(json.loads(text) if text else ()) for text in health.dictionary.to_pylist()]

    def condition(name: str) -> pa.Array:
        return pa.array([name in c for c in parsed], pa.bool_()).take(health.indices)

    def column(name: str) -> pa.ChunkedArray:
        return raw.column(name).combine_chunks()

    # Each member's household row (both ordered by household id; every member's household is there).
    at = pa.array(np.searchsorted(households.column("household_id").to_numpy(), column("household_id").to_numpy()))

    def household(name: str) -> pa.Array:
        return households.column(name).combine_chunks().take(at)

    return pa.table(
        [
            *(column(c) for c in ("household_id", "person_id", "id_number")),
            household("household_number"), household("region_code"), household("rural").cast(pa.bool_()),
            column("relationship"),
            *(column(c).cast(pa.date32()) for c in ("joined_on", "left_on", "birth_date")),
            column("disability_grade").fill_null(0), column("disability_category"), column("labour_capacity"),
            condition("serious"), condition("chronic"), condition("needs_care"),
            column("death_date").cast(pa.date32()),
        ],
        schema=MEMBERS_SCHEMA,
    )


def households_of(*, id_numbers: Iterable[str], on: dt.date) -> set[int]:
    """The households the persons with these ID numbers belong to on ``on``."""
    numbers = sorted(set(id_numbers))
    found: set[int] = set()
    current = Membership.objects.filter(joined_on__lte=on).exclude(left_on__lte=on)
    for i in range(0, len(numbers), _CHUNK):
        found.update(current.filter(person__id_number_index__in=numbers[i:i + _CHUNK]).values_list("household_id", flat=True))
    return found


class MemberRows:
    """Person ids → their rows in a members table (a person is a member once at a date)."""

    def __init__(self, person_ids: np.ndarray) -> None:
        self._order = np.argsort(person_ids)
        self._sorted = person_ids[self._order]

    def rows(self, person_ids: np.ndarray) -> np.ndarray:
        return self._order[np.searchsorted(self._sorted, person_ids)]


SUPPORT_SCHEMA = pa.schema([
    pa.field("person_id", pa.int64()),
    pa.field("supporter_id", pa.int64()),
    pa.field("relation", pa.string()),
])


def support_obligations_at(*, on: dt.date, person_ids: Iterable[int] | None = None) -> pa.Table:
    """Every duty of support (:class:`~safetynet.registry.models.SupportObligation`) in force on
    ``on`` (started by then or undated, not ended before), of ``person_ids`` if given, ordered by
    person then supporter. More ids than one query may bind (a city's roll) are matched after
    reading every duty in force."""
    qs = SupportObligation.objects.filter(
        Q(started_on__isnull=True) | Q(started_on__lte=on), Q(ended_on__isnull=True) | Q(ended_on__gte=on)
    )
    ids = None if person_ids is None else np.asarray(
        person_ids if isinstance(person_ids, np.ndarray) else list(person_ids), np.int64)
    if ids is not None and len(ids) <= _CHUNK:
        qs = qs.filter(person_id__in=np.unique(ids).tolist())
    rows = list(
        qs.order_by("person_id", "supporter_id")
        .values_list("person_id", "supporter_id", "relation")
    )
    if not rows:
        return SUPPORT_SCHEMA.empty_table()
    cols = list(zip(*rows, strict=True))
    table = pa.table(
        [pa.array(cols[0], pa.int64()), pa.array(cols[1], pa.int64()), pa.array(cols[2], pa.string())],
        schema=SUPPORT_SCHEMA,
    )
    if ids is not None and len(ids) > _CHUNK:
        table = table.filter(pc.is_in(table.column("person_id"), pa.array(ids)))
    return table
