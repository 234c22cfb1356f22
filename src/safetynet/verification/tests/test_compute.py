"""verify(): hand-built batches landed by the real ingestion, hand-worked numbers, on both engines.

The Spark cases carry ``spark`` in their test id (deselect with ``-k "not spark"``); they share the
one SparkSession of the test process.
"""

import datetime as dt
import fcntl
import io
import json
import os
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from safetynet.core.crypto import blind_index_many
from safetynet.engine import index as index_module
from safetynet.engine.lake import batches_in_force
from safetynet.registry.idnumber import make_resident_id
from safetynet.sources.catalogue import catalogue
from safetynet.sources.services import source_ingest
from safetynet.verification import compute
from safetynet.verification.compute import (
    FACT_ORDER,
    FACTS_CITED_SCHEMA,
    VerificationInput,
    facts_of_households,
    verify,
    verify_facts,
    verify_facts_and_households,
    verify_households,
    verify_to_parquet,
)

ON = dt.date(2026, 11, 15)
HEAD = make_resident_id("990101", dt.date(1980, 5, 17), 11, "M")
SPOUSE = make_resident_id("990101", dt.date(1982, 3, 2), 12, "F")
CHILD = make_resident_id("990101", dt.date(2006, 7, 9), 13, "M")
GRANDMA = make_resident_id("990101", dt.date(1950, 1, 20), 14, "F")
STRANGER = make_resident_id("990102", dt.date(1970, 1, 1), 15, "M")
FAMILY = pa.table(
    {
        "person_id": pa.array([1, 2, 3, 4], pa.int64()),
        "household_id": pa.array([10, 10, 10, 10], pa.int64()),
        "id_number": [HEAD, SPOUSE, CHILD, GRANDMA],
    }
)

BACKENDS = ["duckdb", pytest.param("spark", id="spark")]


def _keyed(persons: pa.Table) -> pa.Table:
    """The registry's side of the join: each person's blind index, as the lake holds it."""
    ids = blind_index_many(persons.column("id_number").to_pylist(), "id")
    return persons.set_column(persons.schema.get_field_index("id_number"), "id_number", pa.array(ids, pa.string()))


