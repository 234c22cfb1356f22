"""Needs profiles (需求画像): what each household needs, how badly, and where that came from.

Four sources, each need naming its own:

* **verified facts** (核对事实): the household's members and the departments' facts, verified as a
  bulk verification does (``verify()`` over the lake) and decided by the rules
  (:func:`safetynet.rules.services.decide_population`): income against the local standard,
  medical costs, disability grades, school-age children, elderly members, unemployment;
* **monitoring indicators** (监测指标): open alerts and the indicators behind them;
* **visit findings** (入户走访): a case's home visit, and needs a worker records after a visit;
* **open cases** (在办案件): an application under way says what the household asked for.

One computation for one household or a county: a population of column arrays.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from safetynet.cases.models import Case, HomeVisit
from safetynet.monitoring.indicators import library
from safetynet.monitoring.models import OPEN_STATUSES, Alert
from safetynet.registry.tables import members_at
from safetynet.resources.eligibility import derive
from safetynet.resources.models import CATEGORIES, NeedCategory, NeedSource
from safetynet.rules.facts import Population
from safetynet.rules.services import decide_population
from safetynet.rules.variables.facts import LabourCapacity, SelfCare
from safetynet.verification.compute import PERSONS_SCHEMA, VerificationInput, verify
from safetynet.verification.rules_bridge import population_from_verification

C = NeedCategory

#: Monitoring dimensions and triggers → need categories.
DIMENSION_CATEGORY = {
    "income": C.BASIC_LIVING, "assets": C.BASIC_LIVING, "benefits": C.BASIC_LIVING, "shocks": C.BASIC_LIVING,
    "health": C.MEDICAL, "disability": C.DISABILITY_CARE, "education": C.EDUCATION, "employment": C.EMPLOYMENT,
    "housing": C.HOUSING, "demography": C.FAMILY_SUPPORT,
}
TRIGGER_CATEGORY = {
    "hospital_bill": C.MEDICAL, "breadwinner_death": C.FAMILY_SUPPORT, "breadwinner_prison": C.FAMILY_SUPPORT,
    "severe_disability_new": C.DISABILITY_CARE, "job_loss": C.EMPLOYMENT, "dibao_uncovered": C.BASIC_LIVING,
}
LEVEL_SEVERITY = {"red": 3, "orange": 2, "yellow": 1}
#: Programmes of open cases → (category, severity).
PROGRAMME_NEED = {
    "dibao": (C.BASIC_LIVING, 3), "tekun": (C.BASIC_LIVING, 4), "low_income_margin": (C.BASIC_LIVING, 2),
    "temporary_assistance": (C.BASIC_LIVING, 3), "medical_assistance": (C.MEDICAL, 3),
    "disability_subsidies": (C.DISABILITY_CARE, 2),
}


@dataclass(frozen=True)
class DerivedNeed:
    household_id: int
    category: str
    severity: int
    source: str
    source_ref: str
    explanation: str


@dataclass
class HouseholdData:
    """Verified facts and rules results for a set of households, row ``i`` = ``household_ids[i]``."""

    on: dt.date
    population: Population
    values: dict[str, np.ndarray]

    @property
    def household_ids(self) -> np.ndarray:
        return self.population.household_ids

    @property
    def region_codes(self) -> np.ndarray:
        return self.population.extra["region_code"]

    def index(self) -> dict[int, int]:
        return {int(h): i for i, h in enumerate(self.household_ids)}


def household_data(*, on: dt.date, region_path: str | None = None,
                   household_ids: list[int] | None = None) -> HouseholdData | None:
    """Verify and decide the households (of a region subtree, or by id) as of ``on``; ``None`` when
    none has a member then."""
    members = members_at(on=on, region_path=region_path, household_ids=household_ids)
    if members.num_rows == 0:
        return None
    verified = verify(VerificationInput(persons=members.select(PERSONS_SCHEMA.names), on=on))
    population = population_from_verification(members=members, verified=verified, supporters_on=on)
    values = decide_population(table=population, on=on)
    for name, column in population.households.items():
        values.setdefault(name, column)
    return HouseholdData(on=on, population=population, values=derive(values))


def _age(birth: np.ndarray, on: dt.date) -> np.ndarray:
    return (np.datetime64(on, "D") - birth).astype("timedelta64[D]").astype(np.int64) / 365.25


def from_facts(data: HouseholdData) -> list[DerivedNeed]:
    """Needs the verified facts and the rules' results show, vectorised over the households."""
    pop, v, on = data.population, data.values, data.on
    hh = pop.person_household
    n = pop.household_count
    ids = pop.household_ids
    p = pop.persons
    age = _age(p["birth_date"], on)
    ref = _("%(d)s 核对") % {"d": on.isoformat()}
    out: list[DerivedNeed] = []

    def add(mask: np.ndarray, category: str, severity: np.ndarray | int, text) -> None:
        sev = np.broadcast_to(np.asarray(severity), (n,))
        for i in np.flatnonzero(mask & (sev > 0)):
            out.append(DerivedNeed(int(ids[i]), category, int(sev[i]), NeedSource.FACT, ref, text(i)))

    ratio = v["income_to_standard"]
    basic = np.select([v["dibao_eligible"].astype(bool) & (ratio < 0.5), v["dibao_eligible"].astype(bool) & (ratio < 0.8),
                       v["dibao_eligible"].astype(bool), v["low_income_margin_eligible"].astype(bool)], [4, 3, 2, 1], 0)
    add(basic > 0, C.BASIC_LIVING, basic, lambda i: _("家庭月人均收入 %(a)s 元，为当地低保标准 %(s)s 元的 %(r)s%%") % {
        "a": f"{v['income_per_head'][i]:.0f}", "s": f"{v['dibao_standard'][i]:.0f}", "r": f"{ratio[i] * 100:.0f}"})

    ill = np.bincount(hh, weights=p["serious_illness"].astype(float), minlength=n)
    income_year = np.maximum(v["income_per_head"] * v["household_size"] * 12, 1.0)
    med = v["medical_expenses_12m"]
    medical = np.select([(med > 0.5 * income_year) & (med > 5000), med > 10_000, ill > 0, med > 3000], [4, 3, 3, 2], 0)
    add(medical > 0, C.MEDICAL, medical, lambda i: _("家中重病 %(n)s 人，近12个月医疗支出 %(m)s 元") % {
        "n": int(ill[i]), "m": f"{med[i]:.0f}"})

    school = np.bincount(hh, weights=((age >= 6) & (age < 18)).astype(float), minlength=n)
    poor = v["dibao_eligible"].astype(bool) | v["low_income_margin_eligible"].astype(bool)
    education = np.where(school > 0, np.where(poor, np.minimum(2 + (school >= 2), 3), 1), 0)
    add(education > 0, C.EDUCATION, education, lambda i: _("家中有 %(n)s 名在学年龄子女") % {"n": int(school[i])})

    grade = p["disability_grade"]
    cares = p["self_care"] == list(SelfCare).index(SelfCare.none)
    severe = np.bincount(hh, weights=((grade >= 1) & (grade <= 2)).astype(float), minlength=n)
    mild = np.bincount(hh, weights=(grade >= 3).astype(float), minlength=n)
    severe_care = np.bincount(hh, weights=((grade >= 1) & (grade <= 2) & cares).astype(float), minlength=n)
    disability = np.select([severe_care > 0, severe > 0, mild > 0], [4, 3, 2], 0)
    add(disability > 0, C.DISABILITY_CARE, disability, lambda i: _("一、二级残疾 %(s)s 人，三、四级残疾 %(m)s 人") % {
        "s": int(severe[i]), "m": int(mild[i])})

    old = age >= 65
    old_care = np.bincount(hh, weights=(old & cares).astype(float), minlength=n)
    very_old = np.bincount(hh, weights=(age >= 80).astype(float), minlength=n)
    olds = np.bincount(hh, weights=old.astype(float), minlength=n)
    size = np.bincount(hh, minlength=n)
    elderly = np.select([old_care > 0, (olds > 0) & (olds == size), very_old > 0], [4, 3, 2], 0)
    add(elderly > 0, C.ELDERLY_CARE, elderly, lambda i: _("65岁以上老人 %(o)s 人（80岁以上 %(v)s 人，失能 %(c)s 人）") % {
        "o": int(olds[i]), "v": int(very_old[i]), "c": int(old_care[i])})

    working = (age >= 18) & (age < 60) & (p["labour_capacity"] != list(LabourCapacity).index(LabourCapacity.none))
    earns = (p["wage_income"] + p["business_income"]) > 0
    idle = np.bincount(hh, weights=(working & ~earns).astype(float), minlength=n)
    earners = np.bincount(hh, weights=earns.astype(float), minlength=n)
    employment = np.select([(idle > 0) & (earners == 0) & poor, (idle > 0) & (earners == 0), (idle > 0) & poor],
                           [3, 2, 1], 0)
    add(employment > 0, C.EMPLOYMENT, employment, lambda i: _("有劳动能力但无工作收入的成员 %(n)s 人") % {"n": int(idle[i])})

    housing = np.where((v["dwellings"] == 0) & poor, 2, 0)
    add(housing > 0, C.HOUSING, housing, lambda i: _("家庭名下无住房，且收入低"))
    return out


