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
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Q

from safetynet.engine.lake import batches_in_force
from safetynet.registry.models import Household, Membership, Person
from safetynet.registry.selectors import household_members_at
from safetynet.registry.tables import MEMBERS_SCHEMA, MemberRows, members_at, support_obligations_at
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
    SupporterFacts,
    enum_code,
)
from safetynet.rules.regional import county_of
from safetynet.rules.services import decide_household
from safetynet.rules.supporter_links import (
    attach_supporters,
    household_income_and_size,
    incomes_of_households,
)
from safetynet.rules.variables.facts import LabourCapacity, SelfCare
from safetynet.rules.variables.supporters import MAX_SUPPORTERS
from safetynet.verification.compute import (
    PERSONS_SCHEMA,
    VerificationInput,
    VerificationOutput,
    certificate_grades,
    fact_detail,
    verify,
)

# A column facts may carry: each fact's person's row in the members table it was verified for
# (monitoring's facts do): the population then need not find the rows by person id.
MEMBER_ROW = "member_row"

_INCOME_FIELD = {
    "wages": "wage_income",
    "pensions": "transfer_income",
    "unemployment_benefit": "transfer_income",
    "business_income": "business_income",
    "property_income": "property_income",
}


def _self_care(conditions: list[str]) -> str:
    return "none" if "needs_care" in conditions else "full"


@dataclass(frozen=True)
class SupporterLinks:
    """Duties of support in force, one row per pair, with the supporter's household: its registry
    id, monthly income (before any disregard) and size."""

    person_id: np.ndarray
    supporter_id: np.ndarray
    relation: np.ndarray
    household_id: np.ndarray
    income: np.ndarray
    size: np.ndarray


@dataclass(frozen=True)
class SupportDuties:
    """Duties of support in force (``links``: ``person_id``, ``supporter_id``, ``relation``) and the
    members (``members_at``) of the households of the supporters not among a caller's known
    population, whose incomes are still to be verified (``to_verify``: their persons, as
    ``verify()`` takes them, without the cited rows)."""

    on: dt.date
    links: pa.Table
    outside: pa.Table

    @property
    def to_verify(self) -> VerificationInput | None:
        if not self.outside.num_rows:
            return None
        return VerificationInput(persons=self.outside.select(PERSONS_SCHEMA.names), on=self.on, detail=False)


def support_duties(*, person_ids: np.ndarray, on: dt.date, known: Population | None = None) -> SupportDuties:
    """The duties of support of ``person_ids`` in force on the 1st of ``on``'s month, and the
    members that day of the households of the supporters outside ``known``."""
    first = on.replace(day=1)
    links = support_obligations_at(on=first, person_ids=person_ids)
    supporter_id = links.column("supporter_id").to_numpy()
    known_ids = np.sort(known.extra["person_id"]) if known is not None else np.zeros(0, np.int64)
    at = np.searchsorted(known_ids, supporter_id).clip(0, max(len(known_ids) - 1, 0))
    is_known = known_ids[at] == supporter_id if len(known_ids) else np.zeros(len(supporter_id), bool)
    outside = sorted(set(supporter_id[~is_known].tolist()))
    table = MEMBERS_SCHEMA.empty_table()
    if outside:
        households = Membership.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gt=first), person_id__in=outside, joined_on__lte=first
        ).values_list("household_id", flat=True)
        table = members_at(on=first, household_ids=set(households))
    return SupportDuties(on=on, links=links, outside=table)


