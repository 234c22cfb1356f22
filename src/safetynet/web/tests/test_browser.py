"""Browser tests: Debian's Chromium through Playwright against the live server."""

import datetime as dt

import pytest
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.masking import mask_id_number
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.monitoring.models import Alert
from safetynet.web.testing_axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    tree = make_region_tree()
    worker = make_user(Role.COMMUNITY_WORKER, tree.east, username="east-worker")
    household = make_household(tree.east_community, members=3)
    return worker, household


def test_wrong_password_shows_chinese_error_and_right_one_lands_on_home(
    live_server, new_page, browser_login, scene
):
    worker, _ = scene
    page = new_page(width=360, height=800)
    # when the password is wrong
    browser_login(page, worker.username, "not-the-password")
    # then
    assert "用户名或密码不正确" in page.get_by_test_id("login-error").inner_text()
    # when it is right
    browser_login(page, worker.username, PASSWORD)
    # then
    assert page.url == f"{live_server.url}/"
    assert page.locator("h1").inner_text() == "工作台"
    assert "社区专干/网格员" in page.get_by_test_id("who").inner_text()


def test_household_page_at_360px_is_masked_fits_and_reveals_with_a_purpose(
    live_server, new_page, browser_login, scene
):
    worker, household = scene
    person = household.memberships.order_by("id").first().person
    page = new_page(width=360, height=800)
    browser_login(page, worker.username, PASSWORD)
    # given the household page on a small phone
    page.goto(f"{live_server.url}/households/{household.pk}/")
    card = page.locator(f"#person-{person.pk}")
    # then the ID is masked and nothing scrolls sideways
    assert card.get_by_test_id("id-number").inner_text() == mask_id_number(person.id_number)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # when the worker asks without a purpose, then a Chinese error and no audit event
    card.locator("summary").click()
    card.get_by_role("button", name="确认查看").click()
    assert "须说明事由" in card.get_by_test_id("purpose-error").inner_text()
    assert not AuditEvent.objects.filter(action="person.view_full").exists()
    # when a purpose is stated
    card.locator("input[name=purpose]").fill("入户调查核实身份")
    card.get_by_role("button", name="确认查看").click()
    # then the full ID replaces the masked one in place (htmx), and the view is audited
    card.get_by_text(person.id_number).wait_for()
    assert card.get_by_test_id("id-number").inner_text() == person.id_number
    assert page.url == f"{live_server.url}/households/{household.pk}/"
    assert list(AuditEvent.objects.filter(action="person.view_full").values_list("purpose", flat=True)) == [
        "入户调查核实身份"
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_large_mode_enlarges_type_by_half_is_remembered_for_the_account_and_fits_360px(
    live_server, new_page, browser_login, scene
):
    worker, household = scene
    page = new_page(width=360, height=800)
    browser_login(page, worker.username, PASSWORD)
    page.goto(f"{live_server.url}/households/{household.pk}/")
    font_size = "parseFloat(getComputedStyle(document.body).fontSize)"
    normal = page.evaluate(font_size)
    assert normal >= 18
    # when, on the phone, the worker opens the menu and turns large type on
    page.click("#menu-toggle")
    page.click("#large-toggle")
    page.wait_for_load_state()
    # then the type is at least half as large again, and nothing scrolls sideways
    assert page.evaluate(font_size) >= 1.5 * normal
    assert page.get_attribute("#large-toggle", "aria-pressed") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    # and it follows the account to another device
    other = new_page(width=1280, height=800)
    browser_login(other, worker.username, PASSWORD)
    assert other.evaluate(font_size) >= 1.5 * normal


@pytest.mark.parametrize("height", [640, 800])
def test_the_phone_header_takes_at_most_15_percent_of_the_first_screen(
    live_server, new_page, browser_login, scene, height
):
    worker, household = scene
    page = new_page(width=360, height=height)
    browser_login(page, worker.username, PASSWORD)
    page.goto(f"{live_server.url}/households/{household.pk}/")
    header = page.locator("#site-header").bounding_box()["height"]
    assert header <= 0.15 * height, header
    # the menu still reaches every page
    page.click("#menu-toggle")
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="家庭列表").is_visible()


def test_the_menu_button_shows_only_on_narrow_screens(live_server, new_page, browser_login, scene):
    worker, _ = scene
    page = new_page(width=1280, height=800)
    browser_login(page, worker.username, PASSWORD)
    nav = page.get_by_role("navigation", name="主导航")
    # at 1280 px the full navigation is there and 菜单 is not
    assert nav.is_visible() and not page.locator("#menu-toggle").is_visible()
    # on a phone the navigation folds behind 菜单
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.locator("#menu-toggle").is_visible() and not nav.is_visible()
    page.locator("#menu-toggle").click()
    assert nav.is_visible()


def test_the_household_picture_reads_as_cards_on_a_phone(live_server, new_page, browser_login, scene):
    worker, household = scene
    # a points alert deprived in many indicators across dimensions: the widest table the page has
    indicators = ["inc_below_standard", "inc_zero", "inc_no_wages", "ast_no_savings", "ast_no_vehicle",
                  "hlt_serious_illness", "hlt_chronic", "dis_severe", "dis_no_labour", "edu_school_children"]
    Alert.objects.create(household=household, kind="points", condition="points", level="orange", score=0.42,
                         reasons={"indicators": indicators}, on=timezone.localdate(),
                         due_at=timezone.now() + dt.timedelta(days=5), assigned_to=worker)
    page = new_page(width=360, height=740)
    browser_login(page, worker.username, PASSWORD)
    page.goto(f"{live_server.url}/monitoring/households/{household.pk}/")
    table = page.get_by_test_id("breakdown")
    rows = table.locator("tbody tr")
    assert rows.count() >= 3
    # each dimension is a card: its cells stacked full width, each under its column's name
    first = rows.first.locator("td")
    widths = [first.nth(i).bounding_box()["width"] for i in range(3)]
    card = rows.first.bounding_box()["width"]
    assert min(widths) > 0.8 * card
    label = page.evaluate("el => getComputedStyle(el, '::before').content", first.nth(2).element_handle())
    assert "指标" in label
    # and nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # at 1280 px it is an ordinary table again
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("el => getComputedStyle(el).display", first.first.element_handle()) == "table-cell"
