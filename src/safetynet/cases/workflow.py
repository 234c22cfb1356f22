"""The case state machine. The transitions tables are in ``programmes.py`` (one per programme);
this module reads them, checks a requested move and says when the next step is due.

An illegal move raises; it is never just logged.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases.errors import GuardFailed, IllegalTransition, NotAllowed, ReasonRequired
from safetynet.cases.models import Appeal, Case, HomeVisit, Objection, PublicNotice, Status
from safetynet.cases.programmes import PROGRAMMES, SYSTEM, Move, ProgrammeConfig
from safetynet.core import calendar
from safetynet.verification.selectors import report_latest_for_household


def programme_of(case: Case) -> ProgrammeConfig:
    return PROGRAMMES[case.programme]


def actor_role(actor: Any | None) -> str:
    return SYSTEM if actor is None else actor.role


def _amount(case: Case, data: dict[str, Any]) -> Decimal | None:
    raw = data.get("amount") or data.get("amount_monthly")
    if raw is None:
        return case.amount_monthly if case.amount_monthly is not None else case.amount_requested
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise GuardFailed(_("金额格式不正确：%(a)s") % {"a": raw}, code="case.amount_invalid") from None


# Guards: named in the configuration, checked here. Each raises GuardFailed with a plain reason.


def _notice_period_over(case: Case, actor, data) -> None:
    notice = PublicNotice.objects.filter(case=case).order_by("-starts_at", "-id").first()
    if notice is None:
        raise GuardFailed(_("尚未公示"), code="case.notice_missing")
    if timezone.now() < notice.ends_at:
        raise GuardFailed(
            _("公示期至 %(end)s 结束，期满后方可审批") % {"end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M")},
            code="case.notice_running",
        )


def _objections_resolved(case: Case, actor, data) -> None:
    open_count = Objection.objects.filter(notice__case=case, resolved_at__isnull=True).count()
    if open_count:
        raise GuardFailed(
            _("公示期间有 %(n)d 条异议尚未核实处理") % {"n": open_count}, code="case.objections_open"
        )


def _visit_recorded(case: Case, actor, data) -> None:
    if not HomeVisit.objects.filter(case=case).exists():
        raise GuardFailed(_("尚未记录入户调查结果"), code="case.visit_missing")


def _within_street_limit(case: Case, actor, data) -> None:
    limit = programme_of(case).street_approval_limit
    if actor_role(actor) != "street_officer":
        return
    amount = _amount(case, data)
    if limit is None or amount is None or amount > limit:
        raise GuardFailed(
            _("金额 %(a)s 元超过街道审批权限 %(l)s 元，须报县级审批") % {"a": amount, "l": limit},
            code="case.above_street_limit",
        )


def report_current_since(case: Case) -> dt.date:
    """The oldest base date a verification report may have and still count for this case."""
    return timezone.localdate() - dt.timedelta(days=programme_of(case).report_max_age_days)


def _report_current(case: Case, actor, data) -> None:
    """证据门槛: no review or approval without a current verification report for the household."""
    report = report_latest_for_household(household_id=case.household_id)
    if report is None:
        raise GuardFailed(
            _("该家庭尚无经济状况核对报告，须先完成核对"), code="case.report_missing"
        )
    since = report_current_since(case)
    if report.on < since:
        raise GuardFailed(
            _("最近一份核对报告的基准日为 %(on)s，已超过 %(days)d 天，须重新核对")
            % {"on": report.on.isoformat(), "days": programme_of(case).report_max_age_days},
            code="case.report_stale",
        )


def _emergency_case(case: Case, actor, data) -> None:
    if not case.emergency:
        raise GuardFailed(_("该申请未登记为急难情形，不适用先行救助"), code="case.not_emergency")


def _within_emergency_limit(case: Case, actor, data) -> None:
    limit = programme_of(case).emergency_limit
    amount = _amount(case, data)
    if limit is None or amount is None or amount > limit:
        raise GuardFailed(
            _("先行救助金额 %(a)s 元超过上限 %(l)s 元") % {"a": amount, "l": limit}, code="case.above_emergency_limit"
        )


def _proposal(kind: str) -> Callable[[Case, Any, dict], None]:
    def check(case: Case, actor, data) -> None:
        if (case.pending_decision or {}).get("proposal") != kind:
            raise GuardFailed(_("该案件待确认的数据结论不是此类决定"), code="case.proposal_mismatch")

    return check


def _grace_period_over(case: Case, actor, data) -> None:
    if case.due_at and timezone.now() < case.due_at:
        raise GuardFailed(
            _("渐退期至 %(d)s 结束") % {"d": timezone.localdate(case.due_at)}, code="case.grace_running"
        )


def _appeal_against_matches(case: Case, actor, data) -> None:

    appeal = Appeal.objects.filter(case=case, decided_at__isnull=True).order_by("-filed_at", "-id").first()
    if appeal is None or appeal.against_status != data.get("_to"):
        raise GuardFailed(_("维持原决定时，只能回到被申诉的那项决定"), code="case.appeal_mismatch")


GUARDS: dict[str, Callable[[Case, Any, dict], None]] = {
    "notice_period_over": _notice_period_over,
    "objections_resolved": _objections_resolved,
    "visit_recorded": _visit_recorded,
    "report_current": _report_current,
    "within_street_limit": _within_street_limit,
    "emergency_case": _emergency_case,
    "within_emergency_limit": _within_emergency_limit,
    "proposal_is_refusal": _proposal("refuse"),
    "proposal_is_exit": _proposal("exit"),
    "grace_period_over": _grace_period_over,
    "appeal_against_matches": _appeal_against_matches,
}


def assert_can(*, case: Case, to: str, actor: Any | None, reason: str = "", data: dict | None = None) -> Move:
    """The move from the case's step to ``to``, if this actor may make it now; else a typed error."""
    prog = programme_of(case)
    move = prog.move(case.status, to)
    if move is None:
        raise IllegalTransition(
            _("%(prog)s案件当前处于“%(src)s”，不能转到“%(dst)s”")
            % {"prog": prog.label_zh, "src": Status(case.status).label, "dst": _label(to)},
            from_status=case.status,
            to_status=to,
        )
    role = actor_role(actor)
    if role not in move.roles:
        raise NotAllowed(
            _("角色“%(role)s”不能办理“%(src)s”→“%(dst)s”")
            % {"role": role, "src": Status(case.status).label, "dst": Status(to).label},
            role=role,
            from_status=case.status,
            to_status=to,
        )
    if move.requires_reason and len((reason or "").strip()) < 2:
        raise ReasonRequired(_("办理“%(dst)s”须填写理由") % {"dst": Status(to).label}, to_status=to)
    checked = dict(data or {}, _to=to)
    for name in move.guards:
        GUARDS[name](case, actor, checked)
    return move


