"""Recovery (追回): the order counts what was paid after the event's month, instalments settle it,
a write-off needs a second officer; everything audited."""

import datetime as dt

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.cases.tests.conftest import Staff, drive_to_active, submit
from safetynet.core.errors import PermissionDenied
from safetynet.core.testing import Role, make_household, make_user
from safetynet.payments.models import BankFileFormat, Outcome, PaymentLine, PaymentResult
from safetynet.supervision import services
from safetynet.supervision.errors import ErrorCode
from safetynet.supervision.models import RecoveryStatus


@pytest.fixture
def paid_household(tree, lake):
    """A household paid 500.00 for each of three months through approved rolls (results: paid)."""
    from safetynet.payments import services as pay

    staff = Staff(worker=make_user(Role.COMMUNITY_WORKER, tree.east_community),
                  street=make_user(Role.STREET_OFFICER, tree.east_street),
                  county=make_user(Role.COUNTY_APPROVER, tree.east), centre=make_user(Role.VERIFICATION_CENTRE, tree.east),
                  supervisor=make_user(Role.SUPERVISOR, tree.east), west_street=make_user(Role.STREET_OFFICER, tree.west_street))
    household = make_household(tree.east_community)
    case = drive_to_active(submit(household, staff.worker), staff)
    head = household.memberships.order_by("id").first().person
    pay.bank_account_record(household_id=household.pk, holder_id=head.pk, bank="ICBC",
                            account_number="6222020000000001", actor=staff.county)
    checker = make_user(Role.ADMIN, tree.city)
    roll = pay.roll_generate(month=dt.date.today().replace(day=1), programme="dibao", region_id=tree.east.pk,
                             actor=staff.county)
    pay.roll_submit(roll_id=roll.pk, actor=staff.county)
    pay.roll_approve(roll_id=roll.pk, actor=checker)
    (f,) = pay.roll_export(roll_id=roll.pk, actor=staff.county, file_format=BankFileFormat.DELIMITED)
    from safetynet.payments import bankfiles

    sent, _n, _t = bankfiles.parse_delimited(bytes(f.content))
    pay.return_import(bank_file_id=f.pk, actor=staff.county, content=bankfiles.render_return(
        bank_file_name=f.filename, results=[(d["ref"], True, "", "") for d in sent],
        amounts={d["ref"]: d["amount"] for d in sent}))
    line = PaymentLine.objects.get(case=case)
    # two earlier months paid the same way (their lines cloned into the same approved roll's history)
    for back in (1, 2):
        period = (line.period - dt.timedelta(days=back * 28)).replace(day=1)
        old = PaymentLine.objects.create(roll=roll, case=case, household=household, payee=head, account=line.account,
                                         kind="regular", period=period, amount_fen=50000)
        PaymentResult.objects.create(line=old, return_file=line.result.return_file, outcome=Outcome.PAID)
    return household, staff, checker, line.period


def test_order_counts_paid_months_after_the_event_and_settles_by_instalments(paid_household):
    household, staff, checker, this_month = paid_household
    two_back = (this_month - dt.timedelta(days=40)).replace(day=1)
    died = two_back + dt.timedelta(days=10)  # died during the earliest month: that month was due
    # when
    order = services.recovery_order_create(household_id=household.pk, event="death", event_date=died,
                                           stop_date=this_month + dt.timedelta(days=27), instalments=3,
                                           actor=staff.supervisor)
    # then: the two months after the death's month, 500.00 each, in 3 instalments
    assert order.amount_fen == 100000
    assert [b["period"] for b in order.basis] == sorted(b["period"] for b in order.basis)
    assert len(order.basis) == 2 and order.instalment_fen == 33334
    services.recovery_instalment_record(order_id=order.pk, amount_fen=33334, paid_on=this_month, actor=staff.supervisor)
    with pytest.raises(Exception) as e:
        services.recovery_instalment_record(order_id=order.pk, amount_fen=70000, paid_on=this_month,
                                            actor=staff.supervisor)
    assert e.value.code == ErrorCode.RECOVERY_INVALID
    order.refresh_from_db()
    assert (order.repaid_fen, order.status) == (33334, RecoveryStatus.REPAYING)
    services.recovery_instalment_record(order_id=order.pk, amount_fen=66666, paid_on=this_month, actor=staff.supervisor)
    order.refresh_from_db()
    assert (order.repaid_fen, order.status) == (100000, RecoveryStatus.REPAID)
    assert AuditEvent.objects.filter(action="supervision.recovery_instalment").count() == 2


def test_write_off_needs_a_second_officer(paid_household):
    household, staff, checker, this_month = paid_household
    order = services.recovery_order_create(household_id=household.pk, event="death",
                                           event_date=this_month - dt.timedelta(days=70),
                                           stop_date=this_month + dt.timedelta(days=27), actor=staff.county)
    services.recovery_write_off_propose(order_id=order.pk, reason="户内无其他成员，无遗产可供追回", actor=staff.county)
    with pytest.raises(PermissionDenied) as e:
        services.recovery_write_off_decide(order_id=order.pk, approve=True, actor=staff.county)
    assert e.value.code == ErrorCode.SAME_PROPOSER_APPROVER
    with pytest.raises(PermissionDenied):  # a supervisor may order recovery, not approve write-offs
        services.recovery_write_off_decide(order_id=order.pk, approve=True, actor=staff.supervisor)
    order = services.recovery_write_off_decide(order_id=order.pk, approve=True, actor=checker)
    assert (order.status, order.write_off_approved_by_id) == (RecoveryStatus.WRITTEN_OFF, checker.pk)


def test_nothing_paid_after_the_event_means_no_order(paid_household):
    household, staff, checker, this_month = paid_household
    with pytest.raises(Exception) as e:
        services.recovery_order_create(household_id=household.pk, event="death", event_date=this_month,
                                       stop_date=this_month + dt.timedelta(days=27), actor=staff.supervisor)
    assert e.value.code == ErrorCode.NOTHING_TO_RECOVER
