"""English (``locale/en``): the shell and the pages of every app (cases, monitoring, resources,
payments, supervision, the portal) read in English when the visitor chooses it; Chinese stays
the default."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from safetynet.cases.models import OutboxMessage
from safetynet.cases.services import case_submit
from safetynet.core.testing import Role, make_household, make_user
from safetynet.portal.models import Complaint

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


def _english(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _nav(html: str) -> str:
    return html.split('class="wrap site-nav"')[1].split("</nav>")[0]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COUNTY_APPROVER, Role.PROVIDER, Role.SUPERVISOR])
def test_every_navigation_link_reads_in_english(client, tree, role):
    user = make_user(role, tree.city if role != Role.COUNTY_APPROVER else tree.east)
    html = _english(client, user).get("/").content.decode()
    nav = re.sub(r"<[^>]+>", " ", _nav(html))
    assert nav.split() and not HAN.search(nav), nav
    assert ">Menu<" in html and ">菜单<" not in html


@pytest.mark.parametrize(("url", "english"), [
    ("/payments/", ["Payment rolls", "Generate the monthly roll"]),
    ("/resources/", ["Resource catalogue", "Places are what is left this month"]),
    ("/resources/dashboard/", ["Where funds help most", "Places left"]),
    ("/supervision/", ["Five supervision views at a glance", "Run the supervision scan", "By county"]),
    ("/supervision/recovery/", ["Recovery orders", "No recovery orders"]),
])
def test_the_new_apps_pages_read_in_english(client, tree, url, english):
    html = _english(client, make_user(Role.ADMIN, tree.city)).get(url).content.decode()
    for text in english:
        assert text in html, text


@pytest.mark.parametrize(("role", "url", "english", "chinese"), [
    (Role.STREET_OFFICER, "/cases/", ["Programme and step", "All steps"], "全部环节"),
    # a label marked with gettext_lazy imported as _lazy (extracted by the project's makemessages)
    (Role.COMMUNITY_WORKER, "/cases/proxy/", ["Find a household: household number, name, ID number or phone"],
     "查找家庭"),
    (Role.COMMUNITY_WORKER, "/monitoring/alerts/", ["All levels", "Overdue only"], "只看已超期"),
])
def test_the_case_and_alert_workbenches_read_in_english(client, tree, role, url, english, chinese):
    region = tree.east_street if role == Role.STREET_OFFICER else tree.east_community
    html = _english(client, make_user(role, region)).get(url).content.decode()
    for text in english:
        assert text in html, text
    assert chinese not in html

def test_the_applicant_reads_the_form_and_the_progress_in_english(client, tree):
    household = make_household(tree.east_community)
    head = household.memberships.order_by("id").first().person
    citizen = make_user(Role.CITIZEN, None, person=head)
    case = case_submit(programme="dibao", household_id=household.pk, applicant_id=head.pk, actor=citizen,
                       channel="online").case
    form = _english(client, citizen).get("/cases/apply/").content.decode()
    assert "topped up to the standard every month" in form and "每月补足到标准" not in form
    html = client.get(f"/cases/{case.pk}/progress/").content.decode()
    assert "Your application has been submitted" in html and "Next step: " in html
    assert "Minimum living guarantee (dibao)" in html and not HAN.search(html.split("<main")[-1]), html


def test_the_applicants_message_stays_chinese_when_an_officer_reads_english(tree):
    household = make_household(tree.east_community)
    head = household.memberships.order_by("id").first().person
    officer = make_user(Role.STREET_OFFICER, tree.east_street)
    with translation.override("en"):
        case = case_submit(programme="dibao", household_id=household.pk, applicant_id=head.pk, actor=officer,
                           channel="window").case
    message = OutboxMessage.objects.filter(case=case).first()
    assert message.payload["where"] == "您的申请已提交，正在等待街道（乡镇）受理。"


def test_the_rules_parameters_read_in_english(client, tree):
    html = _english(client, make_user(Role.ADMIN, tree.city)).get("/rules/parameters/").content.decode()
    assert "Urban dibao standard" in html and "(yuan per person a month)" in html and "城市低保标准" not in html
    page = client.get("/rules/simulate/").content.decode()
    assert "Urban dibao standard (yuan per person a month)" in page


def test_the_open_data_dictionary_and_licence_read_in_english(client):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("portal:open_data")).content.decode()
    assert "Demo City public open data licence (demonstration)</strong>: Free to copy" in html
    assert "withheld together with the households" in html and "与户数同时抑制" not in html


def test_chinese_stays_the_default(client, tree):
    client.force_login(make_user(Role.ADMIN, tree.city))
    html = client.get("/payments/").content.decode()
    assert "发放名册" in html and "Payment rolls" not in html


def test_the_portal_complaint_fields_read_in_english():
    with translation.override("en"):
        assert str(Complaint._meta.get_field("reporter_name").verbose_name) == "Name of the person reporting"
