"""The supervision scan as a batch job: gather the inputs set-wise, run the engine expression,
add the process, review and coverage findings from the operational store and monitoring's
lists, and open (or refresh) one anomaly per finding, each assigned to a named officer.

Counts in = out: every finding of the run is either a new anomaly, a refresh of an open one, or
left alone because the same subject was closed as explained or not true (``suppressed``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safetynet.audit.services import audit_record
from safetynet.cases.models import Case, Status
from safetynet.core.db import planner_statistics_refresh
from safetynet.core.permissions import Action, require
from safetynet.engine.backend import arrow_tables, backend_name, connect, engine_lock
from safetynet.engine.lake import batches_in_force, source_table
from safetynet.payments.models import FINAL_STATUSES, BankAccount, PaymentLine
from safetynet.registry.models import Household, Membership, Person
from safetynet.sources.catalogue import catalogue
from safetynet.supervision import scan
from safetynet.supervision.models import VIEW_OF, Anomaly, AnomalyOutcome, AnomalyStatus, Kind, ScanRun
from safetynet.supervision.services import anomaly_assignee, anomaly_assignee_cache_clear

LAKE_SOURCES = ("benefits", "hukou_deaths", "prison", "public_payroll", "staff")
#: Working time each view gives the officer to close a finding (calendar days).
DUE_DAYS = {"payment": 15, "overlap": 15, "process": 5, "review": 10, "coverage": 30}
#: A subject closed with one of these is not reopened by later scans on the same evidence.
SETTLED = (AnomalyOutcome.EXPLAINED, AnomalyOutcome.FALSE_POSITIVE)
SUMMARIES = {
    Kind.PAID_DECEASED: "死亡后仍在发放名册上",
    Kind.PAID_IMPRISONED: "服刑期间仍在发放名册上",
    Kind.PAID_PUBLIC_PAYROLL: "财政供养人员仍在发放名册上",
    Kind.DUPLICATE_BENEFIT: "同一人列入 %(n)d 个家庭的发放名册",
    Kind.SHARED_ACCOUNT: "同一收款账户为 %(n)d 个互无亲属关系的家庭收款",
    Kind.EXCLUSIVE_PROGRAMMES: "同时享受互斥的救助项目：%(p)s",
    Kind.STAFF_RELATIVE: "民政工作人员与受助家庭存在亲属(共同生活)关系",
}


def _payments_roll(on: dt.date) -> pa.Table:
    """Members of households paid by this platform's approved lines of the latest month ≤ ``on``."""
    lines = PaymentLine.objects.filter(roll__status__in=FINAL_STATUSES, hold_reason="", period__lte=on)
    latest = lines.order_by("-period").values_list("period", flat=True).first()
    cols: dict[str, list] = {k: [] for k in scan.ROLL_SCHEMA.names}
    if latest is not None:
        paid = {hh: (pk, prog, number) for pk, hh, prog, number in
                lines.filter(period=latest).values_list("pk", "household_id", "roll__programme", "household__number")}
        for household_id, id_number in (Membership.objects.filter(household_id__in=list(paid), left_on__isnull=True)
                                        .values_list("household_id", "person__id_number_index").iterator(chunk_size=20000)):
            pk, programme, number = paid[household_id]
            for key, value in (("id_number", id_number), ("household_number", number), ("programme", programme),
                               ("source", "payments"), ("batch", f"period={latest:%Y-%m}"), ("row", pk),
                               ("as_of", latest)):
                cols[key].append(value)
    return pa.table(cols, schema=scan.ROLL_SCHEMA)


def gather(on: dt.date) -> dict[str, pa.Table]:
    """The Arrow inputs the expression takes besides the lake tables."""
    deaths = list(Person.objects.filter(death_date__isnull=False, death_date__lte=on)
                  .values_list("id_number_index", "death_date"))
    history = [(i, n, left is None or left > on) for i, n, left in
               Membership.objects.filter(joined_on__lte=on).values_list("person__id_number_index", "household__number",
                                                                         "left_on").iterator(chunk_size=50000)]
    accounts = list(BankAccount.objects.filter(closed_at__isnull=True)
                    .values_list("account_number_index", "household__number", "holder__id_number_index", "pk"))
    return {
        "roll": _payments_roll(on),
        "deaths": pa.table(list(zip(*deaths, strict=True)) if deaths else [[], []], schema=scan.DEATHS_SCHEMA),
        "history": pa.table(list(zip(*history, strict=True)) if history else [[], [], []],
                            schema=scan.HISTORY_SCHEMA),
        "accounts": pa.table(list(zip(*accounts, strict=True)) if accounts else [[], [], [], []],
                             schema=scan.ACCOUNTS_SCHEMA),
    }


