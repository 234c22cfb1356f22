"""The registry's members at a date as Arrow (a city's roll is turned into Arrow a slice of rows at
a time): the same table whether read in one slice or in many."""

import datetime as dt
import gc

import pytest

from safetynet.core.testing import make_household
from safetynet.registry import tables
from safetynet.registry.models import Membership, Person


@pytest.mark.django_db
def test_members_read_in_many_slices_are_the_members_read_in_one(tree, monkeypatch):
    # given three households, a member who left before the date and one with two health conditions
    households = [make_household(tree.east_community, members=n) for n in (1, 2, 3)]
    on = dt.date(2025, 3, 1)
    leaver = Membership.objects.filter(household=households[2]).order_by("person_id").last()
    Membership.objects.filter(pk=leaver.pk).update(left_on=dt.date(2024, 12, 31))
    ill = Membership.objects.filter(household=households[1]).order_by("person_id").first().person
    Person.objects.filter(pk=ill.pk).update(health_conditions=["serious", "needs_care"])
    whole = tables.members_at(on=on)
    # when the rows are turned into Arrow two at a time
    monkeypatch.setattr(tables, "_FETCH", 2)
    sliced = tables.members_at(on=on)
    # then the table is the same, in household then person order, without the leaver
    assert sliced.equals(whole) and sliced.schema == tables.MEMBERS_SCHEMA
    expected = sorted((m.household_id, m.person_id) for m in Membership.objects.exclude(pk=leaver.pk))
    assert list(zip(sliced.column("household_id").to_pylist(), sliced.column("person_id").to_pylist(),
                    strict=True)) == expected
    row = sliced.column("person_id").to_pylist().index(ill.pk)
    assert [sliced.column(c)[row].as_py() for c in ("serious_illness", "chronic_illness", "needs_care")] == [
        True, False, True]
    assert sliced.column("birth_date")[0].as_py() == Person.objects.get(pk=expected[0][1]).birth_date
    # and the garbage collector is on again
    assert gc.isenabled()


@pytest.mark.django_db
def test_postgresql_copy_reads_the_members_its_rows_give(tree, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY … TO STDOUT is PostgreSQL's")
    # given members with an empty category and a null one's grade, a leave date, a death date,
    # two health conditions (a comma and quotes in the CSV field) and a disability
    households = [make_household(tree.east_community, members=n) for n in (2, 3)]
    on = dt.date(2025, 3, 1)
    people = list(Person.objects.order_by("pk"))
    Person.objects.filter(pk=people[0].pk).update(health_conditions=["serious", "chronic"], disability_grade=2,
                                                  disability_category="physical")
    Person.objects.filter(pk=people[1].pk).update(death_date=dt.date(2025, 1, 9))
    Membership.objects.filter(household=households[1], person=people[4]).update(left_on=dt.date(2025, 6, 30))
    # when the members are read through COPY's CSV, and as rows
    copied = tables.members_at(on=on)
    monkeypatch.setattr(tables, "_copied", tables._fetched)
    fetched = tables.members_at(on=on)
    # then both give the same table: nulls, empty texts, dates and the health flags alike
    assert copied.num_rows == 5 and copied.equals(fetched)
    assert copied.column("disability_category").to_pylist().count("") == 4
    assert copied.column("left_on").to_pylist().count(None) == 4
    assert copied.column("serious_illness").to_pylist()[0] and copied.column("chronic_illness").to_pylist()[0]
    assert copied.column("death_date").to_pylist()[1] == dt.date(2025, 1, 9)
