"""Working days (工作日): Monday to Friday, minus public holidays, plus makeup workdays (调休),
as the ``Holiday`` table says."""

from __future__ import annotations

import calendar as _cal
import datetime as dt

from django.utils import timezone

from safetynet.core.models import Holiday


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """``{date: is_workday}`` for the days between ``start`` and ``end`` that break the rule."""
    rows = Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday_override")
    return dict(rows)


def is_working_day(day: dt.date, overrides: dict[dt.date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count), in one query.

    The window read from the table is wide enough for any run of holidays China has (the
    longest, Spring Festival, is nine days).
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    if n == 0:
        return start
    overrides = _overrides(start, start + dt.timedelta(days=n * 2 + 30))
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day, overrides):
            left -= 1
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in the platform's time zone: a deadline is met on its day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def deadline_after_working_days(at: dt.datetime, n: int) -> dt.datetime:
    return end_of_day(add_working_days(timezone.localdate(at), n))


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))
