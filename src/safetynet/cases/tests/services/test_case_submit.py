import datetime as dt

import pytest
from django.utils import timezone

from safetynet.cases import services
from safetynet.cases.errors import DuplicateSubmission, InvalidApplication, MandateInvalid, NotAllowed
from safetynet.cases.models import Case, CaseTransition, Channel, OutboxMessage, Status
from safetynet.cases.tests.conftest import head_of, submit
from safetynet.core.testing import Role, make_user


@pytest.mark.django_db
def test_the_same_idempotency_key_creates_one_case(household, staff):
    # when the same window submission is sent three times
    results = [
        services.case_submit(programme="dibao", channel=Channel.WINDOW, household_id=household.pk,
                             applicant_id=head_of(household).pk, actor=staff.street, idempotency_key="k-1")
        for _ in range(3)
    ]
    # then one case, one timeline entry, one message, and the repeats say so
    assert [r.created for r in results] == [True, False, False]
    assert len({r.case.pk for r in results}) == 1
    assert Case.objects.count() == 1 and CaseTransition.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_key_reused_for_another_application_is_refused(household, staff):
    submit(household, staff.street, idempotency_key="k-2")
    with pytest.raises(DuplicateSubmission) as err:
        submit(household, staff.street, "tekun", idempotency_key="k-2")
    assert err.value.code == "case.duplicate_submission"


@pytest.mark.django_db
def test_a_second_open_case_for_one_programme_is_refused(household, staff):
    submit(household, staff.street)
    with pytest.raises(DuplicateSubmission) as err:
        submit(household, staff.street)
    assert err.value.code == "case.already_open"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_submission_deadline_is_in_working_days(household, staff):
    case = submit(household, staff.street)
    # five working days: at least a week later, on a weekday
    due = timezone.localdate(case.due_at)
    assert (due - timezone.localdate(case.created_at)).days >= 5
    assert case.status == Status.SUBMITTED


@pytest.mark.django_db
def test_online_self_service_only_for_oneself(household, tree):
    me = make_user(Role.CITIZEN, None, person=head_of(household))
    case = submit(household, me, channel=Channel.ONLINE)
    assert case.filed_by == me
    stranger = make_user(Role.CITIZEN, None)
    with pytest.raises(NotAllowed):
        submit(household, stranger, "tekun", channel=Channel.ONLINE)


@pytest.mark.django_db
def test_proxy_applies_only_under_a_valid_mandate(household, staff):
    proxy = make_user(Role.PROXY, None)
    with pytest.raises(MandateInvalid) as err:
        submit(household, proxy, channel=Channel.PROXY)
    assert err.value.code == "case.mandate_invalid"
    mandate = services.mandate_record(grantor_id=head_of(household).pk, proxy_name="李四", relationship="女儿",
                                      valid_until=timezone.localdate() + dt.timedelta(days=90), actor=staff.worker,
                                      proxy_user_id=proxy.pk, programmes=["dibao"])
    case = submit(household, proxy, channel=Channel.PROXY, proxy_mandate_id=mandate.pk)
    assert case.proxy_mandate == mandate
    with pytest.raises(MandateInvalid):
        submit(household, proxy, "tekun", channel=Channel.PROXY, proxy_mandate_id=mandate.pk)


@pytest.mark.django_db
def test_active_discovery_names_its_alert(household, staff):
    with pytest.raises(InvalidApplication) as err:
        submit(household, staff.worker, channel=Channel.ACTIVE_DISCOVERY)
    assert err.value.code == "case.source_ref_required"
    case = services.case_submit(programme="dibao", channel=Channel.ACTIVE_DISCOVERY, household_id=household.pk,
                                applicant_id=head_of(household).pk, actor=None, source_ref="ALERT-42").case
    assert case.channel == Channel.ACTIVE_DISCOVERY and case.filed_by is None
