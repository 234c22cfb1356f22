"""派单 under capacity: each run's dispatch of the waiting alerts and of the households the model
ranks, the learning phase's sample (``learning_phase``), and the set-based writes that record them."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from safetynet.audit.services import audit_record
from safetynet.cases.models import CASH_PROGRAMMES
from safetynet.cases.selectors import households_with_open_case
from safetynet.core.calendar import deadline_after_working_days
from safetynet.monitoring.compute import MonitoringResult
from safetynet.monitoring.learning_phase import (
    learning_estimate_latest,
    learning_households_this_month,
    learning_phase_advance,
    learning_visits_record,
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
from safetynet.monitoring.model.learning import learning_draw
from safetynet.monitoring.model.prior import prior_score
from safetynet.monitoring.model.store import feature_groups, features_write, risk_model_promoted
from safetynet.monitoring.model.training import cells_of
from safetynet.monitoring.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    AlertLevel,
    MonitorRun,
    RunMode,
    VisitCapacity,
)
from safetynet.monitoring.services import (
    CHUNK,
    DUE_WORKING_DAYS,
    alerts_insert,
    assignees,
    visits_within_revisit_period,
)
from safetynet.regions.models import Region


def weekly_capacity(region_ids: set[int]) -> dict[int, int]:
    """Each community's weekly visits: its VisitCapacity row, else the setting."""
    default = settings.MONITORING_WEEKLY_VISITS
    set_ = dict(VisitCapacity.objects.filter(region_id__in=region_ids).values_list("region_id", "weekly_visits"))
    return {r: set_.get(r, default) for r in region_ids}



def households_out_of_pool(*, on: dt.date) -> np.ndarray:
    """The households the model's pool leaves out on ``on`` (no 模型预警 is opened for them and the
    learning sample draws none of them): those whose alert was closed with a visit outcome in the
    last ``MONITORING_REVISIT_AFTER_DAYS`` days, as the evaluation's visited household leaves the
    pool (``model.simulation``): the worker was just there, and a new visit would ask what the
    last one answered; and those with an open 低保, 特困 or 低保边缘 case, whose household the
    casework's own investigation visits. New data about such a household reaches a worker through
    the rules: an event (触发式, a mandatory trigger above all) opens an alert of its own, which
    this does not hold back, and so does a standing picture (积分式, 应保尽保) at a higher level
    than the visit saw (``services.alerts_open_bulk``)."""
    visited = set(visits_within_revisit_period(on=on).values_list("household_id", flat=True))
    return np.fromiter(visited | households_with_open_case(programmes=CASH_PROGRAMMES), np.int64)


def _household_leads(*, unit: np.ndarray, priority: np.ndarray, mandatory: np.ndarray) -> np.ndarray:
    """One row per household (``unit``: each row's household) to rank: a mandatory one if it has
    any, else its highest priority (the first of equals): a household with several waiting alerts
    counts once in the ranking and takes one slot."""
    order = np.lexsort((-priority, ~mandatory))  # mandatory first, then the highest priority (stable)
    _units, first = np.unique(unit[order], return_index=True)
    lead = np.zeros(unit.size, bool)
    lead[order[first]] = True
    return lead


