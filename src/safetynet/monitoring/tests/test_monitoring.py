"""Monitoring end to end on a hand-built household: indicators, a trigger, alerts, the command."""

import datetime as dt
import hashlib
import io
import json
from decimal import Decimal

import joblib
import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from safetynet.cases.models import Case, Channel
from safetynet.core.errors import PermissionDenied
from safetynet.core.testing import make_household, make_user
from safetynet.monitoring import selectors, services
from safetynet.monitoring.errors import AlertNotFound, InvalidCapacity
from safetynet.monitoring.indicators import library
from safetynet.monitoring.model.features import feature_names
from safetynet.monitoring.model.training import train
from safetynet.monitoring.models import OPEN_STATUSES, Alert, AlertOutcome, AlertStatus, MonitorRun, RiskModel
from safetynet.monitoring.outcomes import VisitOutcomeInput
from safetynet.monitoring.tasks import monitor_run
from safetynet.regions.errors import RegionNotFound
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest

ON = dt.date(2026, 10, 31)
MEDICAL = "id_number,name,reported_on,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket"


@pytest.fixture
def family(tree, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    household = make_household(tree.east_community, members=2)
    head = Membership.objects.get(household=household, relationship="head").person
    path = tmp_path / "medical.csv"
    path.write_text(f"{MEDICAL}\n{head.id_number},{head.name},2026-10-20,市人民医院,肺炎,2026-10-01,2026-10-15,"
                    "20000,8000,12000\n", encoding="utf-8")
    source_ingest(source_name="medical_expenses", path=path, as_of=dt.date(2026, 10, 20))
    return household


def test_the_library_declares_75_or_more_indicators_and_renormalises_over_the_available():
    lib = library()
    assert len(lib.indicators) >= 75
    assert any(not i.available for i in lib.indicators if i.dimension == "shocks")
    assert lib.weights().sum() == pytest.approx(1.0)
    assert all(i.available for i in lib.computed)


def test_a_household_with_no_income_and_a_hospital_bill_is_deprived_and_triggers_once(family, tree):
    # given a family with no income facts and a 12 000 yuan out-of-pocket stay discharged this month
    worker = make_user("community_worker", tree.east_community)
    # when monitoring runs
    first = monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    # then the income and medical indicators are deprived and the trigger fired
    assert first["triggers"] == {"hospital_bill": 1}
    assert alert.level == "red" and alert.status == AlertStatus.OPEN and alert.assigned_to == worker
    assert alert.reasons["out_of_pocket"] == 12000.0
    points = Alert.objects.filter(household=family, condition="points").first()
    assert points is None or "inc_zero" in points.reasons["indicators"]
    # when it runs again the next day, the stay is outside the new window: no second alert
    second = monitor_run(on=ON + dt.timedelta(days=1))
    assert Alert.objects.filter(household=family, condition="hospital_bill").count() == 1
    assert second["triggers"] == {}


def test_a_condition_already_open_is_suppressed_and_counted(family, tree):
    # given an open alert for the household's hospital bill
    monitor_run(on=ON)
    run = MonitorRun.objects.latest("id")
    candidate = {"household_id": family.pk, "kind": "trigger", "condition": "hospital_bill", "level": "red",
                 "reasons": {"again": True}}
    # when the same condition is raised again while the alert is open
    counts = services.alerts_open_bulk(candidates=[candidate], run=run)
    # then nothing new opens and the suppression is counted
    assert (counts["opened"], counts["suppressed"]) == (0, 1)
    assert Alert.objects.filter(household=family, condition="hospital_bill").count() == 1
    # and once closed, the same condition opens a new alert
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    services.alert_close(alert_id=alert.pk, actor=make_user("community_worker", tree.east_community),
                         outcome=AlertOutcome.FALSE_ALARM, reason="已核实无困难",
                         visit=VisitOutcomeInput(finding="no_need", reasons=("family_support",),
                                                 family_support_monthly=Decimal("1500")))
    assert services.alerts_open_bulk(candidates=[candidate], run=run)["opened"] == 1


def test_a_standing_condition_a_visit_answered_is_held_until_the_period_ends_or_its_level_rises(tree, settings):
    settings.MONITORING_REVISIT_AFTER_DAYS = 180
    family = make_household(tree.east_community, members=1)
    worker = make_user("community_worker", tree.east_community)
    run = MonitorRun.objects.create(on=ON)
    points = {"household_id": family.pk, "kind": "points", "condition": "points", "level": "orange",
              "score": 0.4, "reasons": {"indicators": ["inc_zero"]}}
    # given a points alert the worker visited and closed as 不需要救助 on the run's day
    services.alerts_open_bulk(candidates=[points], run=run)
    alert = Alert.objects.get(household=family, condition="points")
    services.alert_close(alert_id=alert.pk, actor=worker, outcome=AlertOutcome.FALSE_ALARM, reason="已走访",
                         visit=VisitOutcomeInput(finding="no_need", reasons=("hidden_income",),
                                                 hidden_income_kind="farming", hidden_income_monthly=Decimal("900"),
                                                 visited_on=ON))
    # when the next week's run raises the same picture at the same level
    week = MonitorRun.objects.create(on=ON + dt.timedelta(days=7))
    counts = services.alerts_open_bulk(candidates=[points], run=week)
    # then no alert opens: the visit answered it (held and counted, not lost)
    assert (counts["opened"], counts["held_after_visit"], counts["suppressed"]) == (0, 1, 0)
    # while an event for the same household still alerts
    trigger = {"household_id": family.pk, "kind": "trigger", "condition": "hospital_bill", "level": "red",
               "reasons": {"out_of_pocket": 12000.0}}
    assert services.alerts_open_bulk(candidates=[trigger], run=week)["opened"] == 1
    # and the same picture at a higher level (new data worse than what the visit saw) alerts again
    assert services.alerts_open_bulk(candidates=[points | {"level": "red"}], run=week)["opened"] == 1
    # and once the period after the visits has passed, the same picture at the same level alerts again
    red = Alert.objects.get(household=family, condition="points", status__in=OPEN_STATUSES)
    services.alert_close(alert_id=red.pk, actor=worker, outcome=AlertOutcome.FALSE_ALARM, reason="已走访",
                         visit=VisitOutcomeInput(finding="no_need", reasons=("family_support",),
                                                 family_support_monthly=Decimal("1500"), visited_on=ON))
    later = MonitorRun.objects.create(on=ON + dt.timedelta(days=181))
    assert services.alerts_open_bulk(candidates=[points], run=later)["opened"] == 1


def test_an_alert_is_visited_then_turned_into_an_active_discovery_case_in_one_step(family, tree):
    # given an open alert in the worker's community
    worker = make_user("community_worker", tree.east_community)
    monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    # when the worker visits and opens a case
    services.alert_record_visit(alert_id=alert.pk, actor=worker, findings="家中无收入，住院欠费")
    services.alert_open_case(alert_id=alert.pk, actor=worker)
    # then the case exists as 主动发现 citing the alert, and the alert is closed as assisted
    alert.refresh_from_db()
    case = Case.objects.get(household=family)
    assert (case.channel, case.source_ref) == (Channel.ACTIVE_DISCOVERY, alert.number)
    assert (alert.status, alert.outcome, alert.case_id, alert.closed_by) == (
        AlertStatus.CLOSED, AlertOutcome.ASSISTED_NEW_CASE, case.pk, worker)


def test_an_alert_closed_as_false_alarm_records_the_outcome(family, tree):
    worker = make_user("community_worker", tree.east_community)
    monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    services.alert_close(alert_id=alert.pk, actor=worker, outcome=AlertOutcome.FALSE_ALARM, reason="已报销",
                         visit=VisitOutcomeInput(finding="no_need", reasons=("assets",), assets_value=Decimal("80000")))
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.CLOSED, AlertOutcome.FALSE_ALARM)
    assert alert.visit_outcomes.get().finding == "no_need"