def _csv(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def land(tmp_path: Path, source: str, header: str, rows: list[str], as_of: dt.date | None = None):
    return source_ingest(source_name=source, path=_csv(tmp_path, f"{source}-{len(rows)}-{as_of}", header, rows), as_of=as_of)


def land_family(tmp_path: Path) -> None:
    """The family of four and one stranger, every source the rules read."""
    land(tmp_path, "tax_wages", "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on", [
        f"{HEAD},户主,91990100MA0000001X,示范厂,2026-07,9999.00,0,2026-10-31",  # outside the 3 months
        f"{HEAD},户主,91990100MA0000001X,示范厂,2026-08,3000.00,0,2026-10-31",
        f"{HEAD},户主,91990100MA0000001X,示范厂,2026-09,3300.00,0,2026-10-31",
        f"{HEAD},户主,91990100MA0000001X,示范厂,2026-10,3600.00,0,2026-10-31",
        f"{SPOUSE},配偶,91990100MA0000002X,示范店,2026-09,2000.00,0,2026-10-31",
        f"{SPOUSE},配偶,91990100MA0000002X,示范店,2026-10,2200.00,0,2026-10-31",
        f"{STRANGER},路人,91990100MA0000002X,示范店,2026-10,8000.00,0,2026-10-31",
    ])
    land(tmp_path, "social_insurance", "id_number,name,scheme,status,employer_name,contribution_base,monthly_pension,period,reported_on", [
        f"{GRANDMA},奶奶,resident_pension,receiving,,0,1800.50,2026-10,2026-10-31",
        f"{SPOUSE},配偶,employee_pension,contributing,示范店,4000,0,2026-10,2026-10-31",
    ])
    land(tmp_path, "vehicles", "id_number,name,plate_number,vehicle_type,vehicle_value,purchase_date,disability_vehicle,reported_on", [
        f"{HEAD},户主,示A12345,小型轿车,80000.00,2024-04-01,false,2026-10-31",  # the hidden car
        f"{CHILD},孩子,示A00001,残疾人专用车,30000.00,2023-01-01,true,2026-10-31",
    ])
    land(tmp_path, "medical_expenses", "id_number,name,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket,reported_on", [
        f"{GRANDMA},奶奶,示范医院,肺炎,2026-03-01,2026-03-10,8000.00,5600.00,2400.00,2026-03-31",  # 8 months ago
        f"{GRANDMA},奶奶,示范医院,骨折,2025-09-01,2025-09-10,9000.00,3000.00,6000.00,2025-09-30",  # 14 months ago
    ])
    land(tmp_path, "hukou_deaths", "id_number,name,sex,death_date,death_place,hukou_region_code,reported_on", [
        f"{GRANDMA},奶奶,F,2026-12-01,示范医院,990101001001,2026-12-02",  # after the verification date
    ], as_of=dt.date(2026, 12, 2))  # a delivery dated that day (no batch may hold dates after its own)
    land(tmp_path, "prison", "id_number,name,prison_name,admitted_on,expected_release_on,released_on,reported_on", [
        f"{CHILD},孩子,示范监狱,2025-05-01,2028-05-01,,2026-10-31",
        f"{SPOUSE},配偶,示范监狱,2020-01-01,2021-01-01,2021-01-01,2026-10-31",  # released long ago
    ])
    land(tmp_path, "benefits", "id_number,name,household_number,region_code,programme,relationship,monthly_amount,start_date,reported_on", [
        f"{GRANDMA},奶奶,H1,990101001001,disability_subsidies,parent,90.00,2026-01-01,2026-10-31",
        f"{SPOUSE},配偶,H1,990101001001,dibao,spouse,300.00,2026-01-01,2026-10-31",
        f"{SPOUSE},配偶,H9,990102001001,dibao,head,300.00,2026-02-01,2026-10-31",  # a second household
    ])
    land(tmp_path, "bank_deposits", "id_number,name,bank_name,deposit_balance,wealth_products,reported_on", [
        f"{HEAD},户主,示范银行,20000.00,5000.00,2026-09-30",
    ])
    land(tmp_path, "real_estate", "id_number,name,property_count,total_area_m2,assessed_value,reported_on", [
        f"{HEAD},户主,1,90.50,600000.00,2026-10-31",
    ])


def _household(out) -> dict:
    rows = out.households.to_pylist()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
def test_family_of_four_matches_the_hand_worked_numbers(lake, tmp_path, backend):
    # given the family's batches in the lake
    land_family(tmp_path)
    # when the family is verified on 15 November 2026
    out = verify(VerificationInput(persons=_keyed(FAMILY), on=ON), backend=backend)
    # then the totals are the hand-worked ones
    h = _household(out)
    assert h["members"] == 4
    assert h["income_wages"] == 3300.00 + 2100.00  # (3000+3300+3600)/3 + (2000+2200)/2
    assert h["income_pensions"] == 1800.50
    assert h["income_unemployment_benefit"] == 0
    assert (h["income_business_income"], h["income_property_income"]) == (0, 0)
    assert h["income_transfers"] == 90.00 + 300.00 + 300.00
    assert h["income_total"] == 7890.50
    assert h["deduction_medical"] == 200.00  # 2400 / 12; the stay 14 months ago does not count
    assert (h["deduction_education"], h["deductions_total"]) == (0, 200.00)
    assert h["income_per_head"] == 1922.63  # (7890.50 - 200) / 4 = 1922.625, half up
    assert (h["vehicles_count"], h["vehicles_value"]) == (1, 80000.00)  # the 残疾人专用车 is exempt
    assert (h["deposits"], h["wealth_products"], h["securities"]) == (20000.00, 5000.00, 0)
    assert (h["real_estate_count"], h["real_estate_area"], h["business_count"]) == (1, 90.50, 0)
    assert (h["deceased_count"], h["imprisoned_count"], h["public_payroll_count"]) == (0, 1, 0)
    assert h["duplicate_membership_count"] == 1
    # and every fact cites its source, batch and row, with the row's declared columns
    facts = out.facts.to_pylist()
    assert not any(f["person_id"] is None for f in facts)
    wages = [f for f in facts if f["category"] == "wages"]
    assert sorted((f["person_id"], f["row"], round(f["amount"], 2)) for f in wages) == [
        (1, 2, 1000.00), (1, 3, 1100.00), (1, 4, 1200.00), (2, 5, 1000.00), (2, 6, 1100.00)
    ]
    assert all(f["source"] == "tax_wages" and f["batch_id"].startswith("tax_wages-20261031-") for f in wages)
    assert all(f["as_of"] == dt.date(2026, 10, 31) for f in wages)
    assert json.loads(wages[0]["detail"])["period"] == "2026-08"
    car = next(f for f in facts if f["category"] == "disability_vehicle")
    assert (car["person_id"], car["kind"], json.loads(car["detail"])["disability_vehicle"]) == (3, "asset", True)
    medical = [f for f in facts if f["category"] == "medical_out_of_pocket"]
    assert [(f["row"], f["amount"], f["kind"]) for f in medical] == [(1, 200.0, "deduction")]
    dup = [f for f in facts if f["category"] == "duplicate_membership"]
    assert sorted(f["row"] for f in dup) == [2, 3] and {f["person_id"] for f in dup} == {2}
    prison = [f for f in facts if f["kind"] == "flag" and f["category"] == "imprisoned"]
    assert [(f["person_id"], f["amount"]) for f in prison] == [(3, None)]
    assert not any(f["category"] == "deceased" for f in facts)


@pytest.mark.django_db
def test_a_death_counts_from_the_verification_date_on(lake, tmp_path):
    # given a death on 1 December 2026 reported the next day
    land_family(tmp_path)
    # when verified before and after
    before = _household(verify(VerificationInput(persons=_keyed(FAMILY), on=dt.date(2026, 11, 30))))
    after = verify(VerificationInput(persons=_keyed(FAMILY), on=dt.date(2026, 12, 5)))
    # then only the later verification counts it, citing the deaths batch
    assert before["deceased_count"] == 0
    assert _household(after)["deceased_count"] == 1
    death = next(f for f in after.facts.to_pylist() if f["category"] == "deceased")
    assert (death["person_id"], death["source"], death["row"], death["as_of"]) == (4, "hukou_deaths", 1, dt.date(2026, 12, 2))


@pytest.mark.django_db
def test_snapshot_supersession_is_respected_at_each_date(lake, tmp_path):
    # given three real-estate extracts: June (two flats), October (one flat), December (three)
    header = "id_number,name,property_count,total_area_m2,assessed_value,reported_on"
    june = land(tmp_path, "real_estate", header, [f"{HEAD},户主,2,150.00,900000.00,2026-06-30"]).batch
    october = land(tmp_path, "real_estate", header, [f"{HEAD},户主,1,90.00,600000.00,2026-10-31"]).batch
    land(tmp_path, "real_estate", header, [f"{HEAD},户主,3,200.00,1000000.00,2026-12-31"], as_of=dt.date(2026, 12, 31))
    june.refresh_from_db()
    assert june.superseded_by_id is not None
    # when verified at dates in force for each
    def at(day):
        out = verify(VerificationInput(persons=_keyed(FAMILY), on=day))
        h = _household(out)
        return h["real_estate_count"], h["real_estate_area"], {f["batch_id"] for f in out.facts.to_pylist()}

    # then each date sees exactly the extract in force then, superseded or not since
    assert at(dt.date(2026, 8, 1)) == (2, 150.0, {june.batch_id})
    assert at(ON) == (1, 90.0, {october.batch_id})
    assert at(dt.date(2027, 1, 1))[:2] == (3, 200.0)
    assert at(dt.date(2026, 1, 1)) == (0, 0.0, set())


@pytest.mark.django_db
def test_authorised_sources_restrict_the_lookup(lake, tmp_path):
    # given the family's batches
    land_family(tmp_path)
    # when the authorisation covers only vehicles and prison
    out = verify(VerificationInput(persons=_keyed(FAMILY), on=ON, sources=("vehicles", "prison")))
    # then no other source is read
    assert set(out.facts.column("source").to_pylist()) == {"vehicles", "prison"}
    h = _household(out)
    assert (h["income_total"], h["vehicles_count"], h["imprisoned_count"]) == (0, 1, 1)


@pytest.mark.django_db
def test_a_household_without_any_fact_still_has_its_row(lake, tmp_path):
    # given an empty lake
    # when the family is verified
    out = verify(VerificationInput(persons=_keyed(FAMILY), on=ON))
    # then it has one row of zeros and no facts
    h = _household(out)
    assert (h["members"], h["income_total"], h["income_per_head"], h["vehicles_count"]) == (4, 0, 0, 0)
    assert out.facts.num_rows == 0 and "detail" in out.facts.column_names
    # and the bulk form (totals summed from the facts) gives the same row and an empty facts file
    bulk = verify_to_parquet(VerificationInput(persons=_keyed(FAMILY), on=ON), facts_path=tmp_path / "facts.parquet")
    assert bulk.facts == pq.read_table(tmp_path / "facts.parquet").num_rows == 0
    assert bulk.households.equals(out.households)


@pytest.mark.django_db
def test_the_bulk_facts_file_cites_each_fact_without_the_row_and_gives_a_household_in_order(lake, tmp_path):
    # given the family and a stranger in another household
    land_family(tmp_path)
    persons = pa.concat_tables(
        [FAMILY, pa.table({"person_id": pa.array([9], pa.int64()), "household_id": pa.array([5], pa.int64()), "id_number": [STRANGER]})]
    )
    inp = VerificationInput(persons=_keyed(persons), on=ON)
    # when the engine writes the facts file
    out = verify_to_parquet(inp, facts_path=tmp_path / "facts.parquet", backend="duckdb")
    written = pq.read_table(tmp_path / "facts.parquet")
    # then it holds verify()'s facts (in no particular order), citing source, batch and row without a copy of the row
    assert [(f.name, f.type) for f in written.schema] == [(f.name, f.type) for f in FACTS_CITED_SCHEMA]
    written = written.cast(FACTS_CITED_SCHEMA)  # the same types; only the fields' nullability differs
    full = verify(inp, backend="duckdb")
    cited = full.facts.drop_columns(["detail"])
    assert out.facts == written.num_rows == full.facts.num_rows
    assert written.sort_by([(c, "ascending") for c in FACT_ORDER]).equals(cited)
    assert out.households.equals(full.households)
    # and a household's facts read back from the file are verify()'s for it, in FACT_ORDER
    for household in (5, 10):
        mine = facts_of_households(tmp_path / "facts.parquet", household_ids=[household])
        assert mine.num_rows > 0
        assert mine.equals(cited.filter(pa.compute.equal(cited.column("household_id"), household)))
    both = facts_of_households(tmp_path / "facts.parquet", household_ids=[10, 5])
    assert both.equals(cited)  # the stranger's household first
    assert facts_of_households(tmp_path / "facts.parquet", household_ids=[404]).num_rows == 0
    assert facts_of_households(tmp_path / "facts.parquet", household_ids=[]).num_rows == 0


@pytest.mark.django_db
@pytest.mark.parametrize("on", [ON, dt.date(2026, 12, 5)])
def test_duckdb_and_spark_give_identical_tables(lake, tmp_path, on):
    # given the family and a second household sharing the lake
    land_family(tmp_path)
    persons = pa.concat_tables(
        [FAMILY, pa.table({"person_id": pa.array([9], pa.int64()), "household_id": pa.array([20], pa.int64()), "id_number": [STRANGER]})]
    )
    # when verified on each engine
    duck = verify(VerificationInput(persons=_keyed(persons), on=on), backend="duckdb")
    spark = verify(VerificationInput(persons=_keyed(persons), on=on), backend="spark")
    # then the tables are identical, cell for cell
    assert duck.households.num_rows == 2
    assert duck.facts.num_rows > 15
    assert duck.households.equals(spark.households)
    assert duck.facts.equals(spark.facts)


@pytest.mark.django_db
@pytest.mark.spark
def test_the_bulk_path_writes_the_same_facts_and_totals_on_both_engines(lake, tmp_path):
    # given the family and a second household sharing the lake
    land_family(tmp_path)
    persons = pa.concat_tables(
        [FAMILY, pa.table({"person_id": pa.array([9], pa.int64()), "household_id": pa.array([20], pa.int64()), "id_number": [STRANGER]})]
    )
    inp = VerificationInput(persons=_keyed(persons), on=ON)
    # when the roll is verified the bulk way (facts straight to Parquet, totals from the sources) on each engine
    duck = verify_to_parquet(inp, facts_path=tmp_path / "duck.parquet", backend="duckdb")
    spark = verify_to_parquet(inp, facts_path=tmp_path / "spark.parquet", backend="spark")
    # then both files and both household tables are identical, and equal to verify()'s
    assert duck.facts == spark.facts > 15
    duck_file, spark_file = (pq.read_table(tmp_path / f"{e}.parquet") for e in ("duck", "spark"))
    assert duck_file.schema.names == spark_file.schema.names == FACTS_CITED_SCHEMA.names
    order = [(c, "ascending") for c in FACT_ORDER]  # the files are in no particular order
    assert (duck_file.cast(FACTS_CITED_SCHEMA).sort_by(order)  # DuckDB marks some fields not null
            .equals(spark_file.cast(FACTS_CITED_SCHEMA).sort_by(order)))
    assert duck.households.equals(spark.households)
    assert duck.households.equals(verify(inp, backend="spark").households)


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_few_kinds_of_fact_carry_the_named_columns_of_their_rows(lake, tmp_path, backend):
    # given the family and a stranger in another household
    land_family(tmp_path)
    persons = pa.concat_tables(
        [FAMILY, pa.table({"person_id": pa.array([9], pa.int64()), "household_id": pa.array([20], pa.int64()), "id_number": [STRANGER]})]
    )
    inp = VerificationInput(persons=_keyed(persons), on=ON)
    kinds = ("wages", "pensions", "medical_out_of_pocket", "disability")
    fields = {"period": pa.string(), "discharged_on": pa.date32(), "disability_grade": pa.int64()}
    # when only those kinds are asked for, with those columns of the cited rows
    slim = verify_facts(inp, categories=kinds, fields=fields, backend=backend)
    # then they are verify()'s facts of those kinds, in its order, the columns typed from the row
    full = verify(inp, backend="duckdb").facts
    full = full.filter(pa.compute.is_in(full.column("category"), pa.array(kinds)))
    assert slim.num_rows == full.num_rows > 3
    assert slim.select(FACTS_CITED_SCHEMA.names).equals(full.drop_columns(["detail"]))
    details = [json.loads(d) for d in full.column("detail").to_pylist()]
    for name in fields:
        expected = [d.get(name) for d in details]
        got = slim.column(name).cast(pa.string()).to_pylist() if name != "disability_grade" else slim.column(name).to_pylist()
        assert got == expected, name
    assert {"wages", "pensions", "medical_out_of_pocket"} <= set(slim.column("category").to_pylist()) <= set(kinds)


@pytest.mark.django_db
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_few_kinds_of_fact_and_the_household_totals_come_from_one_computation_as_from_two(lake, tmp_path, backend):
    # given the family and a stranger in another household
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=ON)
    kinds = ("wages", "pensions", "medical_out_of_pocket", "disability", "deceased")
    fields = {"period": pa.string(), "discharged_on": pa.date32(), "disability_grade": pa.int64()}
    # when the facts of those kinds and the totals are asked for together
    both = verify_facts_and_households(inp, categories=kinds, fields=fields, backend=backend)
    # then they are those kinds' facts with the columns of their rows, and the household totals, as
    # each is computed alone
    order = [(c, "ascending") for c in FACT_ORDER]  # the facts come in no order
    alone = verify_facts(inp, categories=kinds, fields=fields, backend="duckdb")
    assert both.facts.num_rows > 3
    assert both.facts.sort_by(order).equals(alone)
    assert both.households.equals(verify_households(inp, backend="duckdb"))
    assert both.households.num_rows == 2 and both.households.column("income_total").to_pylist()[0] > 0


