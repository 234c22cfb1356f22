"""Payments and supervision in the demo city (示范发放与监督): bank accounts, the plantings the
supervision scan is measured against, and one month's roll walked down the whole road.

* **Bank accounts** for every household on the civil-affairs roll (the ``benefits`` extract),
  held by the household head, across the agency banks.
* **Shared accounts** (planted): groups of two or three recipient households with no person ever
  in common, paid into one account. As controls (not anomalies, not in the truth), a few pairs of
  *related* households (a person moved from one to the other) share an account too: the scan must
  tell the two apart.
* **Payments after death** (planted): after this month's roll is paid, a late death record
  arrives for a member of two paid households (died before the month began), as a new
  ``hukou_deaths`` batch through the ordinary ingestion.
* **The road**: the county approver generates the month's roll, the admin approves it (maker and
  checker), the bank file is exported, a return file fails two lines (one account closed, one
  name mismatch); the first is re-issued after its account is corrected, the second held.

Every planting is listed in ``demo_truth/planted_payments.parquet`` (the demo's schema for
planted anomalies). Deterministic for the seed; skipped when the demo city already has accounts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction
from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.audit.services import audit_record
from safetynet.core.paths import demo_truth_dir, incoming_dir
from safetynet.demo import store
from safetynet.demo.population import CITY_CODE
from safetynet.demo.sources import PLANTED_SCHEMA
from safetynet.payments import bankfiles
from safetynet.payments import services as pay
from safetynet.payments.models import Bank, BankAccount, PaymentLine
from safetynet.registry.models import Household, Membership
from safetynet.sources.services import source_ingest

SHARED_RATE = 0.005
BANK_PREFIX = {"ICBC": "622202", "ABC": "622848", "CCB": "621700", "BOC": "621661", "PSBC": "621799", "RCB": "623066"}


@dataclass
class DemoPayments:
    skipped: bool = False
    accounts: int = 0
    planted: dict[str, int] = field(default_factory=dict)
    rolls: list[dict] = field(default_factory=list)


def _number(bank: str, rng: random.Random) -> str:
    return BANK_PREFIX[bank] + "".join(str(rng.randrange(10)) for _ in range(13))


def _roll_households() -> dict[str, str]:
    """``{household_number: programme}`` of the cash roll in the benefits extract."""
    folder = incoming_dir() / "benefits"
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        for row in pq.read_table(path, columns=["household_number", "programme"]).to_pylist():
            if row["programme"] in ("dibao", "tekun", "low_income_margin"):
                out.setdefault(row["household_number"], row["programme"])
    return out


def demo_payments_seed(*, seed: int) -> DemoPayments:
    if BankAccount.objects.filter(household__region__code__startswith=CITY_CODE[:4]).exists():
        return DemoPayments(skipped=True)
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-").select_related("region")}
    county, admin = users.get("demo-county-approver"), users.get("demo-admin")
    if county is None or admin is None:
        return DemoPayments(skipped=True)
    rng = random.Random(seed * 7919 + 16)
    result = DemoPayments()
    truth: list[dict] = []
    with transaction.atomic():
        result.accounts = _accounts(rng, truth, result)
        audit_record(actor=None, action="demo.bank_accounts", target_type="payments.bankaccount",
                     data={"accounts": result.accounts, "planted": result.planted})
    result.rolls = _road(rng, county=county, admin=admin, truth=truth, result=result)
    folder = demo_truth_dir()
    store.write_parquet(pa.Table.from_pylist(truth, schema=PLANTED_SCHEMA), folder / "planted_payments.parquet")
    return result


def _accounts(rng: random.Random, truth: list[dict], result: DemoPayments) -> int:
    roll = _roll_households()
    households = {h.number: h for h in Household.objects.filter(number__in=list(roll)).order_by("number")}
    heads: dict[int, int] = {}
    for household_id, person_id, relationship in (
        Membership.objects.filter(household_id__in=[h.pk for h in households.values()], left_on__isnull=True)
        .order_by("household_id", "id").values_list("household_id", "person_id", "relationship")
    ):
        if household_id not in heads or relationship == "head":
            heads[household_id] = person_id
    # Kinship: the households each person ever belonged to (the scan reads the same facts).
    ever: dict[int, set[int]] = defaultdict(set)
    for person_id, household_id in Membership.objects.values_list("person_id", "household_id").iterator(chunk_size=50000):
        ever[person_id].add(household_id)
    related: dict[int, set[int]] = defaultdict(set)
    for hs in ever.values():
        if len(hs) > 1:
            for h in hs:
                related[h] |= hs - {h}
    banks = list(Bank.values)
    rows: list[BankAccount] = []
    today = timezone.localdate()
    by_id: dict[int, BankAccount] = {}
    for number in sorted(households):
        h = households[number]
        if h.pk not in heads:
            continue
        bank = banks[rng.randrange(len(banks))]
        acc = BankAccount(household=h, holder_id=heads[h.pk], bank=bank, account_number=_number(bank, rng),
                          opened_on=today - dt.timedelta(days=rng.randrange(30, 2000)))
        rows.append(acc)
        by_id[h.pk] = acc
    # Shared accounts across unrelated households (planted).
    pool = [h for h in households.values() if h.pk in by_id]
    rng.shuffle(pool)
    n_groups = max(3, round(SHARED_RATE * len(pool)))
    used: set[int] = set()
    groups = 0
    for first in pool:
        if groups >= n_groups:
            break
        if first.pk in used:
            continue
        size = 2 + (rng.random() < 0.3)
        members = [first]
        for other in pool:
            if len(members) == size:
                break
            if other.pk in used or other.pk == first.pk or any(other.pk in related[m.pk] for m in members):
                continue
            members.append(other)
        if len(members) < 2:
            continue
        shared = by_id[first.pk]
        for m in members[1:]:
            by_id[m.pk].account_number, by_id[m.pk].bank, by_id[m.pk].holder_id = (
                shared.account_number, shared.bank, shared.holder_id)
        used.update(m.pk for m in members)
        groups += 1
        holder_id_number = Membership.objects.filter(person_id=shared.holder_id).values_list(
            "person__id_number", flat=True).first()
        truth.append({"kind": "shared_account", "household_number": first.number, "id_number": holder_id_number,
                      "source": "bank_accounts", "source_row": -1,
                      "detail": json.dumps({"account_number": shared.account_number,
                                            "households": sorted(m.number for m in members)}, ensure_ascii=False)})
    # Controls: related households sharing an account (a grown child paid into a parent's account).
    controls = 0
    for h in pool:
        if controls >= max(1, groups // 2):
            break
        if h.pk in used:
            continue
        kin = sorted(related[h.pk] - used)
        if not kin:
            continue
        other = Household.objects.filter(pk=kin[0]).first()
        if other is None or other.pk in by_id:
            continue
        head = Membership.objects.filter(household=other, left_on__isnull=True).values_list("person_id", flat=True).first()
        if head is None:
            continue
        src = by_id[h.pk]
        rows.append(BankAccount(household=other, holder_id=src.holder_id, bank=src.bank,
                                account_number=src.account_number, opened_on=src.opened_on))
        used.update({h.pk, other.pk})
        controls += 1
    BankAccount.objects.bulk_create(rows, batch_size=5000)
    result.planted["shared_account"] = groups
    result.planted["related_shared_controls"] = controls
    return len(rows)


def _road(rng: random.Random, *, county: User, admin: User, truth: list[dict], result: DemoPayments) -> list[dict]:
    month = timezone.localdate().replace(day=1)
    rolls = pay.payroll_run(month=month, actor=county)
    out = []
    paid_lines: list[int] = []
    for roll in rolls:
        pay.roll_submit(roll_id=roll.pk, actor=county)
        pay.roll_approve(roll_id=roll.pk, actor=admin)
        files = pay.roll_export(roll_id=roll.pk, actor=county)
        failures: dict[str, str] = {}
        for bank_file in files:
            sent, _n, _t = bankfiles.parse_delimited(bytes(bank_file.content))
            if not failures and len(sent) >= 2:
                failures = {sent[0]["ref"]: "E01", sent[1]["ref"]: "E02"}
            amounts = {d["ref"]: d["amount"] for d in sent}
            results = [(d["ref"], d["ref"] not in failures, failures.get(d["ref"], ""), "") for d in sent]
            content = bankfiles.render_return(bank_file_name=bank_file.filename, results=results, amounts=amounts)
            pay.return_import(bank_file_id=bank_file.pk, content=content, actor=county)
            paid_lines += [int(d["ref"][1:]) for d in sent if d["ref"] not in failures]
        for ref, code in sorted(failures.items()):
            line = PaymentLine.objects.get(pk=int(ref[1:]))
            if code == "E01":
                bank = "RCB"
                pay.bank_account_record(household_id=line.household_id, holder_id=line.payee_id, bank=bank,
                                        account_number=_number(bank, rng), actor=county, reason="原账户已销户，更正为新账户")
                pay.line_reissue(line_id=line.pk, actor=county, note="原账户已销户，已更正账户后重新发放")
            else:
                pay.line_hold_failed(line_id=line.pk, actor=county, note="户名与账号不符，待本人到场核实")
        roll.refresh_from_db()
        out.append({"roll": roll.number, "programme": roll.programme, "status": roll.status,
                    **pay.roll_totals(roll), "failed": len(failures)})
    # Payments after death: a late death record for members of two paid households.
    paid = list(PaymentLine.objects.filter(pk__in=paid_lines).order_by("pk").values_list("household_id", flat=True))
    chosen = paid[:: max(1, len(paid) // 2)][:2]
    died = month - dt.timedelta(days=20)
    rows = []
    for household_id in chosen:
        m = (Membership.objects.filter(household_id=household_id, left_on__isnull=True)
             .select_related("person", "household").order_by("-person__birth_date").last())
        if m is None:
            continue
        rows.append(m)
        truth.append({"kind": "payment_after_death", "household_number": m.household.number,
                      "id_number": m.person.id_number, "source": "hukou_deaths", "source_row": len(rows),
                      "detail": json.dumps({"death_date": died.isoformat(), "paid_month": f"{month:%Y-%m}"})})
    if rows:
        path = incoming_dir() / "hukou_deaths" / f"{timezone.localdate():%Y%m%d}-late.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id_number", "name", "reported_on", "sex", "death_date", "death_place", "hukou_region_code"])
            for m in rows:
                w.writerow([m.person.id_number, m.person.name, timezone.localdate().isoformat(), m.person.sex,
                            died.isoformat(), "家中", ""])
        source_ingest(source_name="hukou_deaths", path=path, as_of=timezone.localdate())
    result.planted["payment_after_death"] = len(rows)
    return out