def engine_findings(*, on: dt.date, inputs: dict[str, pa.Table], backend: str | None = None) -> pa.Table:
    """Run the scan expression over the lake in force on ``on`` and ``inputs``; sorted rows."""
    batches = batches_in_force(on=on, sources=LAKE_SOURCES)
    cat = catalogue()
    with engine_lock():
        con = connect(backend)
        # Spark cannot infer a schema from an empty Arrow table: those go in as typed memtables.
        full = {k: v for k, v in inputs.items() if v.num_rows}
        with arrow_tables(con, **full) as t:
            t = {**{k: ibis.memtable(v) for k, v in inputs.items() if not v.num_rows}, **t}
            lake = {name: source_table(con, cat[name], batches[name]) for name in LAKE_SOURCES}
            roll = scan.benefits_roll(lake["benefits"]).union(t["roll"])
            expr = scan.findings_expression(
                roll=roll, hukou_deaths=lake["hukou_deaths"], prison=lake["prison"],
                public_payroll=lake["public_payroll"], staff=lake["staff"], deaths=t["deaths"],
                history=t["history"], accounts=t["accounts"],
            )
            expr = expr.order_by(["kind", "subject", "household_number", "source", "batch", "row"])
            return con.to_pyarrow(expr)


def _process_findings(now: dt.datetime) -> list[dict]:
    """办理流程 and 复核: open cases past their step's deadline; recipients past their review date."""
    out = []
    payable = (Status.ACTIVE, Status.GRADUAL_EXIT)
    rows = (Case.objects.filter(is_open=True, due_at__lt=now)
            .values_list("pk", "status", "due_at", "household__number", "applicant__id_number_index"))
    for pk, status, due_at, number, id_number in rows:
        kind = Kind.REVIEW_OVERDUE if status in payable else Kind.DEADLINE_BREACH
        out.append({"kind": kind, "subject": f"case:{pk}:{status}", "household_number": number, "source": "cases",
                    "batch": status, "row": pk, "date": due_at.date().isoformat(), "detail": id_number,
                    "case_id": pk})
    return out


def _coverage_findings() -> list[dict]:
    """应保尽保/应退尽退 from the latest monitoring run's lists (decided by the rules on verified facts)."""
    root = Path(settings.LAKE_DIR) / "derived" / "monitoring"
    runs = sorted((p for p in root.glob("run=*") if p.is_dir()), key=lambda p: int(p.name.split("=")[1])) \
        if root.is_dir() else []
    if not runs:
        return []
    latest = runs[-1]
    out = []
    for name, kind in (("dibao_uncovered.parquet", Kind.UNCOVERED), ("dibao_left_eligibility.parquet", Kind.SHOULD_EXIT)):
        path = latest / name
        if not path.exists():
            continue
        table = pq.read_table(path, columns=["household_id", "income_ratio"])
        numbers = dict(Household.objects.filter(pk__in=table.column("household_id").to_pylist())
                       .values_list("pk", "number"))
        for i, (hid, ratio) in enumerate(zip(table.column("household_id").to_pylist(),
                                             table.column("income_ratio").to_pylist(), strict=True)):
            out.append({"kind": kind, "subject": f"household:{hid}", "household_number": numbers.get(hid),
                        "source": "monitoring", "batch": latest.name, "row": i, "date": None,
                        "detail": f"income_ratio={ratio}"})
    return out


def supervise_run_for_user(*, user, on: dt.date) -> dict:
    """A scan started from the workbench by someone the permission table allows."""
    require(user, Action.SUPERVISION_SCAN)
    return supervise_run(on=on, actor=user)


