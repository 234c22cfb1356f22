"""Production dispatch runs the policy the evaluation measures: with a promoted model, every
household the run scored is in the pool, a household no rule alerted that the model ranks within
the week's visits gets a 模型预警, one the exploration draws a 抽样核查 carrying its inclusion
probability (what its outcome weighs in training), and no community is sent more than its capacity."""

import datetime as dt

import pytest
from django.test import Client

from safetynet.core.testing import make_user
from safetynet.monitoring import services
from safetynet.monitoring.model.store import training_set
from safetynet.monitoring.models import Alert, AlertKind
from safetynet.monitoring.outcomes import VisitOutcomeInput
from safetynet.monitoring.tasks import monitor_run

ON = dt.date(2026, 10, 31)


@pytest.mark.django_db
def test_a_promoted_model_opens_alerts_for_unalerted_high_risk_households_within_capacity(city, settings, tree):
    settings.MONITORING_EXPLORE_SHARE = 0.0
    # given no rule alerts the earning families
    earning = {h.pk for h in city["earning"]}
    # when monitoring runs
    counts = monitor_run(on=ON)["dispatch"]
    # then the model's two visits of the week go to earning families, as 模型预警 with its reasons
    model_alerts = list(Alert.objects.filter(kind=AlertKind.MODEL))
    assert counts["model_alerts"] == len(model_alerts) == 2 and counts["dispatched"] == 2
    assert {a.household_id for a in model_alerts} <= earning
    assert not Alert.objects.filter(household_id__in=earning).exclude(kind=AlertKind.MODEL).exists()
    for a in model_alerts:
        assert a.dispatched_at is not None and a.inclusion == 1.0 and a.risk > 0.5 and a.risk_model.version == 1
        assert a.assigned_to == city["worker"] and a.reasons["risk"] == pytest.approx(a.risk, abs=1e-4)
    # and the rules' alerts of the poor families wait in the backlog, below the model's cut
    assert Alert.objects.filter(household__in=city["poor"]).exists()
    assert not Alert.objects.filter(household__in=city["poor"], dispatched_at__isnull=False).exists()
    # when the next run comes while those visits are open: no slot is free, nothing new opens
    again = monitor_run(on=ON + dt.timedelta(days=1))["dispatch"]
    assert again["dispatched"] == 0 and Alert.objects.filter(kind=AlertKind.MODEL).count() == 2
    # and the worker sees why she visits, in plain Chinese
    client = Client()
    client.force_login(city["worker"])
    page = client.get("/monitoring/alerts/").content.decode()
    assert "排序模型估计这户家庭确有困难的可能约为" in page
    detail = client.get(f"/monitoring/alerts/{model_alerts[0].pk}/").content.decode()
    assert "模型排序：可能有困难，规则未发现" in detail
    # and the county's dashboard counts them among the week's visits
    client.force_login(make_user("county_approver", tree.east))
    assert 'data-testid="model-alerts">2<' in client.get("/monitoring/dashboard/").content.decode()


@pytest.mark.django_db
def test_a_household_the_exploration_draws_gets_a_sample_visit_with_its_inclusion_probability(city, settings, tree):
    # given four visits a week, every one of them drawn at random from the seven households (no
    # learning phase: the exploration share as set)
    settings.MONITORING_EXPLORE_SHARE = 1.0
    settings.MONITORING_LEARN_UNTIL = None
    services.visit_capacity_set(region_id=tree.east_community.pk, weekly_visits=4, actor=make_user("admin", tree.city))
    # when monitoring runs
    counts = monitor_run(on=ON)["dispatch"]
    # then the four visits are drawn, each with the probability dispatch gave it (below 1: the
    # draw leaves three households out), and at least two are earning families no rule alerted
    sent = list(Alert.objects.filter(dispatched_at__isnull=False))
    visited = {a.household_id for a in sent}
    assert counts["dispatched"] == counts["explored"] == len(visited) == 4
    assert counts["riding"] == len(sent) - 4  # a poor family's other alert goes on the same visit
    assert all(0 < a.inclusion < 1 for a in sent)
    samples = [a for a in sent if a.kind == AlertKind.SAMPLE]
    assert counts["sample_alerts"] == len(samples) >= 2 and counts["model_alerts"] == 0
    for a in samples:
        assert a.reasons["inclusion"] == pytest.approx(a.inclusion, abs=1e-6) and a.risk_reasons == []
    # and a sampled household is visited as any other, the worker told it is not suspected
    client = Client()
    client.force_login(city["worker"])
    page = client.get(f"/monitoring/alerts/{samples[0].pk}/").content.decode()
    assert "随机抽样核查，用于检验预警是否漏掉了困难家庭" in page and "不要对家庭说其被怀疑" in page
    # when the worker records what each visit found
    for a in sent:
        services.alert_record_visit(alert_id=a.pk, actor=city["worker"], findings="已走访", outcome=VisitOutcomeInput(
            finding="needs_help", reasons=("income_low",)))
    # then each visit's outcome reaches training once, weighing one over its inclusion probability
    _x, y, _groups, _period, weights = training_set()
    assert y.tolist() == [1] * 4
    inclusion = {a.household_id: a.inclusion for a in sent}
    assert sorted(weights.tolist()) == pytest.approx(sorted(1 / p for p in inclusion.values()))
