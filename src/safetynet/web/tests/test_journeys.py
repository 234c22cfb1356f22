"""Every role's daily path, finished in Chromium at 360 px (a phone) with axe-core on every screen.

Each journey records its screens and clicks (``Journey``); set ``SAFETYNET_JOURNEY_LOG`` to a
folder to keep the summaries. The scene is built through the real services (authorisations,
verification on an empty lake, the case workflow) so each page shows what it would in use.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.cases import services as cs
from safetynet.cases.models import Case, Channel, PublicNotice, Status
from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.monitoring.models import Alert, AlertKind, AlertStatus
from safetynet.verification.models import Authorisation, VerificationReport
from safetynet.verification.services import authorisation_record
from safetynet.web.testing_axe import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
PDF = b"%PDF-1.4\n% signed authorisation (scan)\n" + b"0" * 256
FINDINGS = {"met": "申请人本人", "housing": "简陋", "labour": "无", "members_match": "一致", "assets": "无",
            "income_match": "一致"}


def _head(household):
    return household.memberships.order_by("id").first().person


def _authorise(household, actor):
    members = [m.person_id for m in household.memberships.all()]
    today = timezone.localdate()
    authorisation_record(actor=actor, household_id=household.pk, signed_by_id=members[0], person_ids=members,
                         sources=["tax_wages", "vehicles"], signed_on=today,
                         valid_until=today + dt.timedelta(days=300))


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_region_tree()
    s = type("Scene", (), {})()
    s.tree = tree
    s.worker = make_user(Role.COMMUNITY_WORKER, tree.east_community, username="worker")
    s.street = make_user(Role.STREET_OFFICER, tree.east_street, username="street")
    s.county = make_user(Role.COUNTY_APPROVER, tree.east, username="county")
    s.centre = make_user(Role.VERIFICATION_CENTRE, tree.east, username="centre")
    s.analyst = make_user(Role.ANALYST, tree.city, username="analyst")
    s.mine = make_household(tree.east_community, members=2)
    s.citizen = make_user(Role.CITIZEN, None, username="citizen", person=_head(s.mine))
    s.proxied = make_household(tree.east_community, members=2)
    # a neighbour with a proxy account holds an old man's mandate, recorded at the community
    s.granted = make_household(tree.east_community, members=1)
    s.proxy = make_user(Role.PROXY, None, username="proxy", person=_head(make_household(tree.east_community)))
    s.mandate = cs.mandate_record(grantor_id=_head(s.granted).pk, proxy_name="王邻居", relationship="邻居",
                                  valid_until=timezone.localdate() + dt.timedelta(days=365), actor=s.worker,
                                  proxy_user_id=s.proxy.pk, programmes=["dibao", "temporary_assistance"])
    s.alerted = make_household(tree.east_community, members=2)
    s.unchecked = make_household(tree.east_community, members=3)
    # a case just filed at the window, whose family has signed its authorisation
    s.new_home = make_household(tree.east_community, members=2)
    _authorise(s.new_home, s.worker)
    s.new_case = cs.case_submit(programme="dibao", channel=Channel.WINDOW, household_id=s.new_home.pk,
                                applicant_id=_head(s.new_home).pk, actor=s.worker, description="失业无收入").case
    # a case at the county's desk: checked, visited, noticed, the notice over
    s.ready_home = make_household(tree.east_community, members=2)
    _authorise(s.ready_home, s.worker)
    case = cs.case_submit(programme="dibao", channel=Channel.WINDOW, household_id=s.ready_home.pk,
                          applicant_id=_head(s.ready_home).pk, actor=s.worker, description="独居老人").case
    cs.case_accept(case_id=case.pk, actor=s.street)
    cs.case_start_verification(case_id=case.pk, actor=s.street)
    cs.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=s.street)
    cs.case_record_visit(case_id=case.pk, actor=s.worker, visited_on=timezone.localdate(), findings=FINDINGS,
                         complete=True)
    cs.case_open_notice(case_id=case.pk, actor=s.street)
    now = timezone.now()
    PublicNotice.objects.filter(case=case).update(starts_at=now - dt.timedelta(days=8), ends_at=now - dt.timedelta(days=1))
    s.ready_case = case
    s.alert = Alert.objects.create(
        household=s.alerted, kind=AlertKind.TRIGGER, condition="hospital_bill", level="red",
        reasons={"title": "大额住院自付", "explanation": "近三个月住院自付 12,000 元，超过家庭年收入的 40%"},
        on=timezone.localdate(), due_at=now + dt.timedelta(days=3), assigned_to=s.worker,
    )
    return s


def _start(new_page, browser_login, live_server, user, name):
    page = new_page(**PHONE)
    browser_login(page, user.username, PASSWORD)
    journey = Journey(name, page)
    journey.screen("工作台")
    return page, journey


def _menu(page, journey, title):
    """On a phone the navigation is behind 菜单."""
    journey.click(page.locator("#menu-toggle"))
    journey.click(page.get_by_role("navigation", name="主导航").get_by_role("link", name=title, exact=True))
    journey.screen(title)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _done(journey):
    summary = journey.finish()
    assert summary["axe_violations"] == 0, summary["details"]
    return summary


def test_citizen_applies_and_follows_progress(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.citizen, "citizen-apply")
    _menu(page, j, "在线申请")
    j.click(page.get_by_label("最低生活保障"))
    page.get_by_label("申请事由").fill("丈夫去世，本人无业，无固定收入")
    j.click(page.get_by_text("我承诺所填情况属实"))
    j.click(page.get_by_role("button", name="提交申请"))
    j.screen("办理进度")
    assert "等待街道（乡镇）受理" in page.get_by_test_id("where").inner_text()
    assert _fits(page)
    _menu(page, j, "我的申请")
    j.click(page.get_by_test_id("case-row").locator("a"))
    j.screen("办理进度")
    assert Case.objects.filter(channel=Channel.ONLINE, applicant=scene.citizen.person).count() == 1
    _done(j)


def test_worker_files_a_proxy_application_found_by_name(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.worker, "worker-proxy")
    _menu(page, j, "代办申请")
    head = _head(scene.proxied)
    page.get_by_label("查找家庭").fill(head.name)
    j.click(page.get_by_role("button", name="查找家庭"))
    j.screen("代办申请：家庭")
    form = page.get_by_test_id("proxy-form")
    form.get_by_label("申请事由").fill("老人行动不便，委托社区代办")
    j.click(form.get_by_text("已核对委托人签字"))
    j.click(form.get_by_role("button", name="登记委托并提交申请"))
    j.screen("案件")
    case = Case.objects.get(household=scene.proxied)
    assert case.channel == Channel.PROXY and case.proxy_mandate is not None
    assert _fits(page)
    _done(j)


def test_proxy_account_applies_for_its_grantor_and_follows_the_case(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.proxy, "proxy-apply-follow")
    _menu(page, j, "在线申请")
    grantor = _head(scene.granted)
    form = page.get_by_test_id("apply-form")
    # the one grantor is already chosen; a programme outside the mandate is refused at its field
    assert form.get_by_label(grantor.name).is_checked()
    j.click(form.get_by_label("特困人员救助供养"))
    form.get_by_label("申请事由").fill("老人独居，腿脚不便，委托邻居代为申请")
    j.click(form.get_by_text("委托人已签署委托书"))
    with page.expect_navigation():
        j.click(form.get_by_role("button", name="提交申请"))
    j.screen("代为申请：项目不在委托范围")
    assert "委托书只包括" in page.get_by_test_id("error-programme").inner_text()
    assert not Case.objects.filter(household=scene.granted).exists()
    # what was filled in stays; only the programme changes
    form = page.get_by_test_id("apply-form")
    assert form.get_by_label("申请事由").input_value().startswith("老人独居")
    j.click(form.get_by_label("最低生活保障"))
    with page.expect_navigation():
        j.click(form.get_by_role("button", name="提交申请"))
    j.screen("办理进度")
    assert "等待街道（乡镇）受理" in page.get_by_test_id("where").inner_text()
    case = Case.objects.get(household=scene.granted)
    assert (case.channel, case.applicant_id, case.proxy_mandate_id) == (Channel.PROXY, grantor.pk, scene.mandate.pk)
    assert case.filed_by_id == scene.proxy.pk
    assert _fits(page)
    # and follows it from 我的申请
    _menu(page, j, "我的申请")
    j.click(page.get_by_test_id("case-row").locator("a"))
    j.screen("办理进度")
    assert page.url.endswith(f"/cases/{case.pk}/progress/")
    _done(j)


def test_worker_works_an_alert_to_a_visit_and_an_active_discovery_case(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.worker, "worker-alert")
    _menu(page, j, "预警工单")
    j.click(page.get_by_test_id("alert-row").locator("a").first)
    j.screen("预警")
    # who and where first, then the reasons and the forms
    assert _head(scene.alerted).name in page.get_by_test_id("alert-household").inner_text()
    visit = page.get_by_test_id("visit-form")
    visit.locator("textarea").first.fill("入户核实：户主住院两周，家中无其他收入")
    j.click(visit.get_by_role("button").last)
    j.screen("预警：已走访")
    j.click(page.get_by_test_id("open-case"))
    j.screen("案件")
    scene.alert.refresh_from_db()
    assert scene.alert.status == AlertStatus.CLOSED and scene.alert.case.channel == Channel.ACTIVE_DISCOVERY
    assert _fits(page)
    _done(j)


def test_street_officer_accepts_starts_verification_and_records_a_visit(
    live_server, new_page, browser_login, scene
):
    page, j = _start(new_page, browser_login, live_server, scene.street, "street-accept-verify-visit")
    _menu(page, j, "待办案件")
    j.click(page.locator(f'[data-case="{scene.new_case.pk}"] a'))
    j.screen("案件：已提交")
    j.click(page.get_by_test_id(f"action-{Status.ACCEPTED}").get_by_role("button"))
    j.screen("案件：已受理")
    j.click(page.get_by_test_id(f"action-{Status.VERIFICATION}").get_by_role("button"))
    j.screen("核对报告")
    assert page.get_by_test_id("per-head").is_visible()
    report = VerificationReport.objects.get(household=scene.new_home)
    j.click(page.get_by_test_id("back-to-case"))
    j.screen("案件：核对")
    assert page.get_by_test_id("report-link").get_attribute("href") == f"/verification/reports/{report.pk}/"
    j.click(page.get_by_test_id(f"action-{Status.HOME_VISIT}").get_by_role("button"))
    j.screen("案件：入户调查")
    # the visit form starts empty: saving it untouched records nothing and says what is missing
    visit = page.get_by_test_id("visit-form")
    j.click(visit.get_by_role("button", name="保存入户调查"))
    j.screen("案件：入户调查（未填）")
    assert page.get_by_test_id("error-housing").is_visible() and not Case.objects.get(
        pk=scene.new_case.pk).visits.exists()
    visit = page.get_by_test_id("visit-form")
    visit.get_by_label("调查日期").fill(timezone.localdate().isoformat())
    for label in ("申请人本人", "简陋", "无劳动能力"):
        j.click(visit.get_by_label(label, exact=True))
    for group, choice in (("members_match", "一致"), ("assets", "未见"), ("income_match", "未核实")):
        j.click(visit.locator(f"#fs-{group}").get_by_label(choice, exact=True))
    j.click(visit.get_by_text("调查已完成，转入审核"))
    j.click(visit.get_by_role("button", name="保存入户调查"))
    j.screen("案件：审核")
    assert page.get_by_test_id("case-status").inner_text() == "审核"
    assert _fits(page)
    _done(j)


def test_county_approver_approves_with_the_evidence_on_one_page(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.county, "county-approve")
    _menu(page, j, "待办案件")
    j.click(page.locator(f'[data-case="{scene.ready_case.pk}"] a'))
    j.screen("案件：公示期满")
    for testid in ("report-link", "rules", "visit", "notice"):
        assert page.get_by_test_id(testid).first.is_visible()
    approve = page.get_by_test_id(f"action-{Status.APPROVED}")
    proposed = page.get_by_test_id("proposed-amount").inner_text()
    assert approve.locator("input[name=amount]").input_value() == proposed
    j.click(approve.get_by_role("button"))
    j.screen("案件：已批准")
    case = Case.objects.get(pk=scene.ready_case.pk)
    assert case.status == Status.APPROVED and case.amount_monthly == Decimal(proposed)
    assert _fits(page)
    _done(j)


def test_analyst_simulates_a_standard_rise_and_reads_the_charts(live_server, new_page, browser_login, scene):
    page, j = _start(new_page, browser_login, live_server, scene.analyst, "analyst-simulate")
    _menu(page, j, "政策模拟")
    row = page.locator("[data-row]").first
    row.locator("select[name$='-path']").select_option("dibao.standard.urban")
    row.locator("select[name$='-region']").select_option("990100000000")
    row.locator("input[name$='-value']").fill("1000")
    j.click(page.get_by_test_id("run"))
    j.screen("测算结果")
    page.locator("#chart-coverage svg").first.wait_for()
    # results come first: the heading is on the first screen after the run
    assert page.locator("#result-title").bounding_box()["y"] < 2 * PHONE["height"]
    assert "西区" in page.get_by_test_id("shadowed").inner_text()
    assert _fits(page)
    _done(j)


def test_verification_centre_records_an_authorisation_and_downloads_the_pdf(
    live_server, new_page, browser_login, scene, tmp_path
):
    page, j = _start(new_page, browser_login, live_server, scene.centre, "centre-authorise-pdf")
    head = _head(scene.unchecked)
    _menu(page, j, "家庭列表")
    page.get_by_label("查找家庭").fill(head.name)
    j.click(page.get_by_role("button", name="查找"))
    j.screen("家庭列表：查找")
    j.click(page.get_by_test_id("household-list").locator("a").first)
    j.screen("家庭")
    j.click(page.get_by_role("link", name="授权与核对"))
    j.screen("核对")
    form = page.get_by_test_id("authorisation-form")
    j.click(form.locator("#fs-signed_by").get_by_label(head.name, exact=False).first)
    for box in form.locator("#fs-persons input").all():
        j.click(box)
    for code in ("tax_wages", "vehicles", "real_estate"):
        j.click(form.locator(f"#fs-sources input[value={code}]"))
    form.get_by_label("签署日期").fill(timezone.localdate().isoformat())
    form.get_by_label("有效期至").fill((timezone.localdate() + dt.timedelta(days=180)).isoformat())
    scan = tmp_path / "授权书.pdf"
    scan.write_bytes(PDF)
    form.locator("input[type=file]").set_input_files(str(scan))
    j.click(form.get_by_role("button", name="保存授权书"))
    j.screen("核对：授权书已登记")
    auth = Authorisation.objects.get(household=scene.unchecked)
    assert auth.persons.count() == 3 and auth.document_path
    page.get_by_label("核对事由").fill("低保申请审核")
    j.click(page.get_by_role("button", name="核对", exact=True))
    j.screen("核对报告")
    j.clicks += 1  # the PDF link
    pdf = page.request.get(live_server.url + page.get_by_role("link", name="下载打印版（PDF）").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF") and b"/FontFile2" in pdf.body()
    assert _fits(page)
    _done(j)


def test_the_report_links_from_the_case_when_verification_ran(scene):
    # the scene's ready case ran its check through the case (发起经济状况核对)
    report = VerificationReport.objects.get(household=scene.ready_home)
    step = scene.ready_case.transitions.get(to_status=Status.VERIFICATION)
    assert step.data == {"report_id": report.pk}
