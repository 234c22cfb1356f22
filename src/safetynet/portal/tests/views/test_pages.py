import pytest
from django.test import Client
from django.urls import reverse

from safetynet.portal.models import Complaint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["home", "self_check", "policy", "complaint_new", "track_form", "transparency", "notices", "open_data"]
)
def test_public_pages_open_without_login(tree, name):
    r = Client().get(reverse(f"portal:{name}"))
    assert r.status_code == 200
    assert b"<h1>" in r.content


def _selfcheck_post(tree, **extra):
    data = {"region_code": tree.east_street.code, "size": "2", "m1_age": "45", "m1_wage_income": "600",
            "m2_age": "47", "m2_ill": "on", "vehicles": "0", "dwellings": "1", "hardship": "serious_illness",
            "has_capable_supporter": "yes", **extra}
    return Client().post(reverse("portal:self_check"), data)


def test_the_self_check_page_answers_with_programmes_reasons_and_the_window(tree):
    r = _selfcheck_post(tree)
    page = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="result"' in page and "临时救助" in page and "可能符合" in page
    assert "东区第1街道便民服务中心社会救助窗口" in page


def test_the_self_check_page_explains_a_missing_age_in_chinese(tree):
    r = _selfcheck_post(tree, m2_age="")
    assert r.status_code == 200
    assert "请填写第 2 位家庭成员的年龄" in r.content.decode()


def test_elderly_mode_is_a_layout_of_its_own(tree):
    r = Client().get(reverse("portal:self_check") + "?mode=elderly")
    assert 'class="elderly"' in r.content.decode()


def test_a_policy_question_on_the_page_shows_the_citation(db):
    r = Client().get(reverse("portal:policy"), {"q": "五保户一个月能拿多少"})
    page = r.content.decode()
    assert "《示范市特困人员救助供养实施办法》（示民规〔2024〕5号）第五条" in page


def test_filing_on_the_page_leads_to_the_tracking_number(tree):
    r = Client().post(reverse("portal:complaint_new"), {
        "category": "delay", "region_code": tree.east_street.code, "subject": "迟迟不受理",
        "body": "交了材料两周没有回音。", "anonymous": "on"})
    complaint = Complaint.objects.get()
    assert r.status_code == 302 and r["Location"].startswith(reverse("portal:track", args=[complaint.number]))
    page = Client().get(r["Location"]).content.decode()
    assert complaint.number in page and "已登记" in page


def test_the_page_says_too_many_requests_in_plain_words(tree, settings):
    settings.SAFETYNET_PUBLIC_RATES = {"complaint_track": "1/m"}
    c = Client()
    c.get(reverse("portal:track", args=["TS20250101-AAAAAAAA"]))
    r = c.get(reverse("portal:track", args=["TS20250101-AAAAAAAA"]))
    assert r.status_code == 429 and "请求过于频繁" in r.content.decode()


def test_staff_pages_need_login_and_the_permission(tree, staff):
    assert Client().get(reverse("portal:queue")).status_code == 302
    c = Client()
    c.force_login(staff.analyst)
    assert c.get(reverse("portal:queue")).status_code == 403
    c.force_login(staff.street)
    assert c.get(reverse("portal:queue")).status_code == 200
    assert c.get(reverse("portal:statistics")).status_code == 403


def test_open_data_csv_and_json_carry_the_dictionary_fields(tree):
    csv_text = Client().get(reverse("portal:open_data_csv")).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "month,region_code,region_name,programme,programme_name,households,persons,amount_yuan,suppressed"
    body = Client().get(reverse("portal:open_data_json")).json()
    assert body["licence"]["name"] and body["rows"] and len(body["rows"]) == 12 * 3 * 7


def test_the_public_pages_speak_english_when_asked(tree):
    c = Client()
    c.cookies["django_language"] = "en"
    page = c.get(reverse("portal:self_check")).content.decode()
    assert "Self-check: what help could you get" in page
    answer = c.get(reverse("portal:policy"), {"q": "怎么办理护照"}).content.decode()
    assert "We could not find an article that answers this" in answer


def test_every_public_page_counts_against_the_page_limit(tree, settings):
    settings.SAFETYNET_PUBLIC_RATES = {"pages": "3/m"}
    c = Client()
    statuses = [c.get(reverse(name)).status_code for name in
                ("portal:home", "portal:open_data", "portal:self_check", "portal:policy")]
    assert statuses == [200, 200, 200, 429]
