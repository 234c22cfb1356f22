import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.calendar import add_working_days
from safetynet.core.errors import PermissionDenied
from safetynet.portal.errors import ErrorCode, InvalidAttachment, InvalidComplaint
from safetynet.portal.models import Complaint, ComplaintStatus
from safetynet.portal.selectors import (
    complaint_queue_for_user,
    complaint_statistics_for_user,
    complaint_track,
)
from safetynet.portal.services import (
    complaint_answer,
    complaint_attachment_open,
    complaint_escalate_overdue,
    complaint_file,
    complaint_reporter_reveal,
    complaint_start,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _file(tree, **kw):
    kw.setdefault("category", "service_attitude")
    kw.setdefault("region_code", tree.east_community.code)
    kw.setdefault("subject", "窗口态度差")
    kw.setdefault("body", "上午去街道窗口咨询低保，工作人员不耐烦。")
    kw.setdefault("anonymous", True)
    return complaint_file(**kw)


def test_a_service_complaint_goes_to_the_street_with_five_working_days(tree):
    # given a Friday
    now = timezone.make_aware(dt.datetime(2025, 9, 12, 10, 0))
    # when
    c = _file(tree, now=now)
    # then
    assert c.handling_region == tree.east_street
    assert c.kind == "complaint"
    assert timezone.localdate(c.due_at) == add_working_days(dt.date(2025, 9, 12), 5) == dt.date(2025, 9, 19)
    assert c.number.startswith("TS20250912-") and len(c.number) == 19
    assert AuditEvent.objects.filter(action="portal.complaint_file", target_id=str(c.pk)).exists()


def test_a_misuse_report_goes_to_the_county_supervisors_queue(tree, staff):
    c = _file(tree, category="misuse", subject="邻居有两辆车还领低保", body="东区1街1社区某户家里有两辆小汽车，仍在领低保。")
    assert c.kind == "report" and c.handling_region == tree.east
    assert list(complaint_queue_for_user(user=staff.supervisor, kind="report")) == [c]
    # the street officer below does not answer county-level reports
    assert c not in complaint_queue_for_user(user=staff.street)


def test_an_anonymous_complaint_keeps_no_identity_and_a_named_one_needs_both(tree):
    c = _file(tree, anonymous=True, reporter_name="王某", reporter_phone="13800000000")
    assert c.reporter_name == "" and c.reporter_phone == ""
    with pytest.raises(InvalidComplaint) as e:
        _file(tree, anonymous=False, reporter_name="王某")
    assert e.value.details["field"] == "reporter_name"
    with pytest.raises(InvalidComplaint):
        _file(tree, anonymous=False, reporter_name="王某", reporter_phone="12ab")


def test_an_attachment_is_checked_by_its_content_and_stored_by_its_checksum(tree):
    c = _file(tree, attachment=io.BytesIO(PNG))
    assert c.attachment_type == "image/png" and c.attachment_size == len(PNG)
    assert (Path(settings.MEDIA_ROOT) / c.attachment_path).read_bytes() == PNG


@pytest.mark.parametrize(
    "content, code",
    [(b"MZ\x90\x00not a picture", ErrorCode.ATTACHMENT_TYPE), (b"", ErrorCode.ATTACHMENT_EMPTY),
     (b"%PDF-" + b"0" * (5 * 1024 * 1024), ErrorCode.ATTACHMENT_TOO_LARGE)],
)
def test_a_bad_attachment_is_refused_and_nothing_is_filed_or_left(tree, content, code):
    with pytest.raises(InvalidAttachment) as e:
        _file(tree, attachment=io.BytesIO(content))
    assert e.value.code == code
    assert Complaint.objects.count() == 0
    assert not [p for p in (Path(settings.MEDIA_ROOT) / "portal").rglob("*") if p.is_file()]


def test_an_unknown_category_or_region_is_refused(tree):
    with pytest.raises(InvalidComplaint):
        _file(tree, category="weather")
    with pytest.raises(Exception) as e:
        _file(tree, region_code="123456789012")
    assert e.value.code == ErrorCode.REGION_UNKNOWN


def test_the_street_officer_answers_and_the_tracking_page_shows_the_outcome_without_names(tree, staff):
    c = _file(tree, anonymous=False, reporter_name="李四", reporter_phone="13912345678")
    complaint_start(complaint_id=c.pk, actor=staff.street)
    complaint_answer(complaint_id=c.pk, actor=staff.street, outcome="substantiated", reply="已约谈窗口人员并整改。")
    # answering twice with the same reply changes nothing (idempotent)
    complaint_answer(complaint_id=c.pk, actor=staff.street, outcome="substantiated", reply="已约谈窗口人员并整改。")
    view = complaint_track(number=c.number.lower())
    assert view.status_code == ComplaintStatus.ANSWERED
    assert view.outcome == "属实，已处理" and view.reply == "已约谈窗口人员并整改。"
    assert [s.kind for s in view.steps] == ["filed", "started", "answered"]
    text = repr(view)
    assert "李四" not in text and "13912345678" not in text and staff.street.username not in text


def test_the_reporter_is_sealed_at_rest(tree):
    from django.db import connection

    c = _file(tree, anonymous=False, reporter_name="李四", reporter_phone="13912345678")
    with connection.cursor() as cur:
        cur.execute("SELECT reporter_name, reporter_phone FROM portal_complaint WHERE id = %s", [c.pk])
        name, phone = cur.fetchone()
    assert "李四" not in name and "13912345678" not in phone
    fresh = Complaint.objects.get(pk=c.pk)
    assert (fresh.reporter_name, fresh.reporter_phone) == ("李四", "13912345678")
    # the anonymous-has-no-identity constraint still holds on the sealed columns
    assert Complaint.objects.filter(pk=c.pk, reporter_name="").count() == 0


def test_an_officer_of_another_region_cannot_touch_it_and_an_answer_needs_a_reply(tree, staff):
    c = _file(tree)
    with pytest.raises(Exception) as e:
        complaint_start(complaint_id=c.pk, actor=staff.west_street)
    assert e.value.code == ErrorCode.COMPLAINT_NOT_FOUND
    with pytest.raises(PermissionDenied):
        complaint_start(complaint_id=c.pk, actor=staff.worker)
    with pytest.raises(Exception) as e:
        complaint_answer(complaint_id=c.pk, actor=staff.street, outcome="substantiated", reply="  ")
    assert e.value.code == ErrorCode.OUTCOME_REQUIRED
    complaint_answer(complaint_id=c.pk, actor=staff.street, outcome="explained", reply="已电话解释。")
    with pytest.raises(Exception) as e:
        complaint_answer(complaint_id=c.pk, actor=staff.street, outcome="substantiated", reply="改口")
    assert e.value.code == ErrorCode.COMPLAINT_ILLEGAL_TRANSITION


def test_an_overdue_complaint_is_escalated_one_level_up_once_per_deadline(tree, staff):
    c = _file(tree, now=timezone.make_aware(dt.datetime(2025, 9, 1, 9, 0)))
    later = timezone.make_aware(dt.datetime(2025, 9, 15, 9, 0))
    assert complaint_escalate_overdue(now=later) == 1
    assert complaint_escalate_overdue(now=later) == 0
    c.refresh_from_db()
    assert c.handling_region == tree.east and c.escalation_level == 1
    assert timezone.localdate(c.due_at) == add_working_days(dt.date(2025, 9, 15), 3)
    assert c in complaint_queue_for_user(user=staff.county)
    assert complaint_track(number=c.number).steps[-1].kind == "escalated"


def test_only_a_supervisor_sees_the_reporter_and_the_view_is_audited(tree, staff):
    c = _file(tree, category="staff_misconduct", anonymous=False, reporter_name="赵六", reporter_phone="13700001111",
              subject="优亲厚友", body="社区干部把亲戚报成低保户。")
    with pytest.raises(PermissionDenied):
        complaint_reporter_reveal(complaint_id=c.pk, actor=staff.county, purpose="核实")
    with pytest.raises(InvalidComplaint):
        complaint_reporter_reveal(complaint_id=c.pk, actor=staff.supervisor, purpose=" ")
    who = complaint_reporter_reveal(complaint_id=c.pk, actor=staff.supervisor, purpose="联系举报人核实情况")
    assert who["name"] == "赵六" and who["phone"] == "13700001111"
    event = AuditEvent.objects.get(action="portal.complaint_reporter_view")
    assert event.purpose == "联系举报人核实情况" and event.actor_id == staff.supervisor.pk


def test_statistics_count_open_overdue_and_answered_in_the_supervisors_subtree(tree, staff):
    old = _file(tree, now=timezone.now() - dt.timedelta(days=30))
    answered = _file(tree, category="delay")
    complaint_answer(complaint_id=answered.pk, actor=staff.street, outcome="explained", reply="已说明办理进度。")
    _file(tree, region_code=tree.west_community.code)
    s = complaint_statistics_for_user(user=staff.supervisor)
    assert (s.total, s.open, s.overdue, s.answered) == (2, 1, 1, 1)
    assert {r["category"]: r["total"] for r in s.by_category} == {"delay": 1, "service_attitude": 1}
    assert s.by_outcome == [{"outcome": "explained", "label": "已解释说明", "n": 1}]
    assert old.pk
    city = complaint_statistics_for_user(user=staff.city_supervisor)
    assert city.total == 3
    with pytest.raises(PermissionDenied):
        complaint_statistics_for_user(user=staff.street)


def test_the_attachment_opens_for_the_handling_officer_only_and_is_audited(tree, staff):
    c = _file(tree, attachment=io.BytesIO(PNG))
    path, content_type = complaint_attachment_open(complaint_id=c.pk, actor=staff.street)
    assert path.read_bytes() == PNG and content_type == "image/png"
    assert AuditEvent.objects.filter(action="portal.complaint_attachment_open", actor_id=staff.street.pk).exists()
    with pytest.raises(Exception) as e:
        complaint_attachment_open(complaint_id=c.pk, actor=staff.west_street)
    assert e.value.code == ErrorCode.COMPLAINT_NOT_FOUND
