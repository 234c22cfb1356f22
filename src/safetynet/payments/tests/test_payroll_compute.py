"""The entitlement arithmetic on plain timelines: regular, arrears, adjustment, suspension."""

import datetime as dt

import pytest

from safetynet.payments.payroll import Timeline, add_months, owed_for_month, to_fen


def at(y, m, d):
    return dt.datetime(y, m, d, 9, tzinfo=dt.UTC)


def tl(case_id, *moves):
    t = Timeline(case_id)
    for i, (when, status, fen) in enumerate(moves, 1):
        t.add(at=when, status=status, amount_fen=fen, seq=i)
    return t


def test_to_fen_is_exact_and_refuses_fractions_of_a_fen():
    assert to_fen("620.00") == 62000
    assert to_fen("0.01") == 1
    assert to_fen("1234567.89") == 123456789
    with pytest.raises(ValueError):
        to_fen("1.005")


def test_regular_line_uses_amount_in_force_at_month_end():
    # given: approved at 500 in September, raised to 560 on 20 November
    t = tl(1, (at(2026, 9, 3), "approved", 50000), (at(2026, 9, 4), "active", None),
           (at(2026, 11, 20), "active", 56000))
    # when
    r = owed_for_month(timelines=[t], month=dt.date(2026, 11, 1), as_at=at(2026, 11, 30), covered={
        (1, dt.date(2026, 9, 1)): 50000, (1, dt.date(2026, 10, 1)): 50000}, first_roll_month=dt.date(2026, 9, 1))
    # then
    assert [(o.kind, o.period, o.amount_fen) for o in r.lines] == [("regular", dt.date(2026, 11, 1), 56000)]


def test_arrears_from_approval_month_but_not_before_first_roll():
    t = tl(1, (at(2026, 6, 10), "approved", 50000), (at(2026, 6, 11), "active", None))
    r = owed_for_month(timelines=[t], month=dt.date(2026, 11, 1), as_at=at(2026, 11, 5), covered={},
                       first_roll_month=dt.date(2026, 9, 1))
    assert [(o.kind, o.period.month, o.amount_fen) for o in r.lines] == [
        ("regular", 11, 50000), ("arrears", 9, 50000), ("arrears", 10, 50000)]


def test_raise_after_the_roll_date_is_an_adjustment_and_a_cut_is_an_overpayment():
    # paid 500 for October on 5 October; raised to 600 on 15 October
    up = tl(1, (at(2026, 9, 1), "active", 50000), (at(2026, 10, 15), "active", 60000))
    # suspended on 20 October after October was paid
    cut = tl(2, (at(2026, 9, 1), "active", 40000), (at(2026, 10, 20), "suspended", None))
    covered = {(1, dt.date(2026, 10, 1)): 50000, (2, dt.date(2026, 10, 1)): 40000}
    r = owed_for_month(timelines=[up, cut], month=dt.date(2026, 11, 1), as_at=at(2026, 11, 5), covered=covered,
                       first_roll_month=dt.date(2026, 10, 1))
    assert [(o.case_id, o.kind, o.amount_fen) for o in r.lines] == [(1, "regular", 60000), (1, "adjustment", 10000)]
    assert r.overpaid == [(2, dt.date(2026, 10, 1), 40000)]
    assert r.stopped == [2]


def test_add_months_crosses_years():
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