def _two_households() -> pa.Table:
    return _keyed(pa.concat_tables(
        [FAMILY, pa.table({"person_id": pa.array([9], pa.int64()), "household_id": pa.array([20], pa.int64()), "id_number": [STRANGER]})]
    ))


def _from_the_index(inp: VerificationInput):
    """``verify(inp)`` once the index of its date and batch set is built (the first lookup starts
    its build in the background), read from that index."""
    verify(inp)
    index_module.index_builds_join()
    out = verify(inp)
    assert index_module._attached["verification"][0].exists()
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("on", [ON, dt.date(2026, 12, 5)])
def test_a_family_read_from_the_index_is_the_full_computation(lake, tmp_path, monkeypatch, on):
    # given the family and a stranger in the lake
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=on)
    # when they are looked up in the index (a few persons), and computed from the sources as a whole roll is
    looked_up = _from_the_index(inp)
    monkeypatch.setattr(compute, "SMALL_INPUT", 0)
    scanned = verify(inp)
    # then the facts (with their rows), their order and the household figures are the same
    assert looked_up.facts.num_rows > 15
    assert looked_up.facts.equals(scanned.facts)
    assert looked_up.households.equals(scanned.households)


@pytest.mark.django_db
def test_a_batch_landed_after_a_lookup_is_in_the_next_one(lake, tmp_path, monkeypatch):
    # given the family looked up once (the index is built)
    land_family(tmp_path)
    inp = VerificationInput(persons=_keyed(FAMILY), on=ON)
    before = _from_the_index(inp)
    assert _household(before)["vehicles_count"] == 1
    # when a new vehicles extract (the hidden car sold, two new ones) and a hospital stay land
    header = "id_number,name,plate_number,vehicle_type,vehicle_value,purchase_date,disability_vehicle,reported_on"
    new_cars = land(tmp_path, "vehicles", header, [
        f"{SPOUSE},配偶,示A54321,小型轿车,50000.00,2026-11-01,false,2026-11-10",
        f"{SPOUSE},配偶,示A54322,小型轿车,40000.00,2026-11-02,false,2026-11-10",
    ], as_of=dt.date(2026, 11, 10)).batch
    stay = land(tmp_path, "medical_expenses", "id_number,name,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket,reported_on", [
        f"{HEAD},户主,示范医院,阑尾炎,2026-11-01,2026-11-08,6000.00,4800.00,1200.00,2026-11-10",
    ], as_of=dt.date(2026, 11, 10)).batch
    after = _from_the_index(inp)
    # then the next lookup cites the new batches, not the superseded extract, as the full computation does
    h = _household(after)
    assert (h["vehicles_count"], h["vehicles_value"], h["deduction_medical"]) == (2, 90000.00, 300.00)
    cited = {(f["source"], f["batch_id"]) for f in after.facts.to_pylist()}
    assert ("vehicles", new_cars.batch_id) in cited and ("medical_expenses", stay.batch_id) in cited
    assert not {b for s, b in cited if s == "vehicles"} - {new_cars.batch_id}
    monkeypatch.setattr(compute, "SMALL_INPUT", 0)
    scanned = verify(inp)
    assert after.facts.equals(scanned.facts) and after.households.equals(scanned.households)


