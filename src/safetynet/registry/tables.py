"""The registry as columns for batch jobs: every member at a date, as Arrow.

Bulk verification, the rules' population and the monitoring run read the same table, so they
speak of the same people. The queries are plain SQL through Django's connection (the ORM's
per-row converters cost more than the query at a million rows), and the store hands each result
over as text that Arrow's CSV reader parses, without a Python object per value: PostgreSQL as
CSV (``COPY … TO STDOUT``) of one query joining memberships, persons and households; SQLite as
one text of rows (``group_concat``) per table, the current memberships and the persons read
apart and joined in NumPy (``_scanned``), since its join looks each person up at random in the
whole person table. What is the household's (number, region, rural) is read once per household.
``health_conditions`` (a JSON list) is read as text and parsed once per distinct value.

A whole roll, a region's or a range's is kept in the lake while the registry is unchanged
(:mod:`safetynet.registry.snapshots`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.db import connection, transaction
from django.db.models import Max, Min

from safetynet.regions.models import Region
from safetynet.registry.models import Household, Membership, Person, SupportObligation
from safetynet.registry.snapshots import roll_snapshot, snapshot_scope

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
    (inclusive); ordered by household, person.

    A whole roll, a region's or a range's, is kept in the lake while the registry stays as it was
    (:func:`~safetynet.registry.snapshots.roll_snapshot`): the next read at the same date and scope
    reads that file instead of the store."""
    if household_ids is not None:
        ids = sorted(set(int(h) for h in household_ids))
        chunks = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
        scope = {"region_path": region_path, "id_range": id_range}
        parts = [_joined(on=on, household_ids=chunk, **scope) for chunk in chunks]
        households = [_households(household_ids=chunk, **scope) for chunk in chunks]
        return _table(pa.concat_tables([_raw_schema().empty_table(), *parts]),
                      pa.concat_tables([_HOUSEHOLDS.empty_table(), *households]))
    if id_range is not None and id_range[0] <= (bounds := household_id_bounds())[0] and bounds[1] <= id_range[1]:
        # A range holding every household is the whole roll (and its snapshot), less any household
        # added past the range since.
        whole = members_at(on=on, region_path=region_path)
        ids = whole.column("household_id")
        if whole.num_rows and (pc.min(ids).as_py() < id_range[0] or pc.max(ids).as_py() > id_range[1]):
            whole = whole.filter(pc.and_(pc.greater_equal(ids, id_range[0]), pc.less_equal(ids, id_range[1])))
        return whole
    return roll_snapshot(name="members", on=on, scope=snapshot_scope(region_path=region_path, id_range=id_range),
                         schema=MEMBERS_SCHEMA, read=lambda: _members(on=on, region_path=region_path, id_range=id_range))


def household_id_bounds() -> tuple[int, int]:
    """The lowest and highest household id ((0, -1) with none): the ranges a batch job walks."""
    bounds = Household.objects.aggregate(low=Min("id"), high=Max("id"))
    return (bounds["low"], bounds["high"]) if bounds["low"] is not None else (0, -1)


def _members(*, on: dt.date, region_path: str | None, id_range: tuple[int, int] | None) -> pa.Table:
    if connection.vendor == "postgresql":
        raw = _joined(on=on, household_ids=None, region_path=region_path, id_range=id_range)
        households = _households(household_ids=None, region_path=region_path, id_range=id_range)
    else:
        raw, households = _scanned(on=on, region_path=region_path, id_range=id_range)
    return _table(raw, households)


# The query's columns as read: booleans as integers, the health list as JSON text. Dates are read as ISO text from SQLite, which keeps
# them so, and as days since 1970 from PostgreSQL (its text form depends on the session's DateStyle).
# What is the household's (its number, region, rural) is read once per household (``_HOUSEHOLDS``),
# not once per member: a third of the values to read.
_MEMBERSHIP_COLUMNS = ("household_id", "person_id", "relationship", "joined_on", "left_on")
_PERSON_COLUMNS = ("id_number", "birth_date", "disability_grade", "disability_category", "labour_capacity",
                   "health_conditions", "death_date")
_DATES = ("joined_on", "left_on", "birth_date", "death_date")


def _raw_schema() -> pa.Schema:
    date = pa.int32() if connection.vendor == "postgresql" else pa.date32()
    fields = {
        **{c: MEMBERS_SCHEMA.field(c) for c in ("household_id", "person_id", "id_number", "relationship",
                                                  "disability_category", "labour_capacity")},
        **{c: pa.field(c, date) for c in _DATES},
        "disability_grade": pa.field("disability_grade", pa.int64()),
        "health_conditions": pa.field("health_conditions", pa.string()),
    }
    return pa.schema([fields[c] for c in (*_MEMBERSHIP_COLUMNS, *_PERSON_COLUMNS)])


