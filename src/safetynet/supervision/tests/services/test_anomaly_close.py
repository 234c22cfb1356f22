import pytest

from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.core.testing import Role, make_user
from safetynet.supervision import services
from safetynet.supervision.errors import ErrorCode
from safetynet.supervision.models import Anomaly, AnomalyOutcome, AnomalyStatus, Kind
from safetynet.supervision.tasks import supervise_run
from safetynet.supervision.tests.conftest import ON


def test_close_needs_outcome_and_note_and_is_refused_twice(world):
    supervise_run(on=ON)
    a = Anomaly.objects.get(kind=Kind.PAID_IMPRISONED)
    with pytest.raises(Exception) as e:
        services.anomaly_close(anomaly_id=a.pk, outcome="nonsense", note="x", actor=world.supervisor)
    assert e.value.code == ErrorCode.INVALID_OUTCOME
    with pytest.raises(Exception) as e:  # recovery ordered, but no order exists
        services.anomaly_close(anomaly_id=a.pk, outcome=AnomalyOutcome.RECOVERY_ORDERED, note="x",
                               actor=world.supervisor)
    assert e.value.code == ErrorCode.INVALID_OUTCOME
    services.anomaly_close(anomaly_id=a.pk, outcome=AnomalyOutcome.CONFIRMED_STOPPED, note="已停发", actor=world.supervisor)
    a.refresh_from_db()
    assert (a.status, a.outcome, a.closed_by_id) == (AnomalyStatus.CLOSED, AnomalyOutcome.CONFIRMED_STOPPED,
                                                     world.supervisor.pk)
    with pytest.raises(Exception) as e:
        services.anomaly_close(anomaly_id=a.pk, outcome=AnomalyOutcome.EXPLAINED, note="x", actor=world.supervisor)
    assert e.value.code == ErrorCode.ANOMALY_CLOSED


def test_explained_findings_are_not_reopened_and_confirmed_ones_are(world):
    supervise_run(on=ON)
    explained = Anomaly.objects.get(kind=Kind.STAFF_RELATIVE)
    services.anomaly_close(anomaly_id=explained.pk, outcome=AnomalyOutcome.EXPLAINED, note="已按规定备案",
                           actor=world.supervisor)
    stopped = Anomaly.objects.get(kind=Kind.PAID_DECEASED)
    services.anomaly_close(anomaly_id=stopped.pk, outcome=AnomalyOutcome.CONFIRMED_STOPPED, note="已停发",
                           actor=world.supervisor)
    again = supervise_run(on=ON)
    # the explained one stays closed; the stopped one is still on the roll's data, so it is found again
    assert again["suppressed"] == 1
    assert Anomaly.objects.filter(kind=Kind.STAFF_RELATIVE, status=AnomalyStatus.OPEN).count() == 0
    assert Anomaly.objects.filter(kind=Kind.PAID_DECEASED, status=AnomalyStatus.OPEN).count() == 1


def test_other_regions_and_roles_cannot_touch_findings(world, tree):
    supervise_run(on=ON)
    a = Anomaly.objects.get(kind=Kind.PAID_IMPRISONED)
    with pytest.raises(NotFound):
        services.anomaly_close(anomaly_id=a.pk, outcome=AnomalyOutcome.EXPLAINED, note="x",
                               actor=make_user(Role.SUPERVISOR, tree.west))
    with pytest.raises(PermissionDenied):
        services.anomaly_close(anomaly_id=a.pk, outcome=AnomalyOutcome.EXPLAINED, note="x",
                               actor=make_user(Role.STREET_OFFICER, tree.east_street))
