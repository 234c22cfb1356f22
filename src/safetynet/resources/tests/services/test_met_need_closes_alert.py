"""A need met through a referral reaches monitoring: the alert that raised it is told, and closes
(已转介) once every need it raised is met; a refresh does not raise the met need again."""

import datetime as dt

import pytest
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.monitoring.models import Alert, AlertOutcome, AlertStatus, VisitFinding, VisitOutcome
from safetynet.resources import services
from safetynet.resources.models import Need, NeedStatus, Referral

pytestmark = pytest.mark.django_db


def _alert(household, *, condition: str, level: str, indicators=()) -> Alert:
    return Alert.objects.create(household=household, kind="points" if condition == "points" else "trigger",
                                condition=condition, level=level, on=dt.date.today(),
                                reasons={"indicators": list(indicators)}, due_at=timezone.now() + dt.timedelta(days=7))


def _deliver_care(family, people) -> Referral:
    package = services.package_propose(household_id=family.pk, actor=people.street)
    services.package_accept(package_id=package.pk, actor=people.street)
    care = Referral.objects.get(package=package, resource__code="care")
    services.referral_accept(referral_id=care.pk, actor=people.provider)
    services.referral_deliver(referral_id=care.pk, actor=people.provider, note="已安排护理员")
    services.referral_record_outcome(referral_id=care.pk, actor=people.provider, outcome="met")
    return care


def test_met_need_closes_the_alert_that_raised_only_it(family, people, catalogue):
    trigger = _alert(family, condition="severe_disability_new", level="red")
    services.needs_refresh(household_id=family.pk, actor=people.street)
    raised = Need.objects.get(household=family, category="disability_care", source="indicator")
    assert raised.source_ref == trigger.number
    # when the care referral is recorded as met
    care = _deliver_care(family, people)
    # then the need it raised is met, and the alert closed as referred, with the finding that the
    # household needed help (what the risk model learns) and the referral named in its findings
    raised.refresh_from_db()
    assert raised.status == NeedStatus.MET and raised.met_by == care
    trigger.refresh_from_db()
    assert trigger.status == AlertStatus.CLOSED and trigger.outcome == AlertOutcome.REFERRED
    assert care.number in trigger.findings and trigger.closed_by == people.provider
    assert VisitOutcome.objects.get(alert=trigger).finding == VisitFinding.NEEDS_HELP
    event = AuditEvent.objects.filter(action="resources.referral_outcome").latest("seq")
    assert event.data["alerts"] == {trigger.number: "closed"}
    # a refresh (the alert is closed now) raises nothing again in that category
    services.needs_refresh(household_id=family.pk, actor=people.street)
    assert not Need.objects.filter(household=family, category="disability_care", status=NeedStatus.OPEN).exists()


def test_alert_with_needs_still_open_is_updated_not_closed(family, people, catalogue):
    points = _alert(family, condition="points", level="orange", indicators=["dis_severe", "edu_school_children"])
    services.needs_refresh(household_id=family.pk, actor=people.street)
    assert set(Need.objects.filter(household=family, source="indicator", status=NeedStatus.OPEN)
               .values_list("category", flat=True)) == {"disability_care", "education"}
    # when care meets the disability need only
    care = _deliver_care(family, people)
    # then the alert stays open (education is not met) and says what was met
    points.refresh_from_db()
    assert points.status == AlertStatus.OPEN and points.outcome == ""
    assert care.number in points.findings and "残" in points.findings
    assert not VisitOutcome.objects.filter(alert=points).exists()
    # and the open alert does not raise the met need again on a refresh
    services.needs_refresh(household_id=family.pk, actor=people.street)
    open_now = set(Need.objects.filter(household=family, source="indicator", status=NeedStatus.OPEN)
                   .values_list("category", flat=True))
    assert open_now == {"education"}


def test_closed_alert_is_left_alone(family, people, catalogue):
    trigger = _alert(family, condition="severe_disability_new", level="red")
    services.needs_refresh(household_id=family.pk, actor=people.street)
    Alert.objects.filter(pk=trigger.pk).update(status=AlertStatus.CLOSED, outcome=AlertOutcome.FALSE_ALARM)
    _deliver_care(family, people)
    trigger.refresh_from_db()
    assert trigger.outcome == AlertOutcome.FALSE_ALARM and trigger.findings == ""
