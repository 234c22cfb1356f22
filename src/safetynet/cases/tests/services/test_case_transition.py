import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.cases import services
from safetynet.cases.errors import (
    CaseNotFound,
    GuardFailed,
    IllegalTransition,
    NotAllowed,
    ReasonRequired,
)
from safetynet.cases.models import Appeal, Case, CaseTransition, Objection, OutboxMessage, Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, drive_to_active, end_notice, make_report, submit


def _timeline(case):
    return list(CaseTransition.objects.filter(case=case).values_list("to_status", flat=True))


@pytest.mark.django_db
def test_an_illegal_transition_raises_and_changes_nothing(household, staff):
    # given a freshly submitted case
    case = submit(household, staff.street)
    # when someone tries to approve it straight away
    with pytest.raises(IllegalTransition) as err:
        services.case_transition(case_id=case.pk, to=Status.APPROVED, actor=staff.county)
    # then the code is exact and the case and its timeline are untouched
    assert err.value.code == "case.illegal_transition"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.version == 1
    assert _timeline(case) == [Status.SUBMITTED]


@pytest.mark.django_db
def test_a_role_not_in_the_table_may_not_move(household, staff):
    case = submit(household, staff.street)
    # a community worker may not accept (only the street office does)
    with pytest.raises(NotAllowed) as err:
        services.case_accept(case_id=case.pk, actor=staff.worker)
    assert err.value.code == "case.not_allowed"
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


@pytest.mark.django_db
def test_staff_of_another_region_cannot_see_the_case(household, staff):
    case = submit(household, staff.street)
    with pytest.raises(CaseNotFound) as err:
        services.case_accept(case_id=case.pk, actor=staff.west_street)
    assert err.value.code == "case.not_found"


@pytest.mark.django_db
def test_refusal_needs_a_reason(household, staff):
    case = submit(household, staff.street)
    with pytest.raises(ReasonRequired) as err:
        services.case_not_accept(case_id=case.pk, actor=staff.street, reason=" ")
    assert err.value.code == "case.reason_required"
    # with a reason it closes, and the applicant is told why and how to appeal
    services.case_not_accept(case_id=case.pk, actor=staff.street, reason="非本辖区户籍")
    case.refresh_from_db()
    assert case.status == Status.NOT_ACCEPTED and not case.is_open and case.closed_at is not None
    msg = OutboxMessage.objects.filter(case=case).order_by("-id").first()
    assert msg.template == "case.decision_adverse"
    assert msg.payload["reason"] == "非本辖区户籍" and "复查" in msg.payload["appeal"]


@pytest.mark.django_db
def test_a_data_driven_refusal_waits_for_a_named_officer(household, staff):
    # given a case under verification
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    # when the data says no
    services.case_propose_data_decision(case_id=case.pk, proposal="refuse", reasons=["家庭人均收入高于低保标准"],
                                        source="verification")
    case.refresh_from_db()
    # then it is not refused, only pending a person's confirmation
    assert case.status == Status.PENDING_CONFIRMATION and case.is_open
    assert case.pending_decision["reasons"] == ["家庭人均收入高于低保标准"]
    # and the system itself cannot finalise it
    with pytest.raises(NotAllowed):
        services.case_transition(case_id=case.pk, to=Status.REFUSED, actor=None, reason="数据不符")
    # nor an officer without a reason
    with pytest.raises(ReasonRequired):
        services.case_confirm_data_decision(case_id=case.pk, actor=staff.street, confirm=True, reason="")
    # when the named officer confirms with a reason
    services.case_confirm_data_decision(case_id=case.pk, actor=staff.street, confirm=True, reason="经核实收入超标")
    case.refresh_from_db()
    assert case.status == Status.REFUSED and case.pending_decision == {}
    last = CaseTransition.objects.filter(case=case).order_by("-seq").first()
    assert last.actor == staff.street and last.reason == "经核实收入超标"
    assert last.data["data_reasons"] == ["家庭人均收入高于低保标准"]