def _index_files(lake) -> list[Path]:
    return sorted((Path(lake) / "index" / "verification").glob("*.arrow"))


@pytest.mark.django_db
def test_the_index_is_one_file_every_worker_reads_and_a_new_batch_names_a_new_one(lake, tmp_path, monkeypatch):
    # given the family looked up once: the index is written as a file under the lake
    land_family(tmp_path)
    inp = VerificationInput(persons=_keyed(FAMILY), on=ON)
    first = _from_the_index(inp)
    [built] = _index_files(lake)
    inode = built.stat().st_ino
    # when another worker (nothing attached, no plan of its own) looks the family up
    monkeypatch.setattr(index_module, "_attached", {})
    monkeypatch.setattr(compute, "_index_plans", {})
    second = verify(inp)
    # then it reads the same file, not a rebuilt one, and finds the same
    assert [p.stat().st_ino for p in _index_files(lake)] == [inode]
    assert second.facts.equals(first.facts) and second.households.equals(first.households)
    # when a batch lands, the next lookup builds and reads a file of its own; the old one is left as it was
    land(tmp_path, "securities", "id_number,name,account_type,market_value,reported_on", [
        f"{SPOUSE},配偶,股票,12345.60,2026-11-10",
    ], as_of=dt.date(2026, 11, 10))
    third = _from_the_index(inp)
    assert len(_index_files(lake)) == 2 and built.stat().st_ino == inode
    assert _household(third)["securities"] == 12345.60 and _household(first)["securities"] == 0


