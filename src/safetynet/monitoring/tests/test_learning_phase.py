"""The learning phase in production (``monitoring.learning_phase``): while the recall estimated from
visit outcomes is below the target, each full run's spare slots go to a probability sample of the
rest of the pool; the estimate reads the outcomes of the month's visits only; the phase ends on the
held estimate or its budget, and from then dispatch sends no sample visit."""

import datetime as dt
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import make_user
from safetynet.monitoring import services
from safetynet.monitoring.learning_phase import learning_phase_advance, period_estimate
from safetynet.monitoring.model.learning import recall_estimate
from safetynet.monitoring.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    LearningPeriod,
    LearningPhase,
    LearningVisit,
)
from safetynet.monitoring.outcomes import VisitOutcomeInput
from safetynet.monitoring.tasks import monitor_run
from safetynet.monitoring.tests.conftest import build_city
from safetynet.registry.models import Household

ON = dt.date(2026, 10, 31)
EARLY = dt.date(2026, 10, 20)


@pytest.fixture
def learning_city(tree, settings, tmp_path):
    """The dispatch city with three single wage earners no rule alerts and the model ranks low, and
    eight visits a week: the precision target sends five (the families of three), three are spare."""
    city = build_city(tree, settings, tmp_path, loners=3)
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=8, actor=make_user("admin", tree.city))
    return city


def _close(alert: Alert, worker, finding: str) -> None:
    services.alert_close(alert_id=alert.pk, actor=worker, outcome="false_alarm" if finding != "needs_help" else "referred",
                         reason="已走访", visit=VisitOutcomeInput(finding=finding, reasons=(
                             ("income_low",) if finding == "needs_help" else ("moved",))))


def _busy(community) -> int:
    """Households with a visit under way (a household's alerts that rode along on it count once)."""
    return Alert.objects.filter(status__in=OPEN_STATUSES, dispatched_at__isnull=False,
                                household__region=community).values("household_id").distinct().count()


@pytest.mark.django_db
def test_the_sample_fills_only_the_spare_slots_and_each_drawn_visit_keeps_its_probability(learning_city, tree):
    # when the first run with a promoted model dispatches
    counts = monitor_run(on=EARLY)["dispatch"]
    # then a learning phase starts, the five ranked visits go out and the three spare slots are sampled
    phase = LearningPhase.objects.get()
    assert phase.ended_on is None and phase.started_on == EARLY
    assert counts["learning"] == {"phase": phase.pk, "period": "2026-10", "operating": 5, "sample": 3, "spare": 3}
    assert counts["explored"] == 3 and counts["dispatched"] == 8 == _busy(tree.east_community)
    visits = list(LearningVisit.objects.select_related("alert", "period"))
    assert len(visits) == 8 and {v.period.month for v in visits} == {dt.date(2026, 10, 1)}
    operating = [v for v in visits if not v.sample]
    assert {v.alert.household_id for v in operating} == {h.pk for h in learning_city["earning"]}
    assert all(v.inclusion == 1.0 and v.alert.kind == AlertKind.MODEL for v in operating)
    # each drawn visit carries its inclusion probability, on the alert and on the record of the draw
    drawn = [v for v in visits if v.sample]
    assert all(0 < v.inclusion < 1 and v.alert.inclusion == pytest.approx(v.inclusion, abs=1e-6) for v in drawn)
    assert all(v.alert.reasons["inclusion"] == pytest.approx(v.inclusion, abs=1e-6)
               for v in drawn if v.alert.kind == AlertKind.SAMPLE)
    # the household is the sample's unit: no household is visited twice
    assert len({v.alert.household_id for v in visits}) == 8
    # when the next run comes while every visit is open: no slot is spare, nothing is drawn
    again = monitor_run(on=EARLY + dt.timedelta(days=1))["dispatch"]
    assert again["dispatched"] == 0 and again["learning"]["sample"] == again["learning"]["spare"] == 0
    # when two visits are closed, the next run fills those two slots and no more (the ranked
    # visits first; a household just visited is out of the model's pool, see test_dispatch_pool)
    for v in drawn[:2]:  # a visit closes every alert of its household (a second one rode along)
        for a in Alert.objects.filter(household_id=v.alert.household_id, status__in=OPEN_STATUSES):
            _close(a, learning_city["worker"], "no_need")
    third = monitor_run(on=EARLY + dt.timedelta(days=2))["dispatch"]
    assert third["learning"]["operating"] + third["learning"]["sample"] == 2 == third["learning"]["spare"]
    assert _busy(tree.east_community) == 8
    # and no household visited this month is drawn again
    again_drawn = LearningVisit.objects.filter(sample=True, run__on=EARLY + dt.timedelta(days=2))
    assert not set(again_drawn.values_list("alert__household_id", flat=True)) & {v.alert.household_id for v in visits}


@pytest.mark.django_db
def test_no_sample_when_the_ranked_visits_use_the_capacity(learning_city, tree):
    # given four visits a week, fewer than the five the precision target wants
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=4, actor=make_user("admin", tree.city))
    # when monitoring runs, the four go to ranked visits and none is drawn
    counts = monitor_run(on=ON)["dispatch"]
    assert counts["learning"]["operating"] == 4 and counts["learning"]["sample"] == 0
    assert counts["dispatched"] == 4 and not Alert.objects.filter(kind=AlertKind.SAMPLE).exists()


