"""Monitoring pages through the Django test client: the worker's alerts, the alert page's visit,
close and one-step active-discovery case, the household picture, and the dashboard's counts."""

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import joblib
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.test import Client
from django.utils import translation

from safetynet.cases.models import Case, Channel
from safetynet.core.masking import mask_id_number
from safetynet.core.testing import make_household, make_user
from safetynet.monitoring.indicator_labels import DIMENSIONS, LABELS, translated_dimension, translated_label
from safetynet.monitoring.indicators import library
from safetynet.monitoring.model.features import feature_names
from safetynet.monitoring.model.training import train
from safetynet.monitoring.models import Alert, AlertOutcome, AlertStatus, RiskModel
from safetynet.monitoring.selectors import NEGATIVE_OUTCOMES, POSITIVE_OUTCOMES
from safetynet.monitoring.tasks import monitor_run
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest
from safetynet.verification.models import Authorisation, VerificationReport

ON = dt.date(2026, 10, 31)
HAN = re.compile(r"[\u4e00-\u9fff]")
MEDICAL = ("id_number,name,reported_on,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,"
           "out_of_pocket")


def _bill(tmp_path, household, name="medical.csv"):
    head = Membership.objects.get(household=household, relationship="head").person
    path = tmp_path / name
    path.write_text(f"{MEDICAL}\n{head.id_number},{head.name},2026-10-20,市人民医院,肺炎,2026-10-01,2026-10-15,"
                    "20000,8000,12000\n", encoding="utf-8")
    source_ingest(source_name="medical_expenses", path=path, as_of=dt.date(2026, 10, 20))


@pytest.fixture
def alert(tree, settings, tmp_path):
    """A family with no income and a 12 000 yuan hospital bill in the east community: one red alert."""
    settings.LAKE_DIR = tmp_path / "lake"
    household = make_household(tree.east_community, members=2)
    _bill(tmp_path, household)
    make_user("community_worker", tree.east_community, username="east-worker")
    monitor_run(on=ON)
    return Alert.objects.get(household=household, condition="hospital_bill")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_worker_sees_her_alert_with_its_level_reason_household_and_deadline(alert):
    client = _client(alert.assigned_to)
    body = client.get("/monitoring/alerts/").content.decode()
    assert f"/monitoring/alerts/{alert.pk}/" in body
    assert "红色" in body and "大额住院自付" in body
    head = Membership.objects.get(household=alert.household, relationship="head").person
    # the card names the family, not its 18-character 户号
    assert f"{head.name}家" in body and alert.due_at.strftime("%Y-%m-%d") in body
    page = client.get(f"/monitoring/alerts/{alert.pk}/").content.decode()
    assert "12,000" in page and mask_id_number(head.id_number) in page and head.id_number not in page


def test_a_neighbouring_county_worker_gets_404_and_no_list_entry(alert, tree):
    west = _client(make_user("community_worker", tree.west_community))
    assert west.get(f"/monitoring/alerts/{alert.pk}/").status_code == 404
    assert west.post(f"/monitoring/alerts/{alert.pk}/visit/", {"findings": "x"}).status_code == 404
    assert f"/monitoring/alerts/{alert.pk}/" not in west.get("/monitoring/alerts/").content.decode()
    assert west.get(f"/monitoring/households/{alert.household_id}/").status_code == 404


def test_a_visit_without_findings_shows_the_chinese_error_and_changes_nothing(alert):
    client = _client(alert.assigned_to)
    before = Alert.objects.filter(pk=alert.pk).values().get()
    response = client.post(f"/monitoring/alerts/{alert.pk}/visit/", {"findings": "  "})
    assert response.status_code == 400
    assert "请填写走访核查情况" in response.content.decode()
    assert Alert.objects.filter(pk=alert.pk).values().get() == before


