"""Supporters living in other households: the demo city records each grown child who left home as
the 赡养 obligor of the parents they left; the registry→rules path weighs the child's own
household, the same on the population path and one household at a time, and 特困 shows in the
demo's decisions."""

import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from safetynet.demo.population import REFERENCE_DATE
from safetynet.registry.models import Household, Membership, SupportObligation
from safetynet.registry.selectors import household_members_at
from safetynet.registry.tables import members_at
from safetynet.rules.services import decide_population
from safetynet.verification.compute import PERSONS_SCHEMA, VerificationInput, verify
from safetynet.verification.rules_bridge import (
    decide_from_verification,
    population_from_registry,
    population_from_verification,
    supporter_facts,
)


@pytest.fixture
def city(lake, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", "--no-serve", "--households", "150", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_supporters_come_from_the_registry_with_their_own_household(city):
    links = list(SupportObligation.objects.select_related("person", "supporter"))
    assert links
    for link in links[:50]:
        # the supporter once lived in the household the supported person heads (or is spouse in)
        left = Membership.objects.filter(
            person=link.supporter, left_on__isnull=False, leave_reason="分户迁出"
        )
        theirs = Membership.objects.filter(person=link.person, left_on__isnull=True).values_list(
            "household_id"
        )
        assert left.filter(household_id__in=theirs).exists()
        assert link.relation == "child"

    # the population path: a supported person's slot holds the supporter's household, summed by hand
    members = members_at(on=REFERENCE_DATE)
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=REFERENCE_DATE))
    plain = population_from_verification(members=members, verified=verified)
    linked = population_from_verification(members=members, verified=verified, supporters_on=REFERENCE_DATE)
    assert int((linked.persons["supporter1_household_size"] > 0).sum()) > 0
    assert int((plain.persons["supporter1_household_size"] > 0).sum()) == 0
    link = links[0]
    row = int(np.flatnonzero(linked.extra["person_id"] == link.person_id)[0])
    sup_row = int(np.flatnonzero(linked.extra["person_id"] == link.supporter_id)[0])
    sup_household = linked.person_household[sup_row]
    in_household = linked.person_household == sup_household
    by_hand = sum(
        float(linked.persons[k][in_household].sum())
        for k in ("wage_income", "business_income", "property_income", "transfer_income", "other_income")
    )
    slots = [k for k in range(1, 5) if linked.persons[f"supporter{k}_household_size"][row] > 0]
    assert any(
        linked.persons[f"supporter{k}_household_size"][row] == in_household.sum()
        and abs(linked.persons[f"supporter{k}_income"][row] - by_hand) < 0.006
        for k in slots
    )

    # the single-household path gives each member the same supporters
    household = Household.objects.get(
        memberships__person_id=link.person_id, memberships__left_on__isnull=True
    )
    single = supporter_facts(
        household=household,
        members=household_members_at(household=household, on=REFERENCE_DATE),
        on=REFERENCE_DATE,
    )
    mine = single[link.person_id]
    assert len(mine) == len(slots)
    assert sorted(s.household_income for s in mine) == sorted(
        float(linked.persons[f"supporter{k}_income"][row]) for k in slots
    )


@pytest.mark.django_db(transaction=True)
def test_both_paths_decide_alike_with_supporters_and_the_demo_shows_tekun(city):
    population, _missing = population_from_registry(REFERENCE_DATE)
    bulk = decide_population(table=population, on=REFERENCE_DATE)
    assert int(bulk["tekun_persons"].sum()) > 0  # 特困 appears in the demo city's decisions
    members = members_at(on=REFERENCE_DATE)
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=REFERENCE_DATE))
    without = decide_population(
        table=population_from_verification(members=members, verified=verified), on=REFERENCE_DATE
    )
    # able supporters elsewhere take some elders out of 特困, never into it
    assert int(bulk["tekun_persons"].sum()) <= int(without["tekun_persons"].sum())
    totals = {row["household_id"]: row for row in verified.households.to_pylist()}
    facts: dict[int, dict[int, list[dict]]] = {}
    for f in verified.facts.to_pylist():
        facts.setdefault(f["household_id"], {}).setdefault(f["person_id"], []).append(
            {**f, "detail": json.loads(f["detail"])}
        )
    position = {int(h): i for i, h in enumerate(bulk["household_id"])}
    supported = set(SupportObligation.objects.values_list("person__memberships__household_id", flat=True))
    checked = 0
    for household in Household.objects.filter(pk__in=supported).select_related("region").order_by("id")[:40]:
        if household.pk not in position:
            continue
        members_now = household_members_at(household=household, on=REFERENCE_DATE)
        single = decide_from_verification(
            household=household,
            members=members_now,
            totals=totals[household.pk],
            facts=facts.get(household.pk, {}),
            on=REFERENCE_DATE,
        )["programmes"]
        i = position[household.pk]
        for programme, column in (("dibao", "dibao_amount"), ("tekun", "tekun_household_amount")):
            assert round(float(bulk[column][i]), 2) == single[programme]["amount"], (
                household.number,
                programme,
            )
        checked += 1
    assert checked > 0
