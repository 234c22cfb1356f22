"""What the rules are given: the facts of one household (:class:`HouseholdFacts`), or of a whole
population as column arrays (:class:`Population`). One household becomes a population of one, so
both paths run the same formulas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from safetynet.rules.entities import RELATIONSHIP_ROLE, ROLE_KEYS
from safetynet.rules.errors import InvalidFacts
from safetynet.rules.regional import county_of
from safetynet.rules.validation import validate_facts
from safetynet.rules.variables.facts import LabourCapacity, SelfCare, TemporaryCase
from safetynet.rules.variables.supporters import MAX_SUPPORTERS
from safetynet.rules.variables.supporters import SLOTS as SUPPORTER_SLOTS

INCOME_KINDS = ("wage_income", "business_income", "property_income", "transfer_income", "other_income")
#: Incomes the law lets a region leave out of the household's income (each by its own parameter).
EXEMPT_INCOME_KINDS = ("award_income", "compensation_income", "special_care_income")

#: Person input columns and their dtypes.
PERSON_COLUMNS: dict[str, str] = {
    "birth_date": "datetime64[D]",
    "joined_on": "datetime64[D]",
    "left_on": "datetime64[D]",
    "died_on": "datetime64[D]",
    "disability_grade": "int32",
    "labour_capacity": "int16",
    "self_care": "int16",
    "serious_illness": "bool",
    "has_capable_supporter": "bool",
    **{kind: "float64" for kind in INCOME_KINDS},
    "own_medical_expenses_12m": "float64",
    **{kind: "float64" for kind in EXEMPT_INCOME_KINDS},
    "work_exempt": "bool",
    **{
        f"supporter{k}_{what}": dtype
        for k in SUPPORTER_SLOTS
        for what, dtype in (("income", "float64"), ("household_size", "int32"), ("lives_with", "bool"))
    },
}

#: Household input columns and their dtypes.
HOUSEHOLD_COLUMNS: dict[str, str] = {
    "county_code": "int32",
    "rural": "bool",
    "deposits": "float64",
    "vehicles": "int32",
    "dwellings": "int32",
    "business_registrations": "int32",
    "medical_expenses_12m": "float64",
    "education_expenses_12m": "float64",
    "dibao_current_amount": "float64",
    "gradual_exit_months_used": "int32",
    "temporary_case": "int16",
    "vehicle_value": "float64",
    "disability_vehicles": "int32",
    "disability_vehicle_value": "float64",
    "dwelling_area": "float64",
}

#: Columns added after the first release, with the value a table without them is read as (a feed
#: written before they existed states none of these facts): filled in by :class:`Population`.
DEFAULTED_COLUMNS: dict[str, object] = {
    **{kind: 0.0 for kind in EXEMPT_INCOME_KINDS},
    "work_exempt": False,
    "vehicle_value": 0.0,
    "disability_vehicles": 0,
    "disability_vehicle_value": 0.0,
    "dwelling_area": 0.0,
}

#: Enum-coded columns: column → the Enum whose member order gives the codes.
ENUM_COLUMNS = {"labour_capacity": LabourCapacity, "self_care": SelfCare, "temporary_case": TemporaryCase}

NEVER = dt.date(2999, 12, 31)
ALWAYS = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class SupporterFacts:
    """A 法定赡养、抚养、扶养义务人 of a member: a child, spouse, parent… with the monthly income and
    the size of their own household (the member's household when ``lives_with``)."""

    relation: str
    household_income: float
    household_size: int = 1
    lives_with: bool = False
    name: str = ""
    person_id: int | None = None


@dataclass(frozen=True)
class MemberFacts:
    """One member as of the decision. Incomes are monthly, in yuan; ``disability_grade`` 0 is none.
    A member counts for a month when present on its 1st: the join date defaults to the birth date
    and the leave date to the death date (see the ``present`` variable)."""

    birth_date: dt.date
    relationship: str = "other"
    joined_on: dt.date | None = None
    left_on: dt.date | None = None
    died_on: dt.date | None = None
    disability_grade: int = 0
    labour_capacity: str = "full"
    self_care: str = "full"
    serious_illness: bool = False
    #: an officer's finding of an able supporter beyond ``supporters`` (e.g. one with large assets)
    has_capable_supporter: bool = False
    supporters: tuple[SupporterFacts, ...] = ()
    wage_income: float = 0.0
    business_income: float = 0.0
    property_income: float = 0.0
    transfer_income: float = 0.0
    other_income: float = 0.0
    own_medical_expenses_12m: float = 0.0
    #: 奖励性收入 (scholarships, awards for bravery…), monthly yuan
    award_income: float = 0.0
    #: a one-off compensation or death benefit (一次性补偿、抚恤), spread per month, yuan
    compensation_income: float = 0.0
    #: 优抚对象 pensions and allowances (优待抚恤金), monthly yuan
    special_care_income: float = 0.0
    #: found unable to take work for now (a student, caring for a severely ill or disabled member…):
    #: no income is imputed
    work_exempt: bool = False
    person_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class HouseholdFacts:
    """One household's facts. ``region_code`` is the 12-digit code of where it lives (any level
    from county down); assets are totals, expenses the last 12 months' totals."""

    region_code: str
    members: tuple[MemberFacts, ...]
    rural: bool = False
    deposits: float = 0.0
    #: motor vehicles, all of them, and their total assessed value (yuan); of which
    #: ``disability_vehicles`` are 残疾人功能性补偿代步机动车 (exempt), worth ``disability_vehicle_value``
    vehicles: int = 0
    vehicle_value: float = 0.0
    disability_vehicles: int = 0
    disability_vehicle_value: float = 0.0
    dwellings: int = 1
    #: total building area of the household's dwellings (m²)
    dwelling_area: float = 0.0
    business_registrations: int = 0
    medical_expenses_12m: float = 0.0
    education_expenses_12m: float = 0.0
    dibao_current_amount: float = 0.0
    gradual_exit_months_used: int = 0
    temporary_case: str = "none"
    household_id: int | None = None


@dataclass
class Population:
    """Column arrays for many households: ``households[col][i]`` and ``persons[col][j]``, with
    ``person_household[j]`` the household index of person ``j`` and ``person_role[j]`` the index
    of their family role in :data:`ROLE_KEYS`. ``household_ids`` are the callers' own ids;
    ``extra["person_id"]``, when given, the callers' person ids (−1 for none)."""

    household_ids: np.ndarray
    households: dict[str, np.ndarray]
    person_household: np.ndarray
    person_role: np.ndarray
    persons: dict[str, np.ndarray]
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cols, data, n in (
            (HOUSEHOLD_COLUMNS, self.households, len(self.household_ids)),
            (PERSON_COLUMNS, self.persons, len(self.person_household)),
        ):
            for col, default in DEFAULTED_COLUMNS.items():
                if col in cols and col not in data:
                    data[col] = np.full(n, default, dtype=cols[col])

    @property
    def household_count(self) -> int:
        return len(self.household_ids)

    @property
    def person_count(self) -> int:
        return len(self.person_household)

    def validate(self) -> None:
        """The table's shape, then every fact (:func:`~safetynet.rules.validation.validate_facts`):
        all bad rows are reported at once."""
        n_h, n_p = self.household_count, self.person_count
        for cols, data, n, what in (
            (HOUSEHOLD_COLUMNS, self.households, n_h, "household"),
            (PERSON_COLUMNS, self.persons, n_p, "person"),
        ):
            missing = sorted(set(cols) - set(data))
            if missing:
                raise InvalidFacts(_("缺少字段：%(cols)s") % {"cols": "、".join(missing)}, columns=missing)
            for col in cols:
                if len(data[col]) != n:
                    raise InvalidFacts(
                        _("字段 %(col)s 的长度与%(what)s数不符") % {"col": col, "what": what}, column=col
                    )
        if len(self.person_role) != n_p:
            raise InvalidFacts(_("字段 person_role 的长度与成员数不符"), column="person_role")
        if n_p and (self.person_household.min() < 0 or self.person_household.max() >= n_h):
            raise InvalidFacts(_("成员所属家庭的序号越界"))
        validate_facts(self)

    @classmethod
    def from_facts(cls, facts: list[HouseholdFacts]) -> Population:
        """Column arrays of ``facts``, checked by the same validator as any population: a value that
        cannot be read (``None``, text, an unknown category) becomes a marker the validator refuses."""
        households: dict[str, list] = {col: [] for col in HOUSEHOLD_COLUMNS}
        persons: dict[str, list] = {col: [] for col in PERSON_COLUMNS}
        person_household: list[int] = []
        person_role: list[int] = []
        person_ids: list[int] = []
        for index, household in enumerate(facts):
            row = _household_row(household)
            for col in HOUSEHOLD_COLUMNS:
                households[col].append(row[col])
            for member in household.members:
                person_household.append(index)
                role = RELATIONSHIP_ROLE.get(member.relationship)
                person_role.append(ROLE_KEYS.index(role) if role else -1)
                person_ids.append(_id(member.person_id, -1))
                mrow = _member_row(member)
                for col in PERSON_COLUMNS:
                    persons[col].append(mrow[col])
        population = cls(
            household_ids=np.array(
                [_id(f.household_id, i) for i, f in enumerate(facts)],
                dtype=np.int64,
            ),
            households={c: np.array(v, dtype=HOUSEHOLD_COLUMNS[c]) for c, v in households.items()},
            person_household=np.array(person_household, dtype=np.int64),
            person_role=np.array(person_role, dtype=np.int16),
            persons={c: np.array(v, dtype=PERSON_COLUMNS[c]) for c, v in persons.items()},
            extra={"person_id": np.array(person_ids, dtype=np.int64)},
        )
        population.validate()
        return population


def enum_code(enum, name: str, field_name: str) -> int:
    names = [item.name for item in enum]
    if name not in names:
        raise InvalidFacts(
            _("%(field)s 的取值 %(value)s 无效，应为：%(allowed)s")
            % {"field": field_name, "value": name, "allowed": "、".join(names)},
            field=field_name,
        )
    return names.index(name)


def _code(enum, name) -> int:
    """The enum code of ``name``, or −1 (refused by the validator) for an unknown one."""
    names = [item.name for item in enum]
    return names.index(name) if name in names else -1


def _money(value) -> float:
    """A money fact as float64 yuan; ``None``, text and the like become NaN (refused)."""
    if isinstance(value, bool):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _count(value) -> int:
    """A count or grade; anything that is not a whole number (or does not fit 32 bits) becomes −1
    (refused)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value < 2**31:
        return value
    return -1


def _id(value, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else default


def _day(value, default: dt.date | None = None) -> np.datetime64:
    if value is None and default is not None:
        value = default
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    return np.datetime64("NaT", "D")


def _county(region_code) -> int:
    code = str(region_code)
    if len(code) != 12 or not code.isdigit() or code[4:6] == "00":
        return 0
    return county_of(code)


def _household_row(h: HouseholdFacts) -> dict:
    return {
        "county_code": _county(h.region_code),
        "rural": bool(h.rural),
        "deposits": _money(h.deposits),
        "vehicles": _count(h.vehicles),
        "dwellings": _count(h.dwellings),
        "business_registrations": _count(h.business_registrations),
        "medical_expenses_12m": _money(h.medical_expenses_12m),
        "education_expenses_12m": _money(h.education_expenses_12m),
        "dibao_current_amount": _money(h.dibao_current_amount),
        "gradual_exit_months_used": _count(h.gradual_exit_months_used),
        "temporary_case": _code(TemporaryCase, h.temporary_case),
        "vehicle_value": _money(h.vehicle_value),
        "disability_vehicles": _count(h.disability_vehicles),
        "disability_vehicle_value": _money(h.disability_vehicle_value),
        "dwelling_area": _money(h.dwelling_area),
    }


def _member_row(m: MemberFacts) -> dict:
    return {
        "birth_date": _day(m.birth_date),
        "joined_on": _day(m.joined_on, ALWAYS),
        "left_on": _day(m.left_on, NEVER),
        "died_on": _day(m.died_on, NEVER),
        "disability_grade": _count(m.disability_grade),
        "labour_capacity": _code(LabourCapacity, m.labour_capacity),
        "self_care": _code(SelfCare, m.self_care),
        "serious_illness": bool(m.serious_illness),
        "has_capable_supporter": bool(m.has_capable_supporter),
        **{kind: _money(getattr(m, kind)) for kind in INCOME_KINDS},
        "own_medical_expenses_12m": _money(m.own_medical_expenses_12m),
        **{kind: _money(getattr(m, kind)) for kind in EXEMPT_INCOME_KINDS},
        "work_exempt": bool(m.work_exempt),
        **_supporter_columns(m.supporters),
    }


def _supporter_columns(supporters) -> dict:
    """Up to :data:`MAX_SUPPORTERS` supporters into their slots; more, or a malformed one, is marked
    for the validator (size −1)."""
    out = {}
    supporters = tuple(supporters or ())
    too_many = len(supporters) > MAX_SUPPORTERS
    for k in SUPPORTER_SLOTS:
        s = supporters[k - 1] if k <= len(supporters) else None
        out[f"supporter{k}_income"] = _money(s.household_income) if s else 0.0
        out[f"supporter{k}_household_size"] = -1 if too_many else (_count(s.household_size) if s else 0)
        out[f"supporter{k}_lives_with"] = bool(s.lives_with) if s else False
    return out
