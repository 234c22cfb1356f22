"""A decision and its reasons: the tests each programme ran, with the values, the thresholds,
the parameters and their legal references, as data (:meth:`Decision.as_dict`) and as plain
Chinese for the applicant (:meth:`Decision.explain_zh`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.rules.money import FEN

PROGRAMMES = (
    "dibao",
    "tekun",
    "low_income_margin",
    "temporary_assistance",
    "medical_assistance",
    "disability_subsidies",
)

PROGRAMME_NAMES = {
    "dibao": gettext_lazy("最低生活保障"),
    "tekun": gettext_lazy("特困人员救助供养"),
    "low_income_margin": gettext_lazy("低保边缘家庭"),
    "temporary_assistance": gettext_lazy("临时救助"),
    "medical_assistance": gettext_lazy("医疗救助"),
    "disability_subsidies": gettext_lazy("残疾人两项补贴"),
}

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
    #: a finding the applicant may contest (复核): e.g. income imputed to a member able to work
    appealable: bool = False


_TEST_FIELDS = fields(Test)


@dataclass(frozen=True)
class AmountLine:
    """One amount and how it was reached. ``parameters`` are the parameter paths it applies and
    ``reference`` their legal references (document and article), which ``text`` also quotes."""

    code: str
    amount: Decimal
    text: str
    member: int | None = None
    parameters: tuple[str, ...] = ()
    reference: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "amount": float(self.amount),
            "amount_fen": fen(self.amount),
            "text": self.text,
            "member": self.member,
            "parameters": list(self.parameters),
            "reference": self.reference,
            "citations": citations(self.reference),
        }


@dataclass
class ProgrammeDecision:
    programme: str
    eligible: bool
    amount: Decimal
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
    def monthly_total(self) -> Decimal:
        """The monthly programmes' payable amounts (each already rounded once), summed exactly."""
        return sum((p.amount for p in self.programmes.values() if not p.one_off), Decimal("0.00"))

    def explain_zh(self) -> str:
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
            "monthly_total": float(self.monthly_total),
            "monthly_total_fen": fen(self.monthly_total),
            "programmes": {
                code: {
                    "eligible": p.eligible,
                    "amount": float(p.amount),
                    "amount_fen": fen(p.amount),
                    "one_off": p.one_off,
                    "summary": p.summary,
                    # A test's fields are plain values: a shallow copy is what ``asdict`` would give.
                    "tests": [{**{f.name: getattr(t, f.name) for f in _TEST_FIELDS}, "citations": citations(t.reference)}
                              for t in p.tests],
                    "lines": [line.as_dict() for line in p.lines],
                }
                for code, p in self.programmes.items()
            },
            "explanation": self.explain_zh(),
        }


def fen(amount: Decimal) -> int:
    return int((amount / FEN).to_integral_value())


def yuan(amount: float | Decimal, places: int = 2) -> str:
    """``612`` for whole yuan, ``612.5``/``612.35`` otherwise (``places`` decimals at most)."""
    text = f"{round(float(amount), places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def yuan_compared(value: float, threshold: float) -> str:
    """``value`` written so that a reader sees the comparison the rules made: to the fen, unless
    that would show a value that is not the threshold as the threshold (899.997 against 900 is
    written 899.9967, not 900)."""
    for places in (2, 4, 6):
        text = yuan(value, places)
        if value == threshold or round(float(value), places) != round(float(threshold), places):
            return text
    return text


_DOCUMENT = re.compile(r"《[^》]+》(?:（[^）]*）)?")


def citations(reference: str) -> list[dict[str, str]]:
    """A reference text as structured citations: ``[{"document", "article", "text"}]``, one per
    document named (``；`` separates them); ``article`` is what follows the document's name
    (第十二条, 第二部分第（五）项 …), without the illustrative mark."""
    out = []
    for part in (p.strip() for p in reference.split("；")):
        if not part:
            continue
        match = _DOCUMENT.search(part)
        document = match.group(0) if match else ""
        rest = part[match.end() :] if match else part
        article = re.split(r"[：:]", rest.replace("〔示例〕", ""), maxsplit=1)[0].strip()
        out.append({"document": document, "article": article, "text": part})
    return out
