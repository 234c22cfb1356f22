import datetime as dt

import pytest
from django.db import transaction

from safetynet.cases import outbox
from safetynet.cases.decisions import decide_for_case
from safetynet.cases.errors import DecisionUnavailable
from safetynet.cases.models import OutboxMessage, OutboxStatus
from safetynet.cases.tests.conftest import submit
from safetynet.core.calendar import add_working_days
from safetynet.core.models import Holiday


@pytest.mark.django_db
def test_working_days_skip_weekends():
    # Friday 2026-03-06 + 1 working day is Monday 2026-03-09
    assert add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 9)
    assert add_working_days(dt.date(2026, 3, 6), 0) == dt.date(2026, 3, 6)


@pytest.mark.django_db
def test_working_days_skip_the_seeded_national_day_and_count_makeup_days():
    # given the seeded 2026 calendar (国庆 1–8 October, makeup Saturday 10 October)
    assert Holiday.objects.filter(date=dt.date(2026, 10, 1), is_workday_override=False).exists()
    # Wednesday 30 Sep + 1 → Friday 9 Oct; + 2 → Saturday 10 Oct (调休); + 3 → Monday 12 Oct
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 9)
    assert add_working_days(dt.date(2026, 9, 30), 2) == dt.date(2026, 10, 10)
    assert add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 12)


class _Flaky:
    def __init__(self, fail_times: int) -> None:
        self.fail_times, self.sent = fail_times, []

    def send(self, *, recipient, text, message):
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("gateway down")
        self.sent.append((recipient, text))


@pytest.mark.django_db
def test_outbox_message_commits_with_the_change_and_not_without(household, staff):
    # a change rolled back leaves no message
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(household, staff.street)
        raise RuntimeError("crash before commit")
    assert OutboxMessage.objects.count() == 0
    # a committed one leaves exactly one
    case = submit(household, staff.street)
    msg = OutboxMessage.objects.get()
    assert msg.case == case and msg.status == OutboxStatus.PENDING and msg.channel == "sms"
    assert msg.recipient == case.applicant.phone


@pytest.mark.django_db
def test_outbox_dispatch_retries_then_sends(household, staff, monkeypatch):
    submit(household, staff.street)
    flaky = _Flaky(fail_times=1)
    monkeypatch.setitem(outbox.ADAPTERS, "sms", flaky)
    # first run: the gateway fails, the message waits with back-off
    assert outbox.outbox_dispatch() == outbox.DispatchResult(sent=0, retrying=1, failed=0)
    msg = OutboxMessage.objects.get()
    assert msg.attempts == 1 and msg.status == OutboxStatus.PENDING and "gateway down" in msg.last_error
    assert outbox.outbox_dispatch() == outbox.DispatchResult(sent=0, retrying=0, failed=0)  # not due yet
    # later: sent, in plain Chinese, once
    later = msg.next_attempt_at + dt.timedelta(seconds=1)
    assert outbox.outbox_dispatch(now=later) == outbox.DispatchResult(sent=1, retrying=0, failed=0)
    assert outbox.outbox_dispatch(now=later).sent == 0
    msg.refresh_from_db()
    assert msg.status == OutboxStatus.SENT and msg.attempts == 2
    assert "等待街道（乡镇）受理" in flaky.sent[0][1]


@pytest.mark.django_db
def test_outbox_gives_up_after_max_attempts(household, staff, monkeypatch):
    submit(household, staff.street)
    monkeypatch.setitem(outbox.ADAPTERS, "sms", _Flaky(fail_times=99))
    far = OutboxMessage.objects.get().next_attempt_at
    for i in range(outbox.MAX_ATTEMPTS):
        outbox.outbox_dispatch(now=far + dt.timedelta(days=i + 1))
    msg = OutboxMessage.objects.get()
    assert msg.status == OutboxStatus.FAILED and msg.attempts == outbox.MAX_ATTEMPTS


@pytest.mark.django_db
def test_file_adapter_writes_a_line(household, staff, settings, tmp_path):
    settings.HOME = tmp_path
    submit(household, staff.street)
    assert outbox.outbox_dispatch().sent == 1
    assert "社会救助" in (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_decisions_without_a_verification_report_raise_rather_than_guess(household, staff):
    case = submit(household, staff.street)
    with pytest.raises(DecisionUnavailable) as err:
        decide_for_case(case=case, on=dt.date(2026, 3, 1))
    assert err.value.code == "case.decision_unavailable" and err.value.status == 503
    assert err.value.details["reason"] == "no_verification_report"


@pytest.mark.django_db
def test_decisions_follow_the_latest_verification_report(household, staff):
    # given a stored report saying the household's only income is 300 yuan of wages a month
    from safetynet.verification.models import Authorisation, VerificationReport

    case = submit(household, staff.street)
    members = list(household.memberships.filter(left_on__isnull=True).select_related("person"))
    auth = Authorisation.objects.create(
        household=household, signed_by=members[0].person, sources=["tax_wages"], signed_on=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31), recorded_by=staff.street,
    )
    wage = {"source": "tax_wages", "batch_id": "b", "row": 1, "as_of": "2026-02-28", "kind": "income",
            "category": "wages", "amount": 300.0, "detail": {}}
    VerificationReport.objects.create(
        household=household, authorisation=auth, on=dt.date(2026, 3, 1), requested_by=staff.street, purpose="t",
        income_per_head=0,
        result={"household": {"members": len(members)},
                "members": [{"person_id": m.person_id, "facts": [wage] if i == 0 else []} for i, m in enumerate(members)]},
    )
    # when the case is decided
    decision = decide_for_case(case=case, on=dt.date(2026, 3, 1))
    # then it is eligible for 低保 with a positive amount and reasons in Chinese
    assert decision.eligible is True
    assert decision.amount_monthly > 0
    assert any("低保" in r or "收入" in r for r in decision.reasons)
