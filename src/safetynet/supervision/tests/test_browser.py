"""Browser test (the issue's required flow): the supervisor runs the scan from the workbench, walks
the five views, opens every finding — one of each kind — reads its evidence and closes it with an
outcome; at phone width."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.utils import timezone

from safetynet.cases.models import Case
from safetynet.cases.tests.conftest import Staff, drive_to_active, submit
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.supervision.models import Anomaly, AnomalyStatus, Kind
from safetynet.supervision.tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOT = "/tmp/supervision-workbench-360.png"


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    tree = make_region_tree()
    world = build_world(tree, tmp_path)
    make_user(Role.SUPERVISOR, tree.city, username="supervisor")
    staff = Staff(worker=make_user(Role.COMMUNITY_WORKER, tree.east_community),
                  street=make_user(Role.STREET_OFFICER, tree.east_street), county=world.county,
                  centre=make_user(Role.VERIFICATION_CENTRE, tree.east), supervisor=world.supervisor,
                  west_street=make_user(Role.STREET_OFFICER, tree.west_street))
    # 办理流程: an application past its step's deadline; 复核: a recipient past the review date
    late = submit(make_household(tree.east_community), staff.worker)
    review = drive_to_active(submit(make_household(tree.east_community), staff.worker), staff)
    past = timezone.now() - dt.timedelta(days=3)
    Case.objects.filter(pk__in=[late.pk, review.pk]).update(due_at=past)
    # 应保尽保/应退尽退: monitoring's latest lists (its run writes these two files)
    out = settings.LAKE_DIR / "derived" / "monitoring" / "run=1"
    out.mkdir(parents=True)
    for name, household in (("dibao_uncovered.parquet", world.households["clean"]),
                            ("dibao_left_eligibility.parquet", world.households["payroll"])):
        pq.write_table(pa.table({"household_id": [household.pk], "region_code": [household.region.code],
                                 "income_ratio": [0.5], "reason": ["x"]}), out / name)
    return world


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_supervisor_finds_and_closes_every_kind(live_server, new_page, browser_login, scene):
    page = new_page(width=360, height=800)
    browser_login(page, "supervisor", PASSWORD)
    page.goto(f"{live_server.url}/supervision/")
    page.get_by_test_id("scan").click()
    page.wait_for_load_state()
    assert "本次筛查发现线索 11 条" in page.get_by_test_id("done").last.inner_text()
    assert fits(page)
    page.screenshot(path=SHOT, full_page=True)
    closed = set()
    for view in ("payment", "overlap", "process", "review", "coverage"):
        page.goto(f"{live_server.url}/supervision/?view={view}")
        while page.get_by_test_id("anomaly-row").count():
            row = page.get_by_test_id("anomaly-row").first
            kind = row.get_attribute("data-kind")
            row.locator("a").first.click()
            page.wait_for_load_state()
            evidence = page.get_by_test_id("evidence").inner_text()
            assert "行" in evidence and evidence.count("\n") >= 1
            page.select_option("#outcome", "explained" if kind in (Kind.STAFF_RELATIVE, Kind.SHARED_ACCOUNT)
                               else "confirmed_stopped")
            page.fill("#note", f"已核查：{kind}")
            page.get_by_test_id("close-form").locator("button").click()
            page.wait_for_load_state()
            assert page.get_by_test_id("anomaly-status").inner_text() == "已办结"
            assert fits(page)
            closed.add(kind)
            page.goto(f"{live_server.url}/supervision/?view={view}")
        assert page.get_by_test_id("open-count").inner_text() == "0"
    assert closed == set(Kind.values)
    assert not Anomaly.objects.filter(status=AnomalyStatus.OPEN).exists()
    assert settings.LAKE_DIR.exists()
