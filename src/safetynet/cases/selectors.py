"""Reads of cases: the workbench queue, deadline breaches, a case with its timeline, and the
applicant's plain-language progress. All pass through ``core.access.scope``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safetynet.cases import workflow
from safetynet.cases.access import case_get_visible, cases_visible_to
from safetynet.cases.decisions import CaseDecision, decide_for_case
from safetynet.cases.errors import DecisionUnavailable, GuardFailed
from safetynet.cases.models import CLOSED_STATUSES, Case, CaseTransition, ProxyMandate, PublicNotice, Status
from safetynet.cases.programmes import PROGRAMMES
from safetynet.cases.texts import APPEAL_HOW_TO, APPLICANT_STEPS
from safetynet.core import calendar
from safetynet.core.masking import redact_figures
from safetynet.core.permissions import Action, Data, can, may_see, require
from safetynet.core.roles import SELF_SERVICE_ROLES
from safetynet.registry.errors import HouseholdNotFound
from safetynet.registry.models import Membership
from safetynet.registry.selectors import household_list_for_user, household_match_q
from safetynet.verification.selectors import report_latest_for_household, report_list_for_user


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
    require(user, Action.CASE_QUEUE)
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
    require(user, Action.CASE_BREACHES)
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
    where, nxt = (str(text) for text in APPLICANT_STEPS[case.status])
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
        programme=_(PROGRAMMES[case.programme].label_zh),
        step=case.status,
        where=where,
        next_step=nxt,
        due_date=due,
        overdue=bool(case.due_at and case.is_open and case.due_at < timezone.now()),
        reasons=reasons,
        how_to_appeal=str(APPEAL_HOW_TO) if adverse else "",
        amount_monthly=str(case.amount_monthly) if case.amount_monthly is not None else None,
        history=[
            ProgressEntry(at=t.at, step=t.to_status, text=str(APPLICANT_STEPS[t.to_status][0]),
                          reason=t.reason if t.to_status in CLOSED_STATUSES else "")
            for t in transitions
        ],
    )


def public_notices_for_region(*, user) -> QuerySet[PublicNotice]:
    """Running notices (already masked) in the user's region."""
    now = timezone.now()
    visible = cases_visible_to(user).values("pk")
    return PublicNotice.objects.filter(case_id__in=visible, starts_at__lte=now, ends_at__gt=now).order_by("ends_at")


# ---------------------------------------------------------------------------------------------
# For the web pages (工作台、案件页、督办): added alongside the views, reads only.

#: Guards that depend on what the officer types (an amount), so they are checked on submit,
#: not used to grey out a button beforehand.
_FORM_DATA_GUARDS = frozenset({"within_street_limit", "within_emergency_limit"})

#: The verb on the button for a move into each step; the step's own label otherwise.
MOVE_VERBS: dict[str, str] = {
    Status.ACCEPTED: _lazy("受理"),
    Status.NOT_ACCEPTED: _lazy("不予受理"),
    Status.EMERGENCY_AID: _lazy("先行救助"),
    Status.VERIFICATION: _lazy("发起经济状况核对"),
    Status.HOME_VISIT: _lazy("转入户调查"),
    Status.REVIEW: _lazy("转审核"),
    Status.PUBLIC_NOTICE: _lazy("发起公示"),
    Status.PENDING_CONFIRMATION: _lazy("提交数据结论待人工确认"),
    Status.APPROVED: _lazy("批准"),
    Status.REFUSED: _lazy("不予批准"),
    Status.ACTIVE: _lazy("纳入发放（享受救助）"),
    Status.PERIODIC_REVIEW: _lazy("开始动态复核"),
    Status.SUSPENDED: _lazy("暂停发放"),
    Status.GRADUAL_EXIT: _lazy("进入渐退期"),
    Status.EXITED: _lazy("退出救助"),
    Status.APPEALED: _lazy("申请复查"),
}


