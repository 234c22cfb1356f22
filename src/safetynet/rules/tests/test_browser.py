"""Browser test: an analyst runs a reform on the simulation page at phone width."""

import datetime as dt

import pytest

from safetynet.core.testing import PASSWORD, Role, make_household, make_region_tree, make_user
from safetynet.rules.population import population_at
from safetynet.rules.reforms import reform_parse
from safetynet.rules.simulation import simulate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp"


def _expected() -> dict:
    on = dt.date(2025, 7, 1)
    spec = reform_parse(
        {"changes": [{"path": "dibao.standard.urban", "region": "990101000000", "start": on, "value": 1000}]}
    )
    population, _missing = population_at(on)
    return simulate(spec=spec, on=on, population=population)


@pytest.fixture
def scene(transactional_db, tmp_path, settings):
    settings.LAKE_DIR = tmp_path
    tree = make_region_tree()
    for _ in range(2):
        make_household(tree.east_community, members=2)
    make_household(tree.west_community, members=1)
    return make_user(Role.ANALYST, tree.city, username="analyst")


def test_analyst_runs_a_reform_at_360px(live_server, new_page, browser_login, scene):
    # given the analyst on her phone
    page = new_page(width=360, height=800)
    browser_login(page, "analyst", PASSWORD)
    page.goto(f"{live_server.url}/rules/simulate/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # when she raises 东区's urban 低保 standard to 1000 from July 2025 and runs it
    page.select_option("select[name=form-0-path]", "dibao.standard.urban")
    page.select_option("select[name=form-0-region]", "990101000000")
    assert "现行值" in page.locator("[data-in-force]").first.inner_text()
    page.fill("input[name=form-0-start]", "2025-07-01")
    page.fill("input[name=form-0-value]", "1000")
    page.fill("input[name=on]", "2025-07-01")
    page.get_by_test_id("run").click()
    page.wait_for_load_state()
    # then she sees the service's figures and the charts, and nothing runs off the screen
    expected = _expected()
    page.locator("#chart-coverage svg").wait_for()
    assert page.get_by_test_id("winners").inner_text() == str(expected["winners"]["count"])
    assert page.get_by_test_id("losers").inner_text() == str(expected["losers"]["count"])
    change = expected["reform_result"]["total"]["annual_cost"] - expected["baseline"]["total"]["annual_cost"]
    assert change > 0 and page.get_by_test_id("annual-change").inner_text() == f"+{change / 10_000:.2f}"
    assert page.locator("#chart-districts svg").count() == 1
    assert page.locator("#chart-histogram svg").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{SHOTS}/rules-simulate-360.png", full_page=True)