_HOUSEHOLDS = pa.schema([
    pa.field("household_id", pa.int64()), MEMBERS_SCHEMA.field("household_number"), MEMBERS_SCHEMA.field("region_code"),
    pa.field("rural", pa.int64()),
])


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


def _current(*, on: dt.date, region_path: str | None, household_ids: list[int] | None,
             id_range: tuple[int, int] | None, persons: bool = False) -> tuple[str, list]:
    """FROM and WHERE of the memberships current on ``on`` in a scope (``m``; ``h`` and ``r``
    joined when a region bounds it, ``p`` with ``persons``), and their parameters."""
    m, p, h, r = (x._meta.db_table for x in (Membership, Person, Household, Region))
    sql = f"FROM {m} m"
    if persons:
        sql += f" JOIN {p} p ON p.id = m.person_id"
    if region_path:
        sql += f" JOIN {h} h ON h.id = m.household_id JOIN {r} r ON r.id = h.region_id"
    where, params = _scope(region_path=region_path, household_ids=household_ids, id_range=id_range,
                           household="m.household_id")
    return sql + " WHERE m.joined_on <= %s AND (m.left_on IS NULL OR m.left_on > %s)" + where, [on, on, *params]


def _person_columns() -> list[str]:
    return ["p.id_number_index", _date("p.birth_date"), "p.disability_grade", "p.disability_category",
            "p.labour_capacity", "CAST(p.health_conditions AS TEXT)", _date("p.death_date")]


def _membership_columns() -> list[str]:
    return ["m.household_id", "m.person_id", "m.relationship", _date("m.joined_on"), _date("m.left_on")]


def _joined(*, on: dt.date, region_path: str | None, household_ids: list[int] | None,
            id_range: tuple[int, int] | None) -> pa.Table:
    """The members' rows, the store joining each membership to its person: PostgreSQL's plan for
    any scope, and SQLite's for a few households (a lookup of each person by key)."""
    schema = _raw_schema()
    if household_ids is not None and not household_ids:
        return schema.empty_table()
    current, params = _current(on=on, region_path=region_path, household_ids=household_ids, id_range=id_range,
                               persons=True)
    raw = rows_read([*_membership_columns(), *_person_columns()], current, params, schema)
    # Ordered in Arrow, not by the store: its sort of a million whole rows costs more than the read.
    return raw.take(pc.sort_indices(raw, [("household_id", "ascending"), ("person_id", "ascending")]))


def _scanned(*, on: dt.date, region_path: str | None, id_range: tuple[int, int] | None) -> tuple[pa.Table, pa.Table]:
    """SQLite, a large scope: the members' rows and their households. The current memberships and
    the persons are read apart, each one pass over its table in its own order, and joined by
    person id in NumPy: the store's join looks each member's person row up at random in the whole
    person table, several times the work. A whole roll's or a range's persons are read as the
    whole person table, a region's as those its memberships name."""
    schema = _raw_schema()
    p = Person._meta.db_table
    current, params = _current(on=on, region_path=region_path, household_ids=None, id_range=id_range)
    person_schema = pa.schema([pa.field("person_id", pa.int64()), *(schema.field(c) for c in _PERSON_COLUMNS)])
    persons_sql, persons_params = f"FROM {p} p", []
    if region_path:
        persons_sql += f" WHERE p.id IN (SELECT m.person_id {current})"
        persons_params = params
    with transaction.atomic():  # one state of the store for the three reads
        members = rows_read(_membership_columns(), current, params,
                        pa.schema([schema.field(c) for c in _MEMBERSHIP_COLUMNS]))
        households = _households(household_ids=None, region_path=region_path, id_range=id_range)
        persons_table = rows_read(["p.id", *_person_columns()], persons_sql, persons_params, person_schema)
    order = np.lexsort((members.column("person_id").to_numpy(), members.column("household_id").to_numpy()))
    members = members.take(order)
    person_ids = persons_table.column("person_id").to_numpy()
    if len(person_ids) > 1 and not (person_ids[1:] > person_ids[:-1]).all():
        persons_table = persons_table.take(np.argsort(person_ids, kind="stable"))
        person_ids = persons_table.column("person_id").to_numpy()
    # Every membership names a person (a foreign key), read in the same state of the store.
    taken = persons_table.take(pa.array(np.searchsorted(person_ids, members.column("person_id").to_numpy())))
    raw = pa.table([*members.columns, *(taken.column(c) for c in _PERSON_COLUMNS)], schema=schema)
    return raw, households


