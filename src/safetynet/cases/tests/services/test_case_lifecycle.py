import pytest
from django.utils import timezone

from safetynet.audit.services import audit_verify
from safetynet.cases.models import Case, CaseTransition, OutboxMessage, Programme, Status
from safetynet.cases.programmes import config_problems
from safetynet.cases.tests.conftest import FULL_FINDINGS, drive_to_active, make_report, submit


def test_the_shipped_configuration_holds_the_human_in_the_loop_rule():
    assert config_problems() == []


def test_a_configuration_letting_the_system_refuse_is_rejected():
    # given a programme whose table lets the system refuse by itself
    from dataclasses import replace

    from safetynet.cases.programmes import DIBAO, SYSTEM, Move

    bad = replace(DIBAO, moves=(*DIBAO.moves, Move(Status.REVIEW, Status.EXITED, frozenset({SYSTEM}), True)))
    # then the check names it
    assert config_problems({"dibao": bad}) == ["dibao: review→exited may not be made by the system alone"]


@pytest.mark.django_db
@pytest.mark.parametrize("programme", Programme.values)
def test_every_programme_runs_from_submission_to_active(programme, household, staff):
    # given an application at the window
    case = submit(household, staff.street, programme)
    # when it goes through every step of its programme
    case = drive_to_active(case, staff)
    # then it is active, with the amount, a timeline from submission and a valid audit chain
    case.refresh_from_db()
    assert case.status == Status.ACTIVE
    assert case.is_open
    assert str(case.amount_monthly) == "500.00"
    steps = list(CaseTransition.objects.filter(case=case).values_list("to_status", flat=True))
    assert steps[0] == Status.SUBMITTED and steps[-1] == Status.ACTIVE
    assert list(CaseTransition.objects.filter(case=case).values_list("seq", flat=True)) == list(
        range(1, len(steps) + 1)
    )
    assert case.version == len(steps)
    assert case.due_at is not None  # the next periodic review
    assert OutboxMessage.objects.filter(case=case).count() == len(steps)  # one SMS per step
    assert audit_verify().ok


@pytest.mark.django_db
def test_public_notice_masks_name_and_id(household, staff):
    from safetynet.cases import services
    from safetynet.cases.tests.conftest import head_of

    # given a dibao case at review
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
    services.case_record_visit(case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
                               findings=FULL_FINDINGS)
    # when the notice opens
    notice = services.case_open_notice(case_id=case.pk, actor=staff.street)
    # then it lasts 7 days and shows neither the full name nor the ID number
    person = head_of(household)
    assert (notice.ends_at - notice.starts_at).days == 7
    assert person.name not in notice.text and person.id_number not in notice.text
    assert notice.masked_name == person.name[0] + "*" * (len(person.name) - 2) + person.name[-1]
    assert notice.masked_id_number == person.id_number[:6] + "********" + person.id_number[-4:]
    assert Case.objects.get(pk=case.pk).status == Status.PUBLIC_NOTICE