def supporter_links(*, person_ids: np.ndarray, on: dt.date, known: Population | None = None,
                    duties: SupportDuties | None = None, verified: VerificationOutput | None = None) -> SupporterLinks:
    """The supporters (``SupportObligation``) of ``person_ids`` in force on the 1st of ``on``'s
    month, with the household each supporter belongs to on that day. Households of ``known`` are
    read from it; the others are verified here and their incomes summed the same way (the few
    columns an income needs, not a whole population of the rules). ``duties``: the
    :func:`support_duties` already read, and ``verified``, their ``to_verify`` already verified
    (a report verifies them in the family's own lookup)."""
    duties = duties or support_duties(person_ids=person_ids, on=on, known=known)
    links, table = duties.links, duties.outside
    person_id = links.column("person_id").to_numpy()
    supporter_id = links.column("supporter_id").to_numpy()
    relation = links.column("relation").to_numpy(zero_copy_only=False)
    # Every person of the sources with their household, its income and size; the first source
    # that has a person is the one read.
    columns: list[tuple[np.ndarray, ...]] = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))]
    if known is not None:
        income, size = household_income_and_size(known)
        columns.append((known.extra["person_id"], known.household_ids[known.person_household], income, size))
    if table.num_rows:
        verified = verified or verify(duties.to_verify)
        household_ids, person_household = np.unique(table.column("household_id").to_numpy(), return_inverse=True)
        income, size = incomes_of_households(_person_incomes(table, verified.facts), person_household,
                                             len(household_ids))
        columns.append((table.column("person_id").to_numpy(), household_ids[person_household], income, size))
    pid, household, income, size = (np.concatenate(c) for c in zip(*columns, strict=True))
    known_pid, first = np.unique(pid, return_index=True)
    at = np.searchsorted(known_pid, supporter_id).clip(0, max(len(known_pid) - 1, 0))
    found = known_pid[at] == supporter_id if len(known_pid) else np.zeros(len(supporter_id), bool)
    rows = first[at[found]]
    return SupporterLinks(
        person_id=person_id[found],
        supporter_id=supporter_id[found],
        relation=relation[found],
        household_id=household[rows].astype(np.int64),
        income=income[rows].astype(np.float64),
        size=size[rows].astype(np.int32),
    )


def _per_value(values: pa.ChunkedArray, fn, dtype) -> np.ndarray:
    """``fn`` of every value, computed once per distinct value (a roll has a million rows and a
    few dozen distinct relationships or counties)."""
    encoded = values.combine_chunks().dictionary_encode(null_encoding="encode")
    mapped = np.array([fn(v) for v in encoded.dictionary.to_pylist()], dtype=dtype)
    return mapped[encoded.indices.to_numpy(zero_copy_only=False)] if len(mapped) else np.zeros(len(values), dtype)


