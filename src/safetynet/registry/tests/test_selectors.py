"""The registry's reads for one household, scoped to the reader's region."""

import datetime as dt

import pytest

from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_user
from safetynet.registry.errors import HouseholdNotFound
from safetynet.registry.models import Membership
from safetynet.registry.selectors import (
    household_get_for_user,
    household_members_at,
    household_with_members_at_for_user,
)

ON = dt.date(2025, 3, 1)


@pytest.mark.django_db
def test_a_household_with_its_members_in_one_read_is_the_household_and_its_members_at_the_date(tree):
    # given a household of three, one of whom left before the date, and an officer of its county
    household = make_household(tree.east_community, members=3)
    leaver = Membership.objects.filter(household=household).order_by("id").last()
    Membership.objects.filter(pk=leaver.pk).update(left_on=dt.date(2024, 12, 31))
    officer = make_user(Role.VERIFICATION_CENTRE, tree.east)
    # when the household is read with its members at the date
    found, members = household_with_members_at_for_user(user=officer, household_id=household.pk, on=ON)
    # then it is the household (with its region) and the members the prefetching read gives
    expected = household_members_at(household=household_get_for_user(user=officer, household_id=household.pk), on=ON)
    assert found.pk == household.pk and found.region.code == tree.east_community.code
    assert [(m.pk, m.person.name) for m in members] == [(m.pk, m.person.name) for m in expected]
    assert leaver.pk not in [m.pk for m in members] and len(members) == 2
    # and before anyone joined, the household is read all the same, without members
    assert household_with_members_at_for_user(user=officer, household_id=household.pk, on=dt.date(2000, 1, 1)) == (
        household, [])


@pytest.mark.django_db
def test_a_household_in_another_county_is_not_found(tree):
    # given a household in 东区 and an officer of 西区
    household = make_household(tree.east_community, members=2)
    officer = make_user(Role.VERIFICATION_CENTRE, tree.west)
    # when the officer reads it, then it is not found, with or without members at the date
    for on in (ON, dt.date(2000, 1, 1)):
        with pytest.raises(HouseholdNotFound):
            household_with_members_at_for_user(user=officer, household_id=household.pk, on=on)
