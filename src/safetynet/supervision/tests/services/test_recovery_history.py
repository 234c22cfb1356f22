"""Recovery of months paid before this platform's rolls: the imported civil-affairs roll (the lake's
``benefits`` batches) is the payment history an order counts from, up to the first platform roll."""

import datetime as dt

import pytest

from safetynet.core.testing import Role, make_household, make_user
from safetynet.payments.models import PaymentRoll, RollStatus
from safetynet.supervision import services
from safetynet.supervision.errors import ErrorCode
from safetynet.supervision.tests.conftest import ingest, members

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tree, lake, tmp_path):
    """A household of two on the old roll since March 2026 at 300.00 + 250.50 a month (as of
    31 October 2026), another programme's row and another household's row beside it."""
    c = tree.east_community
    household = make_household(c, members=2)
    other = make_household(c, members=1)
    a, b = members(household)
    rows = [
        {"id_number": a.id_number, "name": a.name, "household_number": household.number, "region_code": c.code,
         "programme": "dibao", "relationship": "head", "monthly_amount": "300.00", "start_date": "2026-03-10"},
        {"id_number": b.id_number, "name": b.name, "household_number": household.number, "region_code": c.code,
         "programme": "dibao", "relationship": "child", "monthly_amount": "250.50", "start_date": "2026-03-10"},
        # not a cash programme: not what the death stops here
        {"id_number": b.id_number, "name": b.name, "household_number": household.number, "region_code": c.code,
         "programme": "disability_subsidies", "relationship": "child", "monthly_amount": "90.00",
         "start_date": "2026-03-10"},
    ]
    o = members(other)[0]
    rows.append({"id_number": o.id_number, "name": o.name, "household_number": other.number, "region_code": c.code,
                 "programme": "dibao", "relationship": "head", "monthly_amount": "999.00", "start_date": "2026-01-01"})
    ingest(tmp_path, "benefits", rows)
    supervisor = make_user(Role.SUPERVISOR, tree.east)
    return household, supervisor


def test_order_before_any_platform_roll_counts_the_imported_history(history):
    household, supervisor = history
    # when: the head died on 15 June; payments stopped at the end of October
    order = services.recovery_order_create(household_id=household.pk, event="death", event_date=dt.date(2026, 6, 15),
                                           stop_date=dt.date(2026, 10, 31), actor=supervisor)
    # then July to October, 550.50 a month, each month citing the batch and the two dibao rows
    assert [b["period"] for b in order.basis] == ["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"]
    assert {b["fen"] for b in order.basis} == {55050}
    assert order.amount_fen == 4 * 55050
    assert all(b["source"] == "benefits" and len(b["rows"]) == 2 and b["batch"] for b in order.basis)


def test_months_from_the_first_platform_roll_are_not_taken_from_the_history(history, tree):
    household, supervisor = history
    # the platform's first approved roll in the county is September's (it paid nothing to this household)
    PaymentRoll.objects.create(month=dt.date(2026, 9, 1), programme="dibao", region=tree.east,
                               status=RollStatus.APPROVED, made_by=supervisor)
    order = services.recovery_order_create(household_id=household.pk, event="death", event_date=dt.date(2026, 6, 15),
                                           stop_date=dt.date(2026, 10, 31), actor=supervisor)
    assert [b["period"] for b in order.basis] == ["2026-07-01", "2026-08-01"]
    assert order.amount_fen == 2 * 55050
    # an event after the first platform roll: only the platform's paid lines count (none here)
    with pytest.raises(Exception) as e:
        services.recovery_order_create(household_id=household.pk, event="death", event_date=dt.date(2026, 9, 2),
                                       stop_date=dt.date(2026, 10, 31), actor=supervisor)
    assert e.value.code == ErrorCode.NOTHING_TO_RECOVER


def test_history_of_another_county_is_not_this_households(history, tree):
    household, supervisor = history
    PaymentRoll.objects.create(month=dt.date(2026, 5, 1), programme="dibao", region=tree.west,
                               status=RollStatus.APPROVED, made_by=make_user(Role.SUPERVISOR, tree.west))
    order = services.recovery_order_create(household_id=household.pk, event="death", event_date=dt.date(2026, 8, 1),
                                           stop_date=dt.date(2026, 9, 30), actor=supervisor)
    # the west county's roll does not cut this household's history short: September only
    assert [b["period"] for b in order.basis] == ["2026-09-01"]
