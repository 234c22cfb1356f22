"""Reads of cases: the workbench queue, deadline breaches, a case with its timeline, and the
applicant's plain-language progress. All pass through ``core.access.scope``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.accounts.roles import Role
from safetynet.cases import workflow
from safetynet.cases.access import case_get_visible, cases_visible_to
from safetynet.cases.models import CLOSED_STATUSES, Case, CaseTransition, PublicNotice, Status
from safetynet.cases.programmes import PROGRAMMES
from safetynet.cases.texts import APPEAL_HOW_TO, APPLICANT_STEPS
from safetynet.core.access import require_role

BREACH_READERS = frozenset({Role.SUPERVISOR, Role.COUNTY_APPROVER, Role.ADMIN})


def _role_steps_q(role: str) -> Q:
    """Cases at a step where ``role`` has a move, per programme (from the transitions tables)."""
    q = Q(pk__in=[])
    for programme, steps in workflow.queue_steps_for_role(role).items():
        q |= Q(programme=programme, status__in=steps)
    return q


def case_queue_for_user(
    *, user, programme: str | None = None, status: str | None = None, region_code: str | None = None,
    overdue_only: bool = False,
) -> QuerySet[Case]:
    """The workbench queue: open cases in the user's region where their role has the next move,
    overdue first, then by deadline (a deadline that passed sorts before one that has not)."""
    qs = cases_visible_to(user, Case.objects.filter(is_open=True)).filter(_role_steps_q(user.role))
    if programme:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    if region_code:
        qs = qs.filter(region__path__contains=f"{region_code}/")
    if overdue_only:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs.select_related("region", "applicant").order_by(F("due_at").asc(nulls_last=True), "id")


def deadline_breaches_for_user(*, user) -> QuerySet[Case]:
    """Open cases whose current step is past its deadline (超期), for supervisors and approvers."""
    require_role(user, BREACH_READERS, action="case.breaches")
    return (
        cases_visible_to(user, Case.objects.filter(is_open=True, due_at__lt=timezone.now()))
        .select_related("region", "applicant")
        .order_by("due_at", "id")
    )


def case_get_for_user(*, user, case_id: int) -> Case:
    """A case with its timeline, visits, notices and appeals, for staff in its region."""
    qs = Case.objects.select_related("region", "applicant", "household", "filed_by").prefetch_related(
        Prefetch("transitions", queryset=CaseTransition.objects.select_related("actor").order_by("seq")),
        "visits",
        Prefetch("notices", queryset=PublicNotice.objects.prefetch_related("objections")),
        "appeals",
        "attachments",
    )
    return case_get_visible(user=user, case_id=case_id, queryset=qs)


@dataclass(frozen=True)
class ProgressEntry:
    at: dt.datetime
    step: str
    text: str
    reason: str


@dataclass(frozen=True)
class Progress:
    case_id: int
    programme: str
    step: str
    where: str
    next_step: str
    due_date: dt.date | None
    overdue: bool
    reasons: list[str]
    how_to_appeal: str
    amount_monthly: str | None
    history: list[ProgressEntry] = field(default_factory=list)


def case_progress_for_applicant(*, user, case_id: int) -> Progress:
    """进度查询: where the application is, what comes next and by when, in plain words. Adverse
    decisions carry their reasons and how to appeal."""
    case = case_get_visible(user=user, case_id=case_id)
    transitions = list(CaseTransition.objects.filter(case=case).order_by("seq"))
    where, nxt = APPLICANT_STEPS[case.status]
    adverse = case.status in CLOSED_STATUSES or case.status == Status.SUSPENDED
    reasons: list[str] = []
    if adverse and transitions:
        reasons = [transitions[-1].reason] if transitions[-1].reason else []
    elif case.status == Status.PENDING_CONFIRMATION:
        reasons = list(case.pending_decision.get("reasons", []))
    due = timezone.localdate(case.due_at) if case.due_at else None
    if due and case.status == Status.ACTIVE:
        nxt = _("下次定期复核预计在%(d)s前进行。") % {"d": due.isoformat()}
    elif due and case.is_open:
        nxt = nxt + _("本环节应在%(d)s前办结。") % {"d": due.isoformat()}
    return Progress(
        case_id=case.pk,
        programme=PROGRAMMES[case.programme].label_zh,
        step=case.status,
        where=where,
        next_step=nxt,
        due_date=due,
        overdue=bool(case.due_at and case.is_open and case.due_at < timezone.now()),
        reasons=reasons,
        how_to_appeal=APPEAL_HOW_TO if adverse else "",
        amount_monthly=str(case.amount_monthly) if case.amount_monthly is not None else None,
        history=[
            ProgressEntry(at=t.at, step=t.to_status, text=APPLICANT_STEPS[t.to_status][0],
                          reason=t.reason if t.to_status in CLOSED_STATUSES else "")
            for t in transitions
        ],
    )


def public_notices_for_region(*, user) -> QuerySet[PublicNotice]:
    """Running notices (already masked) in the user's region."""
    now = timezone.now()
    visible = cases_visible_to(user).values("pk")
    return PublicNotice.objects.filter(case_id__in=visible, starts_at__lte=now, ends_at__gt=now).order_by("ends_at")
