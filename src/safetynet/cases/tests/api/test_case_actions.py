"""One door per case action: the API's typed actions and the web's move form reach the same
named service, so each leaves the same transition record; no action can change a field that
belongs to another."""

import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from safetynet.cases import services
from safetynet.cases.models import Case, CaseTransition, Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, drive_to_active, end_notice, make_report, submit

S = Status


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _at_review(household, staff) -> Case:
    case = submit(household, staff.street)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=S.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_transition(case_id=case.pk, to=S.HOME_VISIT, actor=staff.street)
    services.case_record_visit(case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
                               findings=FULL_FINDINGS, notes="")
    return case


def _at_notice_over(household, staff) -> Case:
    case = _at_review(household, staff)
    services.case_open_notice(case_id=case.pk, actor=staff.street)
    end_notice(case)
    return case


#: (name, how to bring a case to the step, who acts, the API body, the web form's fields)
SCENARIOS = [
    ("accept", lambda h, s: submit(h, s.street), "street", {"action": "accept", "note": "材料齐全"},
     {"to": S.ACCEPTED, "reason": "材料齐全"}),
    ("not_accept", lambda h, s: submit(h, s.street), "street", {"action": "not_accept", "reason": "非本辖区户籍"},
     {"to": S.NOT_ACCEPTED, "reason": "非本辖区户籍"}),
    ("open_notice", _at_review, "street", {"action": "open_notice"}, {"to": S.PUBLIC_NOTICE}),
    ("approve", _at_notice_over, "county",
     {"action": "approve", "amount_monthly": "512.30", "stable_household": True, "reason": "符合条件"},
     {"to": S.APPROVED, "amount": "512.30", "stable_household": "on", "reason": "符合条件"}),
    ("refuse", _at_notice_over, "county", {"action": "refuse", "reason": "存款超过限额"},
     {"to": S.REFUSED, "reason": "存款超过限额"}),
    ("change_amount", lambda h, s: drive_to_active(submit(h, s.street), s), "county",
     {"action": "change_amount", "amount_monthly": "450.00", "reason": "标准调整"},
     {"to": S.ACTIVE, "amount": "450.00", "reason": "标准调整"}),
    ("suspend", lambda h, s: drive_to_active(submit(h, s.street), s), "county",
     {"action": "suspend", "reason": "未按期提供材料"}, {"to": S.SUSPENDED, "reason": "未按期提供材料"}),
    ("exit", lambda h, s: drive_to_active(submit(h, s.street), s), "county",
     {"action": "exit", "reason": "家庭收入超过标准"}, {"to": S.EXITED, "reason": "家庭收入超过标准"}),
    ("start_review", lambda h, s: drive_to_active(submit(h, s.street), s), "street",
     {"action": "advance", "to": "periodic_review"}, {"to": S.PERIODIC_REVIEW}),
]


def _last_transition(case_id: int) -> dict:
    t = CaseTransition.objects.filter(case_id=case_id).order_by("-seq").first()
    case = Case.objects.get(pk=case_id)
    return {"from": t.from_status, "to": t.to_status, "reason": t.reason, "data": t.data, "role": t.actor_role,
            "amount": case.amount_monthly, "stable": case.stable_household}


@pytest.mark.django_db
@pytest.mark.parametrize("name,setup,who,body,form", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_api_and_web_paths_leave_the_same_transition(household, staff, name, setup, who, body, form):
    # given a case at the step the action starts from
    case = setup(household, staff)
    actor = getattr(staff, who)
    version = Case.objects.get(pk=case.pk).version
    # when the action goes through the API (then undone) …
    with transaction.atomic():
        r = _client(actor).post(f"/api/v1/cases/{case.pk}/actions", json.dumps({**body, "version": version}),
                                content_type="application/json")
        assert r.status_code == 200, r.content
        through_api = _last_transition(case.pk)
        transaction.set_rollback(True)
    # … and through the case page's move form
    r = _client(actor).post(f"/cases/{case.pk}/move/", {**form, "version": version})
    assert r.status_code in (200, 302), r.content.decode()[:500]
    through_web = _last_transition(case.pk)
    # then both leave the same record
    assert through_api == through_web
    assert through_api["to"] == form["to"]
    assert CaseTransition.objects.filter(case=case).order_by("-seq").first().seq == version + 1


@pytest.mark.django_db
def test_a_plain_move_cannot_set_an_amount_or_skip_the_named_decision(household, staff):
    case = _at_notice_over(household, staff)
    c = _client(staff.county)
    # a plain step may not approve (approval needs its amount) …
    r = c.post(f"/api/v1/cases/{case.pk}/actions", json.dumps({"action": "advance", "to": "approved"}),
               content_type="application/json")
    assert r.status_code == 422
    # … an action carries only its own fields …
    r = c.post(f"/api/v1/cases/{case.pk}/actions",
               json.dumps({"action": "refuse", "reason": "x", "amount_monthly": "9999"}),
               content_type="application/json")
    assert r.status_code == 422
    # … and the generic service refuses a move that belongs to a named action
    with pytest.raises(Exception) as err:
        services.case_transition(case_id=case.pk, to=S.APPROVED, actor=staff.county)
    assert getattr(err.value, "code", "") == "case.named_action_required"
    case.refresh_from_db()
    assert case.status == S.PUBLIC_NOTICE and case.amount_monthly is None


@pytest.mark.django_db
def test_a_stale_version_is_refused_through_the_api(household, staff):
    case = submit(household, staff.street)
    c = _client(staff.street)
    stale = case.version
    services.case_accept(case_id=case.pk, actor=staff.street)
    r = c.post(f"/api/v1/cases/{case.pk}/actions",
               json.dumps({"action": "advance", "to": "verification", "version": stale}),
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "case.version_stale"
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED


@pytest.mark.django_db
def test_approving_records_the_exact_amount(household, staff):
    case = _at_notice_over(household, staff)
    r = _client(staff.county).post(f"/api/v1/cases/{case.pk}/actions",
                                   json.dumps({"action": "approve", "amount_monthly": "0.01",
                                               "reason": "按申请人实际困难核定"}),
                                   content_type="application/json")
    assert r.status_code == 200
    assert Case.objects.get(pk=case.pk).amount_monthly == Decimal("0.01")
