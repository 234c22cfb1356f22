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

import numpy as np
import pyarrow as pa

from safetynet.engine.lake import batches_in_force
from safetynet.registry.models import Household, Membership
from safetynet.registry.selectors import household_members_at
from safetynet.registry.tables import MemberRows, members_at
from safetynet.rules.decision import Decision
from safetynet.rules.entities import RELATIONSHIP_ROLE, ROLE_KEYS
from safetynet.rules.facts import (
    ALWAYS,
    HOUSEHOLD_COLUMNS,
    NEVER,
    PERSON_COLUMNS,
    HouseholdFacts,
    MemberFacts,
    Population,
    enum_code,
)
from safetynet.rules.regional import county_of
from safetynet.rules.services import decide_household
from safetynet.rules.variables.facts import LabourCapacity, SelfCare
from safetynet.verification.compute import (
    PERSONS_SCHEMA,
    VerificationInput,
    VerificationOutput,
    certificate_grades,
    fact_detail,
    verify,
)

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
        medical = 0.0
        for f in facts.get(m.person_id, []):
            field = _INCOME_FIELD.get(f["category"]) if f["kind"] == "income" else None
            if field and f["amount"] is not None:
                income[field] += f["amount"]
            if f["category"] == "medical_out_of_pocket" and f["amount"] is not None:
                medical += f["amount"] * 12  # the fact is the monthly share of the 12 months' costs
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
                died_on=m.person.death_date,
                disability_grade=grade,
                labour_capacity=m.person.labour_capacity,
                self_care=_self_care(conditions),
                serious_illness="serious" in conditions,
                person_id=m.person_id,
                name=m.person.name,
                own_medical_expenses_12m=round(medical, 2),
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
        medical_expenses_12m=0.0,  # every stay is a member's own (own_medical_expenses_12m)
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
    household = Household.objects.select_related("region").get(pk=report.household_id)
    members = household_members_at(household=household, on=report.on)
    facts = {m["person_id"]: m["facts"] for m in report.result.get("members", [])}
    return decide_household(
        household=household_facts(
            household=household, members=members, totals=report.result.get("household", {}), facts=facts
        ),
        on=on,
    )


def population_from_verification(*, members: pa.Table, verified: VerificationOutput) -> Population:
    """:func:`household_facts` for many households at once, as the rules' column population.

    ``members`` is :func:`safetynet.registry.tables.members_at`'s table; ``verified`` the output of
    ``verify()`` over exactly those persons, keyed by the same ``household_id``. Same mapping as
    the single household: income kinds onto the statistical categories, the current 低保 amount
    from the roll's ``transfers`` facts, the more severe of the registry's disability grade and a
    valid certificate's."""
    household_ids, person_household = np.unique(members.column("household_id").to_numpy(), return_inverse=True)
    n_h, n_p = len(household_ids), members.num_rows
    first = np.unique(person_household, return_index=True)[1]
    facts = verified.facts
    fact_person = MemberRows(members.column("person_id").to_numpy()).rows(facts.column("person_id").to_numpy())
    category = facts.column("category").to_numpy(zero_copy_only=False)
    is_income = facts.column("kind").to_numpy(zero_copy_only=False) == "income"
    amount = np.nan_to_num(facts.column("amount").to_numpy(zero_copy_only=False).astype(float))

    persons = {c: np.zeros(n_p, dtype=t) for c, t in PERSON_COLUMNS.items()}
    for kind in {*_INCOME_FIELD.values()}:
        rows = is_income & np.isin(category, [c for c, f in _INCOME_FIELD.items() if f == kind])
        persons[kind] = np.round(np.bincount(fact_person[rows], weights=amount[rows], minlength=n_p), 2)
    registry_grade = members.column("disability_grade").to_numpy()
    certificate = certificate_grades(facts, fact_person, n_p)
    persons["disability_grade"] = np.where(
        certificate > 0, np.minimum(np.where(registry_grade > 0, registry_grade, 4), certificate), registry_grade
    ).astype(np.int32)
    persons["birth_date"] = members.column("birth_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["joined_on"] = members.column("joined_on").fill_null(ALWAYS).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["left_on"] = members.column("left_on").fill_null(NEVER).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["died_on"] = members.column("death_date").fill_null(NEVER).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    labour = members.column("labour_capacity").to_numpy(zero_copy_only=False)
    persons["labour_capacity"] = np.select([labour == item.name for item in LabourCapacity],
                                           range(len(LabourCapacity)), 0).astype(np.int16)
    persons["self_care"] = np.where(members.column("needs_care").to_numpy(zero_copy_only=False),
                                    enum_code(SelfCare, "none", "self_care"), enum_code(SelfCare, "full", "self_care"))
    persons["serious_illness"] = members.column("serious_illness").to_numpy(zero_copy_only=False)
    # No officer's finding of an able supporter in the registry: supporters living together are found
    # by the rules from family roles; those living elsewhere are facts the registry does not hold yet.
    persons["has_capable_supporter"][:] = False

    dibao_fact = (category == "transfers") & (fact_detail(facts, "programme").fill_null("").to_numpy(
        zero_copy_only=False) == "dibao")

    totals = verified.households
    at = np.searchsorted(totals.column("household_id").to_numpy(), household_ids)

    def total(name: str) -> np.ndarray:
        return totals.column(name).to_numpy().astype(float)[at]

    regions = members.column("region_code").to_numpy(zero_copy_only=False)[first]
    households = {c: np.zeros(n_h, dtype=t) for c, t in HOUSEHOLD_COLUMNS.items()}
    households["county_code"] = np.array([county_of(c) for c in regions], dtype=np.int32)
    households["rural"] = members.column("rural").to_numpy(zero_copy_only=False)[first]
    households["deposits"] = total("deposits") + total("wealth_products") + total("securities")
    households["vehicles"] = total("vehicles_count").astype(np.int32)
    households["dwellings"] = total("real_estate_count").astype(np.int32)
    households["business_registrations"] = total("business_count").astype(np.int32)
    medical = category == "medical_out_of_pocket"
    persons["own_medical_expenses_12m"] = np.round(
        np.bincount(fact_person[medical], weights=amount[medical] * 12, minlength=n_p), 2)
    households["education_expenses_12m"] = np.round(total("deduction_education") * 12, 2)
    households["dibao_current_amount"] = np.round(np.bincount(
        person_household[fact_person[dibao_fact]], weights=amount[dibao_fact], minlength=n_h), 2)
    relationship = members.column("relationship").to_numpy(zero_copy_only=False)
    population = Population(
        household_ids=household_ids,
        households=households,
        person_household=person_household,
        person_role=np.array([ROLE_KEYS.index(RELATIONSHIP_ROLE.get(r, "other")) for r in relationship], np.int16),
        persons=persons,
        extra={"household_number": members.column("household_number").to_numpy(zero_copy_only=False)[first],
               "region_code": regions, "person_id": members.column("person_id").to_numpy()},
    )
    population.validate()
    return population


def population_from_registry(on: dt.date) -> tuple[Population, list[str]]:
    """Every household with at least one member on the 1st of ``on``'s month, as the rules'
    population, and the sources that had no batch in force at ``on``.

    Members are those in their household on the 1st (:func:`members_at`); their income and assets
    are the verified facts in force at ``on`` (``verify()`` over the lake's batches, linked by ID
    number), mapped as a single household's report is (:func:`population_from_verification`). A
    source with no batch in force counts as zero and is named."""
    members = members_at(on=on.replace(day=1))
    missing = [source for source, batches in batches_in_force(on=on).items() if not batches]
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=on))
    return population_from_verification(members=members, verified=verified), missing