def test_a_neighbouring_county_can_neither_see_nor_handle_the_alert(family, tree):
    # given the east household's alert and a west worker
    monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    west = make_user("community_worker", tree.west_community)
    client = Client()
    client.force_login(west)
    # then the API hides it and the service refuses it
    assert client.get(f"/api/v1/monitoring/alerts/{alert.pk}").status_code == 404
    assert client.get("/api/v1/monitoring/alerts").json()["items"] == []
    with pytest.raises(AlertNotFound):
        services.alert_record_visit(alert_id=alert.pk, actor=west, findings="x")


def test_the_command_prints_its_counts_as_json(family, tree):
    out = io.StringIO()
    call_command("monitor", "--json", "--on", ON.isoformat(), stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["households_scored"] == 1
    assert counts["triggers"] == {"hospital_bill": 1}
    assert counts["alerts_opened"] >= 1 and counts["alerts_suppressed"] == 0


def test_with_no_capacity_only_the_mandatory_trigger_is_dispatched_with_its_household_alerts(family, tree):
    # given a community whose worker can make no visit this week
    admin = make_user("admin", tree.city)
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=0, actor=admin)
    # when monitoring runs
    counts = monitor_run(on=ON)["dispatch"]
    # then the hospital bill (a mandatory trigger) goes out anyway, and the family's other alerts
    # go on the same visit (one visit, one household: none of them waits for a visit of its own)
    bill = Alert.objects.get(household=family, condition="hospital_bill")
    assert bill.mandatory and bill.dispatched_at is not None
    others = Alert.objects.filter(household=family).exclude(condition="hospital_bill")
    assert others.exists() and all(a.dispatched_at is not None and not a.mandatory for a in others)
    assert counts["dispatched"] == counts["dispatched_mandatory"] == 1 and counts["riding"] == others.count()
    assert counts["backlog"] == 0 and counts["model_version"] is None
    # and the dashboard shows capacity and backlog
    client = Client()
    client.force_login(make_user("county_approver", tree.east_community.parent.parent))
    page = client.get("/monitoring/dashboard/").content.decode()
    assert "派单与走访能力" in page and "尚无启用的排序模型" in page