@pytest.mark.django_db
def test_the_estimate_waits_for_every_outcome_and_reads_the_outcomes_only(learning_city, tree):
    monitor_run(on=ON)
    period = LearningPeriod.objects.get()
    visits = list(period.visits.select_related("alert"))
    drawn = [v for v in visits if v.sample]
    # given every operating visit found need, the first drawn one found need, the second none,
    # and the third has no outcome yet
    for v in visits:
        if not v.sample:
            _close(v.alert, learning_city["worker"], "needs_help")
    _close(drawn[0].alert, learning_city["worker"], "needs_help")
    _close(drawn[1].alert, learning_city["worker"], "no_need")
    # when a run comes in the next month, the October estimate waits for the last visit
    monitor_run(on=dt.date(2026, 11, 2))
    period.refresh_from_db()
    assert period.estimate is None
    client = Client()
    client.force_login(make_user("county_approver", tree.east))
    page = client.get("/monitoring/dashboard/").content.decode()
    # (the November run drew into the slots the closed visits freed: its sample visits wait too)
    waiting = LearningVisit.objects.filter(sample=True, alert__visit_outcomes__isnull=True).count()
    assert waiting >= 1 and "学习中" in page and f'data-testid="learning-waiting">{waiting}<' in page
    # when the last sample visit is recorded
    _close(drawn[2].alert, learning_city["worker"], "no_need")
    before = period_estimate(period)
    # and the households nobody visited change: their data, and an outcome outside the month's visits
    visited = {v.alert.household_id for v in visits}
    Household.objects.exclude(pk__in=visited).update(rural=True)
    waiting = Alert.objects.filter(status__in=OPEN_STATUSES, dispatched_at__isnull=True).exclude(
        household_id__in=visited).first()
    if waiting is not None:
        _close(waiting, learning_city["worker"], "needs_help")
    # then the estimate is the same, and is Horvitz–Thompson on the month's outcomes
    assert period_estimate(period) == before
    expected = recall_estimate(found_operating=np.ones(5), found_learning=np.array([1, 0, 0]),
                               inclusion=np.array([v.inclusion for v in drawn]),
                               cells_operating=np.array([v.cell for v in visits if not v.sample], dtype=object),
                               cells_learning=np.array([v.cell for v in drawn], dtype=object))
    assert before == expected and before["recall"] == round(5 / (5 + 1 / drawn[0].inclusion), 4)
    # when the next run comes, it stores the estimate, and the phase goes on (below the target)
    monitor_run(on=dt.date(2026, 11, 3))
    period.refresh_from_db()
    assert period.estimate == before and LearningPhase.objects.get().ended_on is None
    # and the dashboard shows it overall and per cell, in Chinese and in English
    page = client.get("/monitoring/dashboard/").content.decode()
    assert f'data-testid="learning-recall">{before["recall"]:.3f}' in page and "东区" in page
    client.cookies["django_language"] = "en"
    page = client.get("/monitoring/dashboard/").content.decode()
    assert "Learning phase" in page and "Estimated recall" in page and "学习中" not in page


@pytest.mark.django_db
def test_the_phase_ends_when_the_estimate_held_the_target_and_then_sends_no_sample(learning_city, tree):
    # given a phase whose estimate reached 0.95 in its last two months
    phase = LearningPhase.objects.create(started_on=dt.date(2026, 7, 1), target=0.95, hold=2, budget=5)
    for month, recall in ((7, 0.9), (8, 0.96), (9, 0.95)):
        LearningPeriod.objects.create(phase=phase, month=dt.date(2026, month, 1), estimate={"recall": recall})
    # when the October run dispatches
    counts = monitor_run(on=ON)["dispatch"]
    # then the phase has ended, saying when and why, and the run operates at the precision target alone
    phase.refresh_from_db()
    assert (phase.ended_on, phase.end_reason) == (ON, "held")
    assert AuditEvent.objects.filter(action="monitoring.learning_end").exists()
    assert counts["learning"] is None and counts["explored"] == 0 and counts["dispatched"] == 5
    assert not Alert.objects.filter(kind=AlertKind.SAMPLE).exists() and not LearningVisit.objects.exists()
    # and the command shows the phase
    out = StringIO()
    call_command("monitor", "--learning", stdout=out)
    state = json.loads(out.getvalue())
    assert state["end_reason"] == "held" and [m["month"] for m in state["months"]] == ["2026-07", "2026-08", "2026-09"]
    # and the dashboard says the phase is over
    client = Client()
    client.force_login(make_user("county_approver", tree.east))
    assert "常规派单：学习期已于 2026-10-31 结束" in client.get("/monitoring/dashboard/").content.decode()


@pytest.mark.django_db
def test_the_phase_ends_on_its_budget_whatever_the_estimate(learning_city, settings):
    # given a phase started in May whose months have no estimate yet
    phase = LearningPhase.objects.create(started_on=dt.date(2026, 5, 20), target=0.95, hold=2, budget=5)
    # then its fifth month still learns, and the sixth does not
    assert learning_phase_advance(on=dt.date(2026, 9, 30)) == phase
    assert learning_phase_advance(on=dt.date(2026, 10, 1)) is None
    phase.refresh_from_db()
    assert (phase.ended_on, phase.end_reason) == (dt.date(2026, 10, 1), "budget")
    # when the phase is restarted, the next run learns again
    call_command("monitor", "--learning-restart", "--on", "2026-10-31", stdout=StringIO())
    phase.refresh_from_db()
    assert phase.end_reason == "budget" and LearningPhase.objects.filter(ended_on__isnull=True).count() == 1
    assert monitor_run(on=ON)["dispatch"]["learning"]["sample"] == 3
