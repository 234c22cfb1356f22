"""Income and asset figures reach only the roles the permission table allows (数据最小化): the
verification centre, the street officer and the county approver (and supervisors and admins, who
audit). Every other role of the region sees the decision and its plain reasons without figures."""

import datetime as dt
import json
import re

import pytest
from django.test import Client

from safetynet.cases import services
from safetynet.cases.tests.conftest import submit
from safetynet.core.permissions import Data, may_see
from safetynet.core.testing import Role, make_user
from safetynet.verification.models import Authorisation, VerificationReport

WAGE = 312.75
FIGURE_ROLES = {Role.VERIFICATION_CENTRE, Role.STREET_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR, Role.ADMIN}
OTHER_STAFF = {Role.COMMUNITY_WORKER, Role.PROVIDER, Role.DATA_PROVIDER, Role.ANALYST}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def case_with_report(household, staff):
    case = submit(household, staff.street)
    members = list(household.memberships.filter(left_on__isnull=True).select_related("person"))
    auth = Authorisation.objects.create(
        household=household, signed_by=members[0].person, sources=["tax_wages"], signed_on=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31), recorded_by=staff.street,
    )
    wage = {"source": "tax_wages", "batch_id": "b", "row": 1, "as_of": "2026-02-28", "kind": "income",
            "category": "wages", "amount": WAGE, "detail": {}}
    VerificationReport.objects.create(
        household=household, authorisation=auth, on=dt.date(2026, 3, 1), requested_by=staff.street, purpose="t",
        income_per_head=0,
        result={"household": {"members": len(members)},
                "members": [{"person_id": m.person_id, "facts": [wage] if i == 0 else []}
                            for i, m in enumerate(members)]},
    )
    return case


def _rules_section(html: str) -> str:
    """The text of the rules card (tags dropped: a digit in ``<h3>`` is not a figure)."""
    card = re.search(r'data-testid="rules">(.*?)</(?:section|div)>\s*<(?:div|section) class="card"', html, re.S)
    return re.sub(r"<[^>]+>", "", card.group(1))


def test_the_table_gives_figures_to_exactly_the_deciding_and_auditing_roles():
    for role in Role.values:
        user = type("U", (), {"is_authenticated": True, "is_active": True, "role": role, "region": None})()
        assert (may_see(user, Data.INCOME) and may_see(user, Data.ASSETS)) == (role in FIGURE_ROLES), role


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(FIGURE_ROLES | OTHER_STAFF))
def test_case_page_shows_figures_only_to_roles_that_may_see_them(tree, staff, case_with_report, role):
    # given a staff account of the case's region in the role
    user = make_user(role, tree.east)
    # when it opens the case page
    r = _client(user).get(f"/cases/{case_with_report.pk}/")
    assert r.status_code == 200
    rules = _rules_section(r.content.decode())
    # then the decision is there for everyone, the wage figure only for the roles allowed
    assert "按现行政策测算" in rules
    assert ("人均收入 125.1 元" in rules) == (role in FIGURE_ROLES)  # 312.75 yuan for the members counted
    assert bool(re.search(r"\d", rules)) == (role in FIGURE_ROLES)
    assert ("＊＊" in rules) == (role not in FIGURE_ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.STREET_OFFICER])
def test_household_picture_shows_the_report_figures_only_to_readers(tree, staff, case_with_report, role):
    user = make_user(role, tree.east)
    r = _client(user).get(f"/monitoring/households/{case_with_report.household_id}/")
    assert r.status_code == 200
    assert r.context["report_allowed"] == (role in FIGURE_ROLES)
    assert (r.context["report"] is not None) == (role in FIGURE_ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.ANALYST, Role.COUNTY_APPROVER])
def test_case_api_hides_the_data_reasons_figures_from_other_roles(tree, staff, household, role):
    # given a case the data proposes to refuse, with a reason quoting the family's deposits
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to="verification", actor=staff.street)
    services.case_propose_data_decision(case_id=case.pk, proposal="refuse", source="verification",
                                        reasons=["家庭存款 86,400.50 元，超过限额 36,000 元"], actor=None)
    # when the case is read through the API
    body = _client(make_user(role, tree.east)).get(f"/api/v1/cases/{case.pk}").json()
    text = json.dumps(body, ensure_ascii=False)
    # then the deposit figure reaches only the approver
    assert ("86,400.50" in text) == (role in FIGURE_ROLES)
    assert body["pending_decision"]["proposal"] == "refuse"
