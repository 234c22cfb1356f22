"""Evidence before every decision: a current verification report before review and approval,
the report after the fact for 先行救助, the notice period and objections before approval, and the
rules' amount recorded beside the one approved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.cases import selectors, services
from safetynet.cases.errors import GuardFailed, ReasonRequired
from safetynet.cases.models import Case, CaseTransition, Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, end_notice, make_report, submit
from safetynet.verification.errors import AuthorisationMissing
from safetynet.verification.models import VerificationReport

pytestmark = pytest.mark.django_db


def _to_verification(case, staff):
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)


def test_no_home_visit_or_review_without_a_report(household, staff):
    # given a dibao case and a medical case at verification, with no report for either household
    dibao = submit(household, staff.street)
    _to_verification(dibao, staff)
    # when the officer moves them on, then the gate refuses with its own code
    with pytest.raises(GuardFailed) as refused:
        services.case_transition(case_id=dibao.pk, to=Status.HOME_VISIT, actor=staff.street)
    assert refused.value.code == "case.report_missing"
    assert Case.objects.get(pk=dibao.pk).status == Status.VERIFICATION


def test_a_stale_report_does_not_count(household, staff):
    # given a report whose base date is older than the programme's limit (90 days)
    case = submit(household, staff.street, "medical_assistance")
    _to_verification(case, staff)
    make_report(household, on=timezone.localdate() - dt.timedelta(days=91))
    # then review is refused as stale …
    with pytest.raises(GuardFailed) as refused:
        services.case_transition(case_id=case.pk, to=Status.REVIEW, actor=staff.street)
    assert refused.value.code == "case.report_stale"
    # … and a fresh check opens it
    make_report(household)
    services.case_transition(case_id=case.pk, to=Status.REVIEW, actor=staff.street)
    assert Case.objects.get(pk=case.pk).status == Status.REVIEW


def test_starting_verification_runs_the_check_or_leaves_the_case_where_it_was(household, staff):
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    # given no authorisation: the check is refused, audited, and the case stays accepted
    with pytest.raises(AuthorisationMissing):
        services.case_start_verification(case_id=case.pk, actor=staff.street)
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED
    assert AuditEvent.objects.filter(action="verification.refused").count() == 1
    # given the family's authorisation (a first report records one), the check runs and the case moves
    make_report(household)
    before = VerificationReport.objects.count()
    report = services.case_start_verification(case_id=case.pk, actor=staff.street)
    assert VerificationReport.objects.count() == before + 1 and report.household_id == household.pk
    case.refresh_from_db()
    assert case.status == Status.VERIFICATION
    assert case.transitions.order_by("-seq").first().data == {"report_id": report.pk}


def test_emergency_aid_comes_first_and_its_report_is_overdue_after_the_deadline(household, staff):
    # given 先行救助 granted at once, without any report
    case = submit(household, staff.street, "temporary_assistance", emergency=True, amount_requested=Decimal("800"))
    services.case_grant_emergency_aid(case_id=case.pk, actor=staff.street, amount=Decimal("800"), reason="火灾")
    case = selectors.case_get_for_user(user=staff.street, case_id=case.pk)
    evidence = selectors.case_evidence(case=case, user=staff.street)
    assert evidence.report_due is not None and not evidence.report_overdue
    # when the deadline has passed (the aid was given three weeks ago) with no report
    CaseTransition.objects.filter(case=case, to_status=Status.EMERGENCY_AID).update(
        at=timezone.now() - dt.timedelta(days=21))
    case = selectors.case_get_for_user(user=staff.street, case_id=case.pk)
    assert selectors.case_evidence(case=case, user=staff.street).report_overdue
    # then a report made after the aid clears it
    make_report(household)
    case = selectors.case_get_for_user(user=staff.street, case_id=case.pk)
    assert not selectors.case_evidence(case=case, user=staff.street).report_overdue


def _at_notice(household, staff):
    case = submit(household, staff.street)
    _to_verification(case, staff)
    make_report(household)
    services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
    services.case_record_visit(case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
                               findings=FULL_FINDINGS)
    services.case_open_notice(case_id=case.pk, actor=staff.street)
    return case


def test_approval_records_the_rules_amount_and_a_changed_amount_needs_a_reason(household, staff):
    case = _at_notice(household, staff)
    end_notice(case)
    proposed = selectors.case_rules_view(user=staff.county, case=case).decision.amount_monthly
    # a different amount without a reason is refused, with the field named
    with pytest.raises(ReasonRequired) as refused:
        services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=proposed + 100)
    assert refused.value.code == "case.amount_change_unexplained" and "reason" in refused.value.details["fields"]
    # the rules' amount needs none, and the proposal is kept on the timeline
    services.case_approve(case_id=case.pk, actor=staff.county, amount_monthly=proposed)
    step = CaseTransition.objects.filter(case=case).order_by("-seq").first()
    assert step.to_status == Status.APPROVED and step.data["proposed_amount"] == str(proposed)


def test_approver_page_shows_the_evidence_before_the_decision(client, household, staff):
    case = _at_notice(household, staff)
    client.force_login(staff.county)
    html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    # the report, rules, visit and notice come before the decision block, which waits for the notice
    order = [html.index(m) for m in ('data-testid="report-link"', 'data-testid="rules"', 'data-testid="visit"',
                                     'data-testid="notice"', 'id="h-actions"')]
    assert order == sorted(order)
    assert 'data-testid="blocked-approved"' in html
    # once the notice has ended, the amount field carries the rules' proposal
    end_notice(case)
    response = client.get(reverse("cases:case", args=[case.pk]))
    proposed = response.context["proposed"]
    assert proposed is not None and f'value="{proposed}"' in response.content.decode()


def test_starting_verification_on_the_page_opens_the_report(client, household, staff):
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    make_report(household)  # the family's authorisation is on record
    client.force_login(staff.street)
    response = client.post(reverse("cases:move", args=[case.pk]),
                           {"to": Status.VERIFICATION, "version": Case.objects.get(pk=case.pk).version})
    report = VerificationReport.objects.order_by("-id").first()
    assert response.status_code == 302
    assert response["Location"] == reverse("verification:report", args=[report.pk]) + f"?case={case.pk}"
