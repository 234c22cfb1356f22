"""The run's dispatch: after one new batch an incremental run rescores only the households it
touched; the next run escalates an overdue alert; a recipient's points level is not dispatched."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import make_household, make_user
from safetynet.monitoring.compute import MonitoringResult
from safetynet.monitoring.measures import alkire_foster
from safetynet.monitoring.models import Alert, MonitorRun, RunMode
from safetynet.monitoring.tasks import alert_candidates, monitor_run
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest

ON = dt.date(2026, 10, 31)
MEDICAL = "id_number,name,reported_on,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket"
WAGES = "id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on"


def head_of(household):
    return Membership.objects.get(household=household, relationship="head").person


def land(tmp_path, source: str, header: str, rows: list[str], as_of: dt.date):
    path = tmp_path / f"{source}-{as_of}-{len(rows)}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return source_ingest(source_name=source, path=path, as_of=as_of)


@pytest.fixture
def three(tree, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    households = [make_household(tree.east_community, members=2) for _ in range(3)]
    land(tmp_path, "tax_wages", WAGES, [
        f"{head_of(h).id_number},{head_of(h).name},91990100MA0000001X,示范厂,2026-09,6000.00,0,2026-10-01"
        for h in households], as_of=dt.date(2026, 10, 1))
    return households


@pytest.mark.django_db
def test_an_incremental_run_rescores_only_the_household_of_the_new_events_batch(three, tmp_path):
    # given a full run over the three households
    full = monitor_run(on=ON)
    assert (full["mode"], full["households_scored"]) == (RunMode.FULL, 3)
    # when a hospital stay of the second household's head lands, and the incremental run follows
    sick = head_of(three[1])
    batch = land(tmp_path, "medical_expenses", MEDICAL, [
        f"{sick.id_number},{sick.name},2026-10-29,市人民医院,肺炎,2026-10-10,2026-10-28,60000,20000,40000"],
        as_of=dt.date(2026, 10, 30))
    incremental = monitor_run(on=ON, incremental=True)
    # then only that household is scored, the trigger fires on it, and the run is recorded as incremental
    assert (incremental["mode"], incremental["households_scored"]) == (RunMode.INCREMENTAL, 1)
    assert incremental["batches_since_previous"] == [batch.batch.batch_id]
    assert incremental["triggers"] == {"hospital_bill": 1}
    assert Alert.objects.get(condition="hospital_bill").household == three[1]
    assert MonitorRun.objects.latest("id").mode == RunMode.INCREMENTAL
    # and with nothing new, the next incremental run scores nothing
    assert monitor_run(on=ON, incremental=True)["households_scored"] == 0


@pytest.mark.django_db
def test_a_new_snapshot_touches_only_the_people_whose_rows_changed(three, tmp_path):
    # given a full run
    monitor_run(on=ON)
    # when next month's wage extract repeats two heads' rows and drops the third head
    kept = [f"{head_of(h).id_number},{head_of(h).name},91990100MA0000001X,示范厂,2026-09,6000.00,0,2026-10-01"
            for h in three[:2]]
    land(tmp_path, "tax_wages", WAGES, kept, as_of=dt.date(2026, 10, 20))
    incremental = monitor_run(on=ON, incremental=True)
    # then only the household whose wages disappeared is rescored
    assert incremental["households_scored"] == 1


@pytest.mark.django_db
def test_without_a_previous_run_incremental_falls_back_to_a_full_run(three):
    counts = monitor_run(on=ON, incremental=True)
    assert (counts["mode"], counts["households_scored"]) == (RunMode.FULL, 3)


@pytest.mark.django_db
def test_the_next_run_escalates_an_overdue_alert_to_the_street_officer(tree, settings, tmp_path):
    # given an open alert of a community worker whose deadline has passed
    settings.LAKE_DIR = tmp_path / "lake"
    household = make_household(tree.east_community, members=1)
    worker = make_user("community_worker", tree.east_community)
    officer = make_user("street_officer", tree.east_street)
    sick = head_of(household)
    land(tmp_path, "medical_expenses", MEDICAL, [
        f"{sick.id_number},{sick.name},2026-10-20,市人民医院,肺炎,2026-10-01,2026-10-15,20000,8000,12000"],
        as_of=dt.date(2026, 10, 20))
    monitor_run(on=ON)
    alert = Alert.objects.get(condition="hospital_bill")
    assert alert.assigned_to == worker
    Alert.objects.filter(pk=alert.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    # when the next run starts
    counts = monitor_run(on=ON + dt.timedelta(days=1))
    # then the alert is escalated once, reassigned to the street officer, and the escalation audited
    alert.refresh_from_db()
    assert counts["alerts_escalated"] == 1
    assert alert.escalated_at is not None and alert.assigned_to == officer
    event = AuditEvent.objects.filter(action="monitoring.alerts_escalate").latest("seq")
    assert alert.pk in event.data["alerts"]
    assert monitor_run(on=ON + dt.timedelta(days=2))["alerts_escalated"] == 0


def test_a_recipient_s_points_level_is_recorded_but_not_dispatched():
    # given two equally deprived households, the second already receiving 低保

    matrix = np.array([[1, 1], [1, 1]], np.uint8)
    weights = np.array([0.5, 0.5])
    result = MonitoringResult(
        on=ON, since=ON, household_ids=np.array([7, 8]), region_codes=np.array(["990101001001"] * 2, object),
        standard=np.array([900.0, 900.0]), codes=["a", "b"], matrix=matrix, weights=weights,
        af=alkire_foster(matrix, weights, 0.3333), levels=np.array(["red", "red"], object),
        measures={"dibao_members": np.array([0.0, 2.0]), "tekun_members": np.array([0.0, 0.0])},
    )
    uncovered = pa.table({"household_id": pa.array([], pa.int64()), "income_ratio": pa.array([], pa.float64())})
    # when the run's alerts are drawn up
    candidates = alert_candidates(result, uncovered)
    # then only the household receiving nothing gets a points alert, with its indicators as reasons
    assert [(c["household_id"], c["condition"], c["level"]) for c in candidates] == [(7, "points", "red")]
    assert candidates[0]["reasons"] == {"indicators": ["a", "b"]}
