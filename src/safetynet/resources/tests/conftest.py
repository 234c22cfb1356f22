import datetime as dt
from dataclasses import dataclass

import pytest

from safetynet.accounts.models import User
from safetynet.core.testing import Role, make_household, make_person, make_user
from safetynet.registry.models import Household
from safetynet.registry.services import household_add_member
from safetynet.resources.models import Provider, ProviderKind, Resource
from safetynet.resources.services import provider_create, resource_propose


@pytest.fixture(autouse=True)
def _lake(lake):
    """An empty lake: every household's verified facts are 'nothing found' (no income, no assets)."""
    return lake


@dataclass
class People:
    worker: User
    street: User
    county: User
    admin: User
    provider: User
    citizen: User
    west_street: User


@pytest.fixture
def people(tree, family) -> People:
    head = family.memberships.order_by("id").first().person
    return People(
        worker=make_user(Role.COMMUNITY_WORKER, tree.east_community),
        street=make_user(Role.STREET_OFFICER, tree.east_street),
        county=make_user(Role.COUNTY_APPROVER, tree.east),
        admin=make_user(Role.ADMIN, tree.city),
        provider=make_user(Role.PROVIDER, tree.city),
        citizen=make_user(Role.CITIZEN, tree.east_community, person=head),
        west_street=make_user(Role.STREET_OFFICER, tree.west_street),
    )


@pytest.fixture
def family(tree) -> Household:
    """The issue's family: a mother, a son with a severe disability, a daughter in middle school."""
    household = make_household(tree.east_community, members=1)
    today = dt.date.today()
    son = make_person(tree.east_community, birth_date=today.replace(year=today.year - 20), sex="M",
                      disability_category="physical", disability_grade=1)
    daughter = make_person(tree.east_community, birth_date=today.replace(year=today.year - 13), sex="F")
    for p in (son, daughter):
        household_add_member(actor=None, household=household, person=p, relationship="child",
                             joined_on=dt.date(2015, 1, 1))
    return household


def add_resource(provider: Provider, code: str, *, meets: dict, capacity: int = 5, cost: int = 10_000,
                 budget: int | None = None, conditions=(), exclusive=(), requires=(), area=None) -> Resource:
    resource_propose(provider_id=provider.pk, actor=None, user_checked=False, data={
        "code": code, "name": f"资源{code}", "kind": "cash", "unit_cost_fen": cost, "capacity": capacity,
        "budget_fen": budget, "service_area": (area or provider.region).code, "meets": meets,
        "conditions": list(conditions), "exclusive_with": list(exclusive), "requires": list(requires)})
    return Resource.objects.get(code=code)


@dataclass
class Catalogue:
    department: Provider
    charity: Provider
    grant: Resource
    rehab: Resource
    care: Resource
    cash: Resource


@pytest.fixture
def catalogue(tree, people) -> Catalogue:
    department = provider_create(code="edu", name="市教育局", kind=ProviderKind.DEPARTMENT, region=tree.city, actor=None)
    charity = provider_create(code="charity", name="东区助残服务社", kind=ProviderKind.SOCIAL_ORG, region=tree.east,
                              actor=None)
    charity.staff.add(people.provider)
    dibao = {"variable": "dibao_eligible", "op": "eq", "value": 1}
    return Catalogue(
        department=department,
        charity=charity,
        grant=add_resource(department, "grant", meets={"education": 80}, conditions=[dibao]),
        rehab=add_resource(charity, "rehab", meets={"disability_care": 70}),
        care=add_resource(charity, "care", meets={"disability_care": 100}, capacity=1, exclusive=["rehab"]),
        cash=add_resource(department, "cash", meets={"basic_living": 50}, capacity=3, budget=20_000),
    )


__all__ = ["add_resource", "make_household"]
