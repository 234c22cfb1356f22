"""Hand-worked households shared by the tests. Amounts are worked out in the comments of the tests
from the YAML parameters: 示范市 urban 低保 900 (2025-01) → 930 (2025-07), rural 700 → 730; 西区
(990102) urban 950 → 980; 东区 (990101) adds 60 yuan per assessed member from 2025-01."""

import datetime as dt

from safetynet.rules.facts import HouseholdFacts, MemberFacts

EAST = "990101001001"
WEST = "990102001001"
NORTH = "990103001001"  # a county with no parameters of its own: the city's apply


def born(age: int, on: dt.date = dt.date(2025, 3, 1)) -> dt.date:
    return dt.date(on.year - age, 1, 1)


def adult(age: int = 40, **kw) -> MemberFacts:
    return MemberFacts(birth_date=born(age), relationship=kw.pop("relationship", "head"), **kw)


def family_of_three_west() -> HouseholdFacts:
    return HouseholdFacts(
        region_code=WEST,
        members=(
            adult(45, wage_income=1200, name="张伟"),
            adult(43, relationship="spouse", name="李芳"),
            MemberFacts(birth_date=born(10), relationship="child", name="张小明"),
        ),
    )
