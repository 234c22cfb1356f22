"""Bulk verification (批量核对): the whole current roll, or a region's, in one engine run.

A run takes every current member (membership joined on or before ``on`` and not left by ``on``)
of every household in scope, runs ``compute.verify`` once over all of them, and writes under
``LAKE_DIR/derived/verification/run=<run_id>/``:

* ``households.parquet``: the per-household results (``compute.HOUSEHOLD_COLUMNS``);
* ``facts.parquet``: every fact citing its source, batch and row (``compute.FACTS_CITED_SCHEMA``;
  the cited row is read from the batch on demand), written by the engine in no particular order.
  A household's facts, in ``compute.FACT_ORDER``: ``compute.facts_of_households`` (a scan of the
  file's ``household_id`` column, then the matching rows);
* ``changes.parquet``: what differs from the previous run of the same scope (region or all), one
  row per household and measure: ``household_id, kind, measure, before, after``;
* ``run.json``: what was run and the counts.

The run directory is written beside its final name and moved into place whole; the run index
(``runs.json``) is rewritten atomically after that. A crash mid-run leaves the previous good
runs as they were.

Change kinds (money compared to the fen):

=================================  ====================================================
income_<kind> 0 → more            ``new_income``; up ``income_up``; down ``income_down``
deposits, wealth_products,        0 → more ``new_asset``; up ``asset_up``; down ``asset_down``
securities, vehicles_count,
real_estate_count, business_count
deduction_medical                 up ``deduction_up``; down ``deduction_down``
deceased_count                    up ``death``; down ``left_deceased`` (a correction)
imprisoned_count                  up ``prison``; down ``left_prison``
public_payroll_count              up ``public_payroll``; down ``left_public_payroll``
duplicate_membership_count        up ``duplicate_membership``; down ``left_duplicate_membership``
members                           ``members_changed``
a household new to / gone from    ``new_household`` / ``household_gone``
the roll
=================================  ====================================================
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.engine.backend import backend_name
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Region
from safetynet.registry.models import Household, Membership, Person
from safetynet.registry.snapshots import roll_snapshot, snapshot_scope
from safetynet.registry.tables import rows_read
from safetynet.verification.compute import INCOME_KINDS, PERSONS_SCHEMA, VerificationInput, verify_to_parquet

# (measure, kind when it rises from 0, kind when it rises, kind when it falls)
CHANGE_RULES: tuple[tuple[str, str, str, str], ...] = (
    *((f"income_{k}", "new_income", "income_up", "income_down") for k in INCOME_KINDS),
    *(
        (m, "new_asset", "asset_up", "asset_down")
        for m in ("deposits", "wealth_products", "securities", "vehicles_count", "real_estate_count", "business_count")
    ),
    ("deduction_medical", "deduction_up", "deduction_up", "deduction_down"),
    ("deceased_count", "death", "death", "left_deceased"),
    ("imprisoned_count", "prison", "prison", "left_prison"),
    ("public_payroll_count", "public_payroll", "public_payroll", "left_public_payroll"),
    ("duplicate_membership_count", "duplicate_membership", "duplicate_membership", "left_duplicate_membership"),
    ("members", "members_changed", "members_changed", "members_changed"),
)
TOLERANCE = 0.005  # money is rounded to the fen
CHANGES_SCHEMA = pa.schema(
    [
        pa.field("household_id", pa.int64()),
        pa.field("kind", pa.string()),
        pa.field("measure", pa.string()),
        pa.field("before", pa.float64()),
        pa.field("after", pa.float64()),
    ]
)


@dataclass(frozen=True)
class BulkRun:
    run_id: str
    on: str
    region: str  # region code, or "" for the whole roll
    backend: str
    households: int
    persons: int
    facts: int
    seconds_persons: float  # building the roll from the operational store
    seconds_engine: float  # the engine run: household totals, and the facts written to Parquet
    seconds_total: float
    persons_per_second: float  # persons / total seconds
    previous_run_id: str
    changes: dict[str, int] = field(default_factory=dict)
    path: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def runs_dir() -> Path:
    return Path(settings.LAKE_DIR) / "derived" / "verification"


def run_list() -> list[dict]:
    """The completed runs, oldest first (the index ``runs.json``)."""
    index = runs_dir() / "runs.json"
    if not index.exists():
        return []
    return json.loads(index.read_text(encoding="utf-8"))["runs"]


def run_previous(*, region: str) -> dict | None:
    """The latest completed run of the same scope."""
    same = [r for r in run_list() if r["region"] == region]
    return same[-1] if same else None


def persons_current(*, on: dt.date, region_code: str | None = None) -> pa.Table:
    """Every current member of every household (in the region's subtree), as Arrow: two scans.

    The memberships at ``on`` (person, household) and the persons' ID numbers are read apart and
    joined in Arrow: each is one pass over a table or an index in its own order (the persons' ID
    numbers from their unique index alone), where joining them in the store looks each member's
    person row up at random in the whole person table, several times the work. The store hands
    each over as one CSV text (``group_concat`` on SQLite, ``string_agg`` on PostgreSQL) that
    Arrow's reader parses: a million rows as Python tuples cost about twice as much. Unordered:
    the engine orders what it writes. (Both stores cap one text at about 1 GB, some eleven
    million members: a roll that size belongs to the Spark path.)

    While the registry is unchanged the roll is read from its snapshot in the lake
    (:func:`~safetynet.registry.snapshots.roll_snapshot`): this one's, or the wider roll
    monitoring reads (:func:`~safetynet.registry.tables.members_at`) at the same date and scope."""
    region_path = None
    if region_code:
        region = Region.objects.filter(code=region_code).only("path").first()
        if region is None:
            raise RegionNotFound(_("区划代码不存在：%(code)s") % {"code": region_code}, region=region_code)
        region_path = region.path
    return roll_snapshot(name="persons", on=on, scope=snapshot_scope(region_path=region_path, id_range=None),
                         schema=PERSONS_SCHEMA, read=lambda: _persons_read(on=on, region_path=region_path),
                         sources={"members": _persons_of_members})


def _persons_of_members(members: pa.Table) -> pa.Table:
    """The roll's columns of ``members_at``'s table, as the store's read gives them (an empty ID
    number reads as null)."""
    return pa.table([members.column("person_id"), members.column("household_id"),
                     _null_if_empty(members.column("id_number"))], names=PERSONS_SCHEMA.names).cast(PERSONS_SCHEMA)


def _null_if_empty(numbers: pa.ChunkedArray) -> pa.ChunkedArray:
    """The store's text hands a missing ID number over as an empty one: null, as the roll has it."""
    return pc.if_else(pc.equal(numbers, ""), pa.scalar(None, pa.string()), numbers)


