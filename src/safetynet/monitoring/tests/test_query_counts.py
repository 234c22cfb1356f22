"""The alert list costs the same number of queries for 3 alerts as for 30: no N+1."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safetynet.accounts.models import User
from safetynet.core.testing import make_household
from safetynet.monitoring.models import Alert
from safetynet.monitoring.tests.test_pages import alert  # noqa: F401  (the fixture)


def _more_alerts(alert, tree, n: int) -> None:  # noqa: F811
    Alert.objects.bulk_create([
        Alert(household=make_household(tree.east_community, members=2), kind=alert.kind, condition=alert.condition,
              level=alert.level, reasons=alert.reasons, on=alert.on, due_at=alert.due_at, run=alert.run,
              assigned_to=alert.assigned_to)
        for _ in range(n)
    ])


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_alert_list_does_not_query_per_alert(alert, tree):  # noqa: F811
    client = Client()
    client.force_login(User.objects.get(username="east-worker"))
    _more_alerts(alert, tree, 2)
    few = _count(client, "/monitoring/alerts/")
    before = Alert.objects.count()
    _more_alerts(alert, tree, 27)
    many = _count(client, "/monitoring/alerts/")
    assert Alert.objects.count() == before + 27
    assert many == few
