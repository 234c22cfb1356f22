import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.cases import services
from safetynet.cases.findings import NOT_VERIFIED
from safetynet.cases.models import Case, Channel, PublicNotice, Status
from safetynet.core.testing import Role, make_household, make_user
from safetynet.registry.models import Household
from safetynet.verification.models import VerificationReport
from safetynet.verification.services import authorisation_record, verification_run


@pytest.fixture(autouse=True)
def _empty_lake(lake):
    """Verification reads the lake; each test starts with an empty one (no facts on record)."""
    return lake


def make_report(household: Household, *, on: dt.date | None = None) -> VerificationReport:
    """A real check of the household (authorisation signed by its head, the engine run on the
    test's lake) by a verification centre officer of its community."""
    today = timezone.localdate()
    on = on or today
    officer = make_user(Role.VERIFICATION_CENTRE, household.region)
    members = [m.person_id for m in household.memberships.filter(left_on__isnull=True)]
    authorisation_record(
        actor=officer, household_id=household.pk, signed_by_id=members[0], person_ids=members,
        sources=["tax_wages", "vehicles"], signed_on=min(on, today), valid_until=min(on, today) + dt.timedelta(days=300),
    )
    return verification_run(actor=officer, household_id=household.pk, purpose="案件审核", on=on)


#: A visit where the visitor chose every finding.
FULL_FINDINGS = {"met": "申请人本人", "housing": "简陋", "labour": "无", "members_match": "一致", "assets": "无",
                 "income_match": NOT_VERIFIED}


@dataclass
class Staff:
    worker: User
    street: User
    county: User
    centre: User
    supervisor: User
    west_street: User


@pytest.fixture
def staff(tree) -> Staff:
    return Staff(
        worker=make_user(Role.COMMUNITY_WORKER, tree.east_community),
        street=make_user(Role.STREET_OFFICER, tree.east_street),
        county=make_user(Role.COUNTY_APPROVER, tree.east),
        centre=make_user(Role.VERIFICATION_CENTRE, tree.east),
        supervisor=make_user(Role.SUPERVISOR, tree.east),
        west_street=make_user(Role.STREET_OFFICER, tree.west_street),
    )


@pytest.fixture
def household(tree) -> Household:
    return make_household(tree.east_community)


def head_of(household: Household):
    return household.memberships.order_by("id").first().person


def submit(household: Household, actor: User, programme: str = "dibao", **kw) -> Case:
    kw.setdefault("channel", Channel.WINDOW)
    return services.case_submit(
        programme=programme, household_id=household.pk, applicant_id=head_of(household).pk, actor=actor, **kw
    ).case


def end_notice(case: Case) -> None:
    """Let the public notice period run out (the clock moves; nothing else changes)."""
    now = timezone.now()
    PublicNotice.objects.filter(case=case).update(starts_at=now - dt.timedelta(days=8), ends_at=now - dt.timedelta(days=1))


def drive_to_active(case: Case, staff: Staff) -> Case:
    """The ordinary road from filing to payment for the case's programme."""
    p = case.programme
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    if p in ("dibao", "tekun", "low_income_margin", "disability_subsidies"):
        services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
        services.case_record_visit(
            case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
            findings=FULL_FINDINGS, notes="独居老人",
        )
    else:
        services.case_transition(case_id=case.pk, to=Status.REVIEW, actor=staff.street)
    if p in ("dibao", "tekun", "low_income_margin"):
        services.case_open_notice(case_id=case.pk, actor=staff.street)
        end_notice(case)
    approver = staff.street if p == "temporary_assistance" else staff.county
    services.case_approve(case_id=case.pk, actor=approver, amount_monthly=Decimal("500"), stable_household=True,
                          reason="按实际困难程度核定")
    return services.case_activate(case_id=case.pk, actor=approver)