@dataclass(frozen=True)
class CaseAction:
    """One move the user may make on the case now, as the case page offers it."""

    to: str
    label: str
    requires_reason: bool
    #: ``"required"``, ``"optional"`` or ``""``: whether the form asks for a monthly amount.
    amount: str
    adverse: bool
    #: Why the move cannot be made yet (a guard's plain reason), or ``""``.
    blocked: str = ""


def _amount_need(src: str, dst: str) -> str:
    if dst in (Status.APPROVED, Status.EMERGENCY_AID) or (src == dst == Status.ACTIVE):
        return "required"
    if src == Status.PERIODIC_REVIEW and dst == Status.ACTIVE:
        return "optional"
    return ""


def case_actions_for_user(*, case: Case, user) -> list[CaseAction]:
    """The moves the programme's table lets this user's role make from the case's step, each
    with the guard that still stands in its way (notice running, no visit recorded…)."""

    role = workflow.actor_role(user)
    actions = []
    for move in workflow.programme_of(case).moves_from(case.status):
        if role not in move.roles:
            continue
        blocked = ""
        for name in move.guards:
            if name in _FORM_DATA_GUARDS:
                continue
            try:
                workflow.GUARDS[name](case, user, {"_to": move.dst})
            except GuardFailed as e:
                blocked = e.message
                break
        label = str(Status(move.dst).label) if move.src == move.dst else str(MOVE_VERBS.get(move.dst, ""))
        if move.src == move.dst == Status.ACTIVE:
            label = _("调整救助金额")
        elif move.src == Status.APPEALED:
            label = _("复查：重新审核") if move.dst == Status.REVIEW else _("复查：维持原决定")
        elif move.src == Status.PENDING_CONFIRMATION and move.dst not in CLOSED_STATUSES | {Status.GRADUAL_EXIT}:
            label = _("推翻数据结论，继续办理")
        actions.append(
            CaseAction(
                to=move.dst,
                label=label or str(Status(move.dst).label),
                requires_reason=move.requires_reason,
                amount=_amount_need(move.src, move.dst),
                adverse=move.dst in CLOSED_STATUSES or move.dst in (Status.SUSPENDED, Status.GRADUAL_EXIT),
                blocked=blocked,
            )
        )
    return actions


@dataclass(frozen=True)
class RulesView:
    """The rules engine's answer for the case, or why there is none (never a made-up figure).
    ``figures_hidden``: the viewer's role sees the decision and its reasons without the family's
    income and asset figures (the permission table's ``Data.INCOME`` / ``Data.ASSETS``)."""

    decision: CaseDecision | None
    unavailable: str
    figures_hidden: bool = False


def sees_figures(user) -> bool:
    """May ``user`` see a family's income and asset figures (and so amounts derived from them)?"""
    return may_see(user, Data.INCOME) and may_see(user, Data.ASSETS)


def case_rules_view(*, user, case: Case) -> RulesView:
    try:
        decision = decide_for_case(case=case, on=timezone.localdate())
    except DecisionUnavailable as e:
        return RulesView(decision=None, unavailable=e.message)
    if sees_figures(user):
        return RulesView(decision=decision, unavailable="")
    redacted = replace(decision, amount_monthly=None, reasons=[redact_figures(r) for r in decision.reasons],
                       explanation_zh=redact_figures(decision.explanation_zh))
    return RulesView(decision=redacted, unavailable="", figures_hidden=True)


def case_verification_reports(*, user, case: Case, limit: int = 3) -> list:
    """The household's latest verification reports (核对报告) the user may read; empty when the
    user's role may not read reports (they hold a family's financial data)."""
    if not can(user, Action.VERIFICATION_REPORT_READ):
        return []
    return list(report_list_for_user(user=user, household_id=case.household_id).order_by("-created_at")[:limit])


