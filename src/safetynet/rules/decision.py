"""A decision and its reasons: the tests each programme ran, with the values, the thresholds,
the parameters and their legal references, as data (:meth:`Decision.as_dict`) and as plain
Chinese for the applicant (:meth:`Decision.explain_zh`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

PROGRAMMES = (
    "dibao",
    "tekun",
    "low_income_margin",
    "temporary_assistance",
    "medical_assistance",
    "disability_subsidies",
)

#: One-off programmes: their amount is paid once, not every month.
ONE_OFF = frozenset({"temporary_assistance", "medical_assistance"})


@dataclass(frozen=True)
class Test:
    """One condition checked: ``value`` against ``threshold`` under the parameter at ``parameter``."""

    code: str
    passed: bool
    text: str
    value: Any = None
    threshold: Any = None
    parameter: str | None = None
    reference: str = ""
    member: int | None = None


@dataclass(frozen=True)
class AmountLine:
    code: str
    amount: float
    text: str
    member: int | None = None


@dataclass
class ProgrammeDecision:
    programme: str
    eligible: bool
    amount: float
    summary: str
    tests: list[Test] = field(default_factory=list)
    lines: list[AmountLine] = field(default_factory=list)

    @property
    def one_off(self) -> bool:
        return self.programme in ONE_OFF

    @property
    def references(self) -> list[str]:
        return list(dict.fromkeys(t.reference for t in self.tests if t.reference))


@dataclass
class Decision:
    """What one household is owed for one month, programme by programme, and why."""

    month: dt.date
    region_code: str
    household_id: int | None
    household_size: int
    income_per_head: float
    dibao_standard: float
    programmes: dict[str, ProgrammeDecision]

    @property
    def monthly_total(self) -> float:
        return round(sum(p.amount for p in self.programmes.values() if not p.one_off), 2)

    def explain_zh(self) -> str:
        from django.utils.translation import gettext as _

        from safetynet.rules.explain import PROGRAMME_NAMES

        lines = [
            _("%(year)d年%(month)d月核算结果（家庭在户 %(size)d 人）：")
            % {"year": self.month.year, "month": self.month.month, "size": self.household_size}
        ]
        for code in PROGRAMMES:
            p = self.programmes[code]
            lines.append(f"【{PROGRAMME_NAMES[code]}】{p.summary}")
            if p.references:
                lines.append(_("  依据：%(refs)s") % {"refs": "；".join(p.references)})
        lines.append(_("每月合计发放 %(total)s 元。") % {"total": yuan(self.monthly_total)})
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.isoformat(),
            "region_code": self.region_code,
            "household_id": self.household_id,
            "household_size": self.household_size,
            "income_per_head": self.income_per_head,
            "dibao_standard": self.dibao_standard,
            "monthly_total": self.monthly_total,
            "programmes": {
                code: {
                    "eligible": p.eligible,
                    "amount": p.amount,
                    "one_off": p.one_off,
                    "summary": p.summary,
                    "tests": [asdict(t) for t in p.tests],
                    "lines": [asdict(line) for line in p.lines],
                }
                for code, p in self.programmes.items()
            },
            "explanation": self.explain_zh(),
        }


def yuan(amount: float) -> str:
    """``612`` for whole yuan, ``612.5``/``612.35`` otherwise."""
    text = f"{round(float(amount), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
