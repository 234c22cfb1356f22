"""Writes on alerts: bulk opening by a run, visit, close, open a case in one step, escalation.
Every change commits with its audit event."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

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
from safetynet.monitoring.errors import (
    AlertClosed,
    AlertNotFound,
    InvalidAttachment,
    InvalidCapacity,
    InvalidOutcome,
    InvalidVisitOutcome,
)
from safetynet.monitoring.model.dispatch import LEVEL_RANK
from safetynet.monitoring.models import (
    OPEN_STATUSES,
    Alert,
    AlertAttachment,
    AlertKind,
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
CHUNK = 5000  # ids per IN list (SQLite binds at most 32,766 parameters)


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


def alerts_insert(rows: list[dict], *, same: dict) -> None:
    """INSERT new alerts (``_PER_ALERT`` values per row, ``same`` for all of them, every other
    field its default) in one ``executemany``. ``bulk_create`` prepared each of the ~25 fields of
    every alert through the ORM (20 s of a million persons' run, for 50,000 alerts); here the
    shared values are prepared once and ``reasons`` once per object, by the same field adaptors."""
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
    prepared: dict[int, Any] = {}  # by the reasons object: rows that share one share its prepared value

    def prepare(value: Any) -> Any:
        if id(value) not in prepared:
            prepared[id(value)] = reasons.get_db_prep_save(value, connection)
        return prepared[id(value)]

    values = [[*constant, *(prepare(row[name]) if name == "reasons" else row[name] for name in _PER_ALERT)]
              for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def household_regions(ids: list[int]) -> dict[int, int]:
    """Household id → its region id, for ``ids`` (tens of thousands after a city's run): read with
    plain IN lists of parameters, as the ORM's ``pk__in`` would, without its preparing every value
    of every list (a second for a city's alerts)."""
    qn = connection.ops.quote_name
    table, pk, region = Household._meta.db_table, Household._meta.pk.column, Household._meta.get_field("region").column
    found: dict[int, int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            cursor.execute(f"SELECT {qn(pk)}, {qn(region)} FROM {qn(table)} WHERE {qn(pk)} IN ({', '.join(['%s'] * len(chunk))})",
                           chunk)
            found.update(cursor.fetchall())
    return found


def visits_within_revisit_period(*, on: dt.date):
    """The visit outcomes that closed an alert in the ``MONITORING_REVISIT_AFTER_DAYS`` up to ``on``:
    a worker was at these households lately, and a new visit on the same picture would ask what
    that one answered."""
    since = on - dt.timedelta(days=settings.MONITORING_REVISIT_AFTER_DAYS)
    return VisitOutcome.objects.filter(alert__status=AlertStatus.CLOSED, visited_on__gt=since, visited_on__lte=on)


#: The kinds of alert a visit answers: the household's standing picture (积分式, 应保尽保), not an
#: event. After a visit closed one, the same condition is not raised again within the revisit
#: period unless its level rose (new data worse than what the visit saw); an event (触发式) always is.
ANSWERED_BY_VISIT = (AlertKind.POINTS, AlertKind.COVERAGE)


@transaction.atomic
def alerts_open_bulk(*, candidates: list[dict], run: MonitorRun, actor=None) -> dict:
    """Open an alert per candidate (household_id, kind, condition, level, score, reasons) unless one
    is already open for that household and condition (suppressed, counted), or a visit within the
    revisit period closed one of that standing condition at the same level or higher
    (``ANSWERED_BY_VISIT``; held, counted). One bulk insert."""
    wanted = {(c["household_id"], c["condition"]): c for c in candidates}
    # Open alerts are a worklist (bounded by what people can visit), so they are read whole rather
    # than through an IN list of every candidate household, which outgrows SQLite's parameter limit.
    open_now = set(Alert.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", "condition")) & set(wanted)
    # each standing condition a recent visit answered, at the level of the alert it closed (the latest visit's)
    answered = {(h, c): level for h, c, level in visits_within_revisit_period(on=run.on)
                .filter(alert__kind__in=ANSWERED_BY_VISIT).order_by("visited_on")
                .values_list("household_id", "alert__condition", "alert__level")}
    held = {key for key, c in wanted.items() if key not in open_now and key in answered
            and LEVEL_RANK.get(c["level"], 0) <= LEVEL_RANK.get(answered[key], 0)}
    new = [c for key, c in wanted.items() if key not in open_now and key not in held]
    regions = household_regions(sorted({c["household_id"] for c in new}))
    assigned = assignees(set(regions.values()))
    due = deadline_after_working_days(timezone.now(), DUE_WORKING_DAYS)
    alerts_insert(
        [{"household_id": c["household_id"], "kind": c["kind"], "condition": c["condition"], "level": c["level"],
          "score": c.get("score"), "reasons": c["reasons"], "assigned_to_id": assigned.get(regions[c["household_id"]])}
         for c in new],
        same={"on": run.on, "due_at": due, "run_id": run.pk},
    )
    counts = {"opened": len(new), "suppressed": len(open_now), "held_after_visit": len(held),
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
