import datetime as dt
import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from safetynet.cases import services
from safetynet.cases.errors import CaseNotFound
from safetynet.cases.models import Attachment, Case, Status
from safetynet.cases.selectors import (
    case_progress_for_applicant,
    case_queue_for_user,
    deadline_breaches_for_user,
)
from safetynet.cases.tests.conftest import head_of, submit
from safetynet.core.errors import PermissionDenied
from safetynet.core.testing import Role, make_household, make_user


@pytest.mark.django_db
def test_queue_is_per_role_and_region_overdue_first_with_bounded_queries(tree, staff, django_assert_max_num_queries):
    # given five submitted cases in the east, one of them overdue, and one in the west
    cases = [submit(make_household(tree.east_community), staff.street) for _ in range(5)]
    Case.objects.filter(pk=cases[3].pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    submit(make_household(tree.west_community), make_user(Role.STREET_OFFICER, tree.west_street))
    # when the east street officer opens the queue
    with django_assert_max_num_queries(2):
        rows = [(c.pk, c.region.code, c.applicant.name) for c in case_queue_for_user(user=staff.street)[:50]]
    # then the overdue case leads, and only east cases are there
    assert [r[0] for r in rows][0] == cases[3].pk
    assert {r[0] for r in rows} == {c.pk for c in cases}
    # a community worker has nothing to do on submitted cases
    assert not case_queue_for_user(user=staff.worker).exists()


@pytest.mark.django_db
def test_breaches_for_supervisors_only(tree, staff):
    case = submit(make_household(tree.east_community), staff.street)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert [c.pk for c in deadline_breaches_for_user(user=staff.supervisor)] == [case.pk]
    with pytest.raises(PermissionDenied):
        deadline_breaches_for_user(user=staff.street)


@pytest.mark.django_db
def test_applicant_progress_in_plain_chinese(household, staff):
    me = make_user(Role.CITIZEN, None, person=head_of(household))
    case = submit(household, me, channel="online")
    progress = case_progress_for_applicant(user=me, case_id=case.pk)
    assert progress.where == "您的申请已提交，正在等待街道（乡镇）受理。"
    assert progress.due_date.isoformat() in progress.next_step
    services.case_not_accept(case_id=case.pk, actor=staff.street, reason="申请人户籍不在本街道")
    progress = case_progress_for_applicant(user=me, case_id=case.pk)
    assert progress.reasons == ["申请人户籍不在本街道"] and "复查" in progress.how_to_appeal
    # someone else's citizen account sees nothing
    with pytest.raises(CaseNotFound):
        case_progress_for_applicant(user=make_user(Role.CITIZEN, None), case_id=case.pk)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_api_submit_is_idempotent_and_errors_are_typed(household, staff):
    c = _client(staff.street)
    body = {"programme": "dibao", "channel": "window", "household_id": household.pk,
            "applicant_id": head_of(household).pk}
    r1 = c.post("/api/v1/cases", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="api-1")
    r2 = c.post("/api/v1/cases", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="api-1")
    assert (r1.status_code, r2.status_code) == (201, 200) and r1.json()["id"] == r2.json()["id"]
    case_id = r1.json()["id"]
    assert "*" in r1.json()["applicant_id_number"]
    # an illegal move is a 409 with its code
    r = c.post(f"/api/v1/cases/{case_id}/actions", json.dumps({"action": "approve", "amount_monthly": "500"}),
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "case.illegal_transition"
    r = c.post(f"/api/v1/cases/{case_id}/actions", json.dumps({"action": "accept"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == Status.ACCEPTED
    # another region: 404
    r = _client(staff.west_street).get(f"/api/v1/cases/{case_id}")
    assert r.status_code == 404 and r.json()["code"] == "case.not_found"
    detail = c.get(f"/api/v1/cases/{case_id}").json()
    assert [t["to_status"] for t in detail["timeline"]] == ["submitted", "accepted"]
    queue = c.get("/api/v1/cases/queue").json()
    assert queue["count"] == 1


@pytest.mark.django_db
def test_api_attachment_is_validated_and_stored_outside_the_database(household, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = submit(household, staff.street)
    c = _client(staff.street)
    pdf = b"%PDF-1.4\n" + b"x" * 1000
    sha = hashlib.sha256(pdf).hexdigest()
    r = c.post(f"/api/v1/cases/{case.pk}/attachments",
               {"file": SimpleUploadedFile("收入证明.pdf", pdf, "application/pdf"), "sha256": sha})
    assert r.status_code == 201, r.content
    att = Attachment.objects.get()
    assert att.sha256 == sha and att.size == len(pdf)
    assert (tmp_path / att.path).read_bytes() == pdf
    # a renamed executable is refused by its content
    r = c.post(f"/api/v1/cases/{case.pk}/attachments",
               {"file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00evil", "application/pdf")})
    assert r.status_code == 400 and r.json()["code"] == "case.attachment_type"
    # a wrong checksum is refused
    r = c.post(f"/api/v1/cases/{case.pk}/attachments",
               {"file": SimpleUploadedFile("b.pdf", pdf, "application/pdf"), "sha256": "0" * 64})
    assert r.status_code == 400 and r.json()["code"] == "case.attachment_checksum"
    # over 10 MB is refused
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = c.post(f"/api/v1/cases/{case.pk}/attachments", {"file": SimpleUploadedFile("c.pdf", big, "application/pdf")})
    assert r.status_code == 400 and r.json()["code"] == "case.attachment_too_large"
    assert Attachment.objects.count() == 1
    assert not list(tmp_path.rglob("*.part"))