@pytest.mark.django_db
def test_an_officer_can_override_the_data_and_continue(household, staff):
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_propose_data_decision(case_id=case.pk, proposal="refuse", reasons=["存款超标"], source="rules")
    services.case_confirm_data_decision(case_id=case.pk, actor=staff.street, confirm=False,
                                        reason="存款为子女大病医疗专款，入户核实")
    assert Case.objects.get(pk=case.pk).status == Status.HOME_VISIT


@pytest.mark.django_db
def test_approval_waits_for_the_notice_period_and_open_objections(household, staff):
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
    services.case_record_visit(case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
                               findings=FULL_FINDINGS)
    services.case_open_notice(case_id=case.pk, actor=staff.street)
    # during the notice period approval is refused with a precise code
    with pytest.raises(GuardFailed) as err:
        services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=Decimal("600"), reason="按困难程度核定")
    assert err.value.code == "case.notice_running"
    # an objection recorded during the notice blocks approval until it is answered
    objection = services.case_record_objection(case_id=case.pk, actor=staff.worker, content="家中有车辆")
    end_notice(case)
    with pytest.raises(GuardFailed) as err:
        services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=Decimal("600"), reason="按困难程度核定")
    assert err.value.code == "case.objections_open"
    services.case_resolve_objection(objection_id=objection.pk, actor=staff.street, resolution="车辆已于2024年报废")
    services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=Decimal("600"), reason="按困难程度核定")
    assert Case.objects.get(pk=case.pk).status == Status.APPROVED
    assert Objection.objects.get(pk=objection.pk).resolved_by == staff.street


@pytest.mark.django_db
def test_street_level_approval_is_limited_for_temporary_assistance(household, staff):
    case = submit(household, staff.street, "temporary_assistance", amount_requested=Decimal("3000"))
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_transition(case_id=case.pk, to=Status.REVIEW, actor=staff.street)
    with pytest.raises(GuardFailed) as err:
        services.case_approve(case_id=case.pk, actor=staff.street, amount_monthly=Decimal("3000"), reason="按困难程度核定")
    assert err.value.code == "case.above_street_limit"
    services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=Decimal("3000"), reason="按困难程度核定")
    assert Case.objects.get(pk=case.pk).status == Status.APPROVED


@pytest.mark.django_db
def test_emergency_aid_within_24_hours_then_verification(household, staff):
    # given an emergency application
    case = submit(household, staff.street, "temporary_assistance", emergency=True, amount_requested=Decimal("800"))
    # then its first deadline is 24 hours, not working days
    assert abs((case.due_at - case.created_at) - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)
    # when the street office helps first
    services.case_grant_emergency_aid(case_id=case.pk, actor=staff.street, amount=Decimal("800"), reason="火灾")
    # then verification follows
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    assert Case.objects.get(pk=case.pk).status == Status.VERIFICATION


@pytest.mark.django_db
def test_emergency_aid_above_the_cap_or_without_emergency_is_refused(tree, household, staff):
    from safetynet.core.testing import make_household

    case = submit(household, staff.street, "temporary_assistance", emergency=False)
    with pytest.raises(GuardFailed) as err:
        services.case_grant_emergency_aid(case_id=case.pk, actor=staff.street, amount=Decimal("100"), reason="突发疾病")
    assert err.value.code == "case.not_emergency"
    urgent = submit(make_household(tree.east_community), staff.street, "temporary_assistance", emergency=True)
    with pytest.raises(GuardFailed) as err:
        services.case_grant_emergency_aid(case_id=urgent.pk, actor=staff.street, amount=Decimal("5000"), reason="火灾")
    assert err.value.code == "case.above_emergency_limit"
    assert Case.objects.get(pk=urgent.pk).status == Status.SUBMITTED


