"""The structured outcome of a home visit (入户走访结论), validated, and the facts it yields.

Every choice is the worker's: nothing is pre-filled. The figures must match the reasons chosen
(an amount without its reason, or a reason without its amount, is refused), so a stored outcome
always says what was found and how much.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from safetynet.monitoring.errors import InvalidVisitOutcome
from safetynet.monitoring.models import HiddenIncomeKind, VisitFinding, VisitReason

MAX_AMOUNT = Decimal("100000000")


@dataclass(frozen=True)
class VisitOutcomeInput:
    finding: str
    reasons: tuple[str, ...] = ()
    hidden_income_kind: str = ""
    hidden_income_monthly: Decimal | None = None
    family_support_monthly: Decimal | None = None
    assets_value: Decimal | None = None
    note: str = ""
    visited_on: dt.date | None = None
    extra: dict = field(default_factory=dict)


def parse_amount(text: str | None, *, label: str) -> Decimal | None:
    """A yuan amount typed in a form: blank is None; anything else must be a number ≥ 0, 2 decimals."""
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidVisitOutcome(_("%(label)s须为数字（元）：%(v)s") % {"label": label, "v": text}, field=label) from None
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise InvalidVisitOutcome(_("%(label)s须为不小于0、最多两位小数的金额：%(v)s") % {"label": label, "v": text},
                                  field=label)
    return value


def validate(inp: VisitOutcomeInput) -> VisitOutcomeInput:
    if inp.finding not in VisitFinding.values:
        raise InvalidVisitOutcome(_("请选择走访结论：确有困难、无需救助或未能见到家庭"), field="finding")
    unknown = [r for r in inp.reasons if r not in VisitReason.values]
    if unknown:
        raise InvalidVisitOutcome(_("未知的原因：%(r)s") % {"r": "、".join(unknown)}, field="reasons")
    reasons = set(inp.reasons)
    if inp.finding == VisitFinding.NO_NEED and not reasons:
        raise InvalidVisitOutcome(_("请选择无需救助的原因（如未登记收入、家人资助、财产、已搬离、已去世）"), field="reasons")
    figures = (
        (VisitReason.HIDDEN_INCOME, inp.hidden_income_monthly, _("未登记月收入")),
        (VisitReason.FAMILY_SUPPORT, inp.family_support_monthly, _("家人月资助")),
        (VisitReason.ASSETS, inp.assets_value, _("财产价值")),
    )
    for reason, amount, label in figures:
        if reason in reasons and (amount is None or amount <= 0):
            raise InvalidVisitOutcome(_("选择了“%(r)s”，请填写%(label)s（元）") % {"r": VisitReason(reason).label, "label": label},
                                      field=reason)
        if reason not in reasons and amount is not None:
            raise InvalidVisitOutcome(_("填写了%(label)s，请同时选择原因“%(r)s”") % {"label": label, "r": VisitReason(reason).label},
                                      field=reason)
    if VisitReason.HIDDEN_INCOME in reasons and inp.hidden_income_kind not in HiddenIncomeKind.values:
        raise InvalidVisitOutcome(_("请选择未登记收入的类型"), field="hidden_income_kind")
    if VisitReason.HIDDEN_INCOME not in reasons and inp.hidden_income_kind:
        raise InvalidVisitOutcome(_("选择了收入类型，请同时选择原因“有未登记的收入”"), field="hidden_income_kind")
    return inp


def facts_of(inp: VisitOutcomeInput) -> list[dict]:
    """The visit's findings as facts (kind, category, amount), as verification names its own."""
    reasons = set(inp.reasons)
    facts = [{"kind": "flag", "category": f"visit_{inp.finding}", "amount": None}]
    if VisitReason.HIDDEN_INCOME in reasons:
        facts.append({"kind": "income", "category": f"hidden_income_{inp.hidden_income_kind}",
                      "amount": inp.hidden_income_monthly})
    if VisitReason.FAMILY_SUPPORT in reasons:
        facts.append({"kind": "income", "category": "family_support", "amount": inp.family_support_monthly})
    if VisitReason.ASSETS in reasons:
        facts.append({"kind": "asset", "category": "assets_found", "amount": inp.assets_value})
    for reason, category in ((VisitReason.MOVED, "moved"), (VisitReason.DECEASED, "deceased_found")):
        if reason in reasons:
            facts.append({"kind": "flag", "category": category, "amount": None})
    return facts
