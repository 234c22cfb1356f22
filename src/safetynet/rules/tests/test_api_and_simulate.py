"""The rules API, and the simulation over a registry."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client

from safetynet.core.testing import Role, make_household, make_user
from safetynet.rules.population import population_at
from safetynet.rules.reforms import reform_parse
from safetynet.rules.simulation import report_csv, simulate


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_decide_endpoint_returns_reasons(tree):
    client = _login(make_user(Role.STREET_OFFICER, tree.west))
    payload = {
        "on": "2025-03-10",
        "region_code": "990102001001",
        "members": [
            {"birth_date": "1980-01-01", "relationship": "head", "wage_income": 1200},
            {"birth_date": "1982-01-01", "relationship": "spouse"},
            {"birth_date": "2015-01-01", "relationship": "child"},
        ],
    }
    response = client.post("/api/v1/rules/decide", json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["programmes"]["dibao"]["amount"] == 1985
    assert body["programmes"]["dibao"]["tests"][0]["parameter"] == "dibao.standard.urban"
    assert "低于本县（区）2025年低保标准 950 元" in body["explanation"]
    bad = client.post(
        "/api/v1/rules/decide", json.dumps({**payload, "region_code": "99"}), content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "rules.invalid_facts"


@pytest.mark.django_db
def test_parameter_change_endpoints_enforce_maker_checker(tree):
    maker = make_user(Role.COUNTY_APPROVER, tree.east)
    client = _login(maker)
    response = client.post(
        "/api/v1/rules/parameter-changes",
        json.dumps(
            {
                "path": "dibao.addon.local_flat",
                "region_code": "990101000000",
                "effective_from": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
                "value": 80,
                "reference": "东民发〔2026〕1号（示例）",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    change_id = response.json()["id"]
    own = client.post(
        f"/api/v1/rules/parameter-changes/{change_id}/approve", "{}", content_type="application/json"
    )
    assert own.status_code == 403 and own.json()["code"] == "rules.self_approval"
    checker = _login(make_user(Role.ADMIN, tree.city))
    ok = checker.post(
        f"/api/v1/rules/parameter-changes/{change_id}/approve", "{}", content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    listed = checker.get("/api/v1/rules/parameters").json()
    local = next(p for p in listed if p["path"] == "dibao.addon.local_flat")
    east = next(r for r in local["regions"] if r["region"] == "990101000000")
    assert east["history"][-1]["value"] == 80


@pytest.mark.django_db
def test_simulation_over_the_registry(tree, tmp_path, settings):
    # given two households in 东区 with no departmental facts: zero incomes
    settings.LAKE_DIR = tmp_path
    for _ in range(2):
        make_household(tree.east_community, members=2)
    make_household(tree.west_community, members=1)
    population, missing = population_at(dt.date(2025, 7, 1))
    assert population.household_count == 3 and "tax_wages" in missing
    spec = reform_parse(
        {
            "changes": [
                {
                    "path": "dibao.standard.urban",
                    "region": "990101000000",
                    "start": "2025-07-01",
                    "value": 1000,
                }
            ]
        }
    )
    # when
    report = simulate(spec=spec, on=dt.date(2025, 7, 1), population=population)
    # then 东区's 4 people gain 70 each; 西区 is unchanged
    assert report["winners"]["count"] == 2 and report["losers"]["count"] == 0
    assert (
        report["reform_result"]["total"]["monthly_cost"] - report["baseline"]["total"]["monthly_cost"] == 280
    )
    assert report["districts"][0]["county_code"] == "990101000000"
    assert "990101000000" in report_csv(report)


@pytest.mark.django_db
def test_simulate_command_json(tree, tmp_path, settings, capsys):
    settings.LAKE_DIR = tmp_path
    make_household(tree.east_community, members=1)
    reform = tmp_path / "reform.yaml"
    reform.write_text(
        "name: 试算\nchanges:\n  - {path: dibao.standard.urban, region: '990100000000', start: 2025-07-01, value: 0}\n",
        encoding="utf-8",
    )
    call_command("simulate", str(reform), "--json", "--on", "2025-07-01")
    report = json.loads(capsys.readouterr().out)
    assert report["losers"]["count"] == 1
    assert report["losing_eligibility"][0]["programme"] == "dibao"