def test_a_visit_is_recorded_then_redirects_to_the_alert(alert):
    client = _client(alert.assigned_to)
    response = client.post(f"/monitoring/alerts/{alert.pk}/visit/", {"findings": "家中无收入，住院欠费", "finding": "needs_help",
                                                                   "reasons": ["income_low", "high_expenses"]})
    assert response.status_code == 302 and response["Location"] == f"/monitoring/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert (alert.status, alert.findings) == (AlertStatus.VISITED, "家中无收入，住院欠费")
    assert "已登记走访核查" in client.get(response["Location"]).content.decode()


def test_a_visit_keeps_several_photos_each_checked_or_none_at_all(alert, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = _client(alert.assigned_to)
    visit = {"findings": "家中无收入，住院欠费", "finding": "needs_help", "reasons": ["income_low"]}

    def png(name, fill):
        return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + fill * 64, content_type="image/png")

    # a text file posing as a photo among real ones: refused in Chinese, nothing kept, no visit
    fake = SimpleUploadedFile("room.jpg", b"just text", content_type="image/jpeg")
    response = client.post(f"/monitoring/alerts/{alert.pk}/visit/", {**visit, "photos": [png("a.png", b"a"), fake]})
    assert response.status_code == 400 and "只接受 PDF、JPG、PNG 文件" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and not alert.attachments.exists()
    assert not any((tmp_path / "media").rglob("*.png"))
    # three good files: all kept with their checksums and listed on the alert page
    pdf = SimpleUploadedFile("bill.pdf", b"%PDF-1.4\n" + b"b" * 64, content_type="application/pdf")
    response = client.post(f"/monitoring/alerts/{alert.pk}/visit/",
                           {**visit, "photos": [png("kitchen.png", b"k"), png("bed.png", b"d"), pdf]})
    assert response.status_code == 302
    kept = list(alert.attachments.all())
    assert [a.original_name for a in kept] == ["kitchen.png", "bed.png", "bill.pdf"]
    assert all((tmp_path / "media" / a.path).is_file() for a in kept)
    assert kept[0].sha256 == hashlib.sha256(b"\x89PNG\r\n\x1a\n" + b"k" * 64).hexdigest()
    listed = client.get(f"/monitoring/alerts/{alert.pk}/").content.decode().split('data-testid="visit-photos"')[1]
    assert all(name in listed.split("</ul>")[0] for name in ("kitchen.png", "bed.png", "bill.pdf"))


