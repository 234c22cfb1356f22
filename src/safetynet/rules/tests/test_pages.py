"""The rules pages: policy simulation with its downloads, parameters, maker-checker changes."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import Role, make_household, make_user
from safetynet.rules.models import ChangeStatus, ParameterChange
from safetynet.rules.parameter_admin import parameter_change_propose
from safetynet.rules.population import population_at
from safetynet.rules.reforms import reform_parse
from safetynet.rules.selectors import county_names
from safetynet.rules.simulation import (
    HOUSEHOLD_CSV_HEADER,
    change_histogram,
    report_csv,
    simulate,
    xlsx_available,
)

ON = dt.date(2025, 7, 1)
REFORM = {
    "name": "东区城市低保标准提高到 1000 元",
    "changes": [
        {"path": "dibao.standard.urban", "region": "990101000000", "start": "2025-07-01", "value": 1000}
    ],
}


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form_data(reform: dict, on: dt.date, rows: int = 3) -> dict:
    data = {
        "name": reform["name"],
        "on": on.isoformat(),
        "form-TOTAL_FORMS": str(rows),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "20",
    }
    for i in range(rows):
        change = reform["changes"][i] if i < len(reform["changes"]) else {}
        data[f"form-{i}-path"] = change.get("path", "")
        data[f"form-{i}-region"] = change.get("region", "default")
        data[f"form-{i}-start"] = change.get("start", "")
        data[f"form-{i}-value"] = change.get("value", "")
    return data


def _expected(reform: dict, on: dt.date) -> dict:
    population, _missing = population_at(on)
    return simulate(spec=reform_parse(reform), on=on, population=population, region_names=county_names())


@pytest.fixture
def city(tree, tmp_path, settings):
    """Three households with no departmental facts (zero incomes): two in 东区, one in 西区."""
    settings.LAKE_DIR = tmp_path
    households = [make_household(tree.east_community, members=2) for _ in range(2)]
    households.append(make_household(tree.west_community, members=1))
    return households


@pytest.mark.django_db
def test_simulation_page_shows_what_simulate_computes(tree, city):
    # given an analyst of the city
    analyst = make_user(Role.ANALYST, tree.city)
    client = _login(analyst)
    assert client.get("/rules/simulate/").status_code == 200
    # when the reform is posted through the form
    response = client.post("/rules/simulate/", _form_data(REFORM, ON))
    # then the page's report is the service's report for the same reform, over the same registry
    assert response.status_code == 200, response.context.get("error")
    result = response.context["result"]
    expected = _expected(REFORM, ON)
    report = {k: v for k, v in result.report.items() if k != "missing_sources"}
    assert report == expected
    assert expected["winners"]["count"] > 0
    html = response.content.decode()
    assert f'data-testid="winners">{expected["winners"]["count"]}<' in html
    assert f'data-testid="losers">{expected["losers"]["count"]}<' in html
    monthly = expected["reform_result"]["total"]["monthly_cost"] / 10_000
    assert f'data-testid="reform-monthly">{monthly:.2f}<' in html
    assert 'id="chart-coverage"' in html and "echarts.min.js" in html
    assert (
        sum(b["count"] for b in result.histogram)
        == expected["winners"]["count"] + expected["losers"]["count"]
    )
    # and the run is audited
    event = AuditEvent.objects.filter(action="rules.simulate").get()
    assert event.actor_id == analyst.pk and event.data["reform"]["changes"][0]["region"] == "990101000000"


@pytest.mark.django_db
def test_uploaded_reform_file_gives_the_same_report(tree, city):
    # given the same reform as a file in the CLI's format
    client = _login(make_user(Role.ADMIN, tree.city))
    upload = io.BytesIO(
        (
            "name: 试算\nchanges:\n  - {path: dibao.standard.urban, region: '990101000000', "
            "start: 2025-07-01, value: 1000}\n"
        ).encode()
    )
    upload.name = "reform.yaml"
    data = {**_form_data({"name": "", "changes": []}, ON), "file": upload}
    # when
    response = client.post("/rules/simulate/", data)
    # then
    assert response.status_code == 200
    report = response.context["result"].report
    assert report["reform"]["name"] == "试算"
    assert report["winners"] == _expected(REFORM, ON)["winners"]


@pytest.mark.django_db
def test_simulation_page_shows_reform_errors_in_place(tree, city):
    client = _login(make_user(Role.ANALYST, tree.city))
    bad = {"name": "x", "changes": [{"path": "dibao.standard.urban", "region": "990101000000", "value": 900}]}
    response = client.post("/rules/simulate/", _form_data(bad, ON))
    assert response.status_code == 400
    assert "第 1 项：生效日期或数值无效" in response.content.decode()
    assert response.context["result"] is None
    assert not AuditEvent.objects.filter(action="rules.simulate").exists()


@pytest.mark.django_db
def test_csv_downloads_have_the_header_and_rows(tree, city):
    client = _login(make_user(Role.ANALYST, tree.city))
    hidden = {"reform": json.dumps(REFORM, ensure_ascii=False), "on": ON.isoformat()}
    expected = _expected(REFORM, ON)
    # by district: exactly report_csv of the same simulation
    response = client.post("/rules/simulate/download/districts.csv", hidden)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text == report_csv(expected)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["区划代码", "区划", "项目"]
    assert len(rows) == 1 + len(expected["districts"]) * 5
    # by household: one row per household, household number only
    response = client.post("/rules/simulate/download/households.csv", hidden)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HOUSEHOLD_CSV_HEADER
    assert sorted(r[0] for r in rows[1:]) == sorted(h.number for h in city)
    gains = [float(r[5]) for r in rows[1:]]
    assert sum(g > 0 for g in gains) == expected["winners"]["count"]
    assert round(sum(gains), 2) == round(
        expected["reform_result"]["total"]["monthly_cost"] - expected["baseline"]["total"]["monthly_cost"], 2
    )
    assert AuditEvent.objects.filter(action="rules.simulate").count() == 2


@pytest.mark.django_db
@pytest.mark.skipif(not xlsx_available(), reason="openpyxl is not installed")
def test_excel_download(tree, city):
    from openpyxl import load_workbook

    client = _login(make_user(Role.ANALYST, tree.city))
    hidden = {"reform": json.dumps(REFORM, ensure_ascii=False), "on": ON.isoformat()}
    response = client.post("/rules/simulate/download/report.xlsx", hidden)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "按区县", "按家庭"]
    assert book["按家庭"].max_row == 1 + len(city)


@pytest.mark.django_db
def test_household_rows_are_limited_to_the_users_county(tree, city):
    # given a 西区 approver: the figures cover the registry, household rows only 西区
    client = _login(make_user(Role.COUNTY_APPROVER, tree.west))
    hidden = {"reform": json.dumps(REFORM, ensure_ascii=False), "on": ON.isoformat()}
    response = client.post("/rules/simulate/download/households.csv", hidden)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [r[0] for r in rows] == [city[2].number]


@pytest.mark.django_db
def test_street_officer_cannot_open_the_simulation(tree, city):
    client = _login(make_user(Role.STREET_OFFICER, tree.east_street))
    response = client.get("/rules/simulate/")
    assert response.status_code == 403
    assert "当前角色无权执行此操作" in response.content.decode()
    posted = client.post("/rules/simulate/", _form_data(REFORM, ON))
    assert posted.status_code == 403
    assert not AuditEvent.objects.filter(action="rules.simulate").exists()
    assert "/rules/simulate/" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_analyst_and_approver_find_the_rules_pages(tree):
    analyst = _login(make_user(Role.ANALYST, tree.city)).get("/").content.decode()
    assert "/rules/simulate/" in analyst and "/rules/changes/" not in analyst
    approver = _login(make_user(Role.COUNTY_APPROVER, tree.east)).get("/").content.decode()
    assert "/rules/simulate/" in approver and "/rules/changes/" in approver


def _proposal(maker, region_code="990101000000") -> ParameterChange:
    return parameter_change_propose(
        actor=maker,
        path="dibao.addon.local_flat",
        region_code=region_code,
        effective_from=timezone.localdate() + dt.timedelta(days=30),
        value=80,
        reference="东民发〔2026〕1号（示例）",
    )


@pytest.mark.django_db
def test_proposing_through_the_page(tree):
    maker = make_user(Role.COUNTY_APPROVER, tree.east)
    client = _login(maker)
    page = client.get("/rules/changes/")
    assert page.status_code == 200 and 'data-testid="propose"' in page.content.decode()
    effective = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    data = {
        "path": "dibao.addon.local_flat",
        "region_code": "990101000000",
        "effective_from": effective,
        "value": "75",
        "reference": "东民发〔2026〕2号",
        "reason": "物价上涨",
    }
    response = client.post("/rules/changes/propose/", data, follow=True)
    change = ParameterChange.objects.get()
    assert (change.status, change.proposed_by, str(change.value)) == (ChangeStatus.PROPOSED, maker, "75.0000")
    assert "待其他有权人员审核" in response.content.decode()
    # a region outside the maker's subtree is not even offered
    refused = client.post("/rules/changes/propose/", {**data, "region_code": "990102000000"})
    assert refused.status_code == 400 and ParameterChange.objects.count() == 1


@pytest.mark.django_db
def test_an_analyst_cannot_approve(tree):
    change = _proposal(make_user(Role.COUNTY_APPROVER, tree.east))
    client = _login(make_user(Role.ANALYST, tree.city))
    # the analyst sees the change but no buttons
    listed = client.get("/rules/changes/").content.decode()
    assert f'data-change="{change.pk}"' in listed and 'data-testid="approve"' not in listed
    response = client.post(f"/rules/changes/{change.pk}/approve/", {"note": "同意"})
    assert response.status_code == 403
    assert "当前角色无权执行此操作" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED and change.decided_by is None


@pytest.mark.django_db
def test_self_approval_shows_the_error_and_changes_nothing(tree):
    maker = make_user(Role.COUNTY_APPROVER, tree.east)
    change = _proposal(maker)
    client = _login(maker)
    response = client.post(f"/rules/changes/{change.pk}/approve/", {"note": "同意"})
    assert response.status_code == 403
    assert "参数调整须由提出人以外的人员审核" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED and change.decided_by is None
    assert not AuditEvent.objects.filter(action="rules.parameter_change.approve").exists()
    # when someone else eligible approves, it lands and shows in the parameter's history
    checker = make_user(Role.ADMIN, tree.city)
    ok = _login(checker).post(f"/rules/changes/{change.pk}/approve/", {"note": "同意"}, follow=True)
    assert ok.status_code == 200 and "已批准" in ok.content.decode()
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.decision_note) == (
        ChangeStatus.APPROVED,
        checker,
        "同意",
    )
    parameters = _login(checker).get("/rules/parameters/?q=dibao.addon.local_flat")
    local = next(p for p in parameters.context["parameters"] if p["path"] == "dibao.addon.local_flat")
    east = next(r for r in local["regions"] if r["region"] == "990101000000")
    assert east["history"][-1]["value"] == 80
    assert "东民发〔2026〕1号（示例）" in parameters.content.decode()


@pytest.mark.django_db
def test_reject_and_no_second_decision(tree):
    change = _proposal(make_user(Role.ADMIN, tree.city))
    client = _login(make_user(Role.COUNTY_APPROVER, tree.east))
    client.post(f"/rules/changes/{change.pk}/reject/", {"note": "依据不足"})
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    again = client.post(f"/rules/changes/{change.pk}/approve/")
    assert again.status_code == 409 and "该参数调整已审核" in again.content.decode()


@pytest.mark.django_db
def test_parameters_page_lists_every_parameter_with_its_reference(tree):
    client = _login(make_user(Role.STREET_OFFICER, tree.east_street))
    response = client.get("/rules/parameters/")
    assert response.status_code == 200
    html = response.content.decode()
    paths = [p["path"] for p in response.context["parameters"]]
    assert "dibao.standard.urban" in paths and html.count('data-testid="parameter"') == len(paths)
    assert "示范市（990100000000）" in html
    citizen = _login(make_user(Role.CITIZEN, None))
    assert citizen.get("/rules/parameters/").status_code == 403


def test_every_regional_parameter_has_an_english_name_and_unit():
    from django.utils import translation

    from safetynet.rules.parameter_labels import DESCRIPTIONS, UNITS, translated_description, translated_unit
    from safetynet.rules.regional import node_at
    from safetynet.rules.system import regional_parameter_paths, yaml_system

    nodes = [node_at(yaml_system().parameters, path) for path in regional_parameter_paths()]
    with translation.override("en"):
        for node in nodes:
            unit = node.metadata.get("unit", "")
            assert node.description in DESCRIPTIONS and (not unit or unit in UNITS), node.name
            english = translated_description(node.description) + translated_unit(unit)
            assert not re.search(r"[\u4e00-\u9fff]", english), english


def test_histogram_bins_hold_every_changed_household():
    import numpy as np

    # 200 small gains, 50 small losses, one large gain, and households with no change
    diff = np.concatenate([np.linspace(1, 50, 200), -np.linspace(1, 20, 50), [2000.0], np.zeros(30), [0.001]])
    bins = change_histogram(diff)
    assert sum(b["count"] for b in bins) == 251
    assert bins[-1]["to"] is None  # the 2000 outlier sits in an open last bin
    assert any(b["from"] == 0 for b in bins)
    assert change_histogram(np.zeros(3)) == []


@pytest.mark.django_db
def test_results_come_first_shadowing_regions_are_named_and_parameters_read_plainly(tree, city):
    client = _login(make_user(Role.ANALYST, tree.city))
    page = client.get("/rules/simulate/").content.decode()
    # parameter names in plain Chinese, with the unit once and no internal path
    assert "城市低保标准（元/人·月）" in page and "· dibao.standard.urban" not in page
    assert "（月）（月）" not in page
    # when the city's standard is raised
    city_rise = {"name": "全市城市低保标准提高到 1000 元",
                 "changes": [{"path": "dibao.standard.urban", "region": "990100000000", "start": "2025-07-01",
                              "value": 1000}]}
    html = client.post("/rules/simulate/", _form_data(city_rise, ON)).content.decode()
    # then the results are above the form, and 西区, which has its own standard, is named
    assert html.index('data-testid="result"') < html.index('id="reform-form"')
    warning = html[html.index('data-testid="shadowed"'):]
    assert "西区" in warning[:warning.index("</div>")] and "980" in warning[:warning.index("</div>")]
