"""Benchmark: a monthly roll for 1,000,000 recipients generated, checked and exported; the
supervision scan over 1,000,000 persons on DuckDB.

    flock /tmp/safetynet-bench.lock python bench/bench_payments.py              # 1M recipients, 1M persons
    flock /tmp/safetynet-bench.lock python bench/bench_payments.py --recipients 100000 --persons 100000

Both parts run the platform's own code on synthetic inputs built here (the demo city at 1M
persons takes minutes to build and holds ~40 active cases, so it cannot feed a 1M roll):

* roll: ``payroll.owed_for_month`` over 1M case timelines (regular lines, arrears, adjustments,
  suspensions, exits), the pre-payment checks (``checks.facts_expression`` joining every member of
  the paid households with death, prison and public-payroll batches landed as Parquet in the lake
  layout, through ``engine.lake.source_table``), then both bank file formats for every bank
  (``bankfiles.render_delimited`` / ``render_fixed``) with their checksums, re-parsed and
  reconciled to the fen. With ``--store``, the lines are also written with the ORM's bulk insert
  into a fresh SQLite database (timed apart).
* scan: ``scan.findings_expression`` on DuckDB over 1M persons: the benefits roll and the four
  fact sources as lake Parquet batches, membership history and bank accounts as Arrow, with
  planted anomalies of every kind; recall on the planted ones is printed as a sanity check.

Writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MONTH = dt.date(2026, 11, 1)
ON = dt.date(2026, 11, 5)


def run_queue_wait() -> float:
    """Seconds this process's threads have waited for a CPU while ready to run (Linux
    ``/proc/self/task/*/schedstat``, second field): on a shared machine, the part of the wall
    time that is neither this process's work nor its I/O."""
    total = 0
    for task in Path("/proc/self/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def _ids(prefix: str, n: int, offset: int = 0) -> list[str]:
    return [f"{prefix}{i + offset:017d}" for i in range(n)]


def bench_roll(args, tmp: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from safetynet.engine.backend import arrow_tables, connect
    from safetynet.engine.lake import LakeBatch, source_schema, source_table
    from safetynet.payments import bankfiles, checks
    from safetynet.payments.payroll import Timeline, add_months, owed_for_month
    from safetynet.sources.catalogue import catalogue

    n = args.recipients
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    # --- inputs: timelines, what the previous months paid, members, source batches ---
    months_back = rng.integers(0, 18, n)
    amounts = (rng.integers(100, 1500, n) * 100).astype(np.int64)
    changed = rng.random(n) < 0.02
    suspended = rng.random(n) < 0.01
    exited = rng.random(n) < 0.01
    timelines = []
    covered: dict[tuple[int, dt.date], int] = {}
    prev = add_months(MONTH, -1)
    for i in range(n):
        tl = Timeline(i)
        approved = add_months(MONTH, -int(months_back[i]))
        at = dt.datetime(approved.year, approved.month, 3, 9, tzinfo=dt.UTC)
        tl.add(at=at, status="approved", amount_fen=int(amounts[i]), seq=1)
        tl.add(at=at + dt.timedelta(hours=1), status="active", amount_fen=None, seq=2)
        if changed[i]:
            tl.add(at=dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC), status="active", amount_fen=int(amounts[i]) + 5000,
                   seq=3)
        if suspended[i]:
            tl.add(at=dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC), status="suspended", amount_fen=None, seq=4)
        if exited[i]:
            tl.add(at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), status="exited", amount_fen=None, seq=5)
        timelines.append(tl)
        if months_back[i] >= 1 and i % 50:  # 2 % of those due were left out of October's roll: arrears
            covered[(i, prev)] = int(amounts[i])
    members_per = rng.integers(1, 5, n)
    hh = np.repeat(np.arange(n, dtype=np.int64), members_per)
    persons = hh.size
    person_ids = _ids("P", persons)
    members = pa.table({"household_id": hh, "person_id": np.arange(persons, dtype=np.int64),
                        "id_number": pa.array(person_ids, pa.string())}, schema=checks.MEMBERS_SCHEMA)
    cat = catalogue()
    lake = tmp / "lake"
    batches = {}
    for name, k in (("hukou_deaths", persons // 100), ("prison", persons // 1000), ("public_payroll", persons // 30)):
        src = cat[name]
        idx = rng.choice(persons, size=k, replace=False)
        schema = source_schema(src)
        cols = {"_batch": pa.array([f"{name}-bench"] * k), "_row": pa.array(np.arange(1, k + 1)),
                "id_number": pa.array([person_ids[j] for j in idx]), "name": pa.array(["某某"] * k),
                "reported_on": pa.array([ON] * k, pa.date32())}
        for field in schema:
            if field.name in cols:
                continue
            if pa.types.is_date(field.type):
                cols[field.name] = pa.array([ON - dt.timedelta(days=int(d)) for d in rng.integers(10, 900, k)],
                                            pa.date32())
            elif pa.types.is_decimal(field.type):
                cols[field.name] = pa.array([None] * k, field.type)
            else:
                cols[field.name] = pa.array([None] * k, field.type)
        if name == "prison":
            cols["released_on"] = pa.array([None] * k, pa.date32())
        path = lake / name / "bench.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table([cols[f.name] for f in schema], schema=schema), path)
        batches[name] = (LakeBatch(name, f"{name}-bench", ON, path),)
    t_inputs = time.perf_counter() - t0

    # --- generated ---
    c0, w0 = time.process_time(), run_queue_wait()
    t = time.perf_counter()
    # The platform's rolls began last month: arrears are owed for the cases October's roll left out.
    owed = owed_for_month(timelines=timelines, month=MONTH, as_at=dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC),
                          covered=covered, first_roll_month=prev)
    t_generate = time.perf_counter() - t
    c_generate, w_generate = time.process_time() - c0, run_queue_wait() - w0

    # --- checked ---
    c0, w0 = time.process_time(), run_queue_wait()
    t = time.perf_counter()
    con = connect("duckdb")
    with arrow_tables(con, members=members) as tb:
        tables = {name: source_table(con, cat[name], batches[name]) for name in checks.CHECK_SOURCES}
        facts = con.to_pyarrow(checks.facts_expression(tb["members"], tables, on=ON, month=MONTH))
    holds = checks.holds_by_household(facts, {})
    t_check = time.perf_counter() - t
    c_check, w_check = time.process_time() - c0, run_queue_wait() - w0

    # --- exported (both formats, every bank) and reconciled ---
    c0, w0 = time.process_time(), run_queue_wait()
    t = time.perf_counter()
    banks = ["ICBC", "ABC", "CCB", "BOC", "PSBC", "RCB"]
    by_bank: dict[str, list] = {b: [] for b in banks}
    held_fen = 0
    total_fen = 0
    for k, o in enumerate(owed.lines):
        total_fen += o.amount_fen
        if o.case_id in holds:
            held_fen += o.amount_fen
            continue
        by_bank[banks[o.case_id % 6]].append(bankfiles.Detail(f"L{k:015d}", f"6222{o.case_id:015d}", "某某某",
                                                              o.amount_fen, "dibao", o.period))
    files = {}
    for bank, details in by_bank.items():
        files[(bank, "delimited")] = bankfiles.render_delimited(roll_number="FFBENCH", bank=bank, month=MONTH,
                                                                details=details)
        files[(bank, "fixed")] = bankfiles.render_fixed(roll_number="FFBENCH", bank=bank, month=MONTH, details=details,
                                                        created=ON)
    t_export = time.perf_counter() - t
    c_export, w_export = time.process_time() - c0, run_queue_wait() - w0
    t = time.perf_counter()
    bank_delimited = sum(bankfiles.parse_delimited(files[(b, "delimited")])[2] for b in banks)
    bank_fixed = sum(bankfiles.parse_fixed(files[(b, "fixed")])[2] for b in banks)
    t_verify = time.perf_counter() - t
    assert bank_delimited == bank_fixed == total_fen - held_fen, "reconciliation failed"
    kinds: dict[str, int] = {}
    for o in owed.lines:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    out = {
        "recipients": n, "persons": persons, "lines": len(owed.lines), "by_kind": kinds,
        "held_households": len(holds), "held_fen": held_fen, "total_fen": total_fen,
        "bank_file_fen": bank_delimited, "reconciled": True, "stopped": len(owed.stopped),
        "overpaid": len(owed.overpaid), "bank_file_bytes": sum(len(v) for v in files.values()),
        "seconds": {"inputs": round(t_inputs, 2), "generate": round(t_generate, 2), "check": round(t_check, 2),
                    "export_both_formats": round(t_export, 2), "reparse_verify": round(t_verify, 2),
                    "generate_check_export": round(t_generate + t_check + t_export, 2)},
        # CPU seconds of this process (DuckDB's worker threads included): what a quiet machine needs
        "cpu_seconds": {"generate": round(c_generate, 2), "check": round(c_check, 2), "export": round(c_export, 2),
                        "generate_check_export": round(c_generate + c_check + c_export, 2)},
        # seconds the threads waited, ready to run, for a CPU others held (wall ≫ CPU on a loaded machine)
        "run_queue_wait_seconds": {"generate": round(w_generate, 2), "check": round(w_check, 2),
                                   "export": round(w_export, 2),
                                   "generate_check_export": round(w_generate + w_check + w_export, 2)},
    }
    if args.store:
        out["seconds"]["orm_bulk_insert_lines"] = round(_store(owed.lines, holds), 2)
    return out


def _store(lines, holds) -> float:
    """Write the lines with the ORM's bulk insert (the path roll_generate takes), into SQLite."""
    from django.core.management import call_command

    from safetynet.cases.models import Case
    from safetynet.core.testing import Role, make_household, make_region_tree, make_user
    from safetynet.payments.models import PaymentLine, PaymentRoll

    call_command("migrate", verbosity=0)
    tree = make_region_tree()
    household = make_household(tree.east_community, members=1)
    person = household.memberships.first().person
    case = Case.objects.create(programme="dibao", channel="window", household=household, applicant=person,
                               region=tree.east_community, status="active")
    user = make_user(Role.COUNTY_APPROVER, tree.east)
    roll = PaymentRoll.objects.create(month=MONTH, programme="dibao", region=tree.east, made_by=user)
    t = time.perf_counter()
    PaymentLine.objects.bulk_create(
        (PaymentLine(roll=roll, case_id=case.pk, household_id=household.pk, payee_id=person.pk, kind=o.kind,
                     period=o.period, amount_fen=o.amount_fen, basis={"decision_seq": o.decision_seq},
                     hold_reason="deceased" if o.case_id in holds else "") for o in lines),
        batch_size=5000,
    )
    return time.perf_counter() - t


def bench_scan(args, tmp: Path) -> dict:
    import ibis
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from safetynet.engine.backend import arrow_tables, connect
    from safetynet.engine.lake import LakeBatch, source_schema, source_table
    from safetynet.sources.catalogue import catalogue
    from safetynet.supervision import scan

    rng = np.random.default_rng(args.seed + 1)
    t0 = time.perf_counter()
    n = args.persons
    per = rng.integers(1, 5, n // 2 + 1)
    hh = np.repeat(np.arange(per.size), per)[:n]
    ids = np.array(_ids("Q", n), dtype=object)
    numbers = np.array([f"H{h:012d}" for h in range(int(hh.max()) + 1)], dtype=object)
    hh_count = numbers.size
    recipients = np.flatnonzero(rng.random(hh_count) < 0.12)
    is_rec = np.zeros(hh_count, bool)
    is_rec[recipients] = True
    roll_rows = np.flatnonzero(is_rec[hh])
    programmes = np.where(rng.random(hh_count) < 0.85, "dibao", "tekun")
    planted: dict[str, set] = {k: set() for k in ("paid_deceased", "paid_imprisoned", "paid_public_payroll",
                                                 "duplicate_benefit", "exclusive_programmes", "staff_relative",
                                                 "shared_account")}
    k = max(10, roll_rows.size // 200)
    pick = rng.choice(roll_rows, size=7 * k, replace=False)
    dead, jailed, payroll_p, dup, excl, staff_rel, _unused = np.split(pick, 7)
    # the benefits roll, with duplicates (in another recipient household) and exclusive programmes
    roll_ids = list(ids[roll_rows])
    roll_hh = list(numbers[hh[roll_rows]])
    roll_prog = list(programmes[hh[roll_rows]])
    others = rng.choice(recipients, size=dup.size)
    for p, o in zip(dup, others, strict=True):
        if numbers[o] != numbers[hh[p]]:
            roll_ids.append(ids[p])
            roll_hh.append(numbers[o])
            roll_prog.append(programmes[hh[p]])
            planted["duplicate_benefit"].add(ids[p])
    for p in excl:
        roll_ids.append(ids[p])
        roll_hh.append(numbers[hh[p]])
        roll_prog.append("tekun" if programmes[hh[p]] == "dibao" else "dibao")
        planted["exclusive_programmes"].add(ids[p])
    cat = catalogue()
    lake = tmp / "scanlake"
    batches = {}

    def land(name: str, rows: dict) -> None:
        src = cat[name]
        schema = source_schema(src)
        m = len(rows["id_number"])
        cols = {"_batch": pa.array([f"{name}-bench"] * m, pa.string()), "_row": pa.array(np.arange(1, m + 1)),
                "name": pa.array(["某某"] * m, pa.string()), "reported_on": pa.array([ON] * m, pa.date32())}
        cols.update({key: pa.array(v, schema.field(key).type) for key, v in rows.items()})
        for field in schema:
            if field.name not in cols:
                cols[field.name] = pa.array([None] * m, field.type)
        path = lake / name / "bench.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table([cols[f.name] for f in schema], schema=schema), path)
        batches[name] = (LakeBatch(name, f"{name}-bench", ON, path),)

    land("benefits", {"id_number": roll_ids, "household_number": roll_hh, "programme": roll_prog})
    # facts: planted ones on the roll, plus the city's others off it
    off = np.flatnonzero(~is_rec[hh])
    extra_dead = rng.choice(off, size=n // 100)
    dead_all = np.concatenate([dead, extra_dead])
    land("hukou_deaths", {"id_number": list(ids[dead_all]),
                          "death_date": [ON - dt.timedelta(days=40)] * dead_all.size})
    extra_jail = rng.choice(off, size=n // 1000)
    jail_all = np.concatenate([jailed, extra_jail])
    land("prison", {"id_number": list(ids[jail_all]), "admitted_on": [ON - dt.timedelta(days=400)] * jail_all.size,
                    "released_on": [None] * jail_all.size})
    extra_pay = rng.choice(off, size=n // 30)
    pay_all = np.concatenate([payroll_p, extra_pay])
    land("public_payroll", {"id_number": list(ids[pay_all]), "since": [ON - dt.timedelta(days=900)] * pay_all.size})
    # staff: the planted relatives are former members of recipient households (moved out), others unrelated
    staff_people = list(_ids("S", staff_rel.size + 500))
    land("staff", {"id_number": staff_people, "since": [ON - dt.timedelta(days=300)] * len(staff_people)})
    for p in dead:
        planted["paid_deceased"].add(ids[p])
    for p in jailed:
        planted["paid_imprisoned"].add(ids[p])
    for p in payroll_p:
        planted["paid_public_payroll"].add(ids[p])
    history_ids = list(ids) + staff_people[: staff_rel.size]
    history_hh = list(numbers[hh]) + list(numbers[hh[staff_rel]])
    current = [True] * n + [False] * staff_rel.size
    planted["staff_relative"] = set(staff_people[: staff_rel.size])
    history = pa.table({"id_number": pa.array(history_ids, pa.string()), "household_number": pa.array(history_hh, pa.string()),
                        "current": pa.array(current)}, schema=scan.HISTORY_SCHEMA)
    acc_numbers = [f"62{r:017d}" for r in range(recipients.size)]
    groups = rng.choice(recipients.size, size=(k, 2), replace=False)
    for a, b in groups:
        acc_numbers[b] = acc_numbers[a]
        planted["shared_account"].add(acc_numbers[a])
    accounts = pa.table({"account_number": pa.array(acc_numbers, pa.string()),
                         "household_number": pa.array(list(numbers[recipients]), pa.string()),
                         "holder_id": pa.array([f"X{r}" for r in range(recipients.size)], pa.string()),
                         "account_id": pa.array(np.arange(recipients.size))}, schema=scan.ACCOUNTS_SCHEMA)
    empty_roll = scan.ROLL_SCHEMA.empty_table()
    deaths = scan.DEATHS_SCHEMA.empty_table()
    t_inputs = time.perf_counter() - t0

    runs, cpu = [], []
    for _ in range(2):
        c0 = time.process_time()
        t = time.perf_counter()
        con = connect("duckdb")
        with arrow_tables(con, history=history, accounts=accounts) as tb:
            lake_t = {name: source_table(con, cat[name], batches[name]) for name in batches}
            roll = scan.benefits_roll(lake_t["benefits"])
            roll = roll.union(ibis.memtable(empty_roll))
            expr = scan.findings_expression(
                roll=roll, hukou_deaths=lake_t["hukou_deaths"], prison=lake_t["prison"],
                public_payroll=lake_t["public_payroll"], staff=lake_t["staff"], deaths=ibis.memtable(deaths),
                history=tb["history"], accounts=tb["accounts"])
            table = con.to_pyarrow(expr)
        grouped = scan.group_findings(table.to_pylist())
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c0)
    found: dict[str, set] = {}
    for kind, subject in grouped:
        found.setdefault(kind, set()).add(subject)
    recall = {kind: round(len(planted[kind] & found.get(kind, set())) / len(planted[kind]), 4)
              for kind in planted if planted[kind]}
    return {"persons": n, "households": hh_count, "roll_rows": len(roll_ids), "history_rows": history.num_rows,
            "accounts": accounts.num_rows, "evidence_rows": table.num_rows, "findings": len(grouped),
            "found_by_kind": {k: len(v) for k, v in sorted(found.items())}, "recall_on_planted": recall,
            "seconds": {"inputs": round(t_inputs, 2), "scan_run1": round(runs[0], 2), "scan_run2": round(runs[1], 2)},
            "cpu_seconds": {"scan_run1": round(cpu[0], 2), "scan_run2": round(cpu[1], 2)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", action="store_true", help="also time the ORM bulk insert of the lines (SQLite)")
    parser.add_argument("--skip-roll", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sn-bench-payments-"))
    os.environ.setdefault("SAFETYNET_HOME", str(tmp))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    result = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    if not args.skip_roll:
        result["roll"] = bench_roll(args, tmp)
        print(json.dumps(result["roll"], ensure_ascii=False, indent=2))
    if not args.skip_scan:
        result["scan"] = bench_scan(args, tmp)
        print(json.dumps(result["scan"], ensure_ascii=False, indent=2))
    result["load_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"payments-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"→ {out}")


if __name__ == "__main__":
    main()
