"""Browser tests: one 低保 case from online application to payment, and one proxy application,
through Debian's Chromium at phone width."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.cases.models import Case, Channel, Status
from safetynet.cases.tests.conftest import end_notice, head_of
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp"


@pytest.fixture
def scene(transactional_db, lake):
    tree = make_region_tree()
    household = make_household(tree.east_community, members=2)
    return {
        "household": household,
        "citizen": make_user(Role.CITIZEN, None, username="applicant", person=head_of(household)),
        "worker": make_user(Role.COMMUNITY_WORKER, tree.east_community, username="worker"),
        "street": make_user(Role.STREET_OFFICER, tree.east_street, username="street"),
        "county": make_user(Role.COUNTY_APPROVER, tree.east, username="county"),
    }


def authorise(household, actor):
    from safetynet.verification.services import authorisation_record

    members = [m.person_id for m in household.memberships.all()]
    today = timezone.localdate()
    authorisation_record(actor=actor, household_id=household.pk, signed_by_id=members[0], person_ids=members,
                         sources=["tax_wages"], signed_on=today, valid_until=today + dt.timedelta(days=300))


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def act(page, to: str, *, amount: str | None = None) -> None:
    form = page.get_by_test_id(f"action-{to}")
    if amount is not None:
        form.locator("input[name=amount]").fill(amount)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_dibao_from_online_application_to_payment(live_server, new_page, browser_login, scene):
    # given the applicant applies online on her phone
    citizen = new_page(width=360, height=800)
    browser_login(citizen, "applicant", PASSWORD)
    citizen.goto(f"{live_server.url}/cases/apply/")
    citizen.get_by_label("最低生活保障").check()
    citizen.get_by_label("申请事由").fill("丈夫去世，本人无业，无固定收入")
    citizen.get_by_text("我承诺所填情况属实").click()
    citizen.get_by_role("button", name="提交申请").click()
    citizen.wait_for_load_state()
    case = Case.objects.get()
    assert (case.channel, case.status) == (Channel.ONLINE, Status.SUBMITTED)
    assert "等待街道（乡镇）受理" in citizen.get_by_test_id("where").inner_text()

    # when the street officer accepts it from the queue, starts verification and sends it to a visit
    street = new_page(width=360, height=800)
    browser_login(street, "street", PASSWORD)
    street.goto(f"{live_server.url}/cases/")
    assert street.get_by_test_id("case-row").count() == 1
    assert fits(street)
    street.screenshot(path=f"{SHOTS}/cases-workbench-360.png", full_page=True)
    street.get_by_test_id("case-row").locator("a").click()
    act(street, Status.ACCEPTED)
    assert street.get_by_test_id("case-status").inner_text() == "已受理"
    # the family signed its 授权书 at the window; 发起经济状况核对 runs the check and opens the report
    authorise(case.household, scene["worker"])
    act(street, Status.VERIFICATION)
    assert street.get_by_test_id("per-head").is_visible()
    street.get_by_test_id("back-to-case").click()
    street.wait_for_load_state()
    act(street, Status.HOME_VISIT)
    assert street.get_by_test_id("case-status").inner_text() == "入户调查"

    # the community worker records the home visit, choosing every finding
    worker = new_page(width=360, height=800)
    browser_login(worker, "worker", PASSWORD)
    worker.goto(f"{live_server.url}/cases/{case.pk}/")
    visit = worker.get_by_test_id("visit-form")
    visit.get_by_label("调查日期").fill(timezone.localdate().isoformat())
    for group, choice in (("met", "申请人本人"), ("housing", "简陋"), ("labour", "无劳动能力"),
                          ("members_match", "一致"), ("assets", "未见"), ("income_match", "一致")):
        visit.locator(f"#fs-{group}").get_by_label(choice, exact=True).check()
    visit.get_by_label("情况说明").fill("独居，房屋老旧，无劳动能力")
    visit.get_by_text("调查已完成，转入审核").click()
    visit.get_by_role("button", name="保存入户调查").click()
    worker.wait_for_load_state()
    assert worker.get_by_test_id("case-status").inner_text() == "审核"

    # the street officer opens the public notice
    street.goto(f"{live_server.url}/cases/{case.pk}/")
    act(street, Status.PUBLIC_NOTICE)
    assert street.get_by_test_id("case-status").inner_text() == "公示"

    # the county approver cannot approve while the notice runs …
    county = new_page(width=360, height=800)
    browser_login(county, "county", PASSWORD)
    county.goto(f"{live_server.url}/cases/{case.pk}/")
    assert "期满后方可审批" in county.get_by_test_id(f"blocked-{Status.APPROVED}").inner_text()
    # … and can once the seven days have passed (the clock moved by dating the notice back in the DB)
    end_notice(case)
    county.reload()
    assert "独居，房屋老旧" in county.get_by_test_id("visit").inner_text()
    proposed = county.get_by_test_id("proposed-amount").inner_text()
    act(county, Status.APPROVED)  # at the amount the rules propose, prefilled
    assert county.get_by_test_id("case-status").inner_text() == "已批准"
    act(county, Status.ACTIVE)
    assert county.get_by_test_id("case-status").inner_text() == "享受救助"
    assert fits(county)
    county.screenshot(path=f"{SHOTS}/cases-case-360.png", full_page=True)
    timeline = county.get_by_test_id("timeline").inner_text()
    for step in ("已受理", "经济状况核对", "入户调查", "审核", "公示", "已批准", "享受救助"):
        assert step in timeline

    # then the applicant reads it in plain words
    case.refresh_from_db()
    assert (case.status, case.amount_monthly) == (Status.ACTIVE, Decimal(proposed))
    citizen.goto(f"{live_server.url}/cases/{case.pk}/progress/")
    assert citizen.get_by_test_id("where").inner_text() == "您正在享受救助。"
    assert f"每月救助金 {case.amount_monthly} 元" in citizen.get_by_test_id("progress-now").inner_text()
    assert "下次定期复核预计在" in citizen.get_by_test_id("next-step").inner_text()
    assert fits(citizen)
    citizen.screenshot(path=f"{SHOTS}/cases-progress-360.png", full_page=True)


def test_proxy_application_by_community_worker_reaches_the_street_queue(live_server, new_page, browser_login, scene):
    household = scene["household"]
    elder = head_of(household)
    # given the community worker files for an elderly resident under a mandate
    worker = new_page(width=360, height=800)
    browser_login(worker, "worker", PASSWORD)
    worker.goto(f"{live_server.url}/cases/proxy/")
    worker.get_by_label("查找家庭").fill(household.number)
    worker.get_by_role("button", name="查找家庭").click()
    worker.wait_for_load_state()
    form = worker.get_by_test_id("proxy-form")
    form.get_by_label("申请人（委托人）").select_option(str(elder.pk))
    form.get_by_label("受托代办人姓名").fill("李社工")
    form.get_by_text("已核对委托人签字").click()
    assert fits(worker)
    form.get_by_role("button", name="登记委托并提交申请").click()
    worker.wait_for_load_state()
    case = Case.objects.get()
    assert (case.channel, case.applicant_id, case.proxy_mandate.proxy_name) == (Channel.PROXY, elder.pk, "李社工")
    assert "李社工" in worker.get_by_test_id("case-summary").inner_text()

    # then the case is in the street officer's queue
    street = new_page(width=360, height=800)
    browser_login(street, "street", PASSWORD)
    street.goto(f"{live_server.url}/cases/")
    row = street.locator(f"[data-case='{case.pk}']")
    assert elder.name in row.inner_text()
    assert row.get_by_test_id("proxy-tag").inner_text() == "代办"
    assert fits(street)
