"""Who dispatch may send a worker to: a household just visited (its alert closed with a visit
outcome) is out of the model's pool for ``MONITORING_REVISIT_AFTER_DAYS`` after the visit, and
one with an open 低保/特困/低保边缘 case while the case is open; the rules still alert on it and a
mandatory trigger is sent. A household is one visit and takes one slot, whatever its alerts."""

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.cases.models import Case, Channel, Programme
from safetynet.monitoring import services
from safetynet.monitoring.models import OPEN_STATUSES, Alert, AlertKind, RiskModel
from safetynet.monitoring.outcomes import VisitOutcomeInput
from safetynet.monitoring.tasks import monitor_run
from safetynet.registry.models import Membership
from safetynet.sources.services import source_ingest

ON = dt.date(2026, 10, 31)
MEDICAL = "id_number,name,reported_on,hospital_name,diagnosis,admitted_on,discharged_on,total_cost,insurance_paid,out_of_pocket"


@pytest.fixture
def city(city, settings):
    # the model's two ranked visits a week and nothing else (no exploration, no learning sample)
    settings.MONITORING_EXPLORE_SHARE = 0.0
    settings.MONITORING_LEARN_UNTIL = None
    settings.MONITORING_REVISIT_AFTER_DAYS = 30
    return city


def _sent(run_on: dt.date) -> set[int]:
    return set(Alert.objects.filter(run__on=run_on, dispatched_at__isnull=False).values_list("household_id", flat=True))


def _close_visits(households: set[int], worker, visited_on: dt.date) -> None:
    """The worker found hidden income at each household and closed its alerts (不需要救助)."""
    for a in Alert.objects.filter(household_id__in=households, status__in=OPEN_STATUSES):
        services.alert_close(alert_id=a.pk, actor=worker, outcome="false_alarm", reason="已走访", visit=VisitOutcomeInput(
            finding="no_need", reasons=("hidden_income",), hidden_income_kind="informal_work",
            hidden_income_monthly=Decimal("3000"), visited_on=visited_on))


@pytest.mark.django_db
def test_a_household_closed_with_an_outcome_is_not_sent_again_within_the_period_and_is_after_it(city):
    earning = {h.pk for h in city["earning"]}
    # given the model's first two visits, closed as 不需要救助 on the run's day
    monitor_run(on=ON)
    first = _sent(ON)
    assert len(first) == 2 and first <= earning
    _close_visits(first, city["worker"], ON)
    # when the next weekly run comes: the two slots go to two other families, not back to those
    monitor_run(on=ON + dt.timedelta(days=7))
    second = _sent(ON + dt.timedelta(days=7))
    assert len(second) == 2 and second <= earning - first
    _close_visits(second, city["worker"], ON + dt.timedelta(days=7))
    # when a run comes 31 days after the first visits (the period is 30 days, read from the run's date)
    later = ON + dt.timedelta(days=31)
    counts = monitor_run(on=later)["dispatch"]
    # then the first two families are in the pool again, the second two (24 days) are not
    third = _sent(later)
    assert counts["dispatched"] == len(third) == 2
    assert third <= earning - second and third & first
    assert Alert.objects.filter(household_id__in=first, kind=AlertKind.MODEL, run__on=later).exists()


@pytest.mark.django_db
def test_a_mandatory_trigger_of_a_household_just_visited_still_alerts_and_is_sent(city, tmp_path):
    monitor_run(on=ON)
    visited = sorted(_sent(ON))
    _close_visits(set(visited), city["worker"], ON)
    # given a hospital bill of one of the families just visited, landed after the visit
    household = visited[0]
    head = Membership.objects.get(household_id=household, relationship="head").person
    path = tmp_path / "medical.csv"
    path.write_text(f"{MEDICAL}\n{head.id_number},{head.name},2026-11-05,市人民医院,肺炎,2026-11-01,2026-11-04,"
                    "150000,50000,100000\n", encoding="utf-8")
    source_ingest(source_name="medical_expenses", path=path, as_of=dt.date(2026, 11, 5))
    # when the next run comes within the period
    on = ON + dt.timedelta(days=7)
    counts = monitor_run(on=on)["dispatch"]
    # then the rules alert on it, the trigger is mandatory and goes out, and the model sends no
    # visit of its own to the other family just visited
    bill = Alert.objects.get(household_id=household, condition="hospital_bill")
    assert bill.mandatory and bill.dispatched_at is not None and bill.run.on == on
    assert counts["dispatched_mandatory"] == 1
    assert visited[1] not in _sent(on)


@pytest.mark.django_db
def test_a_household_with_an_open_cash_case_is_not_sent_by_the_model(city, tree):
    # given an application for 低保边缘 under way for every family but one
    earning = [h.pk for h in city["earning"]]
    for pk in earning[1:]:
        head = Membership.objects.get(household_id=pk, relationship="head").person
        Case.objects.create(programme=Programme.LOW_INCOME_MARGIN, channel=Channel.WINDOW, household_id=pk,
                            applicant=head, region=tree.east_community)
    # when monitoring runs, the model's visits go only to the family without one
    monitor_run(on=ON)
    assert _sent(ON) == {earning[0]}


@pytest.mark.django_db
def test_a_household_with_two_waiting_alerts_takes_one_slot(city):
    # given no model (the cold-start prior ranks the waiting alerts) and two poor families, each
    # with two waiting alerts (积分式 and 应保尽保), and two visits a week
    RiskModel.objects.update(promoted=False)
    poor = {h.pk for h in city["poor"]}
    # when monitoring runs
    counts = monitor_run(on=ON)["dispatch"]
    alerts = list(Alert.objects.filter(household_id__in=poor))
    assert len(alerts) == 4 and {a.household_id for a in alerts} == poor
    # then each family gets one visit, which carries both its alerts: no family takes two slots
    assert counts["dispatched"] == 2 and counts["riding"] == 2 and counts["backlog"] == 0
    assert all(a.dispatched_at is not None for a in alerts)
