import json

from django.test import Client
from django.utils import translation

from safetynet.sources.catalogue import catalogue
from safetynet.supervision.models import Anomaly, AnomalyStatus, Kind
from safetynet.supervision.tasks import supervise_run
from safetynet.supervision.tests.conftest import ON
from safetynet.supervision.views import SOURCE_TITLES


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_workbench_lists_the_views_and_closes_a_finding(world, django_assert_max_num_queries):
    supervise_run(on=ON)
    c = _client(world.supervisor)
    with django_assert_max_num_queries(25):
        page = c.get("/supervision/?view=payment")
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("办理流程监管", "救助复核监管", "救助金发放监管", "应保尽保、应退尽退监管", "政策叠加监管"):
        assert title in text
    assert text.count('data-testid="anomaly-row"') == 5  # deceased, prison, payroll, duplicate, shared account
    a = Anomaly.objects.get(kind=Kind.SHARED_ACCOUNT)
    detail = c.get(f"/supervision/anomalies/{a.pk}/").content.decode()
    assert "6222020000001111" not in detail  # the account number is never shown
    r = c.post(f"/supervision/anomalies/{a.pk}/close/", {"outcome": "false_positive", "note": ""})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == AnomalyStatus.OPEN  # refused: no note
    assert "请填写核查情况说明" in c.get(f"/supervision/anomalies/{a.pk}/").content.decode()
    c.post(f"/supervision/anomalies/{a.pk}/close/", {"outcome": "explained", "note": "两户为同一村民小组代领，已备案"})
    a.refresh_from_db()
    assert (a.status, a.outcome) == (AnomalyStatus.CLOSED, "explained")


def test_api_lists_and_closes_with_typed_errors(world):
    supervise_run(on=ON)
    c = _client(world.supervisor)
    data = c.get("/api/v1/supervision/anomalies?view=overlap").json()
    assert sorted(x["kind"] for x in data["items"]) == ["exclusive_programmes", "staff_relative"]
    a = data["items"][0]
    r = c.post(f"/api/v1/supervision/anomalies/{a['id']}/close", json.dumps({"outcome": "bad", "note": "x"}),
               content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (400, "supervision.invalid_outcome")
    r = c.post(f"/api/v1/supervision/anomalies/{a['id']}/close", json.dumps({"outcome": "explained", "note": "已备案"}),
               content_type="application/json")
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    assert c.get("/api/v1/supervision/anomalies/999999").status_code == 404


def test_a_finding_names_its_evidence_sources_in_english_as_the_catalogue_does(world):
    with translation.override("en"):
        assert {k: str(v) for k, v in SOURCE_TITLES.items() if k in catalogue()} == {
            k: catalogue()[k].label for k in SOURCE_TITLES if k in catalogue()}
    supervise_run(on=ON)
    c = _client(world.supervisor)
    c.cookies["django_language"] = "en"
    a = Anomaly.objects.get(kind=Kind.PAID_DECEASED)
    detail = c.get(f"/supervision/anomalies/{a.pk}/").content.decode()
    assert "<td>Hukou cancellations (deaths)</td>" in detail and "户籍注销(死亡)" not in detail
