"""What each case is owed for a month, from its approved decisions (应发金额).

A case's timeline is its transitions: the status each one moved to and, where a decision set one,
the monthly amount (``data["amount_monthly"]`` of an approval, a review or an amount change).
Nothing else sets an amount: a typed figure without an approved decision never reaches a roll.

The rules of the house, each in one place here:

* **entitlement** for month ``m``: the amount in force at the end of ``m`` (or at the time of
  generation, for the month in progress) if the case is then approved, active, under periodic
  review or in gradual exit; nothing if it is suspended, exited or not yet approved;
* **arrears** (补发): a past month the case was entitled to and nothing was paid for, counted from
  the approval month, at most :data:`ARREARS_MONTHS` back, and never before the first roll this
  platform made for the programme and county (earlier months were paid by the system it replaced);
* **adjustment** (差额调整): a past month paid less than the entitlement now says (an amount raised
  after that month's roll); a month paid *more* is an overpayment, listed for recovery, never
  netted silently against the next payment.

Pure functions over plain values, so one million cases are computed in seconds and tested
without a database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

PAYABLE = frozenset({"approved", "active", "periodic_review", "gradual_exit"})
ARREARS_MONTHS = 12


def to_fen(amount: Decimal | str | int) -> int:
    """Yuan (a Decimal with at most two places) to integer fen, exactly; anything finer is refused."""
    value = Decimal(str(amount)) * 100
    if value != value.to_integral_value():
        raise ValueError(f"amount {amount} is finer than a fen")
    return int(value)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


@functools.lru_cache(maxsize=4096)
def add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


@functools.lru_cache(maxsize=4096)
def month_end(month: dt.date) -> dt.datetime:
    """The last instant of ``month`` (UTC)."""
    nxt = add_months(month, 1)
    return dt.datetime(nxt.year, nxt.month, 1, tzinfo=dt.UTC) - dt.timedelta(microseconds=1)


@dataclass
class Timeline:
    """A case's moves, in order: ``at`` (aware datetimes), ``status`` after each, ``amount_fen`` set
    by each (None: unchanged), and the transition ``seq`` for the basis of each payment."""

    case_id: int
    at: list[dt.datetime] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    amount_fen: list[int | None] = field(default_factory=list)
    seq: list[int] = field(default_factory=list)

    approved: dt.date | None = None

    def add(self, *, at: dt.datetime, status: str, amount_fen: int | None, seq: int) -> None:
        if self.approved is None and status in PAYABLE:
            self.approved = dt.date(at.year, at.month, 1)
        self.at.append(at)
        self.status.append(status)
        self.amount_fen.append(amount_fen)
        self.seq.append(seq)

    def approved_month(self) -> dt.date | None:
        """The month of the first approval (the first move into a payable status)."""
        return self.approved

    def state_at(self, when: dt.datetime) -> tuple[str, int, int]:
        """(status, amount in force in fen, seq of the decision that set the amount) at ``when``."""
        i = bisect.bisect_right(self.at, when) - 1
        if i < 0:
            return "", 0, 0
        amount, seq = 0, 0
        for j in range(i, -1, -1):
            if self.amount_fen[j] is not None:
                amount, seq = self.amount_fen[j], self.seq[j]
                break
        return self.status[i], amount, seq

    def entitlement(self, month: dt.date, *, as_at: dt.datetime) -> tuple[int, int]:
        """(fen owed for ``month``, seq of the deciding transition); 0 when not payable."""
        status, amount, seq = self.state_at(min(month_end(month), as_at))
        return (amount, seq) if status in PAYABLE else (0, 0)


@dataclass(frozen=True)
class Owed:
    case_id: int
    kind: str  # regular, arrears, adjustment
    period: dt.date
    amount_fen: int
    decision_seq: int


@dataclass
class OwedResult:
    lines: list[Owed]
    #: (case_id, period, fen paid beyond the entitlement): for recovery, never netted here.
    overpaid: list[tuple[int, dt.date, int]]
    #: cases paid in the previous month and owed nothing now (exited, suspended).
    stopped: list[int]


def owed_for_month(
    *,
    timelines: Iterable[Timeline],
    month: dt.date,
    as_at: dt.datetime,
    covered: dict[tuple[int, dt.date], int],
    first_roll_month: dt.date | None,
) -> OwedResult:
    """Everything owed in ``month``'s roll. ``covered`` is what approved rolls already put to each
    (case, period) and did not hold back (a failed payment counts: it is re-issued or held by
    its own road, never paid again as arrears)."""
    lines: list[Owed] = []
    overpaid: list[tuple[int, dt.date, int]] = []
    stopped: list[int] = []
    previous = add_months(month, -1)
    earliest = add_months(month, -ARREARS_MONTHS)
    if first_roll_month is not None and first_roll_month > earliest:
        earliest = first_roll_month
    for tl in timelines:
        if tl.approved is None:
            continue
        fen, seq = tl.entitlement(month, as_at=as_at)
        if fen > 0:
            lines.append(Owed(tl.case_id, "regular", month, fen, seq))
        elif covered.get((tl.case_id, previous), 0) > 0:
            stopped.append(tl.case_id)
        if first_roll_month is None:
            continue
        period = max(tl.approved, earliest)
        while period < month:
            owed, seq = tl.entitlement(period, as_at=as_at)
            paid = covered.get((tl.case_id, period), 0)
            if owed > paid:
                lines.append(Owed(tl.case_id, "arrears" if paid == 0 else "adjustment", period, owed - paid, seq))
            elif paid > owed:
                overpaid.append((tl.case_id, period, paid - owed))
            period = add_months(period, 1)
    return OwedResult(lines=lines, overpaid=overpaid, stopped=stopped)