def from_alerts(household_ids: list[int]) -> list[DerivedNeed]:
    """Open alerts: a points alert's indicators by dimension, a trigger by its event."""
    lib = library()
    dimension_of = {i.code: i.dimension for i in lib.indicators}
    titles = {i.code: i.title for i in lib.indicators} | {t.code: t.title for t in lib.triggers}
    best: dict[tuple[int, str], DerivedNeed] = {}
    alerts = (Alert.objects.filter(household_id__in=household_ids, status__in=OPEN_STATUSES)
              .only("id", "household_id", "condition", "level", "reasons", "kind"))
    for a in alerts.iterator():
        severity = LEVEL_SEVERITY.get(a.level, 1)
        ref = f"YJ{a.pk:08d}"
        found: dict[str, list[str]] = defaultdict(list)
        if a.condition == "points":
            for code in (a.reasons or {}).get("indicators", []):
                category = DIMENSION_CATEGORY.get(dimension_of.get(code, ""), None)
                if category:
                    found[category].append(titles.get(code, code))
        else:
            found[TRIGGER_CATEGORY.get(a.condition, C.BASIC_LIVING)].append(titles.get(a.condition, a.condition))
        for category, reasons in found.items():
            need = DerivedNeed(a.household_id, category, severity, NeedSource.INDICATOR, ref,
                               _("预警：%(r)s") % {"r": "、".join(reasons[:4])})
            key = (a.household_id, category)
            if key not in best or best[key].severity < severity:
                best[key] = need
    return list(best.values())