def test_closing_needs_a_reason_then_records_the_outcome(alert):
    client = _client(alert.assigned_to)
    response = client.post(f"/monitoring/alerts/{alert.pk}/close/", {"outcome": "false_alarm", "reason": ""})
    assert response.status_code == 400 and "请填写办结理由" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    # a close without the structured outcome is refused, and says what is missing
    response = client.post(f"/monitoring/alerts/{alert.pk}/close/", {"outcome": "false_alarm", "reason": "已报销"})
    assert response.status_code == 400 and "办结前请登记走访结论" in response.content.decode()
    # an amount without its reason is refused too
    response = client.post(f"/monitoring/alerts/{alert.pk}/close/", {
        "outcome": "false_alarm", "reason": "已报销", "finding": "no_need", "reasons": ["moved"],
        "assets_value": "5000"})
    assert response.status_code == 400 and "请同时选择原因" in response.content.decode()
    response = client.post(f"/monitoring/alerts/{alert.pk}/close/", {
        "outcome": "false_alarm", "reason": "已报销", "finding": "no_need", "reasons": ["hidden_income"],
        "hidden_income_kind": "informal_work", "hidden_income_monthly": "2400.50"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.CLOSED, AlertOutcome.FALSE_ALARM)
    outcome = alert.visit_outcomes.get()
    assert (outcome.finding, outcome.reasons, outcome.hidden_income_kind, str(outcome.hidden_income_monthly)) == (
        "no_need", ["hidden_income"], "informal_work", "2400.50")
    assert sorted(outcome.facts.values_list("category", "amount")) == [
        ("hidden_income_informal_work", Decimal("2400.50")), ("visit_no_need", None)]
    again = client.post(f"/monitoring/alerts/{alert.pk}/visit/", {"findings": "再次走访"})
    assert again.status_code == 409 and "该预警已办结" in again.content.decode()


def test_open_case_files_one_active_discovery_case_and_closes_the_alert_as_assisted(alert):
    client = _client(alert.assigned_to)
    response = client.post(f"/monitoring/alerts/{alert.pk}/open-case/")
    case = Case.objects.get(household=alert.household)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    alert.refresh_from_db()
    assert (case.channel, case.source_ref) == (Channel.ACTIVE_DISCOVERY, alert.number)
    assert (alert.status, alert.outcome, alert.case_id) == (AlertStatus.CLOSED, AlertOutcome.ASSISTED_NEW_CASE, case.pk)
    # a second press is refused in place and files nothing more
    again = client.post(f"/monitoring/alerts/{alert.pk}/open-case/")
    assert again.status_code == 409 and "该预警已办结" in again.content.decode()
    assert Case.objects.filter(household=alert.household, channel=Channel.ACTIVE_DISCOVERY).count() == 1


def test_the_household_picture_lists_members_and_alerts(alert, tree):
    officer = make_user("street_officer", tree.east_street)
    body = _client(officer).get(f"/monitoring/households/{alert.household_id}/").content.decode()
    assert alert.household.number in body and "大额住院自付" in body
    assert "该户尚无核对报告" in body
    worker_body = _client(alert.assigned_to).get(f"/monitoring/households/{alert.household_id}/").content.decode()
    assert "核对报告仅限" in worker_body


def test_the_dashboard_counts_equal_the_database(alert, tree, tmp_path):
    # given a second alert in the west county, and the east one closed as a false alarm
    west = make_household(tree.west_community, members=1)
    _bill(tmp_path, west, "west.csv")
    monitor_run(on=ON + dt.timedelta(days=1))
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.CLOSED, outcome=AlertOutcome.FALSE_ALARM)
    approver = make_user("county_approver", tree.city)
    response = _client(approver).get("/monitoring/dashboard/")
    assert response.status_code == 200
    charts = response.context["charts"]
    data = response.context["data"]
    expected = dict(Alert.objects.values_list("condition").annotate(n=Count("id")).order_by())
    assert data["by_condition"] == expected
    assert sum(sum(s["data"]) for s in charts["district"]["series"]) == Alert.objects.count()
    for condition, row in data["precision"].items():
        closed = Alert.objects.filter(condition=condition, status=AlertStatus.CLOSED)
        pos = closed.filter(outcome__in=POSITIVE_OUTCOMES).count()
        neg = closed.filter(outcome__in=NEGATIVE_OUTCOMES).count()
        assert (row["positive"], row["negative"]) == (pos, neg)
        assert row["precision"] == (round(pos / (pos + neg), 4) if pos + neg else None)
    assert data["outcomes"] == dict(Alert.objects.filter(status=AlertStatus.CLOSED).values_list("outcome")
                                    .annotate(n=Count("id")).order_by())
    assert 'id="monitoring-charts"' in response.content.decode()
    assert "web/vendor/echarts.min.js" in response.content.decode()


def test_each_indicator_s_precision_counts_the_closed_points_alerts_that_listed_it(alert, tree):
    # given two closed points alerts: one confirmed (referred), one a false alarm, sharing inc_zero
    run = alert.run
    for outcome, indicators in ((AlertOutcome.REFERRED, ["inc_zero", "ast_no_savings"]),
                                (AlertOutcome.FALSE_ALARM, ["inc_zero"])):
        Alert.objects.create(household=make_household(tree.east_community, members=1), kind="points",
                             condition="points", level="orange", reasons={"indicators": indicators}, on=ON,
                             due_at=alert.due_at, run=run, status=AlertStatus.CLOSED, outcome=outcome)
    # when the county approver opens the dashboard
    response = _client(make_user("county_approver", tree.city)).get("/monitoring/dashboard/")
    # then inc_zero is right once in two, ast_no_savings once in one, and the table shows the titles
    rows = {p["code"]: p for p in response.context["indicator_precision"]}
    assert (rows["inc_zero"]["positive"], rows["inc_zero"]["negative"], rows["inc_zero"]["precision"]) == (1, 1, 0.5)
    assert (rows["ast_no_savings"]["positive"], rows["ast_no_savings"]["precision"]) == (1, 1.0)
    assert response.context["indicator_precision"][0]["code"] == "inc_zero"
    assert 'data-indicator="inc_zero"' in response.content.decode() and "无任何登记收入" in response.content.decode()