@pytest.mark.django_db
def test_while_another_process_builds_the_index_a_lookup_computes_from_the_sources(lake, tmp_path, monkeypatch):
    # given the family's batches, and another process building the index (it holds the lock)
    land_family(tmp_path)
    folder = Path(lake) / "index" / "verification"
    folder.mkdir(parents=True)
    inp = VerificationInput(persons=_two_households(), on=ON)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # when the family is looked up
        looked_up = verify(inp)
        index_module.index_builds_join()
    # then nothing was written and the facts and figures are the full computation's
    assert _index_files(lake) == []
    monkeypatch.setattr(compute, "SMALL_INPUT", 0)
    scanned = verify(inp)
    assert looked_up.facts.num_rows > 15
    assert looked_up.facts.equals(scanned.facts) and looked_up.households.equals(scanned.households)


@pytest.mark.django_db
def test_the_first_lookup_of_a_date_answers_from_the_sources_and_builds_the_index_apart(lake, tmp_path, monkeypatch):
    # given the family's batches and no index yet, and the index's build held back until released
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=ON)
    monkeypatch.setattr(index_module, "_attached", {})
    release = threading.Event()
    build = index_module._index_build
    monkeypatch.setattr(index_module, "_index_build", lambda con, **kw: release.wait(30) and build(con, **kw))
    # when the family is looked up (as a report asks)
    first = verify(inp)
    # then the answer came while the build had not run: from the sources, the full computation's figures
    assert _index_files(lake) == [] and "verification" not in index_module._attached
    assert [t.name for t in index_module._building.values() if t.is_alive()] != []
    # when the build is let through, the next lookup reads the index, and finds the same
    release.set()
    index_module.index_builds_join()
    [built] = _index_files(lake)
    second = verify(inp)
    assert index_module._attached["verification"][0] == built
    monkeypatch.setattr(compute, "SMALL_INPUT", 0)
    scanned = verify(inp)
    assert first.facts.num_rows > 15
    for out in (first, second):
        assert out.facts.equals(scanned.facts) and out.households.equals(scanned.households)