def from_cases(household_ids: list[int]) -> list[DerivedNeed]:
    """Open cases (an application under way), and the last home visit's housing finding."""
    out: dict[tuple[int, str, str], DerivedNeed] = {}
    cases = (Case.objects.filter(household_id__in=household_ids, is_open=True)
             .only("id", "household_id", "programme", "status"))
    for case in cases.iterator():
        category, severity = PROGRAMME_NEED.get(case.programme, (C.BASIC_LIVING, 2))
        need = DerivedNeed(case.household_id, category, severity, NeedSource.CASE, f"AJ{case.pk:08d}",
                           _("在办%(p)s申请（%(s)s）") % {"p": case.get_programme_display(), "s": case.get_status_display()})
        key = (case.household_id, category, NeedSource.CASE)
        if key not in out or out[key].severity < severity:
            out[key] = need
    visits = (HomeVisit.objects.filter(case__household_id__in=household_ids)
              .select_related("case").order_by("case__household_id", "-visited_on", "-id"))
    seen: set[int] = set()
    for visit in visits.iterator():
        hid = visit.case.household_id
        if hid in seen:
            continue
        seen.add(hid)
        if (visit.findings or {}).get("housing") == "简陋":
            out[(hid, C.HOUSING, NeedSource.VISIT)] = DerivedNeed(
                hid, C.HOUSING, 3, NeedSource.VISIT, f"AJ{visit.case_id:08d}",
                _("%(d)s 入户调查：住房简陋") % {"d": visit.visited_on.isoformat()})
    return list(out.values())


def derive_needs(data: HouseholdData | None, household_ids: list[int]) -> list[DerivedNeed]:
    """Every derived need of these households, at most one per (household, category, source)."""
    out = list(from_facts(data)) if data is not None else []
    out += from_alerts(household_ids)
    out += from_cases(household_ids)
    return out


def severity_matrix(needs, household_ids: np.ndarray) -> np.ndarray:
    """``[h, c]``: the most severe open need of household h in category c (0 none)."""
    index = {int(h): i for i, h in enumerate(household_ids)}
    out = np.zeros((len(household_ids), len(CATEGORIES)), dtype=np.int8)
    col = {c: k for k, c in enumerate(CATEGORIES)}
    for need in needs:
        i = index.get(int(need.household_id))
        if i is not None:
            k = col[need.category]
            out[i, k] = max(out[i, k], need.severity)
    return out
