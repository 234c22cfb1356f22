import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.audit.services import audit_verify
from safetynet.cases.access import cases_visible_to
from safetynet.cases.models import Case, Channel, Status
from safetynet.cases.selectors import case_queue_for_user


@pytest.mark.django_db(transaction=True)
def test_demo_seeds_cases_through_the_services_once(lake):
    # when
    out = io.StringIO()
    call_command("demo", "--no-serve", "--households", "300", stdout=out)
    first = list(Case.objects.order_by("id").values_list("id", "status", "due_at"))
    call_command("demo", "--no-serve", "--households", "300", stdout=io.StringIO())
    # then: a second run adds nothing
    assert list(Case.objects.order_by("id").values_list("id", "status", "due_at")) == first
    assert "示范案件" in out.getvalue()

    # the street officer has work, overdue first
    street = User.objects.get(username="demo-street-officer")
    queue = list(case_queue_for_user(user=street))
    assert queue
    now = timezone.now()
    dues = [c.due_at for c in queue]
    assert all(d is not None for d in dues)
    assert dues == sorted(dues)
    assert queue[0].due_at < now
    overdue = [c.due_at < now for c in queue]
    assert overdue == sorted(overdue, reverse=True)  # every overdue case before any that is not
    assert all(c.region.path.startswith(street.region.path) for c in queue)

    # the community worker has work too, and every step the demo seeds is there
    worker = User.objects.get(username="demo-community-worker")
    assert case_queue_for_user(user=worker).exists()
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {Status.SUBMITTED, Status.ACCEPTED, Status.VERIFICATION, Status.HOME_VISIT, Status.REVIEW,
            Status.PUBLIC_NOTICE, Status.ACTIVE, Status.EMERGENCY_AID} <= statuses
    assert Case.objects.filter(channel=Channel.PROXY, proxy_mandate__isnull=False).exists()
    assert Case.objects.filter(programme="temporary_assistance", emergency=True,
                               status=Status.EMERGENCY_AID).count() == 1
    active = Case.objects.filter(status=Status.ACTIVE)
    assert active.exists() and not active.filter(due_at__isnull=True).exists()  # a periodic review date

    # the demo citizen has exactly one case: their own submitted 低保 application
    citizen = User.objects.get(username="demo-citizen")
    mine = list(cases_visible_to(citizen, Case.objects.all()))
    assert len(mine) == 1
    assert (mine[0].programme, mine[0].status, mine[0].applicant_id) == ("dibao", Status.SUBMITTED, citizen.person_id)

    # evidence for every step past verification: a current report; a visit for every case past it
    from safetynet.cases.selectors import case_actions_for_user
    from safetynet.verification.models import VerificationReport

    past = Case.objects.filter(status__in=[Status.VERIFICATION, Status.HOME_VISIT, Status.REVIEW,
                                           Status.PUBLIC_NOTICE, Status.ACTIVE])
    reported = set(VerificationReport.objects.values_list("household_id", flat=True))
    assert past.exists() and all(c.household_id in reported for c in past)
    # the county approver can approve at least one case today: notice over, report current
    county = User.objects.get(username="demo-county-approver")
    ready = [c for c in case_queue_for_user(user=county).filter(status=Status.PUBLIC_NOTICE)
             if any(a.to == Status.APPROVED and not a.blocked for a in case_actions_for_user(case=c, user=county))]
    assert ready

    # every step went through the audited services
    assert audit_verify().ok