@pytest.mark.django_db
def test_the_index_command_builds_the_index_ahead_of_the_first_report(lake, tmp_path):
    # given the family's batches and no index yet
    land_family(tmp_path)
    assert _index_files(lake) == []
    # when the index is built ahead for the date
    out = io.StringIO()
    call_command("verification_index", "--on", ON.isoformat(), stdout=out)
    # then the file is there, and a lookup reads it rather than build another
    [built] = _index_files(lake)
    assert "索引已就绪" in out.getvalue()
    verify(VerificationInput(persons=_keyed(FAMILY), on=ON))
    assert _index_files(lake) == [built]


@pytest.mark.django_db
def test_the_index_cites_rows_without_a_copy_and_the_row_stores_give_the_cited_rows(lake, tmp_path):
    # given the family read from the index
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=ON)
    looked_up = _from_the_index(inp)
    # then the index's rows cite batch and row, with no copy of the row
    [built] = _index_files(lake)
    names = pa.ipc.open_file(pa.memory_map(str(built))).schema.names
    assert "detail" not in names and {"batch_id", "row"} <= set(names)
    # and each fact's row, read from its batch's row store, is the row the engine cites
    batches = {b.batch_id: b for found in batches_in_force(on=ON).values() for b in found}
    facts = looked_up.facts.to_pylist()
    assert {f["source"] for f in facts} >= {"vehicles", "real_estate", "benefits", "tax_wages"}
    for fact in facts:
        assert index_module.rows_json(batches[fact["batch_id"]], [fact["row"]]) == [fact["detail"]]
    car = next(json.loads(f["detail"]) for f in facts if f["category"] == "vehicles")
    assert (car["vehicle_value"], car["purchase_date"], car["disability_vehicle"]) == (80000.0, "2024-04-01", False)
    # and a row the batch does not hold is none
    assert index_module.rows_json(batches[facts[0]["batch_id"]], [10**9]) == [None]


