"""The seam between cases and the rules engine (规则引擎接口).

A case is decided on the facts its household's latest verification report established (核对在先):
the report's facts become the rules' household facts (:mod:`safetynet.verification.rules_bridge`)
and :func:`safetynet.rules.services.decide_household` decides. Without a report there is no
decision — callers get ``DecisionUnavailable``, never a made-up answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from safetynet.cases.errors import DecisionUnavailable
from safetynet.cases.models import Case
from safetynet.verification.rules_bridge import decide_from_report
from safetynet.verification.selectors import report_latest_for_household


@dataclass(frozen=True)
class CaseDecision:
    programme: str
    eligible: bool
    amount_monthly: Decimal | None
    reasons: list[str]
    explanation_zh: str
    report_id: int


def decide_for_case(*, case: Case, on: dt.date) -> CaseDecision:
    report = report_latest_for_household(household_id=case.household_id)
    if report is None:
        raise DecisionUnavailable(
            _("该家庭尚未进行经济状况核对，暂不能核算；请先完成核对"), reason="no_verification_report"
        )
    decision = decide_from_report(report=report, on=on)
    result = decision.programmes[case.programme]
    references = "；".join(result.references)
    return CaseDecision(
        programme=case.programme,
        eligible=result.eligible,
        amount_monthly=Decimal(str(round(result.amount, 2))),
        reasons=[t.text for t in result.tests],
        explanation_zh=result.summary + (_("（依据：%(r)s）") % {"r": references} if references else ""),
        report_id=report.pk,
    )