@pytest.mark.django_db
def test_gradual_exit_keeps_the_benefit_until_the_grace_period_ends(household, staff):
    case = drive_to_active(submit(household, staff.street), staff)
    # when income rises through work and the approver starts a gradual exit
    services.case_exit(case_id=case.pk, actor=staff.county, reason="家庭成员就业，收入超过标准", gradual=True)
    case.refresh_from_db()
    # then the case stays open for six months with its amount
    assert case.status == Status.GRADUAL_EXIT and case.is_open and case.amount_monthly == Decimal("500")
    assert 180 <= (timezone.localdate(case.due_at) - timezone.localdate()).days <= 185
    # and the system cannot close it before the end
    with pytest.raises(GuardFailed) as err:
        services.case_transition(case_id=case.pk, to=Status.EXITED, actor=None, reason="渐退期满")
    assert err.value.code == "case.grace_running"
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    services.case_transition(case_id=case.pk, to=Status.EXITED, actor=None, reason="渐退期满")
    assert Case.objects.get(pk=case.pk).status == Status.EXITED


@pytest.mark.django_db
def test_periodic_review_change_of_amount_suspension_and_appeal(household, staff):
    case = drive_to_active(submit(household, staff.street), staff)
    services.case_start_review(case_id=case.pk, actor=staff.worker)
    services.case_finish_review(case_id=case.pk, actor=staff.street, amount_monthly=Decimal("450"),
                                stable_household=False)
    case.refresh_from_db()
    assert case.status == Status.ACTIVE and case.amount_monthly == Decimal("450") and not case.stable_household
    # not stable: next review in six months
    assert 175 <= (timezone.localdate(case.due_at) - timezone.localdate()).days <= 190
    services.case_change_amount(case_id=case.pk, actor=staff.county, amount_monthly=Decimal("520"), reason="标准调整")
    services.case_suspend(case_id=case.pk, actor=staff.county, reason="未按期提供材料")
    appeal = services.case_appeal(case_id=case.pk, actor=staff.street, reason="材料已补交")
    assert appeal.against_status == Status.SUSPENDED
    services.case_decide_appeal(case_id=case.pk, actor=staff.county, rereview=True, reason="重新审核")
    case.refresh_from_db()
    assert case.status == Status.REVIEW
    assert Appeal.objects.get(pk=appeal.pk).outcome == "rereview"
    assert AuditEvent.objects.filter(target_id=str(case.pk), action="case.transition").count() >= 10


@pytest.mark.django_db
def test_an_upheld_appeal_returns_to_the_same_decision(household, staff):
    case = submit(household, staff.street)
    services.case_not_accept(case_id=case.pk, actor=staff.street, reason="材料不全")
    services.case_appeal(case_id=case.pk, actor=staff.street, reason="材料已齐")
    # the approver may not turn an appeal against non-acceptance into a refusal
    with pytest.raises(GuardFailed) as err:
        services.case_transition(case_id=case.pk, to=Status.REFUSED, actor=staff.county, reason="维持")
    assert err.value.code == "case.appeal_mismatch"
    services.case_decide_appeal(case_id=case.pk, actor=staff.county, rereview=False, reason="材料仍不全")
    case.refresh_from_db()
    assert case.status == Status.NOT_ACCEPTED and not case.is_open


@pytest.mark.django_db
def test_a_data_driven_exit_at_periodic_review_needs_confirmation(household, staff):
    case = drive_to_active(submit(household, staff.street), staff)
    services.case_start_review(case_id=case.pk, actor=None)
    services.case_propose_data_decision(case_id=case.pk, proposal="exit", reasons=["名下新增车辆"], source="monitoring")
    assert Case.objects.get(pk=case.pk).status == Status.PENDING_CONFIRMATION
    services.case_confirm_data_decision(case_id=case.pk, actor=staff.county, confirm=True, reason="核实属实")
    case.refresh_from_db()
    assert case.status == Status.EXITED and not case.is_open
