"""The roll's snapshot in the lake: served while the registry is unchanged, never after a change
to what decides the roll (however it is written), never for another date or scope, and whole
when writers race."""

import datetime as dt
import threading

import pyarrow as pa
import pytest
from django.db import connection, transaction

from safetynet.core.testing import make_household, make_person
from safetynet.regions.models import Region
from safetynet.registry import snapshots, tables
from safetynet.registry.models import Household, Membership, Person
from safetynet.verification.bulk import persons_current

ON = dt.date(2025, 3, 1)


@pytest.fixture
def roll(tree, lake, monkeypatch):
    """Three households in two counties, a person of none, and snapshots kept whatever the roll's
    size."""
    monkeypatch.setattr(snapshots, "SNAPSHOT_MIN_ROWS", 0)
    make_person(tree.east_community)
    return [make_household(tree.east_community, members=2), make_household(tree.east_community_2, members=1),
            make_household(tree.west_community, members=3)]


def _fresh() -> pa.Table:
    """The members read from the store (no snapshot)."""
    return tables._members(on=ON, region_path=None, id_range=None)


def _snapshots() -> list[str]:
    return sorted(p.name for p in snapshots.snapshot_dir().rglob("*.parquet"))


@pytest.mark.django_db(transaction=True)
def test_an_unchanged_registry_is_read_from_the_snapshot(roll, django_assert_num_queries):
    # given the roll read once (and kept)
    first = tables.members_at(on=ON)
    assert len(_snapshots()) == 1
    # when it is read again, and verification's narrower roll too
    with django_assert_num_queries(1):  # the generation, nothing else
        again = tables.members_at(on=ON)
    with django_assert_num_queries(1):
        persons = persons_current(on=ON)
    # then both are the store's
    assert again.equals(first) and again.equals(_fresh())
    assert persons.sort_by("person_id").equals(_persons_from_store())


def _persons_from_store() -> pa.Table:
    from safetynet.verification.bulk import _persons_read

    return _persons_read(on=ON, region_path=None).sort_by("person_id")


def _change_by_save():
    person = Person.objects.filter(memberships__isnull=False).order_by("pk").first()
    person.disability_category, person.disability_grade = "visual", 3
    person.save()


def _change_by_bulk_create(tree):
    household = Household.objects.order_by("pk").first()
    person = Person.objects.filter(memberships__isnull=True).get()
    Membership.objects.bulk_create([Membership(household=household, person=person, relationship="other",
                                               joined_on=dt.date(2020, 1, 1))])


def _change_by_update():
    Membership.objects.filter(pk=Membership.objects.order_by("pk").first().pk).update(left_on=dt.date(2025, 1, 1))


def _change_by_delete():
    membership = Membership.objects.order_by("-pk").first()
    membership.delete()


def _change_by_raw_sql():
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Household._meta.db_table} SET rural = %s", [True])


def _change_region_code(tree):
    Region.objects.filter(pk=tree.west_community.pk).update(code="990102001009")


CHANGES = {
    "save": lambda tree: _change_by_save(),
    "bulk_create": _change_by_bulk_create,
    "update": lambda tree: _change_by_update(),
    "delete": lambda tree: _change_by_delete(),
    "raw_sql": lambda tree: _change_by_raw_sql(),
    "region_code": _change_region_code,
}


@pytest.mark.django_db(transaction=True)  # PostgreSQL draws the new generation at commit
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_the_roll_however_written_is_never_served_from_an_older_snapshot(roll, tree, change):
    # given the roll read (and kept), and its generation
    before = tables.members_at(on=ON)
    persons_before = persons_current(on=ON)
    generation = snapshots.roll_generation()
    # when the registry changes (through the ORM, bulk_create, update, delete or raw SQL)
    CHANGES[change](tree)
    # then the generation is another, and both rolls are read again from the store
    after = tables.members_at(on=ON)
    assert snapshots.roll_generation() not in (None, generation)
    assert after.equals(_fresh()) and not after.equals(before)
    if change in ("bulk_create", "update", "delete"):
        assert not persons_current(on=ON).sort_by("person_id").equals(persons_before.sort_by("person_id"))
    assert persons_current(on=ON).sort_by("person_id").equals(_persons_from_store())