def _persons_read(*, on: dt.date, region_path: str | None) -> pa.Table:
    m, p = Membership._meta.db_table, Person._meta.db_table
    scope = f"FROM {m} m "
    params: list = []
    if region_path:
        h, r = Household._meta.db_table, Region._meta.db_table
        scope += f"JOIN {h} h ON h.id = m.household_id JOIN {r} r ON r.id = h.region_id AND r.path LIKE %s "
        params.append(region_path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    scope += "WHERE m.joined_on <= %s AND (m.left_on IS NULL OR m.left_on > %s)"
    params += [on, on]
    persons_source = f"FROM {p} p"
    if region_path:  # a region's few persons by key, not every person's number
        persons_source += f" WHERE p.id IN (SELECT m.person_id {scope})"
    with transaction.atomic():  # one state of the store for both reads
        members = rows_read(["m.person_id", "m.household_id"], scope, params, PERSONS_SCHEMA.remove(2))
        if members.num_rows == 0:
            return PERSONS_SCHEMA.empty_table()
        numbers = rows_read(["p.id", "p.id_number_index"], persons_source, params if region_path else [],
                            pa.schema([PERSONS_SCHEMA.field(0), PERSONS_SCHEMA.field(2)]))
    numbers = numbers.set_column(1, "id_number", _null_if_empty(numbers.column("id_number")))
    roll = members.join(numbers, "person_id", join_type="left outer")
    return roll.select(PERSONS_SCHEMA.names).cast(PERSONS_SCHEMA)


def changes_between(*, previous: Path, current: pa.Table) -> pa.Table:
    """What differs between the previous run's households file and this run's table (see the
    module docstring), ordered by household, measure and kind. One row per household on each side,
    a few hundred thousand: compared in NumPy, faster than an engine query costs to start."""
    measures = ["household_id", *(m for m, *_kinds in CHANGE_RULES)]
    before_table = pq.read_table(previous, columns=measures)
    before_ids = before_table.column("household_id").to_numpy()
    after_ids = current.column("household_id").to_numpy()
    ids, before_rows, after_rows = np.intersect1d(before_ids, after_ids, assume_unique=True, return_indices=True)
    parts = []
    for measure, from_zero, up, down in CHANGE_RULES:
        before = _floats(before_table, measure)[before_rows]
        after = _floats(current, measure)[after_rows]
        # 0: unchanged (or unknown: a null compares false everywhere); else the rule's 1st, 2nd or 3rd kind
        rule = np.select([(before == 0) & (after > 0), after > before + TOLERANCE, after < before - TOLERANCE], [1, 2, 3], 0)
        hit = rule > 0
        parts.append(_changes(ids[hit], np.array([None, from_zero, up, down], dtype=object)[rule[hit]], measure,
                              before=before[hit], after=after[hit]))
    arrived = ~np.isin(after_ids, before_ids)
    members = _floats(current, "members")[arrived]
    parts.append(_changes(after_ids[arrived], "new_household", "members", before=None, after=members))
    gone = ~np.isin(before_ids, after_ids)
    members = _floats(before_table, "members")[gone]
    parts.append(_changes(before_ids[gone], "household_gone", "members", before=members, after=None))
    changes = pa.concat_tables(parts)
    return changes.sort_by([("household_id", "ascending"), ("measure", "ascending"), ("kind", "ascending")])


def _floats(table: pa.Table, column: str) -> np.ndarray:
    """A measure as doubles, NaN for null (money is compared as doubles, counts too)."""
    return table.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)