def _date(column: str) -> str:
    """SQL for the date ``column`` as read (see ``_raw_schema``)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return column


def _households(*, region_path: str | None, household_ids: list[int] | None,
                id_range: tuple[int, int] | None) -> pa.Table:
    """The households of a scope (those without a member at the date too), by id."""
    if household_ids is not None and not household_ids:
        return _HOUSEHOLDS.empty_table()
    h, r = Household._meta.db_table, Region._meta.db_table
    where, params = _scope(region_path=region_path, household_ids=household_ids, id_range=id_range,
                           household="h.id")
    households = rows_read(["h.id", "h.number", "r.code", "CAST(h.rural AS INTEGER)"],
                       f"FROM {h} h JOIN {r} r ON r.id = h.region_id WHERE 1 = 1{where}", params, _HOUSEHOLDS)
    return households.take(pc.sort_indices(households, [("household_id", "ascending")]))


def rows_read(columns: list[str], source: str, params: list, schema: pa.Schema) -> pa.Table:
    """``SELECT columns source`` as Arrow of ``schema``: the store writes the rows as one CSV text
    that Arrow's reader parses, with no Python object per value (a million rows without a million
    tuples). The one reader of whole tables of the store: the roll, obligations, and bulk
    verification's persons."""
    if connection.vendor == "postgresql":
        return _copied(f"SELECT {', '.join(columns)} {source}", params, schema)
    return _concatenated(columns, source, params, schema)


def _copied(sql: str, params: list, schema: pa.Schema) -> pa.Table:
    """PostgreSQL: the query's result as CSV (``COPY … TO STDOUT``), read by Arrow."""
    with connection.cursor() as cur, cur.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
        data = b"".join(bytes(block) for block in copy)
    # COPY's CSV: NULL is an empty field, an empty text a quoted one ("").
    return _parsed(data, schema, null="", strings_null=True, parse=pcsv.ParseOptions(newlines_in_values=True))


def _concatenated(columns: list[str], source: str, params: list, schema: pa.Schema) -> pa.Table:
    """SQLite: one text of every row (``group_concat``), handed over as bytes (no Python string of
    the whole text). Each row is one ``printf`` of its values as they are (a null as an empty
    value: every text read is NOT NULL in the store), a unit separator (``char(31)``) between them:
    no text the platform writes holds one or a line break, and quoting each value costs as much
    again as the read (``||`` too: it copies the row at each value). Should a text hold either,
    the rows parsed are not the rows counted, or a row has a value too many; the rows are then read
    again with every value quoted as SQL quotes a literal (``quote``: a text in single quotes,
    its quotes doubled, NULL bare), which is CSV quoted with ``'``."""
    line = f"printf('{chr(31).join(['%%s'] * len(columns))}', {', '.join(columns)})"
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*), CAST(group_concat({line}, char(10)) AS BLOB) {source}", list(params))
        count, data = cur.fetchone()
    try:
        table = _parsed(data, schema, null="", strings_null=False, parse=pcsv.ParseOptions(
            delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False))
    except pa.ArrowInvalid:
        table = None
    if table is not None and table.num_rows == count:
        return table
    line = " || ',' || ".join(f"quote({c})" for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"SELECT CAST(group_concat({line}, char(10)) AS BLOB) {source}", params)
        data = cur.fetchone()[0]
    return _parsed(data, schema, null="NULL", strings_null=True,
                   parse=pcsv.ParseOptions(quote_char="'", newlines_in_values=True))


def _parsed(data: bytes | None, schema: pa.Schema, *, null: str, strings_null: bool,
            parse: pcsv.ParseOptions) -> pa.Table:
    """``data`` (CSV) as Arrow: ``null`` unquoted is a null (a text's too if ``strings_null``); a
    quoted text is never one."""
    if not data:
        return schema.empty_table()
    convert = pcsv.ConvertOptions(column_types=schema, null_values=[null], strings_can_be_null=strings_null,
                                  quoted_strings_can_be_null=False)
    table = pcsv.read_csv(pa.py_buffer(data), read_options=pcsv.ReadOptions(column_names=schema.names),
                          parse_options=parse, convert_options=convert)
    return table.cast(schema)


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
    reading every duty in force. Read as the members are (``_read``: one text Arrow parses, no
    Python object per value), and ordered in Arrow."""
    s = SupportObligation._meta.db_table
    source = (f"FROM {s} s WHERE (s.started_on IS NULL OR s.started_on <= %s)"
              " AND (s.ended_on IS NULL OR s.ended_on >= %s)")
    params: list = [on, on]
    ids = None if person_ids is None else np.asarray(
        person_ids if isinstance(person_ids, np.ndarray) else list(person_ids), np.int64)
    if ids is not None and len(ids) <= _CHUNK:
        if not len(ids):
            return SUPPORT_SCHEMA.empty_table()
        wanted = np.unique(ids).tolist()
        source += f" AND s.person_id IN ({', '.join(['%s'] * len(wanted))})"
        params += wanted
    table = rows_read(["s.person_id", "s.supporter_id", "s.relation"], source, params, SUPPORT_SCHEMA)
    if ids is not None and len(ids) > _CHUNK:
        table = table.filter(pc.is_in(table.column("person_id"), pa.array(ids)))
    return table.take(pc.sort_indices(table, [("person_id", "ascending"), ("supporter_id", "ascending")]))
