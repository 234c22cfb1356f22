"""The registry's members at a date as Arrow. A large scope is read from SQLite as memberships and
persons apart, each one text of rows, joined in NumPy; a few households by the store's join. Both
must give the registry's values exactly: dates, nulls, empty texts, and texts that hold the
separators, quotes or line breaks the text of rows is made of (read again quoted)."""

import datetime as dt

import pyarrow as pa
import pytest
from django.db import connection

from safetynet.core.testing import make_household
from safetynet.registry import tables
from safetynet.registry.models import Household, Membership, Person

ON = dt.date(2025, 3, 1)


def _expected_rows(on: dt.date) -> list[tuple]:
    """The members at ``on`` as the ORM reads them, in household then person order."""
    rows = []
    current = Membership.objects.filter(joined_on__lte=on).exclude(left_on__lte=on).select_related(
        "person", "household__region")
    for m in sorted(current, key=lambda m: (m.household_id, m.person_id)):
        p, h = m.person, m.household
        conditions = set(p.health_conditions)
        rows.append((m.household_id, m.person_id, p.id_number_index, h.number, h.region.code, h.rural, m.relationship,
                     m.joined_on, m.left_on, p.birth_date, p.disability_grade or 0, p.disability_category,
                     p.labour_capacity, "serious" in conditions, "chronic" in conditions, "needs_care" in conditions,
                     p.death_date))
    return rows


def _rows(table: pa.Table) -> list[tuple]:
    return list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))


@pytest.fixture
def registry(tree):
    """Households with every kind of value: a leaver, a death, a disability, two health conditions,
    a rural household, and household numbers holding a quote, a comma, Chinese text and ``NULL``."""
    households = [make_household(tree.east_community, members=n) for n in (1, 2, 3)]
    households.append(make_household(tree.west_community, members=2))
    leaver = Membership.objects.filter(household=households[2]).order_by("person_id").last()
    Membership.objects.filter(pk=leaver.pk).update(left_on=dt.date(2024, 12, 31))
    stays = Membership.objects.filter(household=households[2]).order_by("person_id").first()
    Membership.objects.filter(pk=stays.pk).update(left_on=dt.date(2025, 6, 30))
    people = list(Person.objects.order_by("pk"))
    Person.objects.filter(pk=people[1].pk).update(health_conditions=["serious", "needs_care"], disability_grade=2,
                                                  disability_category="physical", labour_capacity="partial")
    Person.objects.filter(pk=people[2].pk).update(death_date=dt.date(2025, 1, 9), health_conditions=["chronic"])
    for household, number in zip(households, ("O'Brien,1", "东区\"一\"号", "NULL", "H-4"), strict=True):
        Household.objects.filter(pk=household.pk).update(number=number)
    Household.objects.filter(pk=households[3].pk).update(rural=True)
    return households


@pytest.mark.django_db
def test_the_whole_roll_read_apart_is_every_member_with_the_registry_values(registry):
    # given the registry above
    # when the whole roll is read (SQLite: memberships and persons apart)
    members = tables.members_at(on=ON)
    # then it holds every current member, in order, with each value as the ORM reads it
    assert members.schema == tables.MEMBERS_SCHEMA
    assert _rows(members) == _expected_rows(ON)
    assert members.num_rows == 7
    assert sorted(set(members.column("household_number").to_pylist())) == sorted(["O'Brien,1", "东区\"一\"号", "NULL",
                                                                                   "H-4"])


@pytest.mark.django_db
def test_a_few_households_read_by_the_stores_join_are_the_same_rows(registry):
    # given the registry above
    whole = tables.members_at(on=ON)
    # when its households are read by id (the store's join)
    chosen = tables.members_at(on=ON, household_ids=[h.pk for h in registry])
    # then the rows are the whole roll's
    assert chosen.equals(whole)


@pytest.mark.django_db
def test_a_region_and_a_range_are_their_part_of_the_whole_roll(registry, tree):
    # given the registry above, three households in the east community and one in the west
    whole = tables.members_at(on=ON)
    # when a region's and a range's members are read
    east = tables.members_at(on=ON, region_path=tree.east.path)
    ids = sorted(h.pk for h in registry)
    ranged = tables.members_at(on=ON, id_range=(ids[1], ids[2]))
    # then each is its part of the whole roll
    assert _rows(east) == [r for r in _rows(whole) if r[4] == tree.east_community.code]
    assert _rows(ranged) == [r for r in _rows(whole) if ids[1] <= r[0] <= ids[2]]
    assert 0 < east.num_rows < whole.num_rows and 0 < ranged.num_rows < whole.num_rows


@pytest.mark.django_db
def test_a_text_holding_a_line_break_or_the_separator_is_read_whole(registry):
    # given texts the unquoted text of rows cannot carry: a line break, a carriage return and the
    # unit separator, in a household number and in a person's health list
    Household.objects.filter(pk=registry[0].pk).update(number="H\n1")
    Household.objects.filter(pk=registry[1].pk).update(number="H\x1f2\r")
    person = Membership.objects.filter(household=registry[3]).first().person
    Person.objects.filter(pk=person.pk).update(health_conditions=["serious", "a\nb\x1fc"])
    # when the roll is read
    members = tables.members_at(on=ON)
    # then every value is the registry's
    assert _rows(members) == _expected_rows(ON)
    assert {"H\n1", "H\x1f2\r"} <= set(members.column("household_number").to_pylist())


@pytest.mark.django_db
def test_sqlite_reads_empty_texts_nulls_and_a_text_spelling_null_alike_unquoted_and_quoted(registry):
    if connection.vendor != "sqlite":
        pytest.skip("the text of rows is SQLite's")
    # given empty leave reasons, a household number spelling NULL and null and set leave dates
    # when the rows are read unquoted and (a text holding a line break) quoted
    schema = pa.schema([pa.field("household_id", pa.int64()), pa.field("household_number", pa.string()),
                        pa.field("left_on", pa.date32()), pa.field("leave_reason", pa.string())])
    h, m = Household._meta.db_table, Membership._meta.db_table
    columns = ["h.id", "h.number", "m.left_on", "m.leave_reason"]
    source = f"FROM {h} h JOIN {m} m ON m.household_id = h.id WHERE h.number IN (%s, %s)"
    unquoted = tables._concatenated(columns, source, ["NULL", "O'Brien,1"], schema)
    Household.objects.filter(pk=registry[0].pk).update(number="O'Brien,1\n")
    quoted = tables._concatenated(columns, source, ["NULL", "O'Brien,1\n"], schema)
    # then both give the text NULL, the quote and comma, empty texts and the leave dates alike
    assert sorted(unquoted.column("household_number").to_pylist()) == ["NULL", "NULL", "NULL", "O'Brien,1"]
    assert sorted(quoted.column("household_number").to_pylist()) == ["NULL", "NULL", "NULL", "O'Brien,1\n"]
    for table in (unquoted, quoted):
        assert table.column("leave_reason").to_pylist() == [""] * 4
        assert sorted(table.column("left_on").to_pylist(), key=str) == [
            dt.date(2024, 12, 31), dt.date(2025, 6, 30), None, None]