def supporter_facts(*, household: Household, members: list[Membership], on: dt.date,
                    duties: SupportDuties | None = None, verified: VerificationOutput | None = None) -> dict:
    """:func:`supporter_links` of ``members`` as each member's ``SupporterFacts``, by person id
    (``duties`` and ``verified`` as :func:`supporter_links` takes them)."""
    links = supporter_links(person_ids=np.array([m.person_id for m in members], dtype=np.int64), on=on,
                            duties=duties, verified=verified)
    if not len(links.person_id):
        return {}
    names = dict(Person.objects.filter(pk__in=links.supporter_id.tolist()).values_list("pk", "name"))
    order = np.lexsort((links.supporter_id, links.person_id))
    out: dict[int, list[SupporterFacts]] = defaultdict(list)
    for i in order.tolist():
        pid, sid = int(links.person_id[i]), int(links.supporter_id[i])
        if sid == pid or len(out[pid]) >= MAX_SUPPORTERS:
            continue
        out[pid].append(
            SupporterFacts(
                relation=str(links.relation[i]),
                household_income=float(links.income[i]),
                household_size=int(links.size[i]),
                lives_with=int(links.household_id[i]) == household.pk,
                name=names.get(sid, ""),
                person_id=sid,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def attach_registry_supporters(population: Population, *, on: dt.date) -> int:
    """Fill ``population``'s supporter slots from the registry's duties of support in force on the
    1st of ``on``'s month (:func:`supporter_links`). Returns the pairs used."""
    person_ids = population.extra["person_id"]
    links = supporter_links(person_ids=person_ids, on=on, known=population)
    # Whether each supporter lives in the household of the person supported (compared in NumPy: a
    # city has a million persons and a few hundred thousand duties).
    order = np.argsort(person_ids)
    at = order[np.searchsorted(person_ids, links.person_id, sorter=order).clip(0, max(len(order) - 1, 0))]
    own = population.household_ids[population.person_household]
    lives_with = ((person_ids[at] == links.person_id) & (own[at] == links.household_id) if len(order)
                  else np.zeros(len(links.person_id), bool))
    return attach_supporters(
        population,
        person_ids=links.person_id,
        supporter_ids=links.supporter_id,
        income=links.income,
        size=links.size,
        lives_with=lives_with,
    )


def household_facts(
    *,
    household: Household,
    members: list[Membership],
    totals: dict,
    facts: dict[int, list[dict]],
    supporters: dict[int, tuple[SupporterFacts, ...]] | None = None,
) -> HouseholdFacts:
    supporters = supporters or {}
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
                supporters=supporters.get(m.person_id, ()),
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
    *, household: Household, members: list[Membership], totals: dict, facts: dict[int, list[dict]], on: dt.date,
    supporters: dict[int, tuple[SupporterFacts, ...]] | None = None,
) -> dict:
    """The rules' decision on a verified household; ``supporters``: its members' :func:`supporter_facts`
    if the caller has them (read here otherwise)."""
    if supporters is None:
        supporters = supporter_facts(household=household, members=members, on=on)
    decision = decide_household(
        household=household_facts(
            household=household,
            members=members,
            totals=totals,
            facts=facts,
            supporters=supporters,
        ),
        on=on,
    )
    return decision.as_dict()


def decide_from_report(*, report, on: dt.date) -> Decision:
    """The rules' decision for the month of ``on`` on the facts a stored report verified."""
    household = Household.objects.select_related("region").get(pk=report.household_id)
    members = household_members_at(household=household, on=report.on)
    facts = {m["person_id"]: m["facts"] for m in report.result.get("members", [])}
    return decide_household(
        household=household_facts(
            household=household,
            members=members,
            totals=report.result.get("household", {}),
            facts=facts,
            supporters=supporter_facts(household=household, members=members, on=on),
        ),
        on=on,
    )


def _category(facts: pa.Table, *names: str) -> np.ndarray:
    """Which facts are of one of the categories ``names`` (compared in Arrow: millions of facts)."""
    return pc.is_in(facts.column("category"), pa.array(names, pa.string())).to_numpy(zero_copy_only=False)


def _fact_rows(members: pa.Table, facts: pa.Table) -> np.ndarray:
    """Each fact's person's row in ``members``: the facts' ``MEMBER_ROW`` where they carry it."""
    if MEMBER_ROW in facts.column_names:
        return facts.column(MEMBER_ROW).to_numpy()
    return MemberRows(members.column("person_id").to_numpy()).rows(facts.column("person_id").to_numpy())


def _person_incomes(members: pa.Table, facts: pa.Table, *, fact_person: np.ndarray | None = None
                    ) -> dict[str, np.ndarray]:
    """Each person's (row of ``members``) monthly income per statistical category from the income
    facts (``_INCOME_FIELD``), rounded to the fen. ``fact_person``: each fact's person row, if known."""
    if fact_person is None:
        fact_person = _fact_rows(members, facts)
    n_p = members.num_rows
    is_income = pc.equal(facts.column("kind"), "income").to_numpy(zero_copy_only=False)
    amount = np.nan_to_num(facts.column("amount").to_numpy(zero_copy_only=False).astype(float))
    out = {}
    for kind in {*_INCOME_FIELD.values()}:
        rows = is_income & _category(facts, *(c for c, f in _INCOME_FIELD.items() if f == kind))
        out[kind] = np.round(np.bincount(fact_person[rows], weights=amount[rows], minlength=n_p), 2)
    return out


def population_from_verification(
    *, members: pa.Table, verified: VerificationOutput, supporters_on: dt.date | None = None
) -> Population:
    """:func:`household_facts` for many households at once, as the rules' column population.

    ``members`` is :func:`safetynet.registry.tables.members_at`'s table; ``verified`` the output of
    ``verify()`` over exactly those persons, keyed by the same ``household_id``. Same mapping as
    the single household: income kinds onto the statistical categories, the current 低保 amount
    from the roll's ``transfers`` facts, the more severe of the registry's disability grade and a
    valid certificate's. With ``supporters_on``, the registry's duties of support in force then
    fill the supporter slots (:func:`attach_registry_supporters`), as the single household's
    :func:`supporter_facts` do."""
    household_ids, person_household = np.unique(members.column("household_id").to_numpy(), return_inverse=True)
    n_h, n_p = len(household_ids), members.num_rows
    first = np.unique(person_household, return_index=True)[1]
    facts = verified.facts
    fact_person = _fact_rows(members, facts)

    def category(*names: str) -> np.ndarray:
        return _category(facts, *names)

    amount = np.nan_to_num(facts.column("amount").to_numpy(zero_copy_only=False).astype(float))

    persons = {c: np.zeros(n_p, dtype=t) for c, t in PERSON_COLUMNS.items()}
    persons |= _person_incomes(members, facts, fact_person=fact_person)
    registry_grade = members.column("disability_grade").to_numpy()
    certificate = certificate_grades(facts, fact_person, n_p)
    persons["disability_grade"] = np.where(
        certificate > 0, np.minimum(np.where(registry_grade > 0, registry_grade, 4), certificate), registry_grade
    ).astype(np.int32)
    persons["birth_date"] = members.column("birth_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["joined_on"] = members.column("joined_on").fill_null(ALWAYS).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["left_on"] = members.column("left_on").fill_null(NEVER).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    persons["died_on"] = members.column("death_date").fill_null(NEVER).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    names = [item.name for item in LabourCapacity]
    persons["labour_capacity"] = _per_value(members.column("labour_capacity"),
                                            lambda v: names.index(v) if v in names else 0, np.int16)
    persons["self_care"] = np.where(members.column("needs_care").to_numpy(zero_copy_only=False),
                                    enum_code(SelfCare, "none", "self_care"), enum_code(SelfCare, "full", "self_care"))
    persons["serious_illness"] = members.column("serious_illness").to_numpy(zero_copy_only=False)
    # No officer's finding of an able supporter in the registry: supporters living together are found
    # by the rules from family roles; those living elsewhere (SupportObligation) are attached by
    # population_from_registry from the same population.
    persons["has_capable_supporter"][:] = False

    dibao_fact = category("transfers") & pc.equal(fact_detail(facts, "programme"), "dibao").fill_null(False).to_numpy(
        zero_copy_only=False)

    totals = verified.households
    at = np.searchsorted(totals.column("household_id").to_numpy(), household_ids)

    def total(name: str) -> np.ndarray:
        return totals.column(name).to_numpy().astype(float)[at]

    regions = members.column("region_code").to_numpy(zero_copy_only=False)[first]
    households = {c: np.zeros(n_h, dtype=t) for c, t in HOUSEHOLD_COLUMNS.items()}
    households["county_code"] = _per_value(members.column("region_code").take(pa.array(first)), county_of, np.int32)
    households["rural"] = members.column("rural").to_numpy(zero_copy_only=False)[first]
    households["deposits"] = total("deposits") + total("wealth_products") + total("securities")
    households["vehicles"] = total("vehicles_count").astype(np.int32)
    households["dwellings"] = total("real_estate_count").astype(np.int32)
    households["business_registrations"] = total("business_count").astype(np.int32)
    medical = category("medical_out_of_pocket")
    persons["own_medical_expenses_12m"] = np.round(
        np.bincount(fact_person[medical], weights=amount[medical] * 12, minlength=n_p), 2)
    households["education_expenses_12m"] = np.round(total("deduction_education") * 12, 2)
    households["dibao_current_amount"] = np.round(np.bincount(
        person_household[fact_person[dibao_fact]], weights=amount[dibao_fact], minlength=n_h), 2)
    population = Population(
        household_ids=household_ids,
        households=households,
        person_household=person_household,
        person_role=_per_value(members.column("relationship"),
                               lambda r: ROLE_KEYS.index(RELATIONSHIP_ROLE.get(r, "other")), np.int16),
        persons=persons,
        extra={"household_number": members.column("household_number").to_numpy(zero_copy_only=False)[first],
               "region_code": regions, "person_id": members.column("person_id").to_numpy()},
    )
    if supporters_on is not None:
        attach_registry_supporters(population, on=supporters_on)
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
    population = population_from_verification(members=members, verified=verified, supporters_on=on)
    return population, missing