def test_a_county_approver_sees_only_her_county_on_the_dashboard(alert, tree):
    west = _client(make_user("county_approver", tree.west))
    assert west.get("/monitoring/dashboard/").context["data"]["by_condition"] == {}


def test_a_street_officer_cannot_open_the_dashboard(alert, tree):
    officer = _client(make_user("street_officer", tree.east_street))
    assert officer.get("/monitoring/dashboard/").status_code == 403


def test_the_navigation_links_the_pages_per_role(alert, tree):
    assert "/monitoring/alerts/" in _client(alert.assigned_to).get("/").content.decode()
    assert "/monitoring/dashboard/" in _client(make_user("analyst", tree.east)).get("/").content.decode()


def test_with_a_promoted_model_the_dashboard_recommends_each_community_s_capacity(alert, tree, settings):
    # given a model trained on visit outcomes over the run's own features (needy: no income) and promoted
    names = feature_names()
    rng = np.random.default_rng(0)
    x = rng.random((200, len(names))).astype(np.float32) * 3
    y = (x[:, names.index("income_ratio")] < 1).astype(np.int8)
    model = train(x, y, features=names)
    path = Path(settings.LAKE_DIR) / "derived" / "monitoring" / "models" / "t.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    RiskModel.objects.create(version=1, outcomes=200, threshold=model.threshold, metrics=model.metrics,
                             features=names, artefact=str(path.relative_to(settings.LAKE_DIR)),
                             sha256=hashlib.sha256(path.read_bytes()).hexdigest(), promoted=True)
    # when the next run dispatches
    counts = monitor_run(on=ON + dt.timedelta(days=7))["dispatch"]
    # then the run recommends a capacity for the community, within the same total, with expected finds
    allocation = counts["allocation"]
    row = allocation[tree.east_community.pk]
    assert row["capacity"] == settings.MONITORING_WEEKLY_VISITS
    assert 0 <= row["recommended"] <= row["capacity"] and row["expected_finds"] >= 0
    # and the county approver's dashboard shows it beside the capacity set today
    page = _client(make_user("county_approver", tree.city)).get("/monitoring/dashboard/")
    rows = page.context["data"]["dispatch"]["allocation"]
    assert [(r["community"], r["capacity"], r["recommended"]) for r in rows] == [
        (tree.east_community.name, row["capacity"], row["recommended"])]
    assert 'data-testid="allocation"' in page.content.decode() and "建议走访能力" in page.content.decode()


def test_every_dimension_indicator_and_trigger_has_an_english_label():
    lib = library()
    words = [w for i in (*lib.indicators, *lib.triggers) for w in (i.title, i.explanation)]
    assert set(lib.dimensions.values()) <= set(DIMENSIONS) and set(words) <= LABELS
    with translation.override("en"):
        english = [translated_dimension(d) for d in lib.dimensions.values()] + [translated_label(w) for w in words]
    assert not [e for e in english if HAN.search(e)], english
    with translation.override("zh-hans"):  # the library's own words, unchanged, in the default language
        assert translated_label(lib.trigger("hospital_bill").title) == "大额住院自付"


