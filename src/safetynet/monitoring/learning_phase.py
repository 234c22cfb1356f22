"""The learning phase in production (学习期): the evaluation's learned policy (``model.learning``)
run by dispatch, with its state in three tables an auditor can read.

* **Periods are calendar months** of the run's date: the evaluation's month, in which
  ``LEARN_HOLD`` and the budget ``LEARN_MONTHS`` were measured. Each full monitoring run of a
  learning month sends its operating visits (what the precision target chose) and draws a sample
  into each community's spare weekly slots; both are recorded as :class:`LearningVisit` rows of
  the month (:class:`LearningPeriod`) with each sample visit's inclusion probability and every
  visit's cell (rural/urban × district) at the draw. Incremental runs operate only: their pool is
  the households a batch touched, not a sample frame.
* **The estimate** of a month is made at the first run after the month has ended and every one of
  its visits has an outcome (a waiting visit holds it back, and the later months behind it, so the
  estimates stay in order): ``model.learning.recall_estimate`` on the outcomes alone (a finding of
  需要救助 counts as a find; 无需救助 or 未能见到 as none). With several runs in a month, the
  month's figure pools them: the operating finds of all its runs over those plus the sample finds,
  each weighing one over its probability in its own run's draw (the needy households each run's
  pool held, added up: a ratio of sums over the month's draws).
* **The end**: ``model.learning.learning_end`` on the phase's estimates, in month order, and the
  months since the phase started: the estimate held the target ``hold`` months in a row, or the
  budget is spent. The phase row keeps when and why it ended; from then dispatch operates at the
  precision target alone. The phase starts with the first promoted model (``safetynet monitor
  --learning-restart`` starts a new one, e.g. after the city's data changed a lot).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safetynet.audit.services import audit_record
from safetynet.monitoring.model.learning import (
    LEARN_HOLD,
    LEARN_MONTHS,
    LEARN_UNTIL,
    learning_end,
    recall_estimate,
)
from safetynet.monitoring.models import (
    LearningEnd,
    LearningPeriod,
    LearningPhase,
    LearningVisit,
    MonitorRun,
    VisitFinding,
)


def _months(start: dt.date, on: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``on``'s."""
    return (on.year - start.year) * 12 + on.month - start.month


def learning_phase_latest() -> LearningPhase | None:
    return LearningPhase.objects.order_by("-id").first()


def learning_estimate_latest(phase: LearningPhase) -> dict | None:
    """The phase's latest month's estimate (its lagging cells get more of the next draw)."""
    period = phase.periods.filter(estimate__isnull=False).order_by("-month").first()
    return period.estimate if period else None


def learning_phase_advance(*, on: dt.date, actor=None) -> LearningPhase | None:
    """At a dispatch with a promoted model: start the phase if none ever ran, estimate the months
    whose visits all have outcomes, end the phase when :func:`learning_end` says so. The phase
    dispatch must learn in, or ``None`` (the setting is off, or the phase ended)."""
    if settings.MONITORING_LEARN_UNTIL is None:
        return None
    phase = learning_phase_latest()
    if phase is None:
        phase = LearningPhase.objects.create(started_on=on, target=settings.MONITORING_LEARN_UNTIL,
                                             hold=LEARN_HOLD, budget=LEARN_MONTHS)
        audit_record(actor=actor, action="monitoring.learning_start", target=phase,
                     data={"target": phase.target, "hold": phase.hold, "budget": phase.budget})
        return phase
    estimates = learning_estimates_update(phase=phase, on=on)
    if phase.ended_on is not None:
        return None
    reason = learning_end(estimates, elapsed=_months(phase.started_on, on), target=phase.target, hold=phase.hold,
                          budget=phase.budget)
    if reason is None:
        return phase
    learning_phase_end(phase=phase, on=on, reason=reason, actor=actor)
    return None


def learning_phase_end(*, phase: LearningPhase, on: dt.date, reason: str, actor=None) -> None:
    phase.ended_on, phase.end_reason = on, reason
    phase.save(update_fields=["ended_on", "end_reason", "updated_at"])
    latest = learning_estimate_latest(phase)
    audit_record(actor=actor, action="monitoring.learning_end", target=phase,
                 data={"reason": reason, "on": on.isoformat(), "periods": phase.periods.count(),
                       "recall_estimated": latest["recall"] if latest else None})