def case_workbench_for_user(*, user, programme: str | None = None, status: str | None = None,
                            q: str = "") -> QuerySet[Case]:
    """工作台: staff get their queue; a citizen or proxy gets the applications they follow. ``q``
    finds a household's cases by 户号, or a member's name, ID number or phone."""
    if user.role in SELF_SERVICE_ROLES:
        qs = cases_visible_to(user).select_related("region", "applicant", "household").order_by("-created_at", "-id")
        if programme:
            qs = qs.filter(programme=programme)
        if status:
            qs = qs.filter(status=status)
        return qs
    if not can(user, Action.CASE_QUEUE):
        return Case.objects.none()
    qs = case_queue_for_user(user=user, programme=programme, status=status).select_related("household")
    if q.strip():
        qs = qs.filter(household_match_q(q, "household__"))
    return qs


@dataclass(frozen=True)
class BreachGroup:
    programme: str
    step: str
    cases: list[Case]


def deadline_breach_groups_for_user(*, user, limit: int = 500) -> list[BreachGroup]:
    """Deadline breaches grouped by programme and step, oldest breach first in each group; at
    most ``limit`` cases are read."""
    rows = list(deadline_breaches_for_user(user=user).select_related("household").order_by(
        "programme", "status", "due_at", "id")[:limit])
    groups: list[BreachGroup] = []
    for case in rows:
        if not groups or (groups[-1].programme, groups[-1].step) != (case.programme, case.status):
            groups.append(BreachGroup(programme=case.programme, step=case.status, cases=[]))
        groups[-1].cases.append(case)
    return groups


def households_for_filing(*, user, q: str, limit: int = 10) -> list:
    """Households in the user's region a search box means (户号, or a current member's name, ID
    number or phone), with current members, for filing an application on someone's behalf
    (代办). At most ``limit``; none raises ``HouseholdNotFound``."""
    households = list(
        household_list_for_user(user=user, q=q)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(left_on__isnull=True).select_related("person").order_by("id"),
                to_attr="current_memberships",
            )
        )[:limit]
    )
    if not households:
        raise HouseholdNotFound(_("没有找到符合的家庭，或不在您的管辖范围内"), q=q)
    return households


@dataclass(frozen=True)
class MandateForFiling:
    """A valid mandate (委托书) naming the account, with the grantor's current household: someone a
    proxy may apply for on the web."""

    mandate_id: int
    grantor_id: int
    grantor_name: str
    household_id: int
    household_number: str
    programmes: tuple[str, ...]
    valid_until: dt.date


def mandates_for_proxy(*, user) -> list[MandateForFiling]:
    today = timezone.localdate()
    mandates = list(ProxyMandate.objects.filter(proxy_user_id=user.pk, revoked_at__isnull=True,
                                                valid_until__gte=today).select_related("grantor").order_by("id"))
    homes = {m.person_id: m.household for m in Membership.objects.filter(
        person_id__in=[m.grantor_id for m in mandates], left_on__isnull=True).select_related("household")}
    return [MandateForFiling(m.pk, m.grantor_id, m.grantor.name, homes[m.grantor_id].pk, homes[m.grantor_id].number,
                             tuple(m.programmes or ()), m.valid_until)
            for m in mandates if m.grantor_id in homes]


def household_of_applicant(*, user):
    """The household a citizen currently belongs to, for 网上申请; ``None`` if not registered."""

    return household_list_for_user(user=user).first()


# ---------------------------------------------------------------------------------------------
# For the public side (portal: transparency, 公示): reads without a user, returning no identity
# beyond what a public notice already shows masked.

@dataclass(frozen=True)
class RollRow:
    """One case that received benefit at some time: when it started and ended, where, how much."""

    case_id: int
    programme: str
    county_code: str
    started_on: dt.date
    ended_on: dt.date | None
    persons: int
    amount_monthly: object  # Decimal or None