def test_a_capacity_is_a_whole_number_set_in_the_actors_own_region(family, tree):
    worker = make_user("community_worker", tree.east_community)
    admin = make_user("admin", tree.city)
    with pytest.raises(PermissionDenied):
        services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=5, actor=worker)
    with pytest.raises(InvalidCapacity):
        services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=-1, actor=admin)
    west = make_user("street_officer", tree.west_community.parent)
    with pytest.raises(RegionNotFound):
        services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=5, actor=west)
    assert services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=7, actor=admin).weekly_visits == 7


def test_a_promoted_model_scores_every_open_alert_and_explains_the_dispatched(family, tree, settings):
    # given a promoted model over the run's features (trained here on made-up outcomes)
    rng = np.random.default_rng(0)
    names = feature_names()
    x = rng.random((400, len(names))).astype(np.float32)
    y = (x[:, names.index("income_ratio")] < 0.4).astype(np.int8)
    model = train(x, y, features=names)
    path = settings.LAKE_DIR / "derived" / "monitoring" / "models" / "v1.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    RiskModel.objects.create(version=1, outcomes=400, threshold=0.0, artefact="derived/monitoring/models/v1.joblib",
                             sha256=hashlib.sha256(path.read_bytes()).hexdigest(), promoted=True)
    # when monitoring runs
    counts = monitor_run(on=ON)["dispatch"]
    # then every open alert carries the model's risk, and a dispatched one its reasons in Chinese
    alerts = list(Alert.objects.filter(household=family))
    assert counts["model_version"] == 1 and all(a.risk is not None and 0 <= a.risk <= 1 for a in alerts)
    assert all(a.risk_model_id is not None for a in alerts)
    sent = [a for a in alerts if a.dispatched_at is not None]
    assert sent and all(isinstance(a.risk_reasons, list) for a in sent)
    # (one visit per household: its alerts share the household's risk and count once)
    risk = {a.household_id: a.risk for a in sent}
    assert all(a.risk == risk[a.household_id] for a in sent)
    assert counts["expected_finds"] == pytest.approx(sum(risk.values()), abs=0.01)


def test_a_promoted_model_of_another_feature_list_is_not_used_to_score(family, tree, settings):
    # given a promoted model trained before a feature was added (one column fewer than today's)
    names = feature_names()[:-1]
    rng = np.random.default_rng(1)
    x = rng.random((400, len(names))).astype(np.float32)
    model = train(x, (x[:, names.index("income_ratio")] < 0.4).astype(np.int8), features=names)
    path = settings.LAKE_DIR / "derived" / "monitoring" / "models" / "v1.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    RiskModel.objects.create(version=1, outcomes=400, threshold=0.0, artefact="derived/monitoring/models/v1.joblib",
                             sha256=hashlib.sha256(path.read_bytes()).hexdigest(), promoted=True)
    # then the run dispatches by the cold-start prior instead of failing on the matrix
    counts = monitor_run(on=ON)["dispatch"]
    assert counts["model_version"] is None and counts["dispatched"] > 0
    assert all(a.risk is None for a in Alert.objects.filter(household=family))


