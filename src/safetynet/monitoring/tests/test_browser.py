"""Browser test (the issue's required flow): at phone width the community worker opens her alert,
records the visit and files an active-discovery (主动发现) case in one step."""

import pytest

from safetynet.cases.models import Case, Channel
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.monitoring.models import Alert, AlertOutcome, AlertStatus, VisitFact
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
    visit = page.get_by_test_id("visit-form")
    visit.get_by_test_id("finding-needs_help").check()
    visit.get_by_test_id("reason-high_expenses").check()
    visit.locator("button[type=submit]").click()
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


def test_closing_an_alert_with_a_structured_outcome(live_server, new_page, browser_login, scene):
    alert = scene
    page = new_page(width=360, height=800)
    browser_login(page, "worker", PASSWORD)
    page.goto(f"{live_server.url}/monitoring/alerts/{alert.pk}/")
    close = page.get_by_test_id("close-form")
    # nothing is pre-filled: no conclusion is checked until she chooses one
    assert close.locator("input[name=finding]:checked").count() == 0
    assert close.locator("input[name=reasons]:checked").count() == 0
    # a reason that needs a figure, without the figure, is refused in place and keeps her choices
    close.locator("#outcome").select_option("not_eligible")
    close.locator("#reason").fill("女儿每月寄钱")
    close.get_by_test_id("finding-no_need").check()
    close.get_by_test_id("reason-family_support").check()
    close.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "请填写家人月资助" in page.get_by_test_id("close-error").inner_text()
    close = page.get_by_test_id("close-form")
    assert close.get_by_test_id("finding-no_need").is_checked()
    assert close.get_by_test_id("reason-family_support").is_checked()
    # with the amount, the alert closes and the finding is stored as a fact citing the visit
    close.get_by_test_id("family-support-monthly").fill("1800")
    close.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("alert-status").inner_text() == "已办结"
    assert fits(page)
    alert.refresh_from_db()
    outcome = alert.visit_outcomes.get()
    assert (alert.outcome, outcome.finding, outcome.reasons) == ("not_eligible", "no_need", ["family_support"])
    fact = VisitFact.objects.get(outcome=outcome, category="family_support")
    assert (fact.kind, str(fact.amount), fact.source) == ("income", "1800.00", "home_visit")
