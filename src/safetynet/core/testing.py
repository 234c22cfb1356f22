"""Factories for tests: a small region tree, accounts of every role, persons and households.

Deterministic and built through the real services, so tests exercise the same validation the
application does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from safetynet.accounts.models import User
from safetynet.core.roles import Role
from safetynet.regions.models import Level, Region
from safetynet.regions.services import RegionSpec, region_bulk_create
from safetynet.registry.idnumber import make_resident_id
from safetynet.registry.models import Household, Person
from safetynet.registry.services import household_add_member, household_create, person_create

PASSWORD = "safetynet-test-pw"

_seq = itertools.count(1)


@dataclass
class Tree:
    """示范省 › 示范市 › two counties (东区, 西区) › two streets each › two communities each."""

    province: Region
    city: Region
    east: Region
    west: Region
    east_street: Region
    west_street: Region
    east_community: Region
    east_community_2: Region
    west_community: Region


def make_region_tree() -> Tree:
    specs = [
        RegionSpec("990000000000", "示范省", Level.PROVINCE, None),
        RegionSpec("990100000000", "示范市", Level.CITY, "990000000000"),
    ]
    for county_no, county in ((1, "东区"), (2, "西区")):
        ccode = f"9901{county_no:02d}000000"
        specs.append(RegionSpec(ccode, county, Level.COUNTY, "990100000000"))
        for street_no in (1, 2):
            scode = f"9901{county_no:02d}{street_no:03d}000"
            specs.append(RegionSpec(scode, f"{county}第{street_no}街道", Level.STREET, ccode))
            for comm_no in (1, 2):
                specs.append(
                    RegionSpec(f"{scode[:9]}{comm_no:03d}", f"{county}{street_no}街{comm_no}社区", Level.COMMUNITY, scode)
                )
    region_bulk_create(specs=specs)
    r = {x.code: x for x in Region.objects.all()}
    return Tree(
        province=r["990000000000"],
        city=r["990100000000"],
        east=r["990101000000"],
        west=r["990102000000"],
        east_street=r["990101001000"],
        west_street=r["990102001000"],
        east_community=r["990101001001"],
        east_community_2=r["990101001002"],
        west_community=r["990102001001"],
    )


def make_user(role: str, region: Region | None, *, username: str | None = None, person: Person | None = None) -> User:
    username = username or f"{role}-{next(_seq)}"
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, region=region, display_name=username, person=person
    )


def make_person(
    region: Region,
    *,
    birth_date: dt.date = dt.date(1980, 5, 17),
    sex: str = "F",
    name: str | None = None,
    sequence: int | None = None,
    **extra,
) -> Person:
    """A registered person; the ID number's sequence code is ``sequence`` when given (a test that
    edits the number's digits needs them fixed), else the next free one of the process's counter,
    which depends on the tests run before."""
    n = next(_seq)
    id_number = make_resident_id(region.code[:6], birth_date, n % 500 if sequence is None else sequence, sex)
    while sequence is None and Person.objects.filter(id_number=id_number).exists():
        n = next(_seq)
        id_number = make_resident_id(region.code[:6], birth_date, n % 500, sex)
    return person_create(
        actor=None,
        hukou_region=region,
        residence_region=region,
        phone=f"138{n:08d}",
        id_number=id_number,
        name=name or f"测试{n}",
        **extra,
    )


def make_household(region: Region, *, members: int = 2, joined_on: dt.date = dt.date(2015, 1, 1)) -> Household:
    household = household_create(actor=None, number=f"H{region.code}{next(_seq):06d}", region=region)
    for i in range(members):
        person = make_person(region, birth_date=dt.date(1970 + i * 10, 3, 1), sex="M" if i % 2 else "F")
        household_add_member(
            actor=None,
            household=household,
            person=person,
            relationship="head" if i == 0 else "child",
            joined_on=joined_on,
        )
    return household


__all__ = ["PASSWORD", "Role", "Tree", "make_household", "make_person", "make_region_tree", "make_user"]
