import datetime as dt
import hashlib
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest
from django.utils import timezone
from pypinyin import lazy_pinyin

from safetynet.audit.models import AuditEvent
from safetynet.core.paths import demo_truth_dir, incoming_dir
from safetynet.demo.errors import DemoCityInUse, InvalidDemoOptions, RegistryNotEmpty
from safetynet.demo.extracts import BATCH
from safetynet.demo.population import REFERENCE_DATE
from safetynet.demo.services import demo_generate
from safetynet.demo.sources import SOURCES
from safetynet.monitoring.models import Alert, AlertKind, AlertLevel
from safetynet.regions.models import Region
from safetynet.registry.idnumber import check_character, parse_resident_id
from safetynet.registry.models import Household, Membership, Person

N = 300


def _snapshot(lake):
    persons = list(
        Person.objects.order_by("id").values_list(
            "id", "id_number", "name", "sex", "birth_date", "phone", "hukou_region__code", "residence_region__code",
            "disability_category", "disability_grade", "labour_capacity", "health_conditions", "death_date",
        )
    )
    households = list(Household.objects.order_by("id").values_list("id", "number", "region__code", "address", "rural"))
    memberships = list(
        Membership.objects.order_by("id").values_list("household_id", "person_id", "relationship", "joined_on", "left_on")
    )
    home = incoming_dir().parent
    files = {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in (incoming_dir(), demo_truth_dir(), lake)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return persons, households, memberships, files


def _source(lake, name):
    path = incoming_dir() / name / f"{BATCH}.parquet"
    if name == "land_contract" and not path.exists():
        # A city this small may have no rural household, hence no land contracts to write.
        return SOURCES[name].schema().empty_table()
    return pq.read_table(path)


@pytest.mark.django_db
def test_same_seed_gives_identical_registry_and_files_and_another_seed_does_not(lake):
    # given a city from seed 1
    demo_generate(households=N, seed=1)
    first = _snapshot(lake)
    # when it is rebuilt from the same seed, then from another
    demo_generate(households=N, seed=1, reset=True)
    again = _snapshot(lake)
    demo_generate(households=N, seed=2, reset=True)
    other = _snapshot(lake)
    # then
    assert first == again
    assert len(first[3]) == len(SOURCES) + 3
    assert other[0] != first[0]
    assert other[3]["demo_truth/planted.parquet"] != first[3]["demo_truth/planted.parquet"]


@pytest.mark.django_db
def test_every_id_number_is_valid_unique_and_matches_birth_date_and_sex(lake):
    demo_generate(households=N, seed=3)
    rows = list(Person.objects.values_list("id_number", "birth_date", "sex"))
    assert len({r[0] for r in rows}) == len(rows) > N
    for number, birth_date, sex in rows:
        parsed = parse_resident_id(number, today=REFERENCE_DATE)
        assert (parsed.birth_date, parsed.sex) == (birth_date, sex)


@pytest.mark.django_db
def test_nobody_is_in_two_current_households_and_the_dead_have_left(lake):
    demo_generate(households=N, seed=4)
    current = Counter(Membership.objects.filter(left_on__isnull=True).values_list("person_id", flat=True))
    assert max(current.values()) == 1
    alive = set(Person.objects.filter(death_date__isnull=True).values_list("id", flat=True))
    assert set(current) == alive
    dead = Membership.objects.filter(person__death_date__isnull=False)
    assert all(m.left_on == m.person.death_date and m.leave_reason == "死亡" for m in dead.select_related("person"))
    historic = Membership.objects.filter(left_on__isnull=False, person__death_date__isnull=True)
    assert historic.exists()
    for m in historic.select_related("person"):
        now = Membership.objects.get(person=m.person, left_on__isnull=True)
        assert m.left_on <= now.joined_on and m.household_id != now.household_id


@pytest.mark.django_db
def test_counts_add_up_and_one_audit_event_records_them(lake):
    result = demo_generate(households=N, seed=5)
    summary = json.loads((demo_truth_dir() / "summary.json").read_text())
    assert Household.objects.count() == result.households == N == summary["households"]
    assert Person.objects.count() == result.persons == summary["persons"]
    historic = Membership.objects.filter(left_on__isnull=False, person__death_date__isnull=True).count()
    assert Membership.objects.count() == result.memberships == result.persons + historic
    assert Region.objects.filter(code__startswith="99").count() == result.regions
    for name, rows in summary["source_rows"].items():
        assert _source(lake, name).num_rows == rows
    planted = pq.read_table(demo_truth_dir() / "planted.parquet").to_pylist()
    assert dict(Counter(p["kind"] for p in planted)) == summary["planted"]
    event = AuditEvent.objects.get(action="demo.generate")
    assert event.data["persons"] == result.persons and event.data["planted"] == summary["planted"]
    assert not AuditEvent.objects.filter(action="person.create").exists()


@pytest.mark.django_db
def test_sources_are_written_with_the_catalogued_columns(lake):
    demo_generate(households=N, seed=6)
    for name, source in SOURCES.items():
        table = _source(lake, name)
        assert table.schema.equals(source.schema()), name
        # A city this small may have no rural household, hence no land contracts.
        expected = {REFERENCE_DATE} if table.num_rows or name != "land_contract" else set()
        assert set(table.column("reported_on").to_pylist()) == expected


@pytest.mark.django_db
def test_planted_anomalies_are_in_the_sources_as_the_ground_truth_says(lake):
    demo_generate(households=2000, seed=7)
    planted = pq.read_table(demo_truth_dir() / "planted.parquet").to_pylist()
    kinds = Counter(p["kind"] for p in planted)
    for kind in (
        "unreported_death", "hidden_vehicle", "name_typo", "id_typo", "duplicate_benefit", "exclusive_programmes",
        "staff_relative", "public_payroll_recipient", "imprisoned_recipient",
    ):
        assert kinds[kind] >= 1, kind
    tables = {name: _source(lake, name).to_pylist() for name in SOURCES}
    benefits = tables["benefits"]
    for p in planted:
        detail = json.loads(p["detail"])
        row = tables[p["source"]][p["source_row"]] if p["source_row"] >= 0 else None
        if p["kind"] == "id_typo":
            reported = row["id_number"]
            assert reported == detail["reported_id_number"] != p["id_number"]
            assert check_character(reported[:17]) != reported[17]
            differ = [i for i, (a, b) in enumerate(zip(reported, p["id_number"], strict=True)) if a != b]
            if detail["error"] == "birth_date_swapped":  # MMDD keyed as DDMM
                true = p["id_number"]
                assert reported[10:14] == true[12:14] + true[10:12] and set(differ) <= {10, 11, 12, 13}
            else:
                assert len(differ) in (1, 2)
            if "reported_name" in detail:  # the name mistyped too, by a homophone
                assert row["name"] == detail["reported_name"] != detail["true_name"]
        elif p["kind"] == "name_typo":
            true = Person.objects.get(id_number=p["id_number"]).name
            assert row["name"] == detail["reported_name"] and true == detail["true_name"]
            assert len(row["name"]) == len(true) and sum(a != b for a, b in zip(row["name"], true, strict=True)) == 1
            if detail["error"] == "homophone":
                assert lazy_pinyin(row["name"]) == lazy_pinyin(true)
        elif p["kind"] == "unreported_death":
            person = Person.objects.get(id_number=p["id_number"])
            assert person.death_date is None
            assert person.memberships.filter(left_on__isnull=True).exists()
            assert row["id_number"] == p["id_number"] and row["death_date"] == dt.date.fromisoformat(detail["death_date"])
        elif p["kind"] == "hidden_vehicle":
            assert row["id_number"] == p["id_number"] and row["disability_vehicle"] is False
            on_roll = {b["household_number"] for b in benefits if b["programme"] in ("dibao", "tekun")}
            assert p["household_number"] in on_roll
            member = Membership.objects.get(person__id_number=p["id_number"], left_on__isnull=True)
            assert member.household.number == p["household_number"]
        elif p["kind"] == "duplicate_benefit":
            listed = {b["household_number"] for b in benefits if b["id_number"] == p["id_number"]}
            assert set(detail["listed_in"]) <= listed and len(listed) >= 2
        elif p["kind"] == "exclusive_programmes":
            programmes = {b["programme"] for b in benefits if b["id_number"] == p["id_number"]}
            assert set(detail["programmes"]) <= programmes and len(detail["programmes"]) == 2
        elif p["kind"] == "staff_relative":
            assert row["id_number"] == p["id_number"]
            person = Person.objects.get(id_number=p["id_number"])
            assert Membership.objects.filter(person=person, household__number=p["household_number"]).exists()
        elif p["kind"] == "imprisoned_recipient":
            assert row["id_number"] == p["id_number"] and row["released_on"] is None
        elif p["kind"] == "public_payroll_recipient":
            assert row["id_number"] == p["id_number"] and row["monthly_salary"] == detail["monthly_salary"]
    # the public payroll lists someone paid by a cash roll (on it, or a current member of a household
    # on it) only where the truth plants it: the law's anomaly, and nothing the truth does not list
    cash = [b for b in benefits if b["programme"] in ("dibao", "tekun", "low_income_margin")]
    on_roll = {b["household_number"] for b in cash}
    paid = {b["id_number"] for b in cash} | set(
        Membership.objects.filter(left_on__isnull=True, household__number__in=on_roll)
        .values_list("person__id_number", flat=True))
    on_payroll_and_paid = {r["id_number"] for r in tables["public_payroll"]} & paid
    assert on_payroll_and_paid == {p["id_number"] for p in planted if p["kind"] == "public_payroll_recipient"}
    needy = pq.read_table(demo_truth_dir() / "needy_households.parquet").to_pylist()
    assert needy and all(h["income_per_head"] < h["standard"] for h in needy)
    assert {h["standard"] for h in needy} <= {900.0, 700.0}


@pytest.mark.django_db
def test_refuses_a_non_empty_registry_without_reset_and_bad_options(lake):
    demo_generate(households=50, seed=1)
    with pytest.raises(RegistryNotEmpty) as exc:
        demo_generate(households=50, seed=1)
    assert exc.value.code == "demo.registry_not_empty" and "--reset" in exc.value.message
    with pytest.raises(InvalidDemoOptions):
        demo_generate(households=0, seed=1, reset=True)
    assert Household.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_reset_refuses_a_city_other_apps_wrote_about_and_deletes_nothing(lake):
    """An alert on a demo household: the registry cannot be erased under it, and the refusal says
    what to do instead, rather than ending in the database's foreign-key error."""
    demo_generate(households=50, seed=1)
    household = Household.objects.order_by("id").first()
    Alert.objects.create(household=household, kind=AlertKind.TRIGGER, condition="death", level=AlertLevel.RED,
                         on=REFERENCE_DATE, due_at=timezone.now())

    with pytest.raises(DemoCityInUse) as exc:
        demo_generate(households=50, seed=2, reset=True)

    assert exc.value.code == "demo.city_in_use" and "SAFETYNET_HOME" in exc.value.message
    assert Household.objects.count() == 50 and Membership.objects.filter(household=household).exists()
    assert Alert.objects.get().household_id == household.pk
