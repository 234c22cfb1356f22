"""Self-check (自助测算): what a family may be owed, decided by the rules package without an account.

The answers become :class:`~safetynet.rules.facts.HouseholdFacts` and
:func:`safetynet.rules.services.decide_household` decides, the same function a case uses. Nothing
is stored: the answers live only for the request. Amounts are rounded to 10 yuan ("rough") after
the rules compared every threshold exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.portal.errors import InvalidSelfCheck
from safetynet.rules.decision import ONE_OFF, PROGRAMMES
from safetynet.rules.errors import InvalidFacts
from safetynet.rules.facts import HouseholdFacts, MemberFacts
from safetynet.rules.services import decide_household

MAX_MEMBERS = 10
MAX_AGE = 120
#: Monthly income of one kind for one member, deposits, expenses: generous upper bounds so a typo
#: (an extra zero or two) is refused rather than decided.
MAX_MONTHLY_INCOME = Decimal("1000000")
MAX_DEPOSITS = Decimal("100000000")
MAX_EXPENSES = Decimal("10000000")
MAX_COUNT = 20

#: The incomes asked, in the words of the form.
INCOME_LABELS = {
    "wage_income": gettext_lazy("工资收入"),
    "business_income": gettext_lazy("经营收入"),
    "property_income": gettext_lazy("房租、利息等财产收入"),
    "transfer_income": gettext_lazy("养老金、赡养费等转移收入"),
    "other_income": gettext_lazy("其他收入"),
}

HARDSHIP_LABELS = {
    "none": gettext_lazy("没有"),
    "serious_illness": gettext_lazy("家人突发重病"),
    "accident": gettext_lazy("火灾、车祸等意外"),
    "expense_shock": gettext_lazy("上学、丧葬等开支突然增加"),
    "other": gettext_lazy("其他突发困难"),
}

PROGRAMME_NAMES = {
    "dibao": gettext_lazy("最低生活保障"),
    "tekun": gettext_lazy("特困人员救助供养"),
    "low_income_margin": gettext_lazy("低保边缘家庭"),
    "temporary_assistance": gettext_lazy("临时救助"),
    "medical_assistance": gettext_lazy("医疗救助"),
    "disability_subsidies": gettext_lazy("残疾人两项补贴"),
}

PROGRAMME_PLAIN = {
    "dibao": gettext_lazy("最低生活保障（低保）：每月按差额补足到本地标准"),
    "tekun": gettext_lazy("特困人员救助供养：没有劳动能力、没有收入、没有人赡养的人"),
    "low_income_margin": gettext_lazy("低保边缘家庭：收入略高于低保标准，可享受医疗、教育等专项救助"),
    "temporary_assistance": gettext_lazy("临时救助：遇到突发困难时一次性救助"),
    "medical_assistance": gettext_lazy("医疗救助：医保报销后自己付的医疗费，再帮一部分"),
    "disability_subsidies": gettext_lazy("残疾人两项补贴：困难残疾人生活补贴和重度残疾人护理补贴"),
}


@dataclass(frozen=True)
class MemberAnswer:
    age: int
    disability_grade: int = 0
    serious_illness: bool = False
    incomes: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SelfCheckAnswers:
    """What the form asks. Incomes are monthly, in yuan; expenses are the last 12 months'."""

    region_code: str
    rural: bool
    members: tuple[MemberAnswer, ...]
    deposits: Decimal = Decimal(0)
    vehicles: int = 0
    dwellings: int = 1
    medical_expenses_12m: Decimal = Decimal(0)
    education_expenses_12m: Decimal = Decimal(0)
    hardship: str = "none"
    has_capable_supporter: bool = True


@dataclass(frozen=True)
class Reason:
    passed: bool
    text: str
    reference: str


