"""The done check of encryption at rest: after building a small demo city, neither the database
file nor any file of the lake holds a demo person's ID number or phone in the clear.

(The departments' deliveries as they arrive and the demo's own answer key are not platform data:
they sit beside the lake, never in it — ``core.paths``.)"""

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from safetynet.accounts.models import User
from safetynet.core.roles import Role
from safetynet.registry.models import Person
from safetynet.sources.models import QuarantinedRow


def _needles() -> list[str]:
    citizen = User.objects.get(username="demo-citizen", role=Role.CITIZEN).person
    others = list(Person.objects.exclude(phone="").order_by("?")[:15])
    # a disability certificate's number embeds its holder's ID number (the report cites it)
    others += list(Person.objects.exclude(disability_category="").order_by("?")[:10])
    quarantined = [r.raw.get("id_number") for r in QuarantinedRow.objects.all()[:50]
                   if isinstance(r.raw, dict) and r.raw.get("id_number")]
    known = {p.id_number for p in Person.objects.filter(id_number__in=quarantined)}
    values = [citizen.id_number, citizen.phone, *known]
    for p in others:
        values += [p.id_number, p.phone]
    return [v for v in dict.fromkeys(values) if v]


def _database_rows_holding(needle: str) -> list[str]:
    hits = []
    with connection.cursor() as cur:
        for model in apps.get_models():
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField | models.JSONField):
                    cur.execute(f"SELECT count(*) FROM {table} WHERE CAST({field.column} AS TEXT) LIKE %s",
                                [f"%{needle}%"])
                    if cur.fetchone()[0]:
                        hits.append(f"{table}.{field.column}")
    return hits


def _parquet_text(path: Path) -> bytes:
    table = pq.read_table(path)
    return "\n".join(str(v) for column in table.columns if pa.types.is_string(column.type)
                     or pa.types.is_large_string(column.type) for v in column.to_pylist()).encode()


@pytest.mark.django_db(transaction=True)
def test_no_demo_identity_in_the_clear_in_the_database_or_the_lake(lake, tmp_path):
    # given
    call_command("demo", "--no-serve", "--households", "120", stdout=io.StringIO())
    needles = _needles()
    assert len(needles) >= 20
    # when: the database as a file (SQLite writes its pages out; on PostgreSQL every text column)
    blobs: dict[str, bytes] = {}
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cur:
            cur.execute("VACUUM INTO %s", [str(copy)])
        blobs[str(copy)] = copy.read_bytes()
    lake_files = [p for p in Path(lake).rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" and "sources" in p.parts for p in lake_files)
    for path in lake_files:
        blobs[str(path)] = path.read_bytes()
        if path.suffix == ".parquet":  # compressed pages hide a value from a byte search: read the text too
            blobs[f"{path} (decoded)"] = _parquet_text(path)
    # then
    leaks = {(place, needle) for needle in needles for place in _database_rows_holding(needle)}
    leaks |= {(name, needle) for needle in needles for name, blob in blobs.items() if needle.encode() in blob}
    assert sorted(leaks) == []
