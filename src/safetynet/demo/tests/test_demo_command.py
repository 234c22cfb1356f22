import io

import pytest
from django.core.management import call_command

from safetynet.accounts.models import User
from safetynet.core.roles import STAFF_ROLES, Role
from safetynet.demo.services import DEMO_PASSWORD
from safetynet.registry.models import Household


@pytest.mark.django_db(transaction=True)
def test_demo_no_serve_creates_every_role_and_is_idempotent(lake):
    # when
    out = io.StringIO()
    call_command("demo", "--no-serve", "--households", "120", stdout=out)
    call_command("demo", "--no-serve", "--households", "120", stdout=io.StringIO())
    # then
    users = {u.role: u for u in User.objects.filter(username__startswith="demo-").select_related("region", "person")}
    assert set(users) == set(Role.values)
    assert User.objects.filter(username__startswith="demo-").count() == len(Role.values)
    assert Household.objects.count() == 120
    for role in STAFF_ROLES:
        assert users[role].region is not None
    community = users[Role.COMMUNITY_WORKER].region
    assert users[Role.STREET_OFFICER].region == community.parent
    assert users[Role.COUNTY_APPROVER].region == community.parent.parent
    assert users[Role.ADMIN].region.code == "990100000000"
    citizen = users[Role.CITIZEN]
    assert citizen.person.residence_region == community
    assert citizen.check_password(DEMO_PASSWORD)
    text = out.getvalue()
    assert "demo-county-approver" in text and DEMO_PASSWORD in text and "审计链完好" in text
