"""Browser walks of the public side: Debian's Chromium through Playwright against the live server,
each page checked with axe-core (the engine shipped in axe-playwright-python)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from safetynet.core.testing import PASSWORD, Role, make_region_tree, make_user
from safetynet.portal.models import Complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page):
    results = Axe().run(page)
    violations = results.response["violations"]
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_region_tree()
    street = make_user(Role.STREET_OFFICER, tree.east_street, username="east-street")
    return tree, street


def test_the_self_check_at_360px_answers_without_login_and_fits(live_server, new_page, scene):
    tree, _ = scene
    page = new_page(width=360, height=800)
    page.goto(f"{live_server.url}/public/self-check/")
    assert_accessible(page)
    # given a family of three: she earns 600 a month, her husband has just fallen seriously ill
    page.select_option("#id_region_code", tree.east_street.code)
    page.select_option("#id_size", "3")
    assert page.locator("fieldset[data-member='4']").is_hidden()
    page.fill("#id_m1_age", "38")
    page.fill("#id_m1_wage_income", "600")
    page.fill("#id_m2_age", "41")
    page.check("#id_m2_ill")
    page.fill("#id_m3_age", "9")
    page.fill("#id_medical_expenses_12m", "30000")
    page.select_option("#id_hardship", "serious_illness")
    page.click("button[type=submit]")
    # then she sees what she may get, why, and where to go
    result = page.get_by_test_id("result")
    assert "每月大约可以得到" in page.get_by_test_id("total").inner_text()
    assert "可能符合" in result.locator("[data-programme=dibao]").inner_text()
    assert "一次性大约" in result.locator("[data-programme=temporary_assistance]").inner_text()
    assert "东区第1街道便民服务中心" in page.get_by_test_id("window").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    # and the elderly mode is a layout of its own, also fitting
    page.goto(f"{live_server.url}/public/self-check/?mode=elderly")
    assert page.locator(".elderly").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)


def test_a_complaint_from_filing_to_outcome(live_server, new_page, browser_login, scene):
    tree, street = scene
    citizen = new_page(width=360, height=800)
    citizen.goto(f"{live_server.url}/public/complaints/new/")
    assert_accessible(citizen)
    # given an anonymous complaint about a slow office
    citizen.select_option("#id_category", "delay")
    citizen.select_option("#id_region_code", tree.east_street.code)
    citizen.fill("#id_subject", "申请两周没人受理")
    citizen.fill("#id_body", "9月1日交的低保申请，到现在没有任何回音。")
    citizen.click("button[type=submit]")
    number = citizen.get_by_test_id("filed").get_by_test_id("number").inner_text()
    assert number == Complaint.objects.get().number
    assert citizen.get_by_test_id("status").inner_text() == "已登记"
    assert_accessible(citizen)
    # when the street officer answers it
    officer = new_page()
    browser_login(officer, street.username, PASSWORD)
    officer.goto(f"{live_server.url}/public/staff/complaints/")
    officer.get_by_role("link", name=number).click()
    officer.get_by_role("button", name="开始办理").click()
    assert officer.get_by_test_id("status").inner_text() == "办理中"
    officer.select_option("#id_outcome", "substantiated")
    officer.fill("#id_reply", "经核实确有延误，已于当日受理并批评教育经办人员。")
    officer.get_by_role("button", name="提交答复").click()
    assert officer.get_by_test_id("status").inner_text() == "已办结"
    # then the complainant sees the outcome with the tracking number
    citizen.goto(f"{live_server.url}/public/complaints/track/")
    citizen.fill("#id_number", number)
    citizen.get_by_role("button", name="查询").click()
    outcome = citizen.get_by_test_id("outcome").inner_text()
    assert "属实，已处理" in outcome and "已于当日受理" in outcome
    assert street.username not in citizen.content()


def test_a_policy_question_is_answered_with_its_citation(live_server, new_page, scene):
    page = new_page(width=360, height=800)
    page.goto(f"{live_server.url}/public/policy/")
    assert_accessible(page)
    page.fill("#id_q", "我女儿在外地打工，我还能申请低保吗？")
    page.get_by_role("button", name="提问").click()
    citations = page.get_by_test_id("citation").all_inner_texts()
    assert citations and any("第六条" in c or "第七条" in c for c in citations)
    assert all("起施行" in c for c in citations)
    assert_accessible(page)
    # a question the documents do not cover sends the person to a person
    page.fill("#id_q", "怎么办理护照")
    page.get_by_role("button", name="提问").click()
    assert "12345" in page.get_by_test_id("not-found").inner_text()


def test_the_transparency_pages_are_accessible(live_server, new_page, scene):
    page = new_page(width=360, height=800)
    for path in ("/public/", "/public/transparency/", "/public/transparency/notices/", "/public/open-data/",
                 "/public/complaints/track/"):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
