"""Maker-checker on parameter changes, and approved changes reaching decisions from their date."""

import datetime as dt
from unittest import mock

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import Role, make_user
from safetynet.rules.errors import (
    ParameterChangeForbidden,
    ParameterChangeNotPending,
    SelfApprovalRefused,
    UnknownParameter,
)
from safetynet.rules.facts import HouseholdFacts
from safetynet.rules.models import ChangeStatus, ParameterChange
from safetynet.rules.parameter_admin import (
    parameter_change_approve,
    parameter_change_propose,
    parameter_change_reject,
)
from safetynet.rules.services import decide_household
from safetynet.rules.tests.households import EAST, adult

TODAY = dt.date(2025, 8, 20)


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("safetynet.rules.parameter_admin.timezone.localdate", return_value=TODAY):
        yield


def _propose(actor, **kw):
    args = {
        "path": "dibao.standard.urban",
        "region_code": "990101000000",
        "effective_from": dt.date(2025, 9, 1),
        "value": "1000",
        "reference": "东区民发〔2025〕7号第一条（示例）",
    }
    return parameter_change_propose(actor=actor, **{**args, **kw})


def test_self_approval_is_refused(tree):
    approver = make_user(Role.COUNTY_APPROVER, tree.east)
    change = _propose(approver)
    with pytest.raises(SelfApprovalRefused) as err:
        parameter_change_approve(change_id=change.pk, actor=approver)
    assert err.value.code == "rules.self_approval"
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED and change.decided_by is None


def test_approved_change_applies_from_its_date_and_is_audited(tree):
    # given a proposal by the 东区 approver, approved by a city admin
    maker = make_user(Role.COUNTY_APPROVER, tree.east)
    checker = make_user(Role.ADMIN, tree.city)
    household = HouseholdFacts(region_code=EAST, members=(adult(40),))
    change = _propose(maker)
    assert decide_household(household=household, on=dt.date(2025, 9, 1)).dibao_standard == 930
    # when
    parameter_change_approve(change_id=change.pk, actor=checker, note="同意")
    # then August keeps the old standard, September follows the new one without code changes
    august = decide_household(household=household, on=dt.date(2025, 8, 1))
    september = decide_household(household=household, on=dt.date(2025, 9, 1))
    assert (august.dibao_standard, september.dibao_standard) == (930, 1000)
    assert "东区民发〔2025〕7号" in september.programmes["dibao"].tests[0].reference
    assert list(
        AuditEvent.objects.filter(target_id=str(change.pk)).values_list("action", flat=True).order_by("seq")
    ) == [
        "rules.parameter_change.propose",
        "rules.parameter_change.approve",
    ]
    with pytest.raises(ParameterChangeNotPending):
        parameter_change_reject(change_id=change.pk, actor=checker)


def test_approver_of_another_county_cannot_decide(tree):
    maker = make_user(Role.COUNTY_APPROVER, tree.east)
    outsider = make_user(Role.COUNTY_APPROVER, tree.west)
    change = _propose(maker)
    with pytest.raises(ParameterChangeForbidden):
        parameter_change_approve(change_id=change.pk, actor=outsider)
    with pytest.raises(ParameterChangeForbidden):
        _propose(outsider)


def test_rejected_change_does_not_apply(tree):
    maker = make_user(Role.ADMIN, tree.city)
    checker = make_user(Role.ADMIN, tree.province)
    change = _propose(maker, region_code="990100000000", value="1200")
    parameter_change_reject(change_id=change.pk, actor=checker, note="财政不足")
    assert ParameterChange.objects.get(pk=change.pk).status == ChangeStatus.REJECTED
    household = HouseholdFacts(region_code=EAST, members=(adult(40),))
    assert decide_household(household=household, on=dt.date(2025, 9, 1)).dibao_standard == 930


def test_proposal_validation(tree):
    admin = make_user(Role.ADMIN, tree.city)
    with pytest.raises(UnknownParameter):
        _propose(admin, path="dibao.standard")
    from safetynet.rules.errors import InvalidParameterChange

    for bad in (
        {"effective_from": dt.date(2025, 8, 1)},
        {"value": "-1"},
        {"region_code": "990101001000"},
        {"reference": " "},
    ):
        with pytest.raises(InvalidParameterChange):
            _propose(admin, **bad)
    citizen = make_user(Role.ANALYST, tree.city)
    from safetynet.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        _propose(citizen)