def _ride_along(*, sent: np.ndarray, unit: np.ndarray, explored: np.ndarray, inclusion: np.ndarray) -> np.ndarray:
    """Send with each visit (a sent row: one per household) the household's other waiting alerts, in
    place, and return them: the worker sees every alert of the household on the one visit rather
    than being sent back for the next a week later. A rider takes its visit's inclusion probability."""
    visits = np.flatnonzero(sent)
    visits = visits[np.argsort(unit[visits], kind="stable")]
    riders = ~sent & np.isin(unit, unit[visits])
    at = visits[np.searchsorted(unit[visits], unit[riders])]
    sent[riders], explored[riders], inclusion[riders] = True, explored[at], inclusion[at]
    return riders


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
    for i in range(0, len(must), CHUNK):
        Alert.objects.filter(pk__in=must[i:i + CHUNK]).update(mandatory=True)
    now = timezone.now()
    sent_rows = np.flatnonzero(sent)
    # Every waiting alert's reasons were just emptied: only those the model explained get theirs,
    # and only a drawn visit an inclusion below 1; the rest of the dispatched need no more than the
    # time (one UPDATE per chunk, not a CASE per row).
    own = [i for i in sent_rows if reasons.get(households[i]) or inclusion[i] < 1]
    _alerts_update_from_values(["risk_reasons", "inclusion"], [
        (int(ids[i]), json.dumps(reasons.get(households[i], []), ensure_ascii=False), float(inclusion[i])) for i in own])
    sent_ids = ids[sent_rows].tolist()
    for i in range(0, len(sent_ids), CHUNK):
        Alert.objects.filter(pk__in=sent_ids[i:i + CHUNK]).update(dispatched_at=now)
    plain = sorted(set(sent_ids) - set(ids[own].tolist()))
    for i in range(0, len(plain), CHUNK):
        Alert.objects.filter(pk__in=plain[i:i + CHUNK]).update(inclusion=1.0)


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
    chunk_rows = max(CHUNK // (len(columns) + 1), 1)
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
    alerts_insert(rows, same={"on": run.on, "due_at": deadline_after_working_days(timezone.now(), DUE_WORKING_DAYS),
                               "run_id": run.pk})
    pk_of = dict(Alert.objects.filter(run=run, condition__in=(MODEL_CONDITION, SAMPLE_CONDITION))
                 .values_list("household_id", "pk"))
    return np.array([pk_of[h] for h in households.tolist()], np.int64)


def _learning_sample(*, sent: np.ndarray, scored: np.ndarray, unit: np.ndarray, visiting: np.ndarray,
                     priority: np.ndarray, cells: np.ndarray, community: np.ndarray, free: dict,
                     estimate: dict | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """The rows the learning phase draws (``model.learning.learning_draw``) from the scored rows the
    operating visits left, into each community's spare slots (its free slots less its operating
    visits), their inclusion probabilities, and the spare slots in all. The sample's unit is the
    household (``unit``, per row): one row per household (a household with two waiting alerts is
    not twice as likely), and none of a household a visit already goes to (``visiting``, or sent
    now)."""
    left = ~sent & scored & ~np.isin(unit, np.r_[visiting, unit[sent]])
    _units, first = np.unique(unit[left], return_index=True)
    rest = np.sort(np.flatnonzero(left)[first])
    used = Counter(community[sent].tolist())
    spare = {r: max(n - used.get(r, 0), 0) for r, n in free.items()}  # mandatory visits may overrun a community
    picked, pi = learning_draw(expected=priority[rest], cells=cells[rest], k=spare, estimate=estimate, rng=rng,
                               community=community[rest])
    return rest[picked], pi[picked], sum(spare.values())


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
    goes into each community's free slots for the week. The pool leaves out the households
    :func:`households_out_of_pool` names (just visited, or with an open cash case); the rules'
    alerts are not held back. A household is one visit: its best row is ranked (a mandatory one
    first) and its other waiting alerts ride along (:func:`_ride_along`), as does a waiting alert
    of a household a visit already goes to; ``dispatched`` counts visits, ``riding`` the alerts
    that went with them.

    With a model, during the learning phase (``learning_phase``), the visits the precision target
    sends are the *operating* ones, and a full run draws a probability sample of the rest of the
    pool into each community's slots they leave (:func:`_learning_sample`); a drawn household no
    alert covered gets a 抽样核查. Every visit of such a run is recorded for the month's estimate."""
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
    resting = households_out_of_pool(on=run.on)
    at = np.array([row_of.get(a[1], -1) for a in pool], np.int64)  # each waiting alert's row (-1: not scored)
    community = np.array([a[6] for a in pool], np.int64)
    mandatory = np.array([a[2] in MANDATORY_TRIGGERS for a in pool], bool)
    if promoted:
        # scored, no open alert covers it, and receiving neither 低保 nor 特困 (a recipient is under the
        # case workflow's periodic review, and can never be a find: the target is need receiving nothing)
        receiving = (result.measures["dibao_members"][rows] > 0) | (result.measures["tekun_members"][rows] > 0)
        fresh = np.flatnonzero(~np.isin(households, np.r_[alerted, resting]) & ~receiving)
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
    # the rows' households: a household counts once in the ranking (its lead row, the others ride along)
    unit = np.r_[np.array([a[1] for a in pool], np.int64), households[at[len(pool):]]]
    # a waiting alert of a household a visit already goes to joins that visit (takes no slot)
    under_way = np.fromiter({a[1] for a in alerts if a[5] is not None}, np.int64)
    joining = np.isin(unit, under_way)
    leads = np.flatnonzero(_household_leads(unit=unit, priority=priority, mandatory=mandatory) & ~joining)
    busy = Counter(c for _h, c in {(a[1], a[6]) for a in alerts if a[5] is not None})  # a household is one visit
    capacity = weekly_capacity({a[6] for a in alerts} | set(community.tolist()))
    free = {r: max(c - busy.get(r, 0), 0) for r, c in capacity.items()}
    slots = dict(free)
    fill = settings.MONITORING_MIN_EXPECTED_FIND if promoted else None
    # with a model and the learning phase on, its sample replaces the exploration, during the phase
    # and after it (model.simulation): after it, every visit the precision target allows is a ranked one
    learning_on = promoted is not None and settings.MONITORING_LEARN_UNTIL is not None
    explore = 0.0 if learning_on else settings.MONITORING_EXPLORE_SHARE
    phase = learning_phase_advance(on=run.on, actor=actor) if learning_on else None
    allocation = (recommend(expected=priority[leads], mandatory=mandatory[leads], community=community[leads],
                            capacity=capacity, households=_households_per_community(result, capacity),
                            explore_share=explore, least=np.minimum(floor, fill)[leads],
                            cells=cells[leads], min_precision=settings.MONITORING_MIN_PRECISION)
                  if promoted else None)
    if allocation is not None:
        # no community sends more than the recommendation, which stops at the precision target
        slots = {r: min(n, allocation[r]["recommended"]) for r, n in slots.items()}
    rng = np.random.default_rng(run.pk)
    sent, explored, inclusion = np.zeros(unit.size, bool), np.zeros(unit.size, bool), np.zeros(unit.size)
    sent[leads], explored[leads], inclusion[leads] = dispatch(
        priority=priority[leads], mandatory=mandatory[leads], community=community[leads], slots=slots,
        floor=floor[leads] if floor is not None else None, explore_share=explore, rng=rng, guided=promoted is not None,
        fill_min=fill)
    operating = sent.copy()
    learn = phase is not None and run.mode == RunMode.FULL
    if learn:
        visiting = np.r_[under_way, learning_households_this_month(phase=phase, on=run.on), resting]
        drawn, pi, spare = _learning_sample(sent=sent, scored=scored, unit=np.where(scored, households[at], -1),
                                     visiting=visiting, priority=priority, cells=cells, community=community,
                                     free=free, estimate=learning_estimate_latest(phase), rng=rng)
        sent[drawn], explored[drawn], inclusion[drawn] = True, True, pi
    visit = sent.copy()  # one row per household visited; the rest of ``sent`` rides along
    _ride_along(sent=sent, unit=unit, explored=explored, inclusion=inclusion)
    sent[joining], inclusion[joining] = True, 1.0
    reasons: dict[int, list] = {}
    if promoted:
        explained = np.flatnonzero(visit & scored & ~explored)
        reasons = dict(zip(households[at[explained]].tolist(), explain(promoted[1], x[at[explained]]), strict=True))
    # the rows with an alert: the waiting alerts, and the households without one that dispatch sends
    own = np.flatnonzero(sent[len(pool):]) + len(pool)
    keep = np.r_[np.arange(len(pool)), own]
    ids = np.r_[np.array([a[0] for a in pool], np.int64), _own_alerts_open(
        run=run, households=households[at[own]], community=community[own], drawn=explored[own],
        inclusion=inclusion[own], risk=priority[own], reasons=reasons, version=promoted[0].version if promoted else 0)]
    learning = None
    if learn:
        # every visit of the learning run, with the alert it went out on (the rows of ``keep``)
        position = np.full(at.size, -1, np.int64)
        position[keep] = np.arange(keep.size)
        visits = np.flatnonzero(visit)
        period = learning_visits_record(phase=phase, run=run, alert_ids=ids[position[visits]],
                                        sample=~operating[visits], inclusion=inclusion[visits], cells=cells[visits])
        learning = {"phase": phase.pk, "period": period.month.strftime("%Y-%m"),
                    "operating": int(operating.sum()), "sample": int((visit & ~operating).sum()),
                    "spare": int(spare)}
    kept = np.union1d(np.flatnonzero(np.isin(households, alerted)), at[own])
    features_write(run_id=run.pk, household_ids=households[kept], x=x[kept], districts=districts[kept])
    _dispatch_write(ids=ids, households=np.r_[np.array([a[1] for a in pool], np.int64), households[at[own]]],
                    sent=sent[keep], mandatory=mandatory[keep], inclusion=inclusion[keep],
                    risk=np.where(scored[keep], priority[keep], np.nan) if promoted else None, reasons=reasons,
                    model=promoted[0] if promoted else None)
    counts = {
        "model_version": promoted[0].version if promoted else None,
        "capacity_weekly": int(sum(capacity.values())), "dispatched": int(visit.sum()),
        "dispatched_mandatory": int((visit & mandatory).sum()), "explored": int((visit & explored).sum()),
        "riding": int((sent & ~visit).sum()),
        "model_alerts": int((~explored[own]).sum()), "sample_alerts": int(explored[own].sum()),
        "backlog": int(len(pool) - sent[:len(pool)].sum()),
        "expected_finds": round(float(priority[visit].clip(0).sum()), 2) if promoted else None,
        "allocation": allocation, "learning": learning,
    }
    # the recommendation (one entry per community) stays in the run's counts, not in the audit chain
    audit_record(actor=actor, action="monitoring.alerts_dispatch", target=run,
                 data={k: v for k, v in counts.items() if k != "allocation"})
    return counts
