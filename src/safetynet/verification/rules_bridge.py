"""From verified facts to the rules' :class:`HouseholdFacts`: where a household stands
against the local thresholds (对照本地标准), decided by :mod:`safetynet.rules`.

Income kinds map onto the rules' statistical categories (国家统计局口径): wages and public
payroll → 工资性收入; pensions and unemployment benefit → 转移净收入; business and property
income as such. Assistance the household already receives (the civil-affairs roll) is not income
for the test; the current 低保 amount feeds the gradual-exit rule instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from safetynet.registry.models import Household, Membership
from safetynet.rules.decision import Decision
from safetynet.rules.facts import HouseholdFacts, MemberFacts
from safetynet.rules.services import decide_household

_INCOME_FIELD = {
    "wages": "wage_income",
    "pensions": "transfer_income",
    "unemployment_benefit": "transfer_income",
    "business_income": "business_income",
    "property_income": "property_income",
}


def _self_care(conditions: list[str]) -> str:
    return "none" if "needs_care" in conditions else "full"


def household_facts(
    *, household: Household, members: list[Membership], totals: dict, facts: dict[int, list[dict]]
) -> HouseholdFacts:
    member_facts = []
    dibao_now = 0.0
    for m in members:
        income: dict[str, float] = defaultdict(float)
        grade = m.person.disability_grade or 0
        for f in facts.get(m.person_id, []):
            field = _INCOME_FIELD.get(f["category"]) if f["kind"] == "income" else None
            if field and f["amount"] is not None:
                income[field] += f["amount"]
            if f["category"] == "transfers" and f["detail"].get("programme") == "dibao":
                dibao_now += f["amount"] or 0.0
            if f["category"] == "disability" and f["detail"].get("disability_grade"):
                grade = min(grade or 4, int(f["detail"]["disability_grade"]))
        conditions = m.person.health_conditions or []
        member_facts.append(
            MemberFacts(
                birth_date=m.person.birth_date,
                relationship=m.relationship,
                joined_on=m.joined_on,
                left_on=m.left_on,
                disability_grade=grade,
                labour_capacity=m.person.labour_capacity,
                self_care=_self_care(conditions),
                serious_illness="serious" in conditions,
                person_id=m.person_id,
                name=m.person.name,
                **{k: round(v, 2) for k, v in income.items()},
            )
        )
    return HouseholdFacts(
        region_code=household.region.code,
        members=tuple(member_facts),
        rural=household.rural,
        deposits=float(totals.get("deposits") or 0) + float(totals.get("wealth_products") or 0)
        + float(totals.get("securities") or 0),
        vehicles=int(totals.get("vehicles_count") or 0),
        dwellings=int(totals.get("real_estate_count") or 0),
        business_registrations=int(totals.get("business_count") or 0),
        medical_expenses_12m=round(float(totals.get("deduction_medical") or 0) * 12, 2),
        education_expenses_12m=round(float(totals.get("deduction_education") or 0) * 12, 2),
        dibao_current_amount=round(dibao_now, 2),
        household_id=household.pk,
    )


def decide_from_verification(
    *, household: Household, members: list[Membership], totals: dict, facts: dict[int, list[dict]], on: dt.date
) -> dict:
    decision = decide_household(
        household=household_facts(household=household, members=members, totals=totals, facts=facts), on=on
    )
    return decision.as_dict()


def decide_from_report(*, report, on: dt.date) -> Decision:
    """The rules' decision for the month of ``on`` on the facts a stored report verified."""
    from safetynet.registry.selectors import household_members_at

    household = Household.objects.select_related("region").get(pk=report.household_id)
    members = household_members_at(household=household, on=report.on)
    facts = {m["person_id"]: m["facts"] for m in report.result.get("members", [])}
    return decide_household(
        household=household_facts(
            household=household, members=members, totals=report.result.get("household", {}), facts=facts
        ),
        on=on,
    )