def roll_rows_public(*, until: dt.date) -> list[RollRow]:
    """Every case that entered 享受救助 on or before ``until``, with its start (first move into
    ACTIVE) and end (first move into EXITED, if any), its county and its household's current size."""
    rows = (
        Case.objects.filter(transitions__to_status=Status.ACTIVE)
        .annotate(
            started=Min("transitions__at", filter=Q(transitions__to_status=Status.ACTIVE)),
            ended=Min("transitions__at", filter=Q(transitions__to_status=Status.EXITED)),
            persons=Count(
                "household__memberships", filter=Q(household__memberships__left_on__isnull=True), distinct=True
            ),
        )
        .values_list("pk", "programme", "region__code", "started", "ended", "persons", "amount_monthly")
    )
    out = []
    for pk, programme, code, started, ended, persons, amount in rows:
        start = timezone.localdate(started)
        if start > until:
            continue
        out.append(
            RollRow(
                case_id=pk,
                programme=programme,
                county_code=code[:6] + "000000",
                started_on=start,
                ended_on=timezone.localdate(ended) if ended else None,
                persons=persons,
                amount_monthly=amount,
            )
        )
    return out


@dataclass(frozen=True)
class NoticeRow:
    masked_name: str
    masked_id_number: str
    programme: str
    region_name: str
    text: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def public_notices_current(*, limit: int = 500) -> list[NoticeRow]:
    """The notices running now, everywhere: names and ID numbers as masked when published."""
    now = timezone.now()
    qs = (
        PublicNotice.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .select_related("case__region")
        .order_by("case__region__code", "ends_at", "id")[:limit]
    )
    return [
        NoticeRow(
            masked_name=n.masked_name,
            masked_id_number=n.masked_id_number,
            programme=n.case.get_programme_display(),
            region_name=n.case.region.name,
            text=n.text,
            starts_at=n.starts_at,
            ends_at=n.ends_at,
        )
        for n in qs
    ]
# Evidence (证据): what a decision on the case stands on, shown before the decision.


@dataclass(frozen=True)
class Evidence:
    """The household's verification report as the workflow sees it, and the emergency rule."""

    #: The newest report, if the user may read reports (else ``None`` even when one exists).
    report: object | None
    #: Whether a report exists that the evidence gate accepts (regardless of who may read it).
    report_current: bool
    #: Why the gate would refuse, in plain words, or ``""``.
    report_problem: str
    #: 先行救助 given: the report must follow by this date …
    report_due: dt.date | None
    #: … and it has not.
    report_overdue: bool
    #: The sum of the open objections on the running or last notice.
    open_objections: int


def case_latest_report(*, case: Case):
    """The household's newest verification report (after 发起经济状况核对 ran it)."""
    return report_latest_for_household(household_id=case.household_id)


def case_evidence(*, case: Case, user) -> Evidence:
    latest = report_latest_for_household(household_id=case.household_id)
    try:
        workflow.GUARDS["report_current"](case, user, {})
        current, problem = True, ""
    except GuardFailed as e:
        current, problem = False, e.message
    due, overdue = None, False
    prog = workflow.programme_of(case)
    aid = next((t for t in case.transitions.all() if t.to_status == Status.EMERGENCY_AID), None)
    if aid is not None and prog.emergency_report_days:
        due = calendar.add_working_days(timezone.localdate(aid.at), prog.emergency_report_days)
        after_aid = latest is not None and latest.created_at >= aid.at
        overdue = case.is_open and not after_aid and timezone.localdate() > due
    open_objections = sum(
        1 for n in case.notices.all() for o in n.objections.all() if o.resolved_at is None
    )
    readable = case_verification_reports(user=user, case=case, limit=1)
    return Evidence(
        report=readable[0] if readable else None,
        report_current=current,
        report_problem=problem,
        report_due=due,
        report_overdue=overdue,
        open_objections=open_objections,
    )


def households_with_open_case(*, programmes: tuple[str, ...]) -> set[int]:
    """The households with an open case (an application under way, or a recipient) of ``programmes``."""
    return set(Case.objects.filter(is_open=True, programme__in=programmes).values_list("household_id", flat=True))
