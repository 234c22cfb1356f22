import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.cases import services as case_services
from safetynet.cases.models import Case, Channel, PublicNotice, Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, make_report
from safetynet.core.testing import Role, make_user


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    # Rate-limit counters live in the cache: each test starts with none. Uploads go to a
    # temporary folder.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()


@dataclass
class Staff:
    worker: User
    street: User
    county: User
    supervisor: User
    city_supervisor: User
    west_street: User
    analyst: User


@pytest.fixture
def staff(tree) -> Staff:
    return Staff(
        worker=make_user(Role.COMMUNITY_WORKER, tree.east_community),
        street=make_user(Role.STREET_OFFICER, tree.east_street),
        county=make_user(Role.COUNTY_APPROVER, tree.east),
        supervisor=make_user(Role.SUPERVISOR, tree.east),
        city_supervisor=make_user(Role.SUPERVISOR, tree.city),
        west_street=make_user(Role.STREET_OFFICER, tree.west_street),
        analyst=make_user(Role.ANALYST, tree.city),
    )


def case_to_active(household, staff: Staff, programme: str = "dibao", amount: str = "500") -> Case:
    """File a case through the cases services and move it along its ordinary road to 享受救助."""
    head = household.memberships.order_by("id").first().person
    case = case_services.case_submit(
        programme=programme, household_id=household.pk, applicant_id=head.pk, actor=staff.street,
        channel=Channel.WINDOW,
    ).case
    case_services.case_accept(case_id=case.pk, actor=staff.street)
    case_services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(household)
    case_services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
    case_services.case_record_visit(
        case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(), findings=FULL_FINDINGS, notes="入户核实",
    )
    case_services.case_open_notice(case_id=case.pk, actor=staff.street)
    now = timezone.now()
    PublicNotice.objects.filter(case=case).update(starts_at=now - dt.timedelta(days=8), ends_at=now - dt.timedelta(days=1))
    case_services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=Decimal(amount), stable_household=True,
                               reason="按实际困难程度核定")
    return case_services.case_activate(case_id=case.pk, actor=staff.county)


@pytest.fixture(autouse=True)
def _empty_lake(lake):
    """Verification reads the lake; each test starts with an empty one (no facts on record)."""
    return lake
