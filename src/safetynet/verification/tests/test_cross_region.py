import datetime as dt

import pytest

from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_user
from safetynet.registry.idnumber import make_resident_id
from safetynet.verification.errors import CrossRegionRequestClosed, CrossRegionRequestInvalid
from safetynet.verification.selectors import cross_region_list_for_user, cross_region_overdue_for_user
from safetynet.verification.services import cross_region_request_answer, cross_region_request_create

OTHER_ID = make_resident_id("990102", dt.date(1960, 2, 3), 7, "M")


def _create(actor, household, to_code):
    return cross_region_request_create(
        actor=actor,
        household_id=household.pk,
        to_region_code=to_code,
        id_number=OTHER_ID,
        name="外县人",
        items=["vehicles", "real_estate"],
        reason="申请人之子户籍在西区",
    )


@pytest.mark.django_db
def test_request_flows_from_one_county_to_the_other_and_is_answered_once(tree):
    # given an east-county officer asking the west county
    east = make_user(Role.VERIFICATION_CENTRE, tree.east)
    west = make_user(Role.VERIFICATION_CENTRE, tree.west)
    household = make_household(tree.east_community)
    req = _create(east, household, tree.west.code)
    assert req.from_region == tree.east and req.due_on > dt.date.today()
    # then both ends see it, a third party does not
    assert list(cross_region_list_for_user(user=west, incoming=True)) == [req]
    assert list(cross_region_list_for_user(user=east, incoming=False)) == [req]
    street_elsewhere = make_user(Role.VERIFICATION_CENTRE, tree.west_street)
    assert list(cross_region_list_for_user(user=street_elsewhere)) == []
    # when the requester tries to answer its own request it is refused
    with pytest.raises(CrossRegionRequestInvalid):
        cross_region_request_answer(actor=east, request_id=req.pk, status="answered", response={})
    # when the asked county answers
    answered = cross_region_request_answer(
        actor=west, request_id=req.pk, status="answered", response={"vehicles": 0, "real_estate": 1}
    )
    assert answered.status == "answered" and answered.responded_by == west
    # then a second answer is refused
    with pytest.raises(CrossRegionRequestClosed):
        cross_region_request_answer(actor=west, request_id=req.pk, status="declined", response={"reason": "x"})


@pytest.mark.django_db
def test_same_county_and_unknown_items_are_refused(tree):
    east = make_user(Role.VERIFICATION_CENTRE, tree.east)
    household = make_household(tree.east_community)
    with pytest.raises(CrossRegionRequestInvalid) as err:
        _create(east, household, tree.east.code)
    assert err.value.code == "cross_region.same_county"


@pytest.mark.django_db
def test_open_requests_past_their_due_date_are_overdue(tree):
    east = make_user(Role.VERIFICATION_CENTRE, tree.east)
    req = _create(east, make_household(tree.east_community), tree.west.code)
    assert list(cross_region_overdue_for_user(user=east)) == []
    type(req).objects.filter(pk=req.pk).update(due_on=dt.date(2020, 1, 1))
    assert list(cross_region_overdue_for_user(user=east)) == [req]
