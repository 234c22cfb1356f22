import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

P = "/api/v1/public"


def test_self_check_answers_anonymously_with_programmes_and_how_to_apply(tree):
    r = Client().post(
        f"{P}/self-check",
        {"region_code": tree.east_street.code, "members": [{"age": 40}], "deposits": "1000"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    dibao = next(p for p in body["programmes"] if p["programme"] == "dibao")
    assert dibao["eligible"] and body["stored"] is False
    assert body["how_to_apply"]["window"]["name"].startswith("东区第1街道")
    assert body["how_to_apply"]["window"]["phone"] == "12345"


@pytest.mark.parametrize(
    "payload, field",
    [({"members": []}, "members"), ({"members": [{"age": 200}]}, "members.0.age"),
     ({"members": [{"age": 30, "wage_income": "-5"}]}, "members.0.wage_income")],
)
def test_self_check_input_is_bounded(tree, payload, field):
    r = Client().post(f"{P}/self-check", {"region_code": tree.east_street.code, **payload}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"
    assert field in [e["field"] for e in r.json()["details"]["errors"]]


def test_self_check_refuses_a_region_above_county(tree):
    r = Client().post(f"{P}/self-check", {"region_code": tree.city.code, "members": [{"age": 40}]},
                      content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "portal.region_unknown"


def test_policy_answer_cites_document_article_and_date(db):
    r = Client().post(f"{P}/policy/answers", {"question": "家里有辆小汽车还能吃低保吗"}, content_type="application/json")
    body = r.json()
    assert r.status_code == 200 and body["found"]
    top = body["passages"][0]
    assert (top["document"], top["article"]) == ("示范省低保家庭财产认定办法", "第七条")
    assert top["effective"] == "2024-01-01"
    nothing = Client().post(f"{P}/policy/answers", {"question": "公积金怎么提取"}, content_type="application/json").json()
    assert not nothing["found"] and "12345" in nothing["contacts"]


def test_a_complaint_is_filed_with_an_attachment_and_tracked(tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = Client().post(
        f"{P}/complaints",
        {"category": "misuse", "region_code": tree.east_community.code, "subject": "两辆车领低保",
         "body": "邻居家两辆小汽车，还在领低保。", "anonymous": "true",
         "attachment": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"1" * 20, content_type="image/png")},
    )
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    t = Client().get(f"{P}/complaints/{number}")
    assert t.status_code == 200 and t.json()["status_code"] == "received" and t.json()["handling_region"] == "东区"
    assert Client().get(f"{P}/complaints/TS20990101-XXXXXXXX").json()["code"] == "portal.complaint_not_found"


def test_each_client_is_throttled_with_a_429_in_the_error_format(db, settings):
    settings.SAFETYNET_PUBLIC_RATES = {"policy": "2/m"}
    c = Client()
    answers = [c.post(f"{P}/policy/answers", {"question": "低保标准"}, content_type="application/json") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "portal.rate_limited"
    # another client is not affected
    other = Client(REMOTE_ADDR="10.0.0.9").post(f"{P}/policy/answers", {"question": "低保标准"}, content_type="application/json")
    assert other.status_code == 200


def test_aggregates_and_notices_are_public_with_dictionary_and_licence(tree):
    r = Client().get(f"{P}/transparency/aggregates", {"months": 2})
    body = r.json()
    assert r.status_code == 200 and len(body["months"]) == 2 and body["k"] >= 2
    assert {d["field"] for d in body["dictionary"]} >= {"households", "persons", "amount_yuan", "suppressed"}
    assert body["licence"]["name"]
    assert Client().get(f"{P}/transparency/aggregates", {"month": "2025-13"}).status_code == 400
    assert Client().get(f"{P}/notices").status_code == 200


def test_the_staff_endpoints_need_a_login_and_the_public_ones_are_in_the_schema(db):
    assert Client().get(f"{P}/staff/complaints").status_code == 401
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/self-check", "/policy/answers", "/complaints", "/complaints/{number}",
                 "/transparency/aggregates", "/notices", "/windows/{region_code}"):
        assert f"/api/v1/public{path}" in paths
    assert "security" not in paths["/api/v1/public/self-check"]["post"]


def test_a_signed_in_officer_is_counted_on_their_own_at_a_higher_rate(tree, staff, settings):
    settings.SAFETYNET_PUBLIC_RATES = {"policy": "1/m"}
    anonymous = Client()
    officer = Client()
    officer.force_login(staff.street)
    ask = {"path": f"{P}/policy/answers", "data": {"question": "低保标准"}, "content_type": "application/json"}
    assert [anonymous.post(**ask).status_code for _ in range(2)] == [200, 429]
    assert [officer.post(**ask).status_code for _ in range(11)] == [200] * 10 + [429]