@pytest.mark.django_db(transaction=True)
def test_a_change_outside_the_roll_keeps_its_snapshot(roll):
    # given the roll read (and kept), and its generation
    tables.members_at(on=ON)
    generation = snapshots.roll_generation()
    # when a name and a phone change: nothing the roll reads
    Person.objects.filter(pk=Person.objects.order_by("pk").first().pk).update(name="改名")
    # then the generation and the snapshot stand
    assert snapshots.roll_generation() == generation
    assert tables.members_at(on=ON).equals(_fresh())


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_never_served_for_another_date_or_scope(roll, tree):
    # given a member who joined on 2025-02-01 and the roll at the day before, kept
    household = roll[0]
    person = make_person(tree.east_community)
    Membership.objects.create(household=household, person=person, relationship="other", joined_on=dt.date(2025, 2, 1))
    before = tables.members_at(on=dt.date(2025, 1, 31))
    # when the roll is read at the date itself, and for a county and a range
    at = tables.members_at(on=dt.date(2025, 2, 1))
    east = tables.members_at(on=dt.date(2025, 2, 1), region_path=tree.east.path)
    first_two = tables.members_at(on=dt.date(2025, 2, 1), id_range=(roll[0].pk, roll[1].pk))
    east_persons = persons_current(on=dt.date(2025, 2, 1), region_code=tree.east.code)
    # then each is its own
    assert person.pk in at.column("person_id").to_pylist() and person.pk not in before.column("person_id").to_pylist()
    assert set(east.column("household_id").to_pylist()) == {roll[0].pk, roll[1].pk}
    assert set(first_two.column("household_id").to_pylist()) == {roll[0].pk, roll[1].pk}
    assert set(east_persons.column("person_id").to_pylist()) == set(east.column("person_id").to_pylist())
    assert at.num_rows == before.num_rows + 1 and east.num_rows == 4
    assert len(_snapshots()) == 4  # the county's persons taken from its members' snapshot


@pytest.mark.django_db(transaction=True)
def test_writers_racing_on_one_snapshot_leave_it_whole(roll):
    # given the roll and its snapshot's name
    table = _fresh()
    generation = snapshots.roll_generation()
    scope = snapshots.snapshot_scope(region_path=None, id_range=None)
    path = snapshots._snapshot_path("members", generation, ON, scope)
    seen, errors = [], []

    def write():
        try:
            for _ in range(10):
                snapshots._snapshot_write(table, path=path, scope=scope)
        except Exception as error:  # a writer's failure, reported by the test
            errors.append(error)

    def read():
        for _ in range(40):
            found = snapshots._snapshot_read(path, scope)
            if found is not None:
                seen.append(found.equals(table))

    # when four writers and a reader race
    threads = [threading.Thread(target=write) for _ in range(4)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every read saw the whole table, and one file is left, no partial one
    assert not errors and all(seen)
    assert snapshots._snapshot_read(path, scope).equals(table)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.django_db(transaction=True)
def test_a_new_generations_snapshot_removes_the_older_ones(roll):
    # given the roll kept at one generation
    tables.members_at(on=ON)
    # when the registry changes and the roll is read again
    _change_by_update()
    tables.members_at(on=ON)
    # then only the new generation's snapshot is left
    folders = {p.parent.name for p in snapshots.snapshot_dir().rglob("*.parquet")}
    assert folders == {f"generation={snapshots.roll_generation()}"}


@pytest.mark.django_db(transaction=True)
def test_postgresql_draws_a_new_generation_when_the_change_commits(roll):
    if connection.vendor != "postgresql":
        pytest.skip("the deferred trigger is PostgreSQL's")
    # given the roll read and kept at a generation
    tables.members_at(on=ON)
    generation = snapshots.roll_generation()
    # when a transaction changes the roll: before it commits its own reads skip the snapshot
    with transaction.atomic():
        _change_by_update()
        assert snapshots.roll_generation() is None
        assert tables.members_at(on=ON).equals(_fresh())
    # then once committed the generation is another
    assert snapshots.roll_generation() not in (None, generation)
    assert tables.members_at(on=ON).equals(_fresh())


@pytest.mark.django_db(transaction=True)
def test_a_range_holding_every_household_is_read_from_the_whole_rolls_snapshot(roll, django_assert_num_queries):
    # given the whole roll kept
    whole = tables.members_at(on=ON)
    ids = sorted(h.pk for h in roll)
    # when a range holding every household is read, and one holding some
    with django_assert_num_queries(2):  # the household ids' bounds and the generation
        every = tables.members_at(on=ON, id_range=(ids[0] - 5, ids[-1] + 5))
    some = tables.members_at(on=ON, id_range=(ids[0], ids[1]))
    # then the first is the whole roll, the second its part
    assert every.equals(whole)
    assert set(some.column("household_id").to_pylist()) == set(ids[:2])
