"""Browser test (the issue's required flow): at phone width the community worker opens her alert,
records the visit and files an active-discovery (主动发现) case in one step."""

import pytest

from safetynet.cases.models import Case, Channel
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.monitoring.models import Alert, AlertOutcome, AlertStatus
from safetynet.monitoring.tasks import monitor_run
from safetynet.monitoring.tests.test_pages import ON, _bill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOT = "/tmp/monitoring-alert-360.png"


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    tree = make_region_tree()
    household = make_household(tree.east_community, members=2)
    _bill(tmp_path, household)
    make_user(Role.COMMUNITY_WORKER, tree.east_community, username="worker")
    monitor_run(on=ON)
    return Alert.objects.get(household=household, condition="hospital_bill")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_alert_to_visit_to_active_discovery_case(live_server, new_page, browser_login, scene):
    alert = scene
    page = new_page(width=360, height=800)
    browser_login(page, "worker", PASSWORD)
    # the worker opens her alerts from the navigation and picks the red one
    page.goto(f"{live_server.url}/monitoring/alerts/")
    row = page.locator(f"[data-testid=alert-row][data-alert='{alert.pk}']")
    assert "红色" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/monitoring/alerts/{alert.pk}/")
    assert "大额住院自付" in page.get_by_test_id("alert-reasons").inner_text()
    assert fits(page)
    page.screenshot(path=SHOT, full_page=True)
    # an empty visit is refused in place
    page.get_by_test_id("visit-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "请填写走访核查情况" in page.get_by_test_id("visit-error").inner_text()
    # she records the visit
    page.fill("#findings", "家中无收入，住院自付一万二")
    page.get_by_test_id("visit-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("alert-status").inner_text() == "已走访"
    assert "住院自付一万二" in page.get_by_test_id("findings").inner_text()
    # one step: an active-discovery application, and she lands on the case page
    page.get_by_test_id("open-case").click()
    page.wait_for_load_state()
    case = Case.objects.get(household=alert.household)
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert case.channel == Channel.ACTIVE_DISCOVERY and case.source_ref == alert.number
    assert page.get_by_test_id("case-summary").is_visible()
    assert fits(page)
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.case_id) == (AlertStatus.CLOSED, AlertOutcome.ASSISTED_NEW_CASE, case.pk)


def test_the_dashboard_draws_its_charts(live_server, new_page, browser_login, scene):
    make_user(Role.COUNTY_APPROVER, scene.household.region.parent.parent, username="county")
    page = new_page(width=360, height=800)
    browser_login(page, "county", PASSWORD)
    page.goto(f"{live_server.url}/monitoring/dashboard/")
    page.locator("#chart-district canvas").wait_for()
    assert page.locator("#chart-condition canvas").count() == 1
    assert fits(page)
    page.screenshot(path="/tmp/monitoring-dashboard-360.png", full_page=True)
