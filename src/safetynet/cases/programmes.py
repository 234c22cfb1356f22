"""The programmes as configuration (救助项目流程配置).

Each programme declares its own transitions table: from which step to which, who may move it,
whether a reason is required, named guards (conditions checked in ``workflow.GUARDS``) and the
deadline of the step entered (working days on the holiday calendar, or calendar hours for the
24-hour emergency rule). ``workflow`` reads only this; no programme has an ``if`` in code.

The deadlines and limits below are plausible configuration for the demo city, not quotations of
any one province's rules; a province changes them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from safetynet.cases.models import ADVERSE_STATUSES, Channel, Programme, Status
from safetynet.core.roles import Role

#: The pseudo-role of a move made by the platform itself (a batch job, a data-driven proposal).
SYSTEM = "system"

S = Status
CITIZEN, PROXY = Role.CITIZEN.value, Role.PROXY.value
WORKER, STREET, COUNTY = Role.COMMUNITY_WORKER.value, Role.STREET_OFFICER.value, Role.COUNTY_APPROVER.value
CENTRE = Role.VERIFICATION_CENTRE.value
#: The evidence gate (``workflow.GUARDS``): a current verification report for the household.
REPORT = "report_current"


@dataclass(frozen=True)
class Move:
    src: str
    dst: str
    roles: frozenset[str]
    requires_reason: bool = False
    guards: tuple[str, ...] = ()
    #: Deadline of the step entered, in working days …
    days: int | None = None
    #: … or in calendar hours (先行救助 within 24 hours).
    hours: int | None = None
    #: Entering ACTIVE: the next periodic review is due after the programme's review interval.
    schedules_review: bool = False
    #: Entering GRADUAL_EXIT: due at the end of the grace period.
    schedules_grace: bool = False


@dataclass(frozen=True)
class ProgrammeConfig:
    code: str
    #: Chinese, marked for translation: ``gettext(label_zh)`` where a page shows it.
    label_zh: str
    moves: tuple[Move, ...]
    #: Deadline to accept or refuse an application, working days from filing.
    accept_days: int = 5
    notice_days: int = 7
    #: Months between periodic reviews (动态复核): stable households, and the rest.
    review_months_stable: int = 12
    review_months_other: int = 6
    gradual_exit_months: int = 0
    #: Amount a street officer may approve alone (temporary assistance 小额审批权下放).
    street_approval_limit: Decimal | None = None
    #: 先行救助: hours within which emergency aid must be granted, and its cap.
    emergency_hours: int | None = None
    emergency_limit: Decimal | None = None
    #: Evidence gate: a verification report (核对报告) counts as current for this many days after
    #: its base date; review and approval need one.
    report_max_age_days: int = 90
    #: 先行救助: working days after the aid within which the report must follow (verify after).
    emergency_report_days: int | None = None
    channels: frozenset[str] = field(default_factory=lambda: frozenset(Channel.values))

    def move(self, src: str, dst: str) -> Move | None:
        return self._index.get((src, dst))

    def moves_from(self, src: str) -> list[Move]:
        return [m for m in self.moves if m.src == src]

    @property
    def _index(self) -> dict[tuple[str, str], Move]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {(m.src, m.dst): m for m in self.moves}
            object.__setattr__(self, "_idx", idx)
        return idx


def _m(src, dst, roles, *, reason=False, guards=(), days=None, hours=None, review=False, grace=False) -> Move:
    return Move(src, dst, frozenset(roles), reason, tuple(guards), days, hours, review, grace)


def _intake(*, verify_days: int) -> tuple[Move, ...]:
    return (
        _m(S.SUBMITTED, S.ACCEPTED, {STREET}, days=2),
        _m(S.SUBMITTED, S.NOT_ACCEPTED, {STREET}, reason=True),
        _m(S.ACCEPTED, S.VERIFICATION, {STREET, CENTRE, SYSTEM}, days=verify_days),
    )


def _data_decision(*, after: str) -> tuple[Move, ...]:
    """Data may propose a refusal (or an exit); a named officer confirms or overrides it."""
    return (
        _m(S.VERIFICATION, S.PENDING_CONFIRMATION, {CENTRE, SYSTEM}, reason=True, days=3),
        _m(S.PENDING_CONFIRMATION, S.REFUSED, {STREET, COUNTY}, reason=True, guards=("proposal_is_refusal",)),
        _m(S.PENDING_CONFIRMATION, after, {STREET, COUNTY}, reason=True, guards=("proposal_is_refusal", REPORT),
           days=10),
    )


def _life(*, gradual_exit: bool) -> tuple[Move, ...]:
    """From payment to exit: periodic review, change of amount, suspension, exit, appeal."""
    moves = [
        _m(S.APPROVED, S.ACTIVE, {STREET, COUNTY, SYSTEM}, review=True),
        _m(S.ACTIVE, S.ACTIVE, {COUNTY}, reason=True, review=True),  # change of amount
        _m(S.ACTIVE, S.PERIODIC_REVIEW, {WORKER, STREET, SYSTEM}, days=15),
        _m(S.ACTIVE, S.SUSPENDED, {COUNTY}, reason=True, days=30),
        _m(S.ACTIVE, S.EXITED, {COUNTY}, reason=True),
        _m(S.PERIODIC_REVIEW, S.ACTIVE, {STREET, COUNTY}, review=True),
        _m(S.PERIODIC_REVIEW, S.PENDING_CONFIRMATION, {CENTRE, SYSTEM}, reason=True, days=3),
        _m(S.PERIODIC_REVIEW, S.SUSPENDED, {COUNTY}, reason=True, days=30),
        _m(S.PERIODIC_REVIEW, S.EXITED, {COUNTY}, reason=True),
        _m(S.PENDING_CONFIRMATION, S.EXITED, {COUNTY}, reason=True, guards=("proposal_is_exit",)),
        _m(S.PENDING_CONFIRMATION, S.ACTIVE, {STREET, COUNTY}, reason=True, guards=("proposal_is_exit",), review=True),
        _m(S.SUSPENDED, S.ACTIVE, {COUNTY}, reason=True, review=True),
        _m(S.SUSPENDED, S.EXITED, {COUNTY}, reason=True),
    ]
    if gradual_exit:
        moves += [
            _m(S.ACTIVE, S.GRADUAL_EXIT, {COUNTY}, reason=True, grace=True),
            _m(S.PERIODIC_REVIEW, S.GRADUAL_EXIT, {COUNTY}, reason=True, grace=True),
            _m(S.PENDING_CONFIRMATION, S.GRADUAL_EXIT, {COUNTY}, reason=True, guards=("proposal_is_exit",), grace=True),
            # The exit itself was decided by an officer when the grace period began.
            _m(S.GRADUAL_EXIT, S.EXITED, {COUNTY, SYSTEM}, reason=True, guards=("grace_period_over",)),
        ]
    return tuple(moves)


def _appeals() -> tuple[Move, ...]:
    moves = []
    for adverse in (S.NOT_ACCEPTED, S.REFUSED, S.EXITED, S.SUSPENDED):
        moves.append(_m(adverse, S.APPEALED, {CITIZEN, PROXY, WORKER, STREET}, reason=True, days=15))
        moves.append(_m(S.APPEALED, adverse, {COUNTY}, reason=True, guards=("appeal_against_matches",)))
    moves.append(_m(S.APPEALED, S.REVIEW, {COUNTY}, reason=True, days=10))
    return tuple(moves)


def _noticed_approval(*, approver: set[str]) -> tuple[Move, ...]:
    return (
        _m(S.HOME_VISIT, S.REVIEW, {WORKER, STREET}, guards=("visit_recorded", REPORT), days=5),
        _m(S.REVIEW, S.PUBLIC_NOTICE, {STREET}, guards=(REPORT,), days=10),
        _m(S.REVIEW, S.REFUSED, {STREET, COUNTY}, reason=True),
        _m(S.PUBLIC_NOTICE, S.REVIEW, {STREET}, reason=True, days=5),  # objection upheld: look again
        _m(
            S.PUBLIC_NOTICE,
            S.APPROVED,
            approver,
            guards=("notice_period_over", "objections_resolved", REPORT),
            days=5,
        ),
        _m(S.PUBLIC_NOTICE, S.REFUSED, approver, reason=True, guards=("notice_period_over",)),
    )


DIBAO = ProgrammeConfig(
    code=Programme.DIBAO,
    label_zh=gettext_noop("最低生活保障（低保）"),
    accept_days=5,
    gradual_exit_months=6,
    moves=(
        *_intake(verify_days=10),
        _m(S.VERIFICATION, S.HOME_VISIT, {STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=10),
        *_data_decision(after=S.HOME_VISIT),
        *_noticed_approval(approver={COUNTY}),
        *_life(gradual_exit=True),
        *_appeals(),
    ),
)

TEKUN = ProgrammeConfig(
    code=Programme.TEKUN,
    label_zh=gettext_noop("特困人员救助供养"),
    accept_days=5,
    review_months_other=12,
    moves=(
        *_intake(verify_days=10),
        _m(S.VERIFICATION, S.HOME_VISIT, {STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=10),
        *_data_decision(after=S.HOME_VISIT),
        *_noticed_approval(approver={COUNTY}),
        *_life(gradual_exit=False),
        *_appeals(),
    ),
)

LOW_INCOME_MARGIN = ProgrammeConfig(
    code=Programme.LOW_INCOME_MARGIN,
    label_zh=gettext_noop("低保边缘/低收入家庭认定"),
    accept_days=5,
    review_months_other=12,
    moves=(
        *_intake(verify_days=10),
        _m(S.VERIFICATION, S.HOME_VISIT, {STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=10),
        *_data_decision(after=S.HOME_VISIT),
        *_noticed_approval(approver={COUNTY}),
        *_life(gradual_exit=False),
        *_appeals(),
    ),
)

TEMPORARY_ASSISTANCE = ProgrammeConfig(
    code=Programme.TEMPORARY_ASSISTANCE,
    label_zh=gettext_noop("临时救助"),
    accept_days=2,
    street_approval_limit=Decimal("1000"),
    emergency_hours=24,
    emergency_limit=Decimal("1000"),
    emergency_report_days=5,
    moves=(
        *_intake(verify_days=5),
        # 先行救助: help first within 24 hours, verify after.
        _m(S.SUBMITTED, S.EMERGENCY_AID, {STREET}, reason=True, guards=("emergency_case", "within_emergency_limit"), days=5),
        _m(S.EMERGENCY_AID, S.VERIFICATION, {STREET, CENTRE, SYSTEM}, days=5),
        _m(S.VERIFICATION, S.HOME_VISIT, {WORKER, STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=5),
        _m(S.VERIFICATION, S.REVIEW, {STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=5),
        *_data_decision(after=S.REVIEW),
        _m(S.HOME_VISIT, S.REVIEW, {WORKER, STREET}, guards=("visit_recorded", REPORT), days=3),
        _m(S.REVIEW, S.APPROVED, {STREET, COUNTY}, guards=("within_street_limit", REPORT), days=3),
        _m(S.REVIEW, S.REFUSED, {STREET, COUNTY}, reason=True),
        # One-off help: paid, then closed.
        _m(S.APPROVED, S.ACTIVE, {STREET, COUNTY, SYSTEM}, days=5),
        _m(S.ACTIVE, S.EXITED, {STREET, COUNTY}, reason=True),
        *_appeals(),
    ),
)

MEDICAL_ASSISTANCE = ProgrammeConfig(
    code=Programme.MEDICAL_ASSISTANCE,
    label_zh=gettext_noop("医疗救助"),
    accept_days=3,
    review_months_other=12,
    moves=(
        *_intake(verify_days=5),
        _m(S.VERIFICATION, S.REVIEW, {STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=5),
        *_data_decision(after=S.REVIEW),
        _m(S.REVIEW, S.APPROVED, {COUNTY}, guards=(REPORT,), days=5),
        _m(S.REVIEW, S.REFUSED, {STREET, COUNTY}, reason=True),
        *_life(gradual_exit=False),
        *_appeals(),
    ),
)

DISABILITY_SUBSIDIES = ProgrammeConfig(
    code=Programme.DISABILITY_SUBSIDIES,
    label_zh=gettext_noop("残疾人两项补贴"),
    accept_days=5,
    review_months_other=12,
    moves=(
        *_intake(verify_days=10),
        _m(S.VERIFICATION, S.HOME_VISIT, {WORKER, STREET, CENTRE, SYSTEM}, guards=(REPORT,), days=10),
        *_data_decision(after=S.HOME_VISIT),
        _m(S.HOME_VISIT, S.REVIEW, {WORKER, STREET}, guards=("visit_recorded", REPORT), days=5),
        _m(S.REVIEW, S.APPROVED, {COUNTY}, guards=(REPORT,), days=5),
        _m(S.REVIEW, S.REFUSED, {STREET, COUNTY}, reason=True),
        *_life(gradual_exit=False),
        *_appeals(),
    ),
)

PROGRAMMES: dict[str, ProgrammeConfig] = {
    p.code: p for p in (DIBAO, TEKUN, LOW_INCOME_MARGIN, TEMPORARY_ASSISTANCE, MEDICAL_ASSISTANCE, DISABILITY_SUBSIDIES)
}

#: Who may file through each channel (``system`` for active discovery by a monitoring job).
CHANNEL_FILERS: dict[str, frozenset[str]] = {
    Channel.ONLINE: frozenset({CITIZEN}),
    Channel.PROXY: frozenset({PROXY, WORKER}),
    Channel.WINDOW: frozenset({WORKER, STREET}),
    Channel.ACTIVE_DISCOVERY: frozenset({WORKER, STREET, SYSTEM}),
    Channel.REFERRAL: frozenset({WORKER, STREET, Role.PROVIDER.value}),
}


def config_problems(programmes: dict[str, ProgrammeConfig] = PROGRAMMES) -> list[str]:
    """What is wrong with a configuration; checked at import and in a test.

    The human-in-the-loop rule is held here rather than trusted to each table: no move into an
    adverse decision may be made by the system or without a reason, except the end of a grace
    period an officer already decided.
    """
    problems = []
    statuses = set(Status.values)
    for code, prog in programmes.items():
        seen = set()
        for m in prog.moves:
            if (m.src, m.dst) in seen:
                problems.append(f"{code}: duplicate move {m.src}→{m.dst}")
            seen.add((m.src, m.dst))
            if m.src not in statuses or m.dst not in statuses:
                problems.append(f"{code}: unknown step in {m.src}→{m.dst}")
            if m.dst in ADVERSE_STATUSES:
                if not m.requires_reason:
                    problems.append(f"{code}: {m.src}→{m.dst} must require a reason")
                if SYSTEM in m.roles and m.src != S.GRADUAL_EXIT:
                    problems.append(f"{code}: {m.src}→{m.dst} may not be made by the system alone")
            # Going back to review (an appeal, an upheld objection) is looking again, not deciding.
            backwards = m.src in (S.APPEALED, S.PUBLIC_NOTICE) and m.dst == S.REVIEW
            if m.dst in (S.REVIEW, S.APPROVED) and not backwards and REPORT not in m.guards:
                problems.append(f"{code}: {m.src}→{m.dst} needs a current verification report ({REPORT})")
            if m.days is not None and m.hours is not None:
                problems.append(f"{code}: {m.src}→{m.dst} has both days and hours")
    return problems


_problems = config_problems()
if _problems:  # pragma: no cover - a broken configuration must stop the app from starting
    raise RuntimeError("invalid programme configuration: " + "; ".join(_problems))
