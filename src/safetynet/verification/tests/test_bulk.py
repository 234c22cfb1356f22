"""Bulk verification: the roll from the registry, one engine run, results and changes on disk."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safetynet.audit.models import AuditEvent
from safetynet.core import testing
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest
from safetynet.verification.bulk import persons_current, run_list, runs_dir, verification_bulk_run

WAGES = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on"


def land(tmp_path: Path, source: str, header: str, rows: list[str]) -> None:
    path = tmp_path / f"{source}-{abs(hash(tuple(rows)))}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    source_ingest(source_name=source, path=path)


def wage_rows(id_number: str, months: list[str], amount: str, reported: str) -> list[str]:
    return [f"{id_number},某人,91990100MA0000001X,示范厂,{m},{amount},0,{reported}" for m in months]


@pytest.fixture
def roll(settings, tmp_path, tree):
    settings.LAKE_DIR = tmp_path / "lake"
    east = testing.make_household(tree.east_community, members=2)
    west = testing.make_household(tree.west_community, members=3)
    members = {
        h.pk: [m.person for m in Membership.objects.filter(household=h).select_related("person").order_by("person_id")]
        for h in (east, west)
    }
    return east, west, members


@pytest.mark.django_db
def test_second_run_reports_what_changed_since_the_first(roll, tmp_path):
    east, west, members = roll
    e1, e2 = (p.id_number for p in members[east.pk])
    w1 = members[west.pk][0].id_number
    # given September's wage extract and a first run in October
    land(tmp_path, "tax_wages", WAGES, wage_rows(e1, ["2026-07", "2026-08", "2026-09"], "3000.00", "2026-09-30"))
    first = verification_bulk_run(on=dt.date(2026, 10, 15))
    assert (first.households, first.persons, first.previous_run_id, first.changes) == (2, 5, "", {})
    # when new batches land (a raise, a new earner, a car, a death, a prison term) and it runs again
    land(tmp_path, "tax_wages", WAGES,
         wage_rows(e1, ["2026-08", "2026-09", "2026-10"], "4000.00", "2026-10-31")
         + wage_rows(w1, ["2026-10"], "2500.00", "2026-10-31"))
    land(tmp_path, "vehicles", "id_number,name,plate_number,vehicle_type,vehicle_value,purchase_date,disability_vehicle,reported_on",
         [f"{w1},某人,示B11111,小型轿车,60000.00,2026-10-01,false,2026-10-31"])
    land(tmp_path, "hukou_deaths", "id_number,name,sex,death_date,death_place,hukou_region_code,reported_on",
         [f"{e2},某人,M,2026-11-01,家中,990101001001,2026-11-02"])
    land(tmp_path, "prison", "id_number,name,prison_name,admitted_on,expected_release_on,released_on,reported_on",
         [f"{members[west.pk][1].id_number},某人,示范监狱,2026-10-20,2029-10-20,,2026-10-31"])
    second = verification_bulk_run(on=dt.date(2026, 11, 15))
    # then the changes are exactly those, per household and measure, with before and after
    assert second.previous_run_id == first.run_id
    assert second.changes == {"death": 1, "income_up": 1, "new_asset": 1, "new_income": 1, "prison": 1}
    changes = pq.read_table(runs_dir() / second.path / "changes.parquet").to_pylist()
    assert sorted((c["household_id"], c["kind"], c["measure"], c["before"], c["after"]) for c in changes) == sorted([
        (east.pk, "income_up", "income_wages", 3000.0, 4000.0),
        (east.pk, "death", "deceased_count", 0.0, 1.0),
        (west.pk, "new_income", "income_wages", 0.0, 2500.0),
        (west.pk, "new_asset", "vehicles_count", 0.0, 1.0),
        (west.pk, "prison", "imprisoned_count", 0.0, 1.0),
    ])
    # and both runs are on disk and in the index, with their facts, and audited
    households = pq.read_table(runs_dir() / second.path / "households.parquet").to_pylist()
    assert {h["household_id"]: h["income_wages"] for h in households} == {east.pk: 4000.0, west.pk: 2500.0}
    facts = pq.read_table(runs_dir() / second.path / "facts.parquet")
    assert facts.num_rows == second.facts == 3 + 1 + 1 + 1 + 1
    assert [r["run_id"] for r in run_list()] == [first.run_id, second.run_id]
    assert AuditEvent.objects.filter(action="verification.bulk_run", target_id=second.run_id).count() == 1


@pytest.mark.django_db
def test_region_scope_and_members_who_left(roll, tree, tmp_path):
    east, west, members = roll
    # given a member of the west household who left before the verification date
    leaver = Membership.objects.filter(household=west).order_by("person_id").last()
    leaver.left_on = dt.date(2026, 6, 30)
    leaver.save(update_fields=["left_on", "updated_at"])
    # when the roll is built for the whole city and for the east district
    everyone = persons_current(on=dt.date(2026, 11, 15))
    east_only = persons_current(on=dt.date(2026, 11, 15), region_code=tree.east.code)
    # then the leaver is not on the roll, and the region scope keeps only the east household
    assert everyone.num_rows == 4 and leaver.person_id not in everyone.column("person_id").to_pylist()
    assert set(east_only.column("household_id").to_pylist()) == {east.pk}
    # and an earlier date still has the leaver
    assert persons_current(on=dt.date(2026, 6, 1)).num_rows == 5
    # and a scoped run compares only with runs of the same scope
    verification_bulk_run(on=dt.date(2026, 11, 15))
    scoped = verification_bulk_run(on=dt.date(2026, 11, 15), region_code=tree.east.code)
    assert (scoped.households, scoped.persons, scoped.previous_run_id) == (1, 2, "")


@pytest.mark.django_db
def test_verify_bulk_command_prints_counts_and_refuses_an_unknown_region(roll, tmp_path):
    # given the roll and no batches
    # when the command runs with --json, then again in text
    out = StringIO()
    call_command("verify_bulk", "--on", "2026-11-15", "--json", stdout=out)
    result = json.loads(out.getvalue())
    text = StringIO()
    call_command("verify_bulk", "--on", "2026-11-15", stdout=text)
    # then it reports households, persons and speed, and the second run compares with the first
    assert (result["households"], result["persons"], result["backend"]) == (2, 5, "duckdb")
    assert result["persons_per_second"] > 0
    assert "家庭 2 户，成员 5 人" in text.getvalue() and result["run_id"] in text.getvalue()
    # and an unknown region is refused with its code
    with pytest.raises(CommandError, match="region.not_found"):
        call_command("verify_bulk", "--region", "123456789012", stdout=StringIO())
