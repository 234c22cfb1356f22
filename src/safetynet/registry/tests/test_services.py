import datetime as dt

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.core.errors import SafetyNetError
from safetynet.core.testing import make_household, make_person
from safetynet.registry.errors import MembershipConflict
from safetynet.registry.idnumber import make_resident_id
from safetynet.registry.models import Membership, Person
from safetynet.registry.services import (
    household_add_member,
    household_create,
    household_remove_member,
    person_create,
)

GOOD_ID = make_resident_id("990101", dt.date(1985, 4, 2), 12, "F")
WRONG_CHECK_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


def _refusal(fn, **kwargs) -> SafetyNetError:
    with pytest.raises(SafetyNetError) as info:
        fn(**kwargs)
    return info.value


def _person_args(tree, **overrides):
    args = {
        "actor": None,
        "hukou_region": tree.east_community,
        "residence_region": tree.east_community,
        "id_number": GOOD_ID,
        "name": "李梅",
    }
    return args | overrides


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("99010119850402012", "id.length"),
        ("99010119850402012A", "id.format"),
        ("990101198502300120", "id.birth_date"),  # 30 February
        (WRONG_CHECK_ID, "id.checksum"),
    ],
)
def test_a_bad_id_number_is_refused(tree, id_number, code):
    # given an ID number that cannot be right; when a person is created with it, then it is refused with its code and nothing is written
    assert _refusal(person_create, **_person_args(tree, id_number=id_number)).code == code
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_a_birth_date_that_disagrees_with_the_id_is_refused(tree):
    error = _refusal(person_create, **_person_args(tree, birth_date=dt.date(1985, 4, 3)))
    assert error.code == "person.birth_date_mismatch"
    assert not Person.objects.exists()


def test_a_sex_that_disagrees_with_the_id_is_refused(tree):
    error = _refusal(person_create, **_person_args(tree, sex="M"))
    assert error.code == "person.sex_mismatch"
    assert not Person.objects.exists()


def test_a_consistent_person_is_created_with_facts_read_from_the_id(tree):
    person = person_create(**_person_args(tree, birth_date=dt.date(1985, 4, 2), sex="F"))
    assert (person.birth_date, person.sex) == (dt.date(1985, 4, 2), "F")
    assert AuditEvent.objects.filter(action="person.create", target_id=str(person.pk)).count() == 1


@pytest.mark.parametrize(
    "joined_on",
    [dt.date(1979, 12, 31), dt.date.today() + dt.timedelta(days=2)],
    ids=["before-birth", "in-the-future"],
)
def test_an_impossible_join_date_is_refused(tree, joined_on):
    # given a person born in 1980 and an empty household
    person = make_person(tree.east_community, birth_date=dt.date(1980, 1, 1))
    household = household_create(actor=None, number="H-1", region=tree.east_community)
    # when they are added on an impossible date
    error = _refusal(
        household_add_member, actor=None, household=household, person=person, relationship="head", joined_on=joined_on
    )
    # then
    assert error.code == "membership.date"
    assert not Membership.objects.exists()


def test_a_person_cannot_be_in_two_households_at_once(tree):
    # given a person currently in household A
    a = make_household(tree.east_community, members=1)
    person = a.memberships.get().person
    b = household_create(actor=None, number="H-B", region=tree.east_community)
    # when they are added to B without leaving A
    with pytest.raises(MembershipConflict) as info:
        household_add_member(actor=None, household=b, person=person, relationship="head", joined_on=dt.date(2020, 1, 1))
    # then it is refused and B has no members
    assert info.value.code == "membership.conflict"
    assert info.value.status == 409
    assert not b.memberships.exists()


def test_a_join_dated_inside_a_past_membership_is_refused(tree):
    # given a person who was in A from 2015 to 2020
    a = make_household(tree.east_community, members=1, joined_on=dt.date(2015, 1, 1))
    person = a.memberships.get().person
    household_remove_member(actor=None, household=a, person=person, left_on=dt.date(2020, 1, 1), reason="迁出")
    b = household_create(actor=None, number="H-B", region=tree.east_community)
    # when they are recorded as joining B in 2018
    with pytest.raises(MembershipConflict) as info:
        household_add_member(actor=None, household=b, person=person, relationship="head", joined_on=dt.date(2018, 6, 1))
    # then it is refused: in 2018 they still belonged to A
    assert info.value.code == "membership.conflict"
    assert list(Membership.objects.filter(person=person).values_list("household_id", flat=True)) == [a.pk]


def test_leave_then_join_elsewhere_keeps_both_rows(tree):
    # given a person in A since 2015
    a = make_household(tree.east_community, members=1, joined_on=dt.date(2015, 1, 1))
    person = a.memberships.get().person
    b = household_create(actor=None, number="H-B", region=tree.west_community)
    # when they leave A in 2020 and join B the same day
    household_remove_member(actor=None, household=a, person=person, left_on=dt.date(2020, 1, 1), reason="迁出")
    household_add_member(actor=None, household=b, person=person, relationship="head", joined_on=dt.date(2020, 1, 1))
    # then history keeps both rows, only B is current
    rows = list(
        Membership.objects.filter(person=person).order_by("joined_on").values_list("household_id", "joined_on", "left_on")
    )
    assert rows == [(a.pk, dt.date(2015, 1, 1), dt.date(2020, 1, 1)), (b.pk, dt.date(2020, 1, 1), None)]
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="household.member").order_by("seq")][-2:] == [
        "household.member_leave",
        "household.member_join",
    ]


@pytest.mark.parametrize(
    ("left_on", "reason", "code"),
    [
        (dt.date(2014, 12, 31), "迁出", "membership.date"),
        (dt.date.today() + dt.timedelta(days=2), "迁出", "membership.date"),
        (dt.date(2020, 1, 1), "  ", "membership.reason"),
    ],
    ids=["before-join", "in-the-future", "no-reason"],
)
def test_an_impossible_leave_is_refused(tree, left_on, reason, code):
    a = make_household(tree.east_community, members=1, joined_on=dt.date(2015, 1, 1))
    person = a.memberships.get().person
    error = _refusal(household_remove_member, actor=None, household=a, person=person, left_on=left_on, reason=reason)
    assert error.code == code
    assert a.memberships.get().left_on is None
