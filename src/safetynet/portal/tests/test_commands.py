import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from safetynet.portal.models import Complaint, ServiceWindow
from safetynet.portal.selectors import window_nearest
from safetynet.portal.services import complaint_file


def test_policy_eval_prints_top1_and_top3_per_set():
    out = StringIO()
    call_command("policy_eval", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {"dev", "holdout", "all"}
    assert result["all"]["n"] == result["dev"]["n"] + result["holdout"]["n"] >= 60
    assert 0 <= result["all"]["top1"] <= result["all"]["top3"] <= 1


@pytest.mark.django_db
def test_complaints_escalate_moves_the_overdue_ones(tree):
    complaint_file(category="delay", region_code=tree.east_community.code, subject="拖延", body="两周没有受理申请。",
                   anonymous=True, now=timezone.now() - dt.timedelta(days=30))
    out = StringIO()
    call_command("complaints_escalate", stdout=out)
    assert out.getvalue().strip() == "escalated 1"
    assert Complaint.objects.get().escalation_level == 1


@pytest.mark.django_db
def test_service_window_sets_the_window_the_self_check_shows(tree):
    call_command("service_window", tree.east_street.code, "东区第1街道便民服务中心", "东一路1号", "0990-1234567",
                 stdout=StringIO())
    assert ServiceWindow.objects.count() == 1
    window = window_nearest(region=tree.east_community)
    assert (window.address, window.phone, window.registered) == ("东一路1号", "0990-1234567", True)