def _changes(ids: np.ndarray, kind, measure: str, *, before: np.ndarray | None, after: np.ndarray | None) -> pa.Table:
    n = len(ids)

    def values(x: np.ndarray | None) -> pa.Array:
        return pa.nulls(n, pa.float64()) if x is None else pa.array(x, pa.float64(), from_pandas=True)

    kinds = pa.array(kind, pa.string()) if isinstance(kind, np.ndarray) else pa.array([kind] * n, pa.string())
    return pa.table([pa.array(ids, pa.int64()), kinds, pa.array([measure] * n, pa.string()), values(before),
                     values(after)], schema=CHANGES_SCHEMA)


def verification_bulk_run(
    *,
    on: dt.date,
    region_code: str | None = None,
    backend: str | None = None,
    persons: pa.Table | None = None,
    actor=None,
) -> BulkRun:
    """Verify the roll in scope at ``on`` in one engine run, write the run and its changes.

    ``persons`` replaces the roll from the operational store (the benchmark passes a synthetic one).
    """
    started = time.perf_counter()
    name = backend_name(backend)
    region = region_code or ""
    if persons is None:
        persons = persons_current(on=on, region_code=region_code)
    seconds_persons = time.perf_counter() - started

    run_id = f"{on:%Y%m%d}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    base = runs_dir()
    final = base / f"run={run_id}"
    tmp = base / f".run={run_id}.tmp"
    tmp.mkdir(parents=True)
    try:
        engine_started = time.perf_counter()
        out = verify_to_parquet(VerificationInput(persons=persons, on=on), facts_path=tmp / "facts.parquet", backend=name)
        seconds_engine = time.perf_counter() - engine_started
        # No dictionaries: the money columns' values are nearly all distinct, and trying one per
        # column costs more time than it saves space (the file comes out smaller without them).
        pq.write_table(out.households, tmp / "households.parquet", compression="zstd", use_dictionary=False)
        previous = run_previous(region=region)
        if previous is not None:
            changes = changes_between(previous=base / previous["path"] / "households.parquet", current=out.households)
        else:
            changes = CHANGES_SCHEMA.empty_table()
        pq.write_table(changes, tmp / "changes.parquet", compression="zstd")
        seconds_total = time.perf_counter() - started
        run = BulkRun(
            run_id=run_id,
            on=on.isoformat(),
            region=region,
            backend=name,
            households=out.households.num_rows,
            persons=persons.num_rows,
            facts=out.facts,
            seconds_persons=round(seconds_persons, 3),
            seconds_engine=round(seconds_engine, 3),
            seconds_total=round(seconds_total, 3),
            persons_per_second=round(persons.num_rows / seconds_total, 1) if seconds_total else 0.0,
            previous_run_id=previous["run_id"] if previous else "",
            changes=dict(sorted(Counter(changes.column("kind").to_pylist()).items())),
            path=final.name,
        )
        (tmp / "run.json").write_text(json.dumps(run.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="verification.bulk_run",
                target_type="verification.bulkrun",
                target_id=run_id,
                purpose="批量核对",
                data={k: v for k, v in run.as_dict().items() if k != "changes"},
            )
            os.replace(tmp, final)
            _index_append(run)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return run


def _index_append(run: BulkRun) -> None:
    base = runs_dir()
    runs = run_list()
    runs.append({k: v for k, v in run.as_dict().items() if k in ("run_id", "on", "region", "backend", "households", "persons", "path")})
    tmp = base / f".runs.json.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps({"runs": runs}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, base / "runs.json")