@pytest.mark.django_db
def test_a_batch_file_rewritten_in_place_gets_a_row_store_of_its_own(lake, tmp_path):
    # given a batch and its row store
    land_family(tmp_path)
    [batch] = batches_in_force(on=ON, sources=("vehicles",))["vehicles"]
    before = index_module.row_store_build(batch)
    # when the batch file is rewritten in place (as lake-pseudonymise does)
    rows = pq.read_table(batch.path)
    pq.write_table(rows.set_column(rows.schema.get_field_index("name"), "name", pa.array(["某某"] * rows.num_rows)),
                   batch.path)
    # then its rows are read from a new store, and the stale one is gone
    assert json.loads(index_module.rows_json(batch, [1])[0])["name"] == "某某"
    assert not before.exists() and index_module.row_store_path(batch).exists()


@pytest.mark.django_db
def test_a_lookup_in_an_index_without_rows_finds_nothing(lake, tmp_path):
    # given a batch in force whose only row is no fact at the date (released long before)
    land(tmp_path, "prison", "id_number,name,prison_name,admitted_on,expected_release_on,released_on,reported_on", [
        f"{SPOUSE},配偶,示范监狱,2020-01-01,2021-01-01,2021-01-01,2026-10-31",
    ])
    # when the family is read from the index (built with no row)
    out = _from_the_index(VerificationInput(persons=_keyed(FAMILY), on=ON))
    # then it has no fact, and its household row counts its members
    assert out.facts.num_rows == 0 and _household(out)["members"] == 4 and _household(out)["imprisoned_count"] == 0


def _row_stores(lake) -> set[str]:
    return {p.name for p in (Path(lake) / "index" / "rows").glob("*/*.arrow")}