def test_what_a_visit_found_is_a_fact_of_the_household_seen_only_in_its_region(family, tree):
    worker = make_user("community_worker", tree.east_community)
    monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    services.alert_record_visit(alert_id=alert.pk, actor=worker, findings="儿子在外打工每月寄钱", outcome=VisitOutcomeInput(
        finding="no_need", reasons=("family_support",), family_support_monthly=Decimal("2000")))
    facts = selectors.visit_facts_for_household(user=worker, household_id=family.pk)
    assert sorted((f.kind, f.category, f.amount) for f in facts if f.amount) == [
        ("income", "family_support", Decimal("2000.00"))]
    assert {f.category for f in facts} == {"visit_no_need", "family_support"}
    assert selectors.visit_facts_for_household(user=make_user("community_worker", tree.west_community),
                                               household_id=family.pk) == []


def test_the_api_closes_an_alert_with_a_structured_outcome_and_refuses_one_without(family, tree):
    worker = make_user("community_worker", tree.east_community)
    monitor_run(on=ON)
    alert = Alert.objects.get(household=family, condition="hospital_bill")
    client = Client()
    client.force_login(worker)
    url = f"/api/v1/monitoring/alerts/{alert.pk}/close"
    refused = client.post(url, {"outcome": "not_eligible", "reason": "有房租收入"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "monitoring.invalid_visit_outcome"
    closed = client.post(url, {"outcome": "not_eligible", "reason": "有房租收入", "visit": {
        "finding": "no_need", "reasons": ["hidden_income"], "hidden_income_kind": "rent",
        "hidden_income_monthly": "1500.00"}}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert alert.visit_outcomes.get().hidden_income_monthly == Decimal("1500.00")


def test_without_a_model_the_cold_start_prior_dispatches_the_household_using_least_electricity(tree, settings, tmp_path):
    # given two alike families with no income, one visit a week, and the utility's record: the
    # first family uses 500 kWh a month, the second 30 (as the rules see them, the two are equal)
    settings.LAKE_DIR = tmp_path / "lake"
    heavy, light = make_household(tree.east_community), make_household(tree.east_community)
    rows = []
    for household, kwh in ((heavy, 500), (light, 30)):
        head = Membership.objects.get(household=household, relationship="head").person
        rows.append(f"{head.id_number},{head.name},2026-10-20,E{household.pk:08d},{kwh},{kwh // 2}")
    path = tmp_path / "electricity.csv"
    path.write_text("id_number,name,reported_on,account_number,monthly_kwh_12m,monthly_bill_12m\n" + "\n".join(rows)
                    + "\n", encoding="utf-8")
    source_ingest(source_name="electricity_use", path=path, as_of=dt.date(2026, 10, 20))
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=1,
                                actor=make_user("admin", tree.city))
    # when monitoring runs with no promoted model
    counts = monitor_run(on=ON)["dispatch"]
    # then both families wait with alerts, and the one visit goes to the family using little electricity
    assert counts["model_version"] is None and counts["dispatched"] == 1
    assert Alert.objects.filter(household=heavy).exists()
    assert set(Alert.objects.filter(dispatched_at__isnull=False).values_list("household_id", flat=True)) == {light.pk}


def test_household_regions_reads_each_households_region_across_chunks(tree, monkeypatch):
    # given households in two regions, read in chunks of two ids
    households = [make_household(tree.east_community, members=1) for _ in range(3)]
    households += [make_household(tree.west_community, members=1) for _ in range(2)]
    monkeypatch.setattr(services, "CHUNK", 2)
    # when their regions are read, then each has its own, and an unknown id none
    ids = [h.pk for h in households] + [max(h.pk for h in households) + 1000]
    assert services.household_regions(ids) == {h.pk: h.region_id for h in households}