def test_an_alert_and_its_household_read_their_reasons_in_english(alert, tree):
    # given the hospital-bill alert and the family's points alert naming three indicators, read in English
    points, _created = Alert.objects.update_or_create(
        household=alert.household, condition="points",
        defaults={"kind": "points", "level": "orange", "score": 0.4, "on": ON, "due_at": alert.due_at,
                  "run": alert.run, "assigned_to": alert.assigned_to,
                  "reasons": {"indicators": ["inc_zero", "ast_no_savings", "hou_no_home"]}})
    client = _client(alert.assigned_to)
    client.cookies["django_language"] = "en"
    # when the worker opens the trigger alert, then its reason is the library's words in English
    page = client.get(f"/monitoring/alerts/{alert.pk}/").content.decode()
    reasons = page.split('data-testid="alert-reasons"')[1].split("</ol>")[0]
    assert ("<li>Large out-of-pocket hospital bill: The out-of-pocket cost settled at discharge exceeds 30% of "
            "annual household income") in reasons
    assert "Out-of-pocket medical costs 12,000 yuan" in reasons and "大额住院自付" not in page
    # and the points alert lists its indicators in English, on its page and on the worker's list
    page = client.get(f"/monitoring/alerts/{points.pk}/").content.decode()
    assert "<li>No recorded income at all</li>" in page and "<li>No savings</li>" in page
    assert "No recorded income at all" in client.get("/monitoring/alerts/").content.decode()
    # and the household picture groups them under English dimensions, listed with English commas
    picture = client.get(f"/monitoring/households/{alert.household_id}/").content.decode()
    breakdown = picture.split('data-testid="breakdown"')[1].split("</table>")[0]
    assert "<strong>Income</strong>" in breakdown and "<strong>Assets</strong>" in breakdown
    assert not HAN.search(breakdown), breakdown
    assert "Large out-of-pocket hospital bill" in picture
    # and, once it is closed, the county dashboard names the indicator and its dimension in English
    Alert.objects.filter(pk=points.pk).update(status=AlertStatus.CLOSED, outcome=AlertOutcome.REFERRED)
    approver = _client(make_user("county_approver", tree.city))
    approver.cookies["django_language"] = "en"
    dashboard = approver.get("/monitoring/dashboard/")
    assert {"Income", "Assets", "Housing"} <= set(dashboard.context["charts"]["dimension"]["categories"])
    assert "No recorded income at all" in dashboard.content.decode()


def test_the_household_picture_names_a_benefit_s_programme_and_source_in_the_reader_s_language(alert, tree):
    # given a stored report citing the household head's dibao from the assistance roll
    head = Membership.objects.get(household=alert.household, relationship="head").person
    officer = make_user("street_officer", tree.east_street)
    auth = Authorisation.objects.create(household=alert.household, signed_by=head, sources=["benefits"],
                                        signed_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31),
                                        recorded_by=officer)
    dibao = {"source": "benefits", "source_title": "救助对象名册", "owner": "民政局", "batch_id": "b", "row": 1,
             "as_of": "2026-10-31", "kind": "income", "category": "transfers", "amount": 600.0,
             "detail": {"programme": "dibao"}}
    VerificationReport.objects.create(household=alert.household, authorisation=auth, on=ON, requested_by=officer,
                                      purpose="t", income_per_head=0,
                                      result={"household": {}, "members": [{"name": head.name, "facts": [dibao]}]})
    client = _client(officer)
    # when the officer reads the picture in Chinese, then in English
    chinese = client.get(f"/monitoring/households/{alert.household_id}/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/monitoring/households/{alert.household_id}/").content.decode()
    # then the programme is named, not coded, and the source is the catalogue's name in each language
    benefits = chinese.split('data-testid="benefits"')[1].split("</ul>")[0]
    assert "最低生活保障" in benefits and "（救助对象名册）" in benefits and "dibao" not in benefits
    benefits = english.split('data-testid="benefits"')[1].split("</ul>")[0]
    assert "Minimum living guarantee" in benefits and "(Assistance recipient rolls)" in benefits
