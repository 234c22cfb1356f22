"""Property-based API checks with schemathesis: for inputs generated from the OpenAPI schema,
no answer is a 5xx and every answer matches the schema (including the shared error body).

Requests go through the WSGI app in-process, inside the test's database transaction, as each
of several roles holding a bearer token (a county approver, a street officer, a verification
centre officer and a citizen), so writes are tried too, and refused or accepted according to
the rules and the permission table. Examples are bounded (``max_examples``) so the whole run
stays a few minutes.
"""

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from safetynet.accounts.services import api_token_issue
from safetynet.cases.models import ProxyMandate
from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_person, make_region_tree, make_user

#: The roles the fuzzer signs in as: one approving, one handling cases in a street, the centre
#: that reads financial reports, and a citizen with almost no rights.
FUZZ_ROLES = [Role.COUNTY_APPROVER, Role.STREET_OFFICER, Role.VERIFICATION_CENTRE, Role.CITIZEN]


@pytest.fixture(params=FUZZ_ROLES)
def api_world(db, settings, request):
    tree = make_region_tree()
    for region in (tree.east_community, tree.east_community_2, tree.west_community):
        make_household(region, members=2, joined_on=dt.date(2012, 6, 1))
    make_person(tree.east_community)
    region = {
        Role.COUNTY_APPROVER: tree.east,
        Role.STREET_OFFICER: tree.east_street,
        Role.VERIFICATION_CENTRE: tree.east,
        Role.CITIZEN: None,
    }[request.param]
    caller = make_user(request.param, region)
    token = api_token_issue(actor=None, user=caller, label="schemathesis").plaintext
    # Requests go straight to the WSGI handler, whose end-of-request hook would close the
    # test's database connection (and its transaction) on PostgreSQL; Django's own test
    # client disconnects it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"token": token}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded when the module is collected (serving the schema needs no database). Not
# ``schemathesis.pytest.from_fixture``: its lazy loader touches ``Function._nodeid``, which
# pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    # Generated examples only: no shrinking (a red run stays as quick as a green one) and no
    # explicit examples, which is where schemathesis's exhaustive "coverage" cases would run
    # (hundreds of requests per operation: too slow for every test run).
    phases=[Phase.generate],
)
@pytest.mark.django_db
def test_the_api_never_fails_and_always_answers_as_documented(case, api_world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_world['token']}"},
        # Schema-valid input may still break a business rule (a join dated in the future, a
        # purpose of blanks) and be refused with a typed 400; that check assumes it cannot.
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


def test_the_openapi_schema_is_served_without_login(db):
    # given no session and no token
    response = Client().get("/api/v1/openapi.json")
    # then the schema is served, with both ways to authenticate declared
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert {"ApiTokenAuth", "SessionAuth"} <= schemes.keys()
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/cases/queue?programme=dibao%00", "programme"),
        ("/api/v1/cases/queue?status=approve", "status"),
        ("/api/v1/cases/queue?region=9901", "region"),
        ("/api/v1/cases/breaches?offset=17673571288780046877065216", "offset"),
    ],
)
def test_a_case_list_refuses_a_filter_outside_its_choices_naming_the_field(db, url, field):
    # given a county approver (who has both a queue and the breaches list)
    tree = make_region_tree()
    client = Client()
    client.force_login(make_user(Role.COUNTY_APPROVER, tree.east))
    # when a filter is not one of its documented values (or an offset no database holds)
    response = client.get(url)
    # then it is a typed 422 naming the field, not a silently empty list or a 500
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    assert [e["field"] for e in response.json()["details"]["errors"]] == [field]


def test_posting_a_mandate_reaches_the_mandate_endpoint(db):
    # given a street officer and a resident of their street
    tree = make_region_tree()
    grantor = make_person(tree.east_community)
    client = Client()
    client.force_login(make_user(Role.STREET_OFFICER, tree.east_street))
    body = {"grantor_id": grantor.pk, "proxy_name": "李四", "relationship": "子女", "valid_until": "2030-01-01"}
    # when a mandate is posted
    response = client.post("/api/v1/cases/mandates", body, content_type="application/json")
    # then it is recorded (not answered 405 by the GET-only ``/cases/{case_id}``)
    assert response.status_code == 201, response.content
    assert list(ProxyMandate.objects.values_list("grantor_id", "proxy_name")) == [(grantor.pk, "李四")]
