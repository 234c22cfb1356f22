import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.cases.models import CaseTransition
from safetynet.cases.tests import conftest as cases_conftest
from safetynet.cases.tests.conftest import drive_to_active, submit
from safetynet.core.testing import Role, make_household, make_user
from safetynet.payments import services

#: The same staff as the cases tests'.
staff = cases_conftest.staff


@dataclass
class Finance:
    maker: User
    checker: User


@pytest.fixture
def finance(tree, staff) -> Finance:
    return Finance(maker=staff.county, checker=make_user(Role.COUNTY_APPROVER, tree.east))


def active_case(tree, staff, *, approved_at: dt.datetime | None = None, account: str | None = "6222020000000001",
                bank: str = "ICBC", region=None):
    """An active 低保 case at 500.00 a month, approved at ``approved_at`` (the clock moved back)."""
    household = make_household(region or tree.east_community)
    case = drive_to_active(submit(household, staff.worker), staff)
    if approved_at is not None:
        CaseTransition.objects.filter(case=case).update(at=approved_at)
    if account:
        head = household.memberships.order_by("id").first().person
        services.bank_account_record(household_id=household.pk, holder_id=head.pk, bank=bank,
                                     account_number=account, actor=staff.county)
    return case


def month(y: int, m: int) -> dt.date:
    return dt.date(y, m, 1)


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 10, tzinfo=dt.UTC)


def now():
    return timezone.now()
