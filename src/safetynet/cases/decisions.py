"""The seam between cases and the rules engine (规则引擎接口).

Cases ask rules one question, through this module only: is this household eligible for this
programme on this date, for how much, and why. Rules are imported lazily so cases work (and
wait for a person) while rules are absent; when they are, callers get ``DecisionUnavailable`` —
never a made-up answer.

Expected of ``safetynet.rules`` (being written alongside):

* ``safetynet.rules.services.household_facts(*, household: Household, on: date) -> HouseholdFacts``
  builds the facts rules need from the registry (and, once it exists, the verification report);
* ``safetynet.rules.services.decide_household(*, household: HouseholdFacts, on: date) -> Decision``
  where ``Decision.programmes[code]`` (``code`` as in ``cases.models.Programme``) has
  ``eligible: bool``, ``amount: Decimal | None`` (monthly, yuan) and ``reasons: list[str]``,
  and ``Decision.explain_zh(code) -> str`` says it in plain Chinese for the applicant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.utils.translation import gettext as _

from safetynet.cases.errors import DecisionUnavailable
from safetynet.cases.models import Case


@dataclass(frozen=True)
class CaseDecision:
    programme: str
    eligible: bool
    amount_monthly: Decimal | None
    reasons: list[str]
    explanation_zh: str


def _rules() -> Any:
    try:
        services = import_module("safetynet.rules.services")
    except ImportError as exc:
        raise DecisionUnavailable(_("规则引擎尚未就绪，请由经办人人工审核"), reason=str(exc)) from None
    if not (hasattr(services, "decide_household") and hasattr(services, "household_facts")):
        raise DecisionUnavailable(_("规则引擎接口不完整，请由经办人人工审核"))
    return services


def decide_for_case(*, case: Case, on: dt.date) -> CaseDecision:
    rules = _rules()
    facts = rules.household_facts(household=case.household, on=on)
    decision = rules.decide_household(household=facts, on=on)
    try:
        result = decision.programmes[case.programme]
    except (KeyError, AttributeError, TypeError):
        raise DecisionUnavailable(
            _("规则引擎未对该救助项目作出结论：%(p)s") % {"p": case.programme}, programme=case.programme
        ) from None
    amount = getattr(result, "amount", None)
    return CaseDecision(
        programme=case.programme,
        eligible=bool(result.eligible),
        amount_monthly=Decimal(str(amount)) if amount is not None else None,
        reasons=[str(r) for r in (getattr(result, "reasons", None) or [])],
        explanation_zh=str(decision.explain_zh(case.programme)),
    )
