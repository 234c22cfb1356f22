import csv
import datetime as dt
from dataclasses import dataclass

import pytest

from safetynet.core.testing import Role, make_household, make_person, make_user
from safetynet.payments.models import BankAccount
from safetynet.registry.services import household_add_member, household_remove_member
from safetynet.sources.services import source_ingest

ON = dt.date(2026, 10, 31)
COLUMNS = {
    "benefits": ["id_number", "name", "reported_on", "household_number", "region_code", "programme", "relationship",
                 "monthly_amount", "start_date"],
    "hukou_deaths": ["id_number", "name", "reported_on", "sex", "death_date", "death_place", "hukou_region_code"],
    "prison": ["id_number", "name", "reported_on", "prison_name", "admitted_on", "expected_release_on", "released_on"],
    "public_payroll": ["id_number", "name", "reported_on", "employer_name", "employer_type", "monthly_salary", "since"],
    "staff": ["id_number", "name", "reported_on", "employer_name", "post", "region_code", "since"],
}


def ingest(tmp_path, source: str, rows: list[dict]) -> None:
    path = tmp_path / f"{source}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS[source])
        w.writeheader()
        for row in rows:
            w.writerow({"reported_on": ON.isoformat(), **row})
    source_ingest(source_name=source, path=path, as_of=ON)


def members(h):
    return [m.person for m in h.memberships.order_by("id")]


@dataclass
class World:
    households: dict
    people: dict
    supervisor: object
    county: object
    admin: object


@pytest.fixture
def world(tree, lake, tmp_path) -> World:
    return build_world(tree, tmp_path)


def build_world(tree, tmp_path) -> World:
    """Eight households in 东区 with one planted anomaly each (and controls that must stay quiet)."""
    c = tree.east_community
    h = {k: make_household(c, members=2) for k in ("dead", "prison", "payroll", "dup_a", "dup_b", "kin_from",
                                                   "kin_to", "clean")}
    staffer = make_person(c, birth_date=dt.date(1992, 1, 1), name="王干部")
    household_add_member(actor=None, household=h["kin_from"], person=staffer, relationship="child",
                         joined_on=dt.date(2015, 1, 1))
    household_remove_member(actor=None, household=h["kin_from"], person=staffer, left_on=dt.date(2020, 1, 1),
                            reason="成家迁出")
    household_add_member(actor=None, household=h["kin_to"], person=staffer, relationship="spouse",
                         joined_on=dt.date(2020, 1, 2))
    dup = members(h["dup_a"])[1]
    roll = []
    for key in ("dead", "prison", "payroll", "dup_a", "kin_from", "clean"):
        for p in members(h[key]):
            roll.append({"id_number": p.id_number, "name": p.name, "household_number": h[key].number,
                         "region_code": c.code, "programme": "dibao", "relationship": "head",
                         "monthly_amount": "300.00", "start_date": "2025-01-01"})
    roll.append({"id_number": dup.id_number, "name": dup.name, "household_number": h["dup_b"].number,
                 "region_code": c.code, "programme": "tekun", "relationship": "other", "monthly_amount": "900.00",
                 "start_date": "2026-01-01"})
    ingest(tmp_path, "benefits", roll)
    dead = members(h["dead"])[1]
    ingest(tmp_path, "hukou_deaths", [{"id_number": dead.id_number, "name": dead.name, "sex": dead.sex,
                                       "death_date": "2026-05-03", "death_place": "家中", "hukou_region_code": ""}])
    pri = members(h["prison"])[1]
    clean = members(h["clean"])[1]
    ingest(tmp_path, "prison", [
        {"id_number": pri.id_number, "name": pri.name, "prison_name": "示范监狱", "admitted_on": "2026-02-01",
         "expected_release_on": "2029-02-01", "released_on": ""},
        # released before the roll's date: not an anomaly
        {"id_number": clean.id_number, "name": clean.name, "prison_name": "示范监狱", "admitted_on": "2024-02-01",
         "expected_release_on": "2025-02-01", "released_on": "2025-02-01"},
    ])
    pay = members(h["payroll"])[0]
    ingest(tmp_path, "public_payroll", [{"id_number": pay.id_number, "name": pay.name, "employer_name": "示范区财政局",
                                         "employer_type": "机关", "monthly_salary": "6500.00", "since": "2025-06-01"}])
    ingest(tmp_path, "staff", [{"id_number": staffer.id_number, "name": staffer.name, "employer_name": "示范区民政局",
                                "post": "低保专干", "region_code": c.code, "since": "2021-03-01"}])
    # accounts: 'dead' and 'prison' (unrelated) share one; 'kin_from' and 'kin_to' (related) share another
    for key, number, holder in (("dead", "6222020000001111", members(h["dead"])[0]),
                                ("prison", "6222020000001111", members(h["dead"])[0]),
                                ("kin_from", "6222020000002222", staffer), ("kin_to", "6222020000002222", staffer),
                                ("clean", "6222020000003333", members(h["clean"])[0])):
        BankAccount.objects.create(household=h[key], holder=holder, bank="ICBC", account_number=number,
                                   opened_on=dt.date(2025, 1, 1))
    return World(h, {"dead": dead, "prisoner": pri, "payroll": pay, "dup": dup, "staffer": staffer},
                 supervisor=make_user(Role.SUPERVISOR, tree.east), county=make_user(Role.COUNTY_APPROVER, tree.east),
                 admin=make_user(Role.ADMIN, tree.city))