def due_at_after(*, case: Case, move: Move, at: dt.datetime, data: dict | None = None) -> dt.datetime | None:
    """The deadline of the step ``move`` enters."""
    prog = programme_of(case)
    data = data or {}
    if move.hours is not None:
        return at + dt.timedelta(hours=move.hours)
    if move.days is not None:
        return calendar.deadline_after_working_days(at, move.days)
    if move.schedules_review:
        stable = data.get("stable_household", case.stable_household)
        months = prog.review_months_stable if stable else prog.review_months_other
        return calendar.end_of_day(calendar.add_months(timezone.localdate(at), months))
    if move.schedules_grace:
        months = int(data.get("grace_months") or prog.gradual_exit_months)
        return calendar.end_of_day(calendar.add_months(timezone.localdate(at), months))
    return None


def due_at_on_submit(*, case: Case, at: dt.datetime) -> dt.datetime:
    prog = programme_of(case)
    if case.emergency and prog.emergency_hours:
        return at + dt.timedelta(hours=prog.emergency_hours)
    return calendar.deadline_after_working_days(at, prog.accept_days)


def roles_acting_on(status: str, programme: str) -> frozenset[str]:
    roles: set[str] = set()
    for m in PROGRAMMES[programme].moves_from(status):
        roles |= m.roles
    return frozenset(roles)


@functools.cache
def queue_steps_for_role(role: str) -> dict[str, list[str]]:
    """``{programme: [steps where this role has a move]}``: what belongs in the role's queue."""
    out: dict[str, list[str]] = {}
    for code, prog in PROGRAMMES.items():
        steps = sorted({m.src for m in prog.moves if role in m.roles})
        if steps:
            out[code] = steps
    return out


def _label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status