@pytest.mark.django_db
def test_row_stores_are_kept_while_a_kept_index_reads_their_batch_and_removed_after(lake, tmp_path, monkeypatch):
    # given the family looked up (an index reading the first vehicles extract), one index file kept per slot
    monkeypatch.setattr(index_module, "INDEX_FILES_KEPT", 1)
    land_family(tmp_path)
    inp = VerificationInput(persons=_keyed(FAMILY), on=ON)
    _from_the_index(inp)
    [old_cars] = batches_in_force(on=ON, sources=("vehicles",))["vehicles"]
    old_store = index_module.row_store_path(old_cars)
    assert old_store.exists()
    # when a new vehicles extract supersedes it and the next lookup builds an index of its own
    header = "id_number,name,plate_number,vehicle_type,vehicle_value,purchase_date,disability_vehicle,reported_on"
    land(tmp_path, "vehicles", header, [f"{SPOUSE},配偶,示A54321,小型轿车,50000.00,2026-11-01,false,2026-11-10"],
         as_of=dt.date(2026, 11, 10))
    after = _from_the_index(inp)
    # then the old index is gone with the store only it read; the stores the kept index reads are there
    assert not old_store.exists() and old_cars.path.exists()
    [kept] = _index_files(lake)
    reads = json.loads(kept.with_name(f"{kept.stem}.reads.json").read_text())
    in_force = [b for found in batches_in_force(on=ON).values() for b in found]
    assert {p.name for p in kept.parent.glob("*.reads.json")} == {f"{kept.stem}.reads.json"}
    assert _row_stores(lake) == {Path(name).name for name in reads} == {
        index_module.row_store_path(b).name for b in in_force if b.source in _reads_sources(reads)}
    # and the facts cite their rows as before
    monkeypatch.setattr(compute, "SMALL_INPUT", 0)
    assert after.facts.equals(verify(inp).facts)
    # when a batch file the kept index reads is rewritten in place, its old store goes at the next pruning
    [new_cars] = batches_in_force(on=ON, sources=("vehicles",))["vehicles"]
    stale = index_module.row_store_path(new_cars)
    pq.write_table(pq.read_table(new_cars.path), new_cars.path)
    assert stale in index_module.row_stores_prune() and not stale.exists()


def _reads_sources(reads: dict[str, str]) -> set[str]:
    return {Path(name).parent.name for name in reads}


@pytest.mark.django_db
def test_a_lookup_whose_row_stores_were_pruned_meanwhile_reads_the_same_rows(lake, tmp_path, monkeypatch):
    # given the family read from the index by this process
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=ON)
    first = _from_the_index(inp)
    # when another process has removed every row store since (this one has none open)
    for store in (Path(lake) / "index" / "rows").glob("*/*.arrow"):
        store.unlink()
    monkeypatch.setattr(index_module, "_row_stores", type(index_module._row_stores)())
    # then the lookup, on the same index, cites the same rows (the stores built again)
    second = verify(inp)
    assert index_module._attached["verification"][0].exists()
    assert second.facts.num_rows > 15 and second.facts.equals(first.facts)
    assert _row_stores(lake)


@pytest.mark.django_db
def test_a_row_store_is_compressed_by_chunks_and_gives_the_rows_as_the_engine_cites_them(lake, tmp_path, monkeypatch):
    # given a batch of several rows, and chunks of two rows
    monkeypatch.setattr(index_module, "ROW_STORE_CHUNK", 2)
    land_family(tmp_path)
    [batch] = batches_in_force(on=ON, sources=("tax_wages",))["tax_wages"]
    # when its row store is built
    path = index_module.row_store_build(batch)
    # then the file is in compressed chunks of two rows, their first rows named in its metadata
    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    assert reader.num_record_batches == 4 and json.loads(reader.schema.metadata[b"firsts"]) == [1, 3, 5, 7]
    assert path.stat().st_size < _uncompressed_size(reader.read_all())
    # and each row, in any order and across chunks, is the row's JSON as DuckDB writes it
    sql = index_module.row_json_sql(catalogue()["tax_wages"])
    expected = dict(duckdb.sql(f"SELECT _row, {sql} FROM read_parquet('{batch.path}')").fetchall())
    asked = [7, 1, 4, 99, 3, 6, 2, 5, 0, 8]
    assert index_module.rows_json(batch, asked) == [expected.get(r) for r in asked]
    assert len(expected) == 7 and all(index_module.rows_json(batch, [r]) == [j] for r, j in expected.items())


def _uncompressed_size(table: pa.Table) -> int:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().size


@pytest.mark.django_db
def test_an_index_this_process_holds_is_marked_used_and_let_go_once_pruned(lake, tmp_path):
    # given the family read from the index, its file held by this process and last marked long ago
    land_family(tmp_path)
    inp = VerificationInput(persons=_two_households(), on=ON)
    first = _from_the_index(inp)
    path, table, _marked = index_module._attached["verification"]
    os.utime(path, (1, 1))
    index_module._attached["verification"] = (path, table, -1e9)
    # when it is read again, the file is marked used (the slot's pruning keeps the most recently used)
    verify(inp)
    assert path.stat().st_mtime > 1
    # and when another process has pruned it since, the next lookup lets it go and builds it again
    index_module._attached["verification"] = (path, table, -1e9)
    path.unlink()
    again = verify(inp)
    assert "verification" not in index_module._attached or index_module._attached["verification"][1] is not table
    index_module.index_builds_join()
    assert path.exists() and again.facts.equals(first.facts) and verify(inp).facts.equals(first.facts)