def supervise_run(*, on: dt.date, actor=None, backend: str | None = None) -> dict:
    started = time.perf_counter()
    inputs = gather(on)
    t_gather = time.perf_counter() - started
    table = engine_findings(on=on, inputs=inputs, backend=backend)
    t_engine = time.perf_counter() - started - t_gather
    rows = table.to_pylist()
    rows += _process_findings(timezone.now())
    rows += _coverage_findings()
    grouped = scan.group_findings(rows)
    result = anomalies_upsert(grouped=grouped, on=on, backend=backend_name(backend), actor=actor)
    result["seconds"] = {"gather": round(t_gather, 2), "engine": round(t_engine, 2),
                         "total": round(time.perf_counter() - started, 2)}
    ScanRun.objects.filter(pk=result["run_id"]).update(counts=dict(result))
    result["found"] = set(grouped)
    return result


@transaction.atomic
def anomalies_upsert(*, grouped: dict[tuple[str, str], list[dict]], on: dt.date, backend: str, actor) -> dict:
    anomaly_assignee_cache_clear()  # accounts may have changed since the last scan
    run = ScanRun.objects.create(on=on, backend=backend, started_by=actor)
    fingerprints = {f"{kind}:{subject}": (kind, subject) for kind, subject in grouped}
    open_by_fp = {a.fingerprint: a for a in Anomaly.objects.filter(status=AnomalyStatus.OPEN,
                                                                   fingerprint__in=list(fingerprints))}
    settled = set(Anomaly.objects.filter(status=AnomalyStatus.CLOSED, outcome__in=SETTLED,
                                         fingerprint__in=list(fingerprints)).values_list("fingerprint", flat=True))
    numbers = {r["household_number"] for items in grouped.values() for r in items if r["household_number"]}
    households = {h.number: h for h in Household.objects.filter(number__in=numbers).select_related("region")}
    ids = {s for k, s in grouped if not s.startswith(("case:", "household:")) and k != Kind.SHARED_ACCOUNT}
    ids |= {r["detail"] for (k, _s), items in grouped.items() if k == Kind.SHARED_ACCOUNT for r in items}
    persons = dict(Person.objects.filter(id_number_index__in=ids).values_list("id_number_index", "pk"))
    today = timezone.localdate()
    new, refreshed, suppressed, unplaced = [], [], 0, 0
    by_kind: Counter = Counter()
    for fp, (kind, subject) in fingerprints.items():
        items = grouped[(kind, subject)]
        by_kind[kind] += 1
        evidence = [{k: r.get(k) for k in ("source", "batch", "row", "date", "household_number", "detail")}
                    for r in items]
        if fp in open_by_fp:
            a = open_by_fp[fp]
            a.evidence, a.run = evidence, run
            refreshed.append(a)
            continue
        if fp in settled:
            suppressed += 1
            continue
        household = next((households[r["household_number"]] for r in items if r["household_number"] in households),
                         None)
        if household is None:
            unplaced += 1
            continue
        view = VIEW_OF[Kind(kind)]
        person_key = items[0]["detail"] if kind == Kind.SHARED_ACCOUNT else subject
        n_households = len({r["household_number"] for r in items})
        programmes = "、".join(sorted({r["detail"] for r in items if r.get("detail")}))
        summary = SUMMARIES.get(Kind(kind), Kind(kind).label) % {"n": n_households, "p": programmes} \
            if kind in SUMMARIES else str(Kind(kind).label)
        new.append(Anomaly(
            kind=kind, view=view, fingerprint=fp, region=household.region, household=household,
            person_id=persons.get(person_key), case_id=items[0].get("case_id"), summary=summary[:300],
            evidence=evidence, run=run, assigned_to_id=anomaly_assignee(region=household.region, view=view),
            due_on=today + dt.timedelta(days=DUE_DAYS[view]),
        ))
    Anomaly.objects.bulk_create(new, batch_size=2000)
    Anomaly.objects.bulk_update(refreshed, ["evidence", "run", "updated_at"], batch_size=2000)
    planner_statistics_refresh(Anomaly)
    counts = {"run_id": run.pk, "on": on.isoformat(), "backend": backend, "findings": len(fingerprints),
              "opened": len(new), "refreshed": len(refreshed), "suppressed": suppressed, "unplaced": unplaced,
              "by_kind": {str(k): n for k, n in sorted(by_kind.items())}}
    audit_record(actor=actor, action="supervision.scan", target=run, data=counts)
    return counts


def result_json(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "found"}, ensure_ascii=False, indent=2, default=str)
