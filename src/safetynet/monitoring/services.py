"""Writes on alerts: bulk opening by a run, visit, close, open a case in one step, escalation.
Every change commits with its audit event."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.accounts.models import User
from safetynet.audit.services import audit_record
from safetynet.cases.models import Channel, Programme
from safetynet.cases.services import case_submit
from safetynet.core import uploads
from safetynet.core.access import get_scoped, scope
from safetynet.core.calendar import deadline_after_working_days
from safetynet.core.permissions import Action, require, roles_for
from safetynet.core.roles import Role
from safetynet.monitoring.compute import MonitoringResult
from safetynet.monitoring.errors import (
    AlertClosed,
    AlertNotFound,
    InvalidAttachment,
    InvalidCapacity,
    InvalidOutcome,
    InvalidVisitOutcome,
)
from safetynet.monitoring.model.dispatch import (
    LEVEL_RANK,
    MANDATORY_TRIGGERS,
    dispatch,
    recommend,
    rules_priority,
)
from safetynet.monitoring.model.explain import explain
from safetynet.monitoring.model.features import feature_matrix, feature_names
from safetynet.monitoring.model.prior import prior_score
from safetynet.monitoring.model.store import feature_groups, features_write, risk_model_promoted
from safetynet.monitoring.model.training import cells_of
from safetynet.monitoring.models import (
    OPEN_STATUSES,
    Alert,
    AlertAttachment,
    AlertKind,
    AlertLevel,
    AlertOutcome,
    AlertStatus,
    MonitorRun,
    VisitCapacity,
    VisitFact,
    VisitFinding,
    VisitOutcome,
)
from safetynet.monitoring.outcomes import VisitOutcomeInput, facts_of, validate
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.models import Level, Region
from safetynet.registry.models import Household, Membership

DUE_WORKING_DAYS = 5
_CHUNK = 5000  # ids per IN list (SQLite binds at most 32,766 parameters)


def assignees(region_ids: set[int]) -> dict[int, int | None]:
    """Community region → its community worker, else the street officer of the parent street."""
    regions = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "parent_id"))
    staff = User.objects.filter(is_active=True, role__in=sorted(roles_for(Action.ALERT_HANDLE)),
                                region_id__in=set(regions) | {p for p in regions.values() if p})
    worker: dict[int, int] = {}
    officer: dict[int, int] = {}
    for pk, role, region_id in staff.order_by("-pk").values_list("pk", "role", "region_id"):
        (worker if role == Role.COMMUNITY_WORKER else officer)[region_id] = pk
    return {r: worker.get(r) or officer.get(regions[r]) for r in regions}


_PER_ALERT = ("household_id", "kind", "condition", "level", "score", "reasons", "assigned_to_id")


def _alerts_insert(rows: list[dict], *, same: dict) -> None:
    """INSERT new alerts (``_PER_ALERT`` values per row, ``same`` for all of them, every other
    field its default) in one ``executemany``. ``bulk_create`` prepared each of the ~25 fields of
    every alert through the ORM (20 s of a million persons' run, for 50,000 alerts); here the
    shared values are prepared once and only ``reasons`` per row, by the same field adaptors."""
    if not rows:
        return
    now = timezone.now()
    shared = {"created_at": now, "updated_at": now} | same
    # The statement names the shared fields first, then the per-alert ones: a row is the shared
    # values, prepared once, followed by its own.
    fixed = [f for f in Alert._meta.concrete_fields if not f.primary_key and f.attname not in _PER_ALERT]
    constant = [f.get_db_prep_save(shared[f.attname] if f.attname in shared else f.get_default(), connection)
                for f in fixed]
    reasons = Alert._meta.get_field("reasons")
    qn = connection.ops.quote_name
    columns = [f.column for f in fixed] + [Alert._meta.get_field(name).column for name in _PER_ALERT]
    sql = (f"INSERT INTO {qn(Alert._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    values = [[*constant, *(reasons.get_db_prep_save(row[name], connection) if name == "reasons" else row[name]
                            for name in _PER_ALERT)] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


@transaction.atomic
def alerts_open_bulk(*, candidates: list[dict], run: MonitorRun, actor=None) -> dict:
    """Open an alert per candidate (household_id, kind, condition, level, score, reasons) unless one
    is already open for that household and condition (suppressed, counted). One bulk insert."""
    wanted = {(c["household_id"], c["condition"]): c for c in candidates}
    # Open alerts are a worklist (bounded by what people can visit), so they are read whole rather
    # than through an IN list of every candidate household, which outgrows SQLite's parameter limit.
    open_now = set(Alert.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", "condition")) & set(wanted)
    new = [c for key, c in wanted.items() if key not in open_now]
    ids = sorted({c["household_id"] for c in new})
    regions = {pk: region for i in range(0, len(ids), _CHUNK)
               for pk, region in Household.objects.filter(pk__in=ids[i:i + _CHUNK]).values_list("id", "region_id")}
    assigned = assignees(set(regions.values()))
    due = deadline_after_working_days(timezone.now(), DUE_WORKING_DAYS)
    _alerts_insert(
        [{"household_id": c["household_id"], "kind": c["kind"], "condition": c["condition"], "level": c["level"],
          "score": c.get("score"), "reasons": c["reasons"], "assigned_to_id": assigned.get(regions[c["household_id"]])}
         for c in new],
        same={"on": run.on, "due_at": due, "run_id": run.pk},
    )
    counts = {"opened": len(new), "suppressed": len(wanted) - len(new),
              "by_level": dict(Counter(c["level"] for c in new)),
              "by_condition": dict(Counter(c["condition"] for c in new))}
    # One event for the batch: the run's alerts are found through ``run``.
    audit_record(actor=actor, action="monitoring.alerts_open", target=run, data=counts)
    return counts


def _lock(*, alert_id: int, actor) -> Alert:
    require(actor, Action.ALERT_HANDLE)
    alert = get_scoped(scope(Alert.objects.select_for_update(of=("self",)), user=actor), user=actor,
                       error=AlertNotFound, pk=alert_id)
    if alert.status == AlertStatus.CLOSED:
        raise AlertClosed(_("该预警已办结"), alert_id=alert_id)
    return alert


def _record_outcome(alert: Alert, *, actor, outcome: VisitOutcomeInput) -> VisitOutcome:
    """The visit's structured outcome and its facts (source: this visit); a second visit's outcome
    replaces the first's (the facts are kept, each citing its own visit)."""
    validate(outcome)
    on = outcome.visited_on or timezone.localdate()
    values = {"household_id": alert.household_id, "visitor": actor, "visited_on": on, "finding": outcome.finding,
              "reasons": sorted(set(outcome.reasons)), "hidden_income_kind": outcome.hidden_income_kind,
              "hidden_income_monthly": outcome.hidden_income_monthly,
              "family_support_monthly": outcome.family_support_monthly, "assets_value": outcome.assets_value,
              "note": outcome.note}
    record, _created = VisitOutcome.objects.update_or_create(alert=alert, defaults=values)
    VisitFact.objects.bulk_create([VisitFact(outcome=record, household_id=alert.household_id, as_of=on, **f)
                                   for f in facts_of(outcome)])
    audit_record(actor=actor, action="monitoring.visit_outcome", target=alert,
                 data={k: str(v) if v is not None else None for k, v in values.items() if k != "visitor"})
    return record


def alert_record_visit(*, alert_id: int, actor, findings: str, outcome: VisitOutcomeInput | None = None,
                       files: Sequence[Any] = ()) -> Alert:
    """A home visit: the notes, its photos and documents and, from the form, its structured
    outcome (走访结论). Each file is checked as every upload is; one refused file keeps none
    and records no visit."""
    if len(files) > uploads.MAX_FILES:
        raise InvalidAttachment(_("一次最多上传 %(n)d 个文件") % {"n": uploads.MAX_FILES}, code="monitoring.too_many_files")
    staged: list[tuple[str, uploads.StagedUpload]] = []
    try:
        for f in files:
            staged.append((getattr(f, "name", "") or "upload",
                           uploads.stage_upload(f, folder="monitoring", error=InvalidAttachment,
                                                code_prefix="monitoring.attachment")))
        with transaction.atomic():
            alert = _lock(alert_id=alert_id, actor=actor)
            if outcome is not None:
                _record_outcome(alert, actor=actor, outcome=outcome)
            alert.status = AlertStatus.VISITED
            alert.visited_at = timezone.now()
            alert.findings = findings
            alert.save(update_fields=["status", "visited_at", "findings", "updated_at"])
            kept = [AlertAttachment.objects.create(
                alert=alert, original_name=name[:200], path=s.relative_path, sha256=s.sha256, size=s.size,
                content_type=s.content_type, uploaded_by=actor) for name, s in staged]
            audit_record(actor=actor, action="monitoring.alert_visit", target=alert,
                         data={"findings": findings, "attachments": [{"id": a.pk, "sha256": a.sha256} for a in kept]})
            for _name, s in staged:
                s.keep()
        return alert
    finally:
        for _name, s in staged:
            s.discard()


def _close(alert: Alert, *, actor, outcome: str, reason: str) -> Alert:
    if outcome not in AlertOutcome.values:
        raise InvalidOutcome(_("未知的处理结果：%(o)s") % {"o": outcome}, outcome=outcome)
    alert.status = AlertStatus.CLOSED
    alert.outcome = outcome
    alert.closed_by = actor
    alert.closed_at = timezone.now()
    if reason:
        alert.findings = f"{alert.findings}\n{reason}".strip()
    alert.save(update_fields=["status", "outcome", "closed_by", "closed_at", "findings", "case", "updated_at"])
    audit_record(actor=actor, action="monitoring.alert_close", target=alert,
                 data={"outcome": outcome, "reason": reason, "case_id": alert.case_id})
    return alert


@transaction.atomic
def alert_close(*, alert_id: int, actor, outcome: str, reason: str, visit: VisitOutcomeInput | None = None) -> Alert:
    """Close with an outcome. A structured visit outcome is required: given here, or recorded by
    the visit before (the model learns from it, so no alert closes without one)."""
    alert = _lock(alert_id=alert_id, actor=actor)
    if outcome == AlertOutcome.ASSISTED_NEW_CASE:
        raise InvalidOutcome(_("发起救助申请请使用“转为申请”"), outcome=outcome)
    if visit is not None:
        _record_outcome(alert, actor=actor, outcome=visit)
    elif not VisitOutcome.objects.filter(alert=alert).exists():
        raise InvalidVisitOutcome(_("办结前请登记走访结论（是否需要救助及原因）"), alert_id=alert_id)
    return _close(alert, actor=actor, outcome=outcome, reason=reason)


@transaction.atomic
def alert_open_case(*, alert_id: int, actor, programme: str = Programme.DIBAO, description: str = "") -> Alert:
    """One step: file an active-discovery (主动发现) case citing the alert, link it, close as assisted."""
    alert = _lock(alert_id=alert_id, actor=actor)
    current = Membership.objects.filter(household_id=alert.household_id, left_on__isnull=True)
    applicant = current.filter(relationship="head").first() or current.order_by("joined_on", "id").first()
    submitted = case_submit(
        programme=programme, channel=Channel.ACTIVE_DISCOVERY, household_id=alert.household_id,
        applicant_id=applicant.person_id, actor=actor, source_ref=alert.number,
        idempotency_key=f"alert-{alert.pk}-{programme}", description=description or alert.reasons.get("title", ""),
    )
    alert.case = submitted.case
    if not VisitOutcome.objects.filter(alert=alert).exists():
        # Filing an application for the household is the worker's finding that it needs help.
        _record_outcome(alert, actor=actor, outcome=VisitOutcomeInput(finding=VisitFinding.NEEDS_HELP, note=description))
    return _close(alert, actor=actor, outcome=AlertOutcome.ASSISTED_NEW_CASE, reason=description)


@transaction.atomic
def alert_assistance_record(*, alert_id: int, actor, note: str, settled: bool) -> Alert | None:
    """Help delivered through a referral (转介) for a need this alert raised. The caller's own
    permission covers it (the provider recording the outcome need not handle alerts). The note is
    added to the alert's findings; when ``settled`` (every need the alert raised is met), the alert
    closes as 已转介, with the finding that the household needed help (what the model learns),
    unless a visit already recorded one. A closed alert is left as it is (``None``)."""
    alert = Alert.objects.select_for_update(of=("self",)).filter(pk=alert_id).first()
    if alert is None or alert.status == AlertStatus.CLOSED:
        return None
    note = note.strip()
    if not settled:
        alert.findings = f"{alert.findings}\n{note}".strip()
        alert.save(update_fields=["findings", "updated_at"])
        audit_record(actor=actor, action="monitoring.alert_assistance", target=alert, data={"note": note})
        return alert
    if not VisitOutcome.objects.filter(alert=alert).exists():
        _record_outcome(alert, actor=actor, outcome=VisitOutcomeInput(finding=VisitFinding.NEEDS_HELP, note=note[:300]))
    return _close(alert, actor=actor, outcome=AlertOutcome.REFERRED, reason=note)


@transaction.atomic
def visit_capacity_set(*, region_id: int, weekly_visits: int, actor) -> VisitCapacity:
    """A community's weekly home-visit capacity (每周走访能力)."""
    require(actor, Action.VISIT_CAPACITY_SET)
    if not isinstance(weekly_visits, int) or not 0 <= weekly_visits <= 1000:
        raise InvalidCapacity(_("每周走访户数须为 0 至 1000 的整数：%(v)s") % {"v": weekly_visits}, weekly_visits=weekly_visits)
    region = Region.objects.filter(pk=region_id, level=Level.COMMUNITY).first()
    if region is None or not (actor.region and region.path.startswith(actor.region.path)):
        raise RegionNotFound(_("辖区内没有该社区：%(r)s") % {"r": region_id}, region=region_id)
    capacity, _created = VisitCapacity.objects.update_or_create(region=region, defaults={"weekly_visits": weekly_visits})
    audit_record(actor=actor, action="monitoring.capacity_set", target=capacity, data={"weekly_visits": weekly_visits})
    return capacity


@transaction.atomic
def alerts_escalate_overdue(*, now: dt.datetime | None = None, actor=None) -> int:
    """Open alerts past their deadline: marked escalated and reassigned to the street officer."""
    now = now or timezone.now()
    overdue = list(Alert.objects.select_for_update().filter(status__in=OPEN_STATUSES, due_at__lt=now,
                                                            escalated_at__isnull=True)
                   .values_list("pk", "household__region__parent_id"))
    streets = {s for _, s in overdue if s}
    officer = dict(User.objects.filter(is_active=True, role=Role.STREET_OFFICER, region_id__in=streets)
                   .order_by("pk").values_list("region_id", "pk"))
    by_officer: dict[int | None, list[int]] = {}
    for pk, street in overdue:
        by_officer.setdefault(officer.get(street), []).append(pk)
    for user_id, pks in by_officer.items():
        update = {"escalated_at": now, "updated_at": now}
        if user_id:
            update["assigned_to_id"] = user_id
        Alert.objects.filter(pk__in=pks).update(**update)
    if overdue:
        audit_record(actor=actor, action="monitoring.alerts_escalate", target_type="monitoring.alert",
                     data={"alerts": [pk for pk, _ in overdue]})
    return len(overdue)


def weekly_capacity(region_ids: set[int]) -> dict[int, int]:
    """Each community's weekly visits: its VisitCapacity row, else the setting."""
    default = settings.MONITORING_WEEKLY_VISITS
    set_ = dict(VisitCapacity.objects.filter(region_id__in=region_ids).values_list("region_id", "weekly_visits"))
    return {r: set_.get(r, default) for r in region_ids}



#: The alerts dispatch itself opens for a scored household that has no open alert: the model
#: ranks it within the run's visits (模型预警), or the exploration draws it (抽样核查).
MODEL_CONDITION = "model_risk"
SAMPLE_CONDITION = "sample_check"


def _dispatch_write(*, ids: np.ndarray, households: np.ndarray, sent: np.ndarray, mandatory: np.ndarray,
                    inclusion: np.ndarray, risk: np.ndarray | None, reasons: dict, model) -> None:
    """Write the run's scores and dispatch (rows: the alerts ``ids`` of ``households``) in a few
    set-based statements: ``bulk_update`` writes one CASE per row and took 13 s for 3,000 alerts on
    SQLite (a million persons' run has ~65,000)."""
    waiting = Alert.objects.filter(status__in=OPEN_STATUSES, dispatched_at__isnull=True)
    waiting.update(risk=None, risk_model=model, mandatory=False, risk_reasons=[])
    if risk is not None:
        _alerts_update_from_values(["risk"], [(int(ids[i]), float(risk[i])) for i in np.flatnonzero(~np.isnan(risk))])
    must = ids[mandatory].tolist()
    for i in range(0, len(must), _CHUNK):
        Alert.objects.filter(pk__in=must[i:i + _CHUNK]).update(mandatory=True)
    now = timezone.now()
    sent_rows = np.flatnonzero(sent)
    # Every waiting alert's reasons were just emptied: only those the model explained get theirs,
    # and only a drawn visit an inclusion below 1; the rest of the dispatched need no more than the
    # time (one UPDATE per chunk, not a CASE per row).
    own = [i for i in sent_rows if reasons.get(households[i]) or inclusion[i] < 1]
    _alerts_update_from_values(["risk_reasons", "inclusion"], [
        (int(ids[i]), json.dumps(reasons.get(households[i], []), ensure_ascii=False), float(inclusion[i])) for i in own])
    sent_ids = ids[sent_rows].tolist()
    for i in range(0, len(sent_ids), _CHUNK):
        Alert.objects.filter(pk__in=sent_ids[i:i + _CHUNK]).update(dispatched_at=now)
    plain = sorted(set(sent_ids) - set(ids[own].tolist()))
    for i in range(0, len(plain), _CHUNK):
        Alert.objects.filter(pk__in=plain[i:i + _CHUNK]).update(inclusion=1.0)


def _alerts_update_from_values(columns: list[str], rows: list[tuple]) -> None:
    """Set ``columns`` of the alerts whose ids lead ``rows`` (id, value, …) by joining a VALUES list:
    one statement per chunk, where ``bulk_update`` writes a CASE per row (3,500 alerts' reasons
    took 3.3 s that way at a million persons). JSON columns are passed as JSON text."""
    if not rows:
        return
    table = connection.ops.quote_name(Alert._meta.db_table)
    fields = {c: Alert._meta.get_field(c) for c in columns}
    cast = {c: "::jsonb" if connection.vendor == "postgresql" and f.get_internal_type() == "JSONField" else ""
            for c, f in fields.items()}
    names = ", ".join(["id", *columns])
    sets = ", ".join(f"{c} = v.{c}{cast[c]}" for c in columns)
    per_row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    chunk_rows = max(_CHUNK // (len(columns) + 1), 1)
    with connection.cursor() as cursor:
        for i in range(0, len(rows), chunk_rows):
            chunk = rows[i:i + chunk_rows]
            cursor.execute(f"WITH v({names}) AS (VALUES {', '.join([per_row] * len(chunk))}) "
                           f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id", [x for r in chunk for x in r])


def _community_pks(codes: np.ndarray) -> np.ndarray:
    """The region id of each region code (-1 for a code no region has)."""
    unique, inverse = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
    pk_of = dict(Region.objects.filter(code__in=unique.tolist()).values_list("code", "pk"))
    return np.array([pk_of.get(c, -1) for c in unique.tolist()], np.int64)[inverse]


def _households_per_community(result: MonitoringResult, communities: dict) -> dict[int, int]:
    """Households this run scored in each of ``communities`` (region ids): exploration's weights."""
    codes, counts = np.unique(np.asarray(result.region_codes, dtype=str), return_counts=True)
    pk_of = dict(Region.objects.filter(pk__in=list(communities)).values_list("code", "pk"))
    out = {pk: 0 for pk in communities}
    for code, n in zip(codes.tolist(), counts.tolist(), strict=True):
        if code in pk_of:
            out[pk_of[code]] = n
    return out


def _own_alerts_open(*, run: MonitorRun, households: np.ndarray, community: np.ndarray, drawn: np.ndarray,
                     inclusion: np.ndarray, risk: np.ndarray, reasons: dict, version: int) -> np.ndarray:
    """Open the alerts dispatch sends to households no open alert covered (a 模型预警 for a ranked
    visit, a 抽样核查 for a drawn one, see :data:`MODEL_CONDITION`) and return their ids, in order."""
    if not households.size:
        return np.zeros(0, np.int64)
    assigned = assignees(set(community.tolist()))
    rows = []
    for h, c, d, pi, p in zip(households.tolist(), community.tolist(), drawn.tolist(), inclusion.tolist(),
                              risk.tolist(), strict=True):
        if d:
            # a probability sample: nothing about the household is suspected, which its reasons say
            rows.append({"kind": AlertKind.SAMPLE, "condition": SAMPLE_CONDITION, "level": AlertLevel.YELLOW,
                         "reasons": {"inclusion": round(pi, 6), "model_version": version}})
        else:
            rows.append({"kind": AlertKind.MODEL, "condition": MODEL_CONDITION, "level": AlertLevel.ORANGE,
                         "reasons": {"risk": round(p, 4), "model_version": version,
                                     "explanation": [r["text"] for r in reasons.get(h, [])]}})
        rows[-1] |= {"household_id": h, "score": None, "assigned_to_id": assigned.get(c)}
    _alerts_insert(rows, same={"on": run.on, "due_at": deadline_after_working_days(timezone.now(), DUE_WORKING_DAYS),
                               "run_id": run.pk})
    pk_of = dict(Alert.objects.filter(run=run, condition__in=(MODEL_CONDITION, SAMPLE_CONDITION))
                 .values_list("household_id", "pk"))
    return np.array([pk_of[h] for h in households.tolist()], np.int64)


@transaction.atomic
def alerts_dispatch(*, run: MonitorRun, result: MonitoringResult, candidates: list[dict], actor=None) -> dict:
    """派单 under capacity (see ``model.dispatch``), and the run's features of every household with
    an open alert kept for training.

    With a promoted model, the policy the evaluation measures (``model.simulation``'s *learned*):
    the model scores every household this run scored, alerted by the rules or not, and the pool is
    the waiting alerts together with every scored household no open alert covers; such a
    household that dispatch sends gets an alert of its own (:func:`_own_alerts_open`). Without
    one, the cold-start prior (``model.prior``) ranks the open alerts of the households this run
    scored, and any other waiting alert follows them in the rules' order. The best of the pool
    goes into each community's free slots for the week."""
    alerts = list(Alert.objects.select_for_update().filter(status__in=OPEN_STATUSES)
                  .values_list("pk", "household_id", "condition", "level", "score", "dispatched_at",
                               "household__region_id"))
    promoted = risk_model_promoted()
    alerted = np.fromiter({a[1] for a in alerts}, np.int64)
    scored_ids = np.asarray(result.household_ids, np.int64)
    # the model scores every household of the run; the prior, the households with an open alert
    rows = np.arange(scored_ids.size) if promoted else np.sort(np.flatnonzero(np.isin(scored_ids, alerted)))
    households = scored_ids[rows]
    x = (feature_matrix(result, rows=rows, candidates=candidates) if len(rows)
         else np.zeros((0, len(feature_names())), np.float32))
    districts = np.array([c[:6] for c in result.region_codes[rows]], dtype=object)
    row_of = {h: i for i, h in enumerate(households.tolist())}

    pool = [a for a in alerts if a[5] is None]
    at = np.array([row_of.get(a[1], -1) for a in pool], np.int64)  # each waiting alert's row (-1: not scored)
    community = np.array([a[6] for a in pool], np.int64)
    mandatory = np.array([a[2] in MANDATORY_TRIGGERS for a in pool], bool)
    if promoted:
        # scored, no open alert covers it, and receiving neither 低保 nor 特困 (a recipient is under the
        # case workflow's periodic review, and can never be a find: the target is need receiving nothing)
        receiving = (result.measures["dibao_members"][rows] > 0) | (result.measures["tekun_members"][rows] > 0)
        fresh = np.flatnonzero(~np.isin(households, alerted) & ~receiving)
        fresh_community = _community_pks(result.region_codes[rows[fresh]])
        fresh = fresh[fresh_community >= 0]
        at = np.r_[at, fresh]
        community = np.r_[community, fresh_community[fresh_community >= 0]]
        mandatory = np.r_[mandatory, np.zeros(fresh.size, bool)]
        scored = at >= 0
        groups = feature_groups(x, districts)
        # a waiting alert of a household this run did not score ranks last, at the model's threshold
        priority, floor = np.full(at.size, -1.0), np.full(at.size, promoted[0].threshold)
        cells = np.full(at.size, "", object)
        priority[scored] = promoted[1].predict(x)[at[scored]]
        floor[scored] = promoted[1].floors(groups, len(households))[at[scored]]
        cells[scored] = cells_of(groups)[at[scored]]
    else:
        # the cold start (model.prior) ranks the alerts of the households this run scored; any other
        # waiting alert follows them in the rules' order (0–4 scaled below 0)
        scored = at >= 0
        priority = rules_priority(level_rank=np.array([LEVEL_RANK.get(a[3], 0) for a in pool]),
                                  af_score=np.array([a[4] if a[4] is not None else 0.0 for a in pool])) / 4 - 1
        priority[scored] = prior_score(x, feature_names())[at[scored]]
        floor = None
    busy = Counter(a[6] for a in alerts if a[5] is not None)
    capacity = weekly_capacity({a[6] for a in alerts} | set(community.tolist()))
    slots = {r: max(c - busy.get(r, 0), 0) for r, c in capacity.items()}
    fill = settings.MONITORING_MIN_EXPECTED_FIND if promoted else None
    allocation = (recommend(expected=priority, mandatory=mandatory, community=community, capacity=capacity,
                            households=_households_per_community(result, capacity),
                            explore_share=settings.MONITORING_EXPLORE_SHARE, least=np.minimum(floor, fill),
                            cells=cells, min_precision=settings.MONITORING_MIN_PRECISION)
                  if promoted else None)
    if allocation is not None:
        # no community sends more than the recommendation, which stops at the precision target
        slots = {r: min(n, allocation[r]["recommended"]) for r, n in slots.items()}
    sent, explored, inclusion = dispatch(
        priority=priority, mandatory=mandatory, community=community, slots=slots, floor=floor,
        explore_share=settings.MONITORING_EXPLORE_SHARE, rng=np.random.default_rng(run.pk),
        guided=promoted is not None, fill_min=fill)
    reasons: dict[int, list] = {}
    if promoted:
        explained = np.flatnonzero(sent & scored & ~explored)
        reasons = dict(zip(households[at[explained]].tolist(), explain(promoted[1], x[at[explained]]), strict=True))
    # the rows with an alert: the waiting alerts, and the households without one that dispatch sends
    own = np.flatnonzero(sent[len(pool):]) + len(pool)
    keep = np.r_[np.arange(len(pool)), own]
    ids = np.r_[np.array([a[0] for a in pool], np.int64), _own_alerts_open(
        run=run, households=households[at[own]], community=community[own], drawn=explored[own],
        inclusion=inclusion[own], risk=priority[own], reasons=reasons, version=promoted[0].version if promoted else 0)]
    kept = np.union1d(np.flatnonzero(np.isin(households, alerted)), at[own])
    features_write(run_id=run.pk, household_ids=households[kept], x=x[kept], districts=districts[kept])
    _dispatch_write(ids=ids, households=np.r_[np.array([a[1] for a in pool], np.int64), households[at[own]]],
                    sent=sent[keep], mandatory=mandatory[keep], inclusion=inclusion[keep],
                    risk=np.where(scored[keep], priority[keep], np.nan) if promoted else None, reasons=reasons,
                    model=promoted[0] if promoted else None)
    counts = {
        "model_version": promoted[0].version if promoted else None,
        "capacity_weekly": int(sum(capacity.values())), "dispatched": int(sent.sum()),
        "dispatched_mandatory": int((sent & mandatory).sum()), "explored": int(explored.sum()),
        "model_alerts": int((~explored[own]).sum()), "sample_alerts": int(explored[own].sum()),
        "backlog": int(len(pool) - sent[:len(pool)].sum()),
        "expected_finds": round(float(priority[sent].clip(0).sum()), 2) if promoted else None,
        "allocation": allocation,
    }
    # the recommendation (one entry per community) stays in the run's counts, not in the audit chain
    audit_record(actor=actor, action="monitoring.alerts_dispatch", target=run,
                 data={k: v for k, v in counts.items() if k != "allocation"})
    return counts
