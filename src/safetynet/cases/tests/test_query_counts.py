"""The case page costs the same number of queries however long the case's history is, and the
household page however many members the household has: no N+1."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safetynet.cases import services
from safetynet.cases.models import Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, make_report, submit
from safetynet.core.testing import make_household


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_case_page_does_not_query_per_step_visit_or_notice(db, staff, tree):
    short = submit(make_household(tree.east_community), staff.street)
    long = submit(make_household(tree.east_community), staff.street)
    services.case_accept(case_id=long.pk, actor=staff.street)
    services.case_transition(case_id=long.pk, to=Status.VERIFICATION, actor=staff.street)
    # both households checked, so both pages show a report and the rules' decision
    make_report(long.household)
    make_report(short.household)
    services.case_transition(case_id=long.pk, to=Status.HOME_VISIT, actor=staff.street)
    services.case_record_visit(case_id=long.pk, actor=staff.worker, visited_on=timezone.localdate(),
                               findings=FULL_FINDINGS)
    services.case_open_notice(case_id=long.pk, actor=staff.street)
    client = _client(staff.street)
    _count(client, f"/cases/{short.pk}/")  # warm the session and caches alike
    assert _count(client, f"/cases/{long.pk}/") <= _count(client, f"/cases/{short.pk}/") + 2


def test_the_household_page_does_not_query_per_member(db, staff, tree):
    small = make_household(tree.east_community, members=1)
    large = make_household(tree.east_community, members=5)
    client = _client(staff.street)
    _count(client, f"/households/{small.pk}/")
    assert _count(client, f"/households/{large.pk}/") == _count(client, f"/households/{small.pk}/")
