"""The registry API: household membership changes and the audited full view, over HTTP."""

import datetime as dt

import pytest
from django.test import Client

from safetynet.audit.models import AuditEvent
from safetynet.audit.services import audit_verify
from safetynet.core.permissions import Action, roles_for
from safetynet.core.roles import STAFF_ROLES, Role
from safetynet.core.testing import make_household, make_person, make_user
from safetynet.registry.models import Membership


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def officer(tree):
    return make_user(Role.STREET_OFFICER, tree.east_street)


def test_an_officer_records_a_join_and_a_leave_and_the_history_shows_both(tree, officer):
    # given a household of two and a newcomer in the officer's street
    household = make_household(tree.east_community, members=2)
    newcomer = make_person(tree.east_community, birth_date=dt.date(1990, 1, 1))
    client = _client(officer)
    # when the newcomer joins in 2019 and leaves in 2022
    join = _post(
        client,
        f"/api/v1/households/{household.pk}/members",
        {"person_id": newcomer.pk, "relationship": "spouse", "joined_on": "2019-05-01"},
    )
    leave = _post(
        client,
        f"/api/v1/households/{household.pk}/members/{newcomer.pk}/leave",
        {"left_on": "2022-03-01", "reason": "离婚迁出"},
    )
    # then both answers describe the row, the detail keeps the whole history
    assert join.status_code == 201, join.content
    assert join.json() | {"name": ""} == {
        "person_id": newcomer.pk,
        "name": "",
        "relationship": "spouse",
        "joined_on": "2019-05-01",
        "left_on": None,
        "leave_reason": "",
    }
    assert leave.status_code == 200, leave.content
    assert (leave.json()["left_on"], leave.json()["leave_reason"]) == ("2022-03-01", "离婚迁出")
    members = client.get(f"/api/v1/households/{household.pk}").json()["members"]
    assert len(members) == 3
    assert [m for m in members if m["person_id"] == newcomer.pk][0]["left_on"] == "2022-03-01"
    # and each change was audited with the officer as actor
    events = AuditEvent.objects.filter(action__in=["household.member_join", "household.member_leave"], actor_id=officer.pk)
    assert sorted(events.values_list("action", flat=True)) == ["household.member_join", "household.member_leave"]


def test_a_second_household_is_refused_over_http_with_the_conflict_code(tree, officer):
    a = make_household(tree.east_community, members=1)
    b = make_household(tree.east_community, members=1)
    person = a.memberships.get().person
    response = _post(
        _client(officer),
        f"/api/v1/households/{b.pk}/members",
        {"person_id": person.pk, "relationship": "other", "joined_on": "2021-01-01"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "membership.conflict"
    assert Membership.objects.filter(person=person).count() == 1


@pytest.mark.parametrize("role", sorted(STAFF_ROLES - roles_for(Action.HOUSEHOLD_MEMBER_CHANGE)))
def test_roles_other_than_editors_cannot_change_households(tree, role):
    household = make_household(tree.east_community, members=1)
    person = household.memberships.get().person
    response = _post(
        _client(make_user(role, tree.east)),
        f"/api/v1/households/{household.pk}/members/{person.pk}/leave",
        {"left_on": "2021-01-01", "reason": "迁出"},
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert household.memberships.get().left_on is None


def test_a_citizen_cannot_change_their_own_household(tree):
    household = make_household(tree.east_community, members=1)
    me = household.memberships.get().person
    response = _post(
        _client(make_user(Role.CITIZEN, None, person=me)),
        f"/api/v1/households/{household.pk}/members/{me.pk}/leave",
        {"left_on": "2021-01-01", "reason": "迁出"},
    )
    assert response.status_code == 403


def test_bad_input_gets_the_invalid_code_and_names_the_fields(tree, officer):
    household = make_household(tree.east_community, members=1)
    response = _post(
        _client(officer),
        f"/api/v1/households/{household.pk}/members",
        {"person_id": "abc", "relationship": "cousin", "joined_on": "2019-02-30"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {e["field"] for e in body["details"]["errors"]} == {"person_id", "relationship", "joined_on"}
    assert "joined_on" in body["message"]


def test_viewing_the_full_record_with_a_purpose_is_audited(tree, officer):
    person = make_person(tree.east_community)
    response = _post(_client(officer), f"/api/v1/persons/{person.pk}/full", {"purpose": "入户调查核对身份"})
    assert response.status_code == 200
    assert (response.json()["id_number"], response.json()["masked"]) == (person.id_number, False)
    (event,) = AuditEvent.objects.filter(action="person.view_full")
    assert (event.actor_id, event.target_id, event.purpose) == (officer.pk, str(person.pk), "入户调查核对身份")
    assert audit_verify().ok


@pytest.mark.parametrize("body", [{}, {"purpose": ""}, {"purpose": " 看 "}], ids=["absent", "empty", "too-short"])
def test_the_full_record_without_a_purpose_is_refused_and_nothing_is_written(tree, officer, body):
    person = make_person(tree.east_community)
    before = AuditEvent.objects.count()
    response = _post(_client(officer), f"/api/v1/persons/{person.pk}/full", body)
    assert (response.status_code, response.json()["code"]) == (400, "audit.purpose_required")
    assert AuditEvent.objects.count() == before


def test_lists_and_details_mask_identifiers(tree, officer):
    person = make_person(tree.east_community)
    client = _client(officer)
    (row,) = client.get("/api/v1/persons").json()["items"]
    detail = client.get(f"/api/v1/persons/{person.pk}").json()
    for shown in (row, detail):
        assert shown["id_number"] != person.id_number and "*" in shown["id_number"]
        assert shown["phone"] != person.phone and shown["masked"] is True
    assert not AuditEvent.objects.filter(action="person.view_full").exists()


def test_the_household_list_does_not_grow_queries_with_rows(tree, officer, django_assert_max_num_queries):
    for _ in range(5):
        make_household(tree.east_community, members=2)
    client = _client(officer)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/households")
    assert response.json()["count"] == 5