@dataclass(frozen=True)
class ProgrammeAnswer:
    programme: str
    name: str
    plain: str
    eligible: bool
    #: Rounded to 10 yuan; monthly unless ``one_off``.
    rough_amount: Decimal
    one_off: bool
    summary: str
    reasons: tuple[Reason, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class SelfCheckResult:
    month: dt.date
    household_size: int
    dibao_standard: Decimal
    programmes: tuple[ProgrammeAnswer, ...]

    @property
    def eligible(self) -> tuple[ProgrammeAnswer, ...]:
        return tuple(p for p in self.programmes if p.eligible)

    @property
    def rough_monthly_total(self) -> Decimal:
        return sum((p.rough_amount for p in self.eligible if not p.one_off), Decimal(0))


def rough(amount) -> Decimal:
    """To the nearest 10 yuan, half up: a self-check promises an order of size, not a figure."""
    return (Decimal(str(amount)) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10


def _check(answers: SelfCheckAnswers) -> None:
    def bad(message: str, field_name: str) -> InvalidSelfCheck:
        return InvalidSelfCheck(message, field=field_name)

    if not 1 <= len(answers.members) <= MAX_MEMBERS:
        raise bad(_("家庭人数应在 1 到 %(n)d 人之间") % {"n": MAX_MEMBERS}, "members")
    for i, m in enumerate(answers.members, start=1):
        if not 0 <= m.age <= MAX_AGE:
            raise bad(_("第 %(i)d 位家庭成员的年龄应在 0 到 %(n)d 岁之间") % {"i": i, "n": MAX_AGE}, "age")
        if not 0 <= m.disability_grade <= 4:
            raise bad(_("残疾等级应为无或一至四级"), "disability_grade")
        for kind, value in m.incomes.items():
            if kind not in INCOME_LABELS:
                raise bad(_("不认识的收入种类：%(k)s") % {"k": kind}, "incomes")
            if not 0 <= value <= MAX_MONTHLY_INCOME:
                raise bad(_("第 %(i)d 位家庭成员的%(k)s应在 0 到 100 万元之间") % {"i": i, "k": INCOME_LABELS[kind]}, kind)
    if not 0 <= answers.deposits <= MAX_DEPOSITS:
        raise bad(_("存款应在 0 到 1 亿元之间"), "deposits")
    for name in ("medical_expenses_12m", "education_expenses_12m"):
        if not 0 <= getattr(answers, name) <= MAX_EXPENSES:
            raise bad(_("支出应在 0 到 1000 万元之间"), name)
    for name in ("vehicles", "dwellings"):
        if not 0 <= getattr(answers, name) <= MAX_COUNT:
            raise bad(_("车辆和住房套数应在 0 到 %(n)d 之间") % {"n": MAX_COUNT}, name)
    if answers.hardship not in HARDSHIP_LABELS:
        raise bad(_("请选择突发困难的类别"), "hardship")


def _member_facts(m: MemberAnswer, index: int, on: dt.date, supporter: bool) -> MemberFacts:
    # Born on 1 January of the year that makes them ``age`` on the first of this month.
    birth = dt.date(on.year - m.age, 1, 1)
    if m.disability_grade in (1, 2):
        labour, self_care = "none", "none" if m.disability_grade == 1 else "partial"
    elif m.serious_illness or m.disability_grade in (3, 4):
        labour, self_care = "partial", "full"
    else:
        labour, self_care = "full", "full"
    return MemberFacts(
        birth_date=birth,
        relationship="head" if index == 0 else "other",
        disability_grade=m.disability_grade,
        labour_capacity=labour,
        self_care=self_care,
        serious_illness=m.serious_illness,
        # The person's own word that an able supporter lives elsewhere (the rules' finding of one).
        has_capable_supporter=supporter,
        **{kind: float(m.incomes.get(kind, 0)) for kind in INCOME_LABELS},
    )


def selfcheck_evaluate(*, answers: SelfCheckAnswers, on: dt.date) -> SelfCheckResult:
    """Decide the answers as a household of the region chosen, for the month containing ``on``."""
    _check(answers)
    members = tuple(
        _member_facts(m, i, on, answers.has_capable_supporter) for i, m in enumerate(answers.members)
    )
    facts = HouseholdFacts(
        region_code=answers.region_code,
        members=members,
        rural=answers.rural,
        deposits=float(answers.deposits),
        vehicles=answers.vehicles,
        dwellings=answers.dwellings,
        medical_expenses_12m=float(answers.medical_expenses_12m),
        education_expenses_12m=float(answers.education_expenses_12m),
        temporary_case=answers.hardship,
    )
    try:
        decision = decide_household(household=facts, on=on)
    except InvalidFacts as e:
        raise InvalidSelfCheck(e.message, **e.details) from e
    programmes = []
    for code in PROGRAMMES:
        p = decision.programmes[code]
        programmes.append(
            ProgrammeAnswer(
                programme=code,
                name=str(PROGRAMME_NAMES[code]),
                plain=str(PROGRAMME_PLAIN[code]),
                eligible=p.eligible,
                rough_amount=rough(p.amount) if p.eligible else Decimal(0),
                one_off=code in ONE_OFF,
                summary=p.summary,
                reasons=tuple(Reason(t.passed, t.text, t.reference) for t in p.tests),
                references=tuple(p.references),
            )
        )
    return SelfCheckResult(
        month=decision.month,
        household_size=decision.household_size,
        dibao_standard=Decimal(str(decision.dibao_standard)),
        programmes=tuple(sorted(programmes, key=lambda p: not p.eligible)),
    )
