"""Browser test (the issue's required flow), at phone width: the street officer proposes a
package for a family and sends it; the charity's worker accepts the referral, delivers and
records the outcome; the officer sees the need met."""

import datetime as dt

import pytest

from safetynet.core.testing import PASSWORD, Role, make_household, make_person, make_region_tree, make_user
from safetynet.registry.services import household_add_member
from safetynet.resources.models import Need, NeedStatus, ProviderKind, Referral, ReferralStatus
from safetynet.resources.services import provider_create
from safetynet.resources.tests.conftest import add_resource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOT = "/tmp/resources-package-360.png"


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    tree = make_region_tree()
    family = make_household(tree.east_community, members=1)
    today = dt.date.today()
    son = make_person(tree.east_community, birth_date=today.replace(year=today.year - 20), sex="M",
                      disability_category="physical", disability_grade=1)
    household_add_member(actor=None, household=family, person=son, relationship="child", joined_on=dt.date(2015, 1, 1))
    make_user(Role.STREET_OFFICER, tree.east_street, username="officer")
    worker = make_user(Role.PROVIDER, tree.city, username="carer")
    charity = provider_create(code="charity", name="东区助残服务社", kind=ProviderKind.SOCIAL_ORG, region=tree.east,
                              actor=None)
    charity.staff.add(worker)
    add_resource(charity, "care", meets={"disability_care": 100}, capacity=2)
    return family


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_package_from_proposal_to_delivered_referral(live_server, new_page, browser_login, scene):
    family = scene
    officer = new_page(width=360, height=800)
    browser_login(officer, "officer", PASSWORD)
    officer.goto(f"{live_server.url}/resources/households/{family.pk}/")
    officer.get_by_test_id("refresh-needs").click()
    officer.wait_for_load_state()
    assert "残疾康复与照护" in officer.get_by_test_id("needs").inner_text()
    officer.get_by_test_id("propose-package").click()
    officer.wait_for_load_state()
    assert officer.get_by_test_id("package-status").inner_text() == "待确认"
    assert "资源care" in officer.get_by_test_id("chosen").inner_text()
    assert fits(officer)
    officer.screenshot(path=SHOT, full_page=True)
    officer.get_by_test_id("accept-package").click()
    officer.wait_for_load_state()
    assert "转介单已发送" in officer.get_by_test_id("done").inner_text()
    assert officer.get_by_test_id("referral-status").inner_text() == "待接收"

    carer = new_page(width=360, height=800)
    browser_login(carer, "carer", PASSWORD)
    carer.goto(f"{live_server.url}/resources/workbench/")
    referral = Referral.objects.get(household=family)
    row = carer.locator(f"[data-testid=incoming-row][data-referral='{referral.pk}']")
    row.get_by_test_id("accept").click()
    carer.wait_for_load_state()
    row = carer.locator(f"[data-testid=incoming-row][data-referral='{referral.pk}']")
    assert row.get_by_test_id("status").inner_text() == "已接收"
    row.locator("input[name=note]").fill("护理员每周上门三次")
    row.get_by_test_id("deliver").click()
    carer.wait_for_load_state()
    row = carer.locator(f"[data-testid=incoming-row][data-referral='{referral.pk}']")
    row.locator("select[name=outcome]").select_option("met")
    row.get_by_test_id("record-outcome").click()
    carer.wait_for_load_state()
    assert fits(carer)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED and referral.delivery_note == "护理员每周上门三次"

    officer.goto(f"{live_server.url}/resources/households/{family.pk}/")
    assert officer.get_by_test_id("referral-status").inner_text() == "已反馈结果"
    assert "需求已解决" in officer.get_by_test_id("referrals").inner_text()
    assert Need.objects.get(household=family, category="disability_care").status == NeedStatus.MET
    assert fits(officer)