@transaction.atomic
def learning_phase_restart(*, on: dt.date, actor=None) -> LearningPhase:
    """End the current phase (重新开始) and start another on ``on``: the next full run learns."""
    current = learning_phase_latest()
    if current is not None and current.ended_on is None:
        learning_phase_end(phase=current, on=on, reason=LearningEnd.RESTARTED, actor=actor)
    phase = LearningPhase.objects.create(started_on=on, target=settings.MONITORING_LEARN_UNTIL or LEARN_UNTIL,
                                         hold=LEARN_HOLD, budget=LEARN_MONTHS)
    audit_record(actor=actor, action="monitoring.learning_start", target=phase,
                 data={"target": phase.target, "hold": phase.hold, "budget": phase.budget, "restart": True})
    return phase


def learning_phase_state() -> dict | None:
    """The latest phase as plain data (``safetynet monitor --learning``): its dates, end, settings
    and every month with its visits, the sample visits still waiting and the estimate."""
    phase = learning_phase_latest()
    if phase is None:
        return None
    months = []
    for period in phase.periods.order_by("month"):
        visits = period.visits
        months.append({"month": period.month.strftime("%Y-%m"), "operating": visits.filter(sample=False).count(),
                       "sample": visits.filter(sample=True).count(),
                       "waiting": visits.filter(alert__visit_outcomes__isnull=True).count(),
                       "estimate": period.estimate})
    return {"phase": phase.pk, "started_on": phase.started_on, "ended_on": phase.ended_on,
            "end_reason": phase.end_reason or None, "target": phase.target, "hold": phase.hold,
            "budget": phase.budget, "months": months}


def learning_estimates_update(*, phase: LearningPhase, on: dt.date) -> list[dict]:
    """Estimate, in month order, each month of ``phase`` before ``on``'s whose visits all have an
    outcome (stopping at the first that waits); the phase's estimates so far, in month order."""
    this_month = on.replace(day=1)
    estimates = []
    for period in phase.periods.order_by("month"):
        if period.estimate is None:
            if period.month >= this_month:
                break
            estimate = period_estimate(period)
            if estimate is None:
                break
            period.estimate, period.estimated_at = estimate, timezone.now()
            period.save(update_fields=["estimate", "estimated_at", "updated_at"])
        estimates.append(period.estimate)
    return estimates


def period_estimate(period: LearningPeriod) -> dict | None:
    """The month's recall estimate from its visits' outcomes only, or ``None`` while a visit waits."""
    rows = list(period.visits.values_list("sample", "inclusion", "cell", "alert__visit_outcomes__finding"))
    if not rows or any(r[3] is None for r in rows):
        return None
    sample = np.array([r[0] for r in rows], bool)
    found = np.array([r[3] == VisitFinding.NEEDS_HELP for r in rows], np.int8)
    cells = np.array([r[2] for r in rows], dtype=object)
    inclusion = np.array([r[1] for r in rows])
    return recall_estimate(found_operating=found[~sample], found_learning=found[sample], inclusion=inclusion[sample],
                           cells_operating=cells[~sample], cells_learning=cells[sample])


def learning_households_this_month(*, phase: LearningPhase, on: dt.date) -> np.ndarray:
    """The households the phase's visits of ``on``'s month went to: a sample draws none of them again
    that month (in the evaluation, a visited household leaves the pool)."""
    return np.fromiter(LearningVisit.objects.filter(period__phase=phase, period__month=on.replace(day=1))
                       .values_list("alert__household_id", flat=True).distinct(), np.int64)


def learning_visits_record(*, phase: LearningPhase, run: MonitorRun, alert_ids: np.ndarray, sample: np.ndarray,
                           inclusion: np.ndarray, cells: np.ndarray) -> LearningPeriod:
    """Record a learning run's visits in the month of its date."""
    period, _created = LearningPeriod.objects.get_or_create(phase=phase, month=run.on.replace(day=1))
    LearningVisit.objects.bulk_create(
        [LearningVisit(period=period, run=run, alert_id=a, sample=s, inclusion=round(p, 6), cell=c)
         for a, s, p, c in zip(alert_ids.tolist(), sample.tolist(), inclusion.tolist(), cells.tolist(), strict=True)],
        batch_size=2000)
    return period
