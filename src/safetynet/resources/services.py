"""Writes of the resource network (融救联助). Each is ``<entity>_<verb>(*, …, actor)`` and records
its audit event inside its transaction.

* catalogue: :func:`provider_create`, :func:`resource_propose`, :func:`resource_change_review`
  (maker-checker for public departments' entries);
* needs: :func:`needs_refresh` (derived from facts, indicators, visits and cases),
  :func:`need_record` (a worker's visit finding);
* packages: :func:`package_propose` (optimiser for one household), :func:`package_adjust`,
  :func:`package_accept` (→ referrals with working-day deadlines);
* referrals: :func:`referral_accept`, :func:`referral_decline`, :func:`referral_deliver`,
  :func:`referral_record_outcome` (a met need closes), :func:`referrals_escalate_overdue`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safetynet.audit.services import audit_record
from safetynet.core.access import get_scoped, scope
from safetynet.core.calendar import deadline_after_working_days
from safetynet.core.permissions import Action, require
from safetynet.monitoring.services import alert_assistance_record
from safetynet.regions.models import Region
from safetynet.registry.errors import HouseholdNotFound
from safetynet.registry.models import Household
from safetynet.resources import access, eligibility, needs, optimiser, planner, workflow
from safetynet.resources.errors import (
    ChangeDecided,
    ChangeNotFound,
    InvalidNeed,
    InvalidOutcome,
    InvalidResource,
    OverBudget,
    OverCapacity,
    OwnChange,
    PackageEmpty,
    PackageNotProposed,
    ReasonRequired,
    ResourceNotEligible,
    StackingViolated,
)
from safetynet.resources.models import (
    CATEGORIES,
    HOLDING_STATUSES,
    OPEN_REFERRAL_STATUSES,
    ChangeStatus,
    Need,
    NeedCategory,
    NeedSource,
    NeedStatus,
    Package,
    PackageItem,
    PackageStatus,
    Provider,
    ProviderKind,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    Resource,
    ResourceChange,
    ResourceKind,
    ResourceStatus,
)

# ------------------------------------------------------------------------------------------
# Catalogue


@transaction.atomic
def provider_create(*, code: str, name: str, kind: str, region: Region, actor, contact: str = "") -> Provider:
    if actor is not None:
        require(actor, Action.CATALOGUE_REVIEW)
    if kind not in ProviderKind.values:
        raise InvalidResource(_("提供方类别无效"), kind=kind)
    provider = Provider.objects.create(code=code.strip(), name=name.strip(), kind=kind, region=region, contact=contact)
    audit_record(actor=actor, action="resources.provider_create", target=provider, data={"code": code, "kind": kind})
    return provider


RESOURCE_FIELDS = ("code", "name", "kind", "description", "unit", "unit_cost_fen", "capacity", "budget_fen",
                   "service_area", "meets", "conditions", "exclusive_with", "requires", "accept_days",
                   "deliver_days", "status")


def _int(data: dict, key: str, *, minimum: int = 0, required: bool = True, maximum: int = 10**12) -> int | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise InvalidResource(_("请填写%(f)s") % {"f": FIELD_TITLES[key]}, field=key)
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidResource(_("%(f)s须为整数") % {"f": FIELD_TITLES[key]}, field=key) from None
    if number < minimum or number > maximum:
        raise InvalidResource(_("%(f)s须在 %(a)s 到 %(b)s 之间") % {"f": FIELD_TITLES[key], "a": minimum, "b": maximum},
                              field=key)
    return number


FIELD_TITLES = {
    "code": _lazy("编码"), "name": _lazy("名称"), "kind": _lazy("形式"), "unit_cost_fen": _lazy("单位成本"),
    "capacity": _lazy("每月可服务户数"), "budget_fen": _lazy("每月预算"), "service_area": _lazy("服务范围"),
    "meets": _lazy("满足的需求"), "accept_days": _lazy("接收时限"), "deliver_days": _lazy("提供时限"),
}


def resource_clean(data: dict[str, Any], *, provider: Provider, resource: Resource | None) -> dict[str, Any]:
    """Validate a proposed resource; returns the data as stored on the change (plain JSON)."""
    unknown = sorted(set(data) - set(RESOURCE_FIELDS))
    if unknown:
        raise InvalidResource(_("未知字段：%(f)s") % {"f": "、".join(unknown)}, fields=unknown)
    merged: dict[str, Any] = {}
    if resource is not None:
        merged = resource_as_data(resource)
    merged.update({k: v for k, v in data.items() if v is not None})
    out: dict[str, Any] = {}
    code = str(merged.get("code") or "").strip()
    name = str(merged.get("name") or "").strip()
    if not code or len(code) > 32:
        raise InvalidResource(_("请填写资源编码（不超过32个字符）"), field="code")
    if Resource.objects.filter(code=code).exclude(pk=resource.pk if resource else None).exists():
        raise InvalidResource(_("资源编码 %(c)s 已被使用") % {"c": code}, field="code")
    if not name or len(name) > 100:
        raise InvalidResource(_("请填写资源名称（不超过100个字符）"), field="name")
    if merged.get("kind") not in ResourceKind.values:
        raise InvalidResource(_("请选择资源形式"), field="kind")
    out.update(code=code, name=name, kind=merged["kind"], description=str(merged.get("description") or "")[:2000],
               unit=str(merged.get("unit") or "户")[:20])
    out["unit_cost_fen"] = _int(merged, "unit_cost_fen")
    out["capacity"] = _int(merged, "capacity", maximum=10_000_000)
    out["budget_fen"] = _int(merged, "budget_fen", required=False)
    out["accept_days"] = _int(merged, "accept_days", minimum=1, maximum=60) if merged.get("accept_days") else 3
    out["deliver_days"] = _int(merged, "deliver_days", minimum=1, maximum=120) if merged.get("deliver_days") else 10
    area = Region.objects.filter(code=str(merged.get("service_area") or "")).first()
    if area is None:
        raise InvalidResource(_("服务范围须为有效的区划代码"), field="service_area")
    if not area.path.startswith(provider.region.path):
        raise InvalidResource(_("服务范围须在提供方的服务区划（%(r)s）之内") % {"r": provider.region.name},
                              field="service_area")
    out["service_area"] = area.code
    meets = merged.get("meets") or {}
    if not isinstance(meets, dict) or not meets:
        raise InvalidResource(_("请至少选择一类它满足的需求"), field="meets")
    clean_meets = {}
    for category, percent in meets.items():
        if category not in CATEGORIES:
            raise InvalidResource(_("需求类别“%(c)s”无效") % {"c": category}, field="meets")
        try:
            p = int(percent)
        except (TypeError, ValueError):
            raise InvalidResource(_("满足程度须为 1–100 的整数"), field="meets") from None
        if not 1 <= p <= 100:
            raise InvalidResource(_("满足程度须为 1–100 的整数"), field="meets")
        clean_meets[category] = p
    out["meets"] = clean_meets
    out["conditions"] = [c.as_dict() for c in eligibility.parse_conditions(merged.get("conditions") or [])]
    for key in ("exclusive_with", "requires"):
        codes = sorted({str(c).strip() for c in (merged.get(key) or []) if str(c).strip()})
        found = set(Resource.objects.filter(code__in=codes).values_list("code", flat=True))
        missing = sorted(set(codes) - found)
        if missing:
            raise InvalidResource(_("资源编码不存在：%(c)s") % {"c": "、".join(missing)}, field=key)
        if code in codes:
            raise InvalidResource(_("资源不能与自身设定叠加规则"), field=key)
        out[key] = codes
    out["status"] = merged.get("status") or ResourceStatus.ACTIVE
    if out["status"] not in ResourceStatus.values:
        raise InvalidResource(_("状态无效"), field="status")
    return out


def resource_as_data(resource: Resource) -> dict[str, Any]:
    return {
        "code": resource.code, "name": resource.name, "kind": resource.kind, "description": resource.description,
        "unit": resource.unit, "unit_cost_fen": resource.unit_cost_fen, "capacity": resource.capacity,
        "budget_fen": resource.budget_fen, "service_area": resource.service_area.code, "meets": resource.meets,
        "conditions": resource.conditions,
        "exclusive_with": sorted(r.code for r in resource.exclusive_with.all()),
        "requires": sorted(r.code for r in resource.requires.all()),
        "accept_days": resource.accept_days, "deliver_days": resource.deliver_days, "status": resource.status,
    }


def _apply(change: ResourceChange) -> Resource:
    d = change.data
    fields = {k: d[k] for k in ("code", "name", "kind", "description", "unit", "unit_cost_fen", "capacity",
                                "budget_fen", "meets", "conditions", "accept_days", "deliver_days", "status")}
    fields["service_area"] = Region.objects.get(code=d["service_area"])
    if change.resource_id is None:
        resource = Resource.objects.create(provider=change.provider, **fields)
        change.resource = resource
    else:
        resource = Resource.objects.select_for_update().get(pk=change.resource_id)
        for k, v in fields.items():
            setattr(resource, k, v)
        resource.save()
    resource.exclusive_with.set(Resource.objects.filter(code__in=d.get("exclusive_with", [])))
    resource.requires.set(Resource.objects.filter(code__in=d.get("requires", [])))
    return resource


@transaction.atomic
def resource_propose(*, provider_id: int, data: dict[str, Any], actor, resource_id: int | None = None,
                     user_checked: bool = True) -> ResourceChange:
    """Propose a new resource or a change. A social organisation's takes effect at once; a
    public department's waits for a second person (:func:`resource_change_review`).

    ``actor`` ``None`` is the system (the demo catalogue): checked by nobody, so only allowed for
    social organisations or with ``user_checked=False`` for an initial load."""
    if actor is not None:
        provider = access.provider_for_maintenance(user=actor, provider_id=provider_id)
    else:
        provider = Provider.objects.get(pk=provider_id)
    resource = None
    if resource_id is not None:
        resource = Resource.objects.select_related("service_area").filter(pk=resource_id, provider=provider).first()
        if resource is None:
            raise InvalidResource(_("该资源不属于此提供方"), resource_id=resource_id)
    clean = resource_clean(data, provider=provider, resource=resource)
    change = ResourceChange.objects.create(provider=provider, resource=resource, data=clean, proposed_by=actor)
    immediate = not provider.is_public or (actor is None and not user_checked)
    if immediate:
        _apply(change)
        change.status = ChangeStatus.APPROVED
        change.reviewed_at = timezone.now()
        change.save(update_fields=["status", "resource", "reviewed_at", "updated_at"])
    audit_record(actor=actor, action="resources.resource_propose", target=change,
                 data={"provider": provider.code, "code": clean["code"], "status": change.status})
    return change


@transaction.atomic
def resource_change_review(*, change_id: int, approve: bool, actor, note: str = "") -> ResourceChange:
    require(actor, Action.CATALOGUE_REVIEW)
    qs = scope(ResourceChange.objects.select_for_update().select_related("provider"), user=actor)
    change = get_scoped(qs, user=actor, error=ChangeNotFound, pk=change_id)
    if change.status != ChangeStatus.PENDING:
        if change.status == (ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED):
            return change
        raise ChangeDecided(_("该变更已处理"), status=change.status)
    if change.proposed_by_id == actor.pk:
        raise OwnChange(_("不能复核自己提出的变更（双人复核）"))
    if not approve and not note.strip():
        raise ReasonRequired(_("退回须说明理由"))
    if approve:
        # re-validate against the catalogue as it is now (codes may have changed meanwhile)
        resource = Resource.objects.filter(pk=change.resource_id).first() if change.resource_id else None
        change.data = resource_clean(change.data, provider=change.provider, resource=resource)
        _apply(change)
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.reviewed_by = actor
    change.reviewed_at = timezone.now()
    change.review_note = note.strip()[:500]
    change.save(update_fields=["status", "resource", "data", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
    audit_record(actor=actor, action="resources.change_review", target=change,
                 data={"approve": approve, "note": change.review_note})
    return change


# ------------------------------------------------------------------------------------------
# Needs


def _household_for_officer(*, user, household_id: int, action: Action) -> Household:
    require(user, action)
    qs = scope(Household.objects.select_related("region"), user=user)
    return get_scoped(qs, user=user, error=HouseholdNotFound, pk=household_id)


def needs_store(*, derived: list[needs.DerivedNeed], household_ids: list[int], actor) -> dict[str, int]:
    """Make the open derived needs of these households what ``derived`` says: new ones created,
    changed ones updated, ones no longer shown withdrawn (history kept). Needs a worker recorded
    by hand are left alone, and a need met by a referral is not raised again from the same record."""
    wanted = {(d.household_id, d.category, d.source): d for d in derived}
    existing = {(n.household_id, n.category, n.source): n for n in
                Need.objects.filter(household_id__in=household_ids, status=NeedStatus.OPEN, recorded_by__isnull=True)}
    manual = set(Need.objects.filter(household_id__in=household_ids, status=NeedStatus.OPEN,
                                     recorded_by__isnull=False).values_list("household_id", "category", "source"))
    # a need a referral met stays met while the same record (alert, report, case) still shows it
    met = set(Need.objects.filter(household_id__in=household_ids, status=NeedStatus.MET)
              .values_list("household_id", "category", "source", "source_ref"))
    now = timezone.now()
    create, update, withdraw = [], [], []
    for key, d in wanted.items():
        if key in manual or (*key, d.source_ref[:64]) in met:
            continue
        n = existing.get(key)
        if n is None:
            create.append(Need(household_id=d.household_id, category=d.category, severity=d.severity, source=d.source,
                               source_ref=d.source_ref[:64], explanation=d.explanation[:300]))
        elif (n.severity, n.source_ref, n.explanation) != (d.severity, d.source_ref[:64], d.explanation[:300]):
            n.severity, n.source_ref, n.explanation, n.updated_at = d.severity, d.source_ref[:64], d.explanation[:300], now
            update.append(n)
    for key, n in existing.items():
        if key not in wanted:
            n.status, n.updated_at = NeedStatus.WITHDRAWN, now
            withdraw.append(n)
    Need.objects.bulk_create(create, batch_size=2000)
    Need.objects.bulk_update(update, ["severity", "source_ref", "explanation", "updated_at"], batch_size=2000)
    Need.objects.bulk_update(withdraw, ["status", "updated_at"], batch_size=2000)
    counts = {"created": len(create), "updated": len(update), "withdrawn": len(withdraw)}
    audit_record(actor=actor, action="resources.needs_refresh", target_type="registry.household",
                 target_id=household_ids[0] if len(household_ids) == 1 else "", data={
                     "households": len(household_ids), **counts})
    return counts


@transaction.atomic
def needs_refresh(*, household_id: int, actor, on: dt.date | None = None) -> dict[str, int]:
    """Derive one household's needs again (for an officer), from its verified facts, open alerts,
    visits and open cases."""
    household = _household_for_officer(user=actor, household_id=household_id, action=Action.NEEDS_READ)
    on = on or timezone.localdate()
    data = needs.household_data(on=on, household_ids=[household.pk])
    return needs_store(derived=needs.derive_needs(data, [household.pk]), household_ids=[household.pk], actor=actor)


def needs_refresh_region(*, region_path: str | None, on: dt.date, actor=None) -> dict[str, int]:
    """Derive the needs of every household of a region subtree (a batch job: the demo build, a
    nightly run). One transaction: all or nothing."""
    data = needs.household_data(on=on, region_path=region_path)
    if data is None:
        return {"households": 0, "created": 0, "updated": 0, "withdrawn": 0}
    ids = [int(h) for h in data.household_ids]
    derived = needs.derive_needs(data, ids)
    with transaction.atomic():
        counts = needs_store(derived=derived, household_ids=ids, actor=actor)
    return {"households": len(ids), **counts}


@transaction.atomic
def need_record(*, household_id: int, category: str, severity: int, explanation: str, actor) -> Need:
    """A need a worker saw on a visit (入户走访发现), in their words. Replaces their earlier open
    record of the same category."""
    household = _household_for_officer(user=actor, household_id=household_id, action=Action.NEEDS_RECORD)
    if category not in CATEGORIES:
        raise InvalidNeed(_("请选择需求类别"), field="category")
    try:
        severity = int(severity)
    except (TypeError, ValueError):
        severity = 0
    if not 1 <= severity <= 4:
        raise InvalidNeed(_("严重程度须为 1–4"), field="severity")
    explanation = (explanation or "").strip()
    if not explanation:
        raise InvalidNeed(_("请写明走访看到的情况"), field="explanation")
    Need.objects.filter(household=household, category=category, source=NeedSource.VISIT,
                        status=NeedStatus.OPEN).update(status=NeedStatus.WITHDRAWN, updated_at=timezone.now())
    need = Need.objects.create(household=household, category=category, severity=severity, source=NeedSource.VISIT,
                               source_ref=_("走访登记"), explanation=explanation[:300], recorded_by=actor)
    audit_record(actor=actor, action="resources.need_record", target=need,
                 data={"category": category, "severity": severity})
    return need


# ------------------------------------------------------------------------------------------
# Packages


def plan_for_households(*, households: list[Household], on: dt.date, time_limit: float = 50.0,
                        catalogue: planner.Catalogue | None = None, data: needs.HouseholdData | None = None,
                        stored_needs: bool = True) -> planner.Plan | None:
    """Run the optimiser and the greedy baseline for these households (their stored open needs,
    their verified facts for eligibility). ``None`` when none has a member on ``on``."""
    ids = [h.pk for h in households]
    data = data or needs.household_data(on=on, household_ids=ids)
    if data is None:
        return None
    order = [int(h) for h in data.household_ids]
    if stored_needs:
        rows = Need.objects.filter(household_id__in=order, status=NeedStatus.OPEN)
        severity = needs.severity_matrix(rows, data.household_ids)
    else:
        severity = needs.severity_matrix(needs.derive_needs(data, order), data.household_ids)
    paths = dict(Region.objects.filter(code__in=set(data.region_codes.tolist())).values_list("code", "path"))
    catalogue = catalogue or planner.catalogue_load(period=on)
    return planner.plan(household_ids=data.household_ids, region_codes=data.region_codes,
                        region_paths=[paths[c] for c in data.region_codes], values=data.values, severity=severity,
                        catalogue=catalogue, time_limit=time_limit)


@transaction.atomic
def package_propose(*, household_id: int, actor, on: dt.date | None = None) -> Package:
    """Propose this month's package for a household: the optimiser's choice from the catalogue
    under what is left of each resource, with the reason for every resource. A proposal not yet
    accepted is replaced."""
    household = _household_for_officer(user=actor, household_id=household_id, action=Action.PACKAGE_PROPOSE)
    on = on or timezone.localdate()
    period = planner.month_start(on)
    live = Package.objects.select_for_update().filter(household=household, period=period,
                                                      status__in=[PackageStatus.PROPOSED, PackageStatus.ACCEPTED])
    for old in live:
        if old.status == PackageStatus.ACCEPTED:
            raise PackageNotProposed(_("本户本月的救助包已确认转介，不能重新生成"), package=old.number)
        old.status = PackageStatus.WITHDRAWN
        old.save(update_fields=["status", "updated_at"])
    result = plan_for_households(households=[household], on=on, time_limit=10.0)
    if result is None:
        raise HouseholdNotFound(_("该户在 %(d)s 没有在册成员") % {"d": on.isoformat()}, household_id=household_id)
    s, g = result.solution, result.greedy
    reasons = planner.explain(result, 0)
    package = Package.objects.create(
        household=household, period=period, need_met=s.need_met, greedy_need_met=g.need_met,
        need_total=result.need_total, bound=s.bound, gap=s.gap, method=s.method, seconds=s.seconds,
        explanation=reasons, proposed_by=actor)
    chosen = [result.catalogue.resources[r] for r in np.flatnonzero(s.assign[0])]
    PackageItem.objects.bulk_create([PackageItem(package=package, resource=r) for r in chosen])
    audit_record(actor=actor, action="resources.package_propose", target=package, data={
        "household": household.number, "resources": [r.code for r in chosen], "need_met": s.need_met,
        "greedy_need_met": g.need_met, "gap": s.gap})
    return package


def _check_set(*, household: Household, resources: list[Resource], on: dt.date, exclude_package: int | None) -> None:
    """The officer's adjusted set must still be lawful: eligible, within capacity and budget,
    and no stacking rule broken."""
    catalogue = planner.catalogue_load(period=on)
    index = catalogue.index()
    data = needs.household_data(on=on, household_ids=[household.pk])
    if data is None:
        raise HouseholdNotFound(_("该户没有在册成员"), household_id=household.pk)
    ok = eligibility.evaluate(catalogue.conditions, data.values, 1)[0]
    area = planner.in_area(catalogue, [household.region.path])[0]
    chosen = np.zeros(len(catalogue.resources), dtype=bool)
    for res in resources:
        r = index.get(res.pk)
        if r is None or res.status != ResourceStatus.ACTIVE or catalogue.blocked[r]:
            raise ResourceNotEligible(_("“%(n)s”已停用") % {"n": res.name}, resource=res.code)
        if not area[r]:
            raise ResourceNotEligible(_("本户不在“%(n)s”的服务范围内") % {"n": res.name}, resource=res.code)
        if not ok[r]:
            why = "；".join(eligibility.failed(catalogue.conditions[r], data.values, 0))
            raise ResourceNotEligible(_("本户不符合“%(n)s”的申领条件：%(w)s") % {"n": res.name, "w": why},
                                      resource=res.code)
        if catalogue.capacity_left[r] < 1:
            raise OverCapacity(_("“%(n)s”本月名额已用完") % {"n": res.name}, resource=res.code)
        if catalogue.budget[r] >= 0 and catalogue.budget_left[r] < catalogue.cost[r]:
            raise OverBudget(_("“%(n)s”本月预算不足") % {"n": res.name}, resource=res.code)
        chosen[r] = True
    problem = optimiser.Problem(np.zeros((1, len(CATEGORIES))), chosen[None, :], catalogue.effect,
                                np.ones(len(chosen)), np.zeros(len(chosen)), -np.ones(len(chosen)),
                                catalogue.exclusive, catalogue.requires)
    broken = [v for v in optimiser.violations(problem, chosen[None, :]) if v.startswith(("exclusive", "requires"))]
    if broken:
        kind, a, b = broken[0].split(":")
        ra, rb = catalogue.resources[int(a)], catalogue.resources[int(b)]
        if kind == "exclusive":
            raise StackingViolated(_("“%(a)s”与“%(b)s”不能同时享受") % {"a": ra.name, "b": rb.name})
        raise StackingViolated(_("“%(a)s”须同时安排“%(b)s”") % {"a": ra.name, "b": rb.name})


@transaction.atomic
def package_adjust(*, package_id: int, actor, add: list[int] = (), remove: list[int] = ()) -> Package:
    """The officer adds or removes resources before accepting (经办人调整)."""
    package = access.package_for_officer(user=actor, package_id=package_id)
    package = Package.objects.select_for_update().select_related("household__region").get(pk=package.pk)
    if package.status != PackageStatus.PROPOSED:
        raise PackageNotProposed(_("救助包已%(s)s，不能再调整") % {"s": package.get_status_display()})
    current = {i.resource_id for i in package.items.all()}
    wanted = (current | {int(x) for x in add}) - {int(x) for x in remove}
    resources = list(Resource.objects.filter(pk__in=wanted))
    if len(resources) != len(wanted):
        raise ResourceNotEligible(_("所选资源不存在"))
    _check_set(household=package.household, resources=resources, on=package.period, exclude_package=package.pk)
    PackageItem.objects.filter(package=package).exclude(resource_id__in=wanted).delete()
    PackageItem.objects.bulk_create([PackageItem(package=package, resource_id=r, added_by_officer=True)
                                     for r in wanted - current])
    audit_record(actor=actor, action="resources.package_adjust", target=package,
                 data={"added": sorted(wanted - current), "removed": sorted(current - wanted)})
    return package


@transaction.atomic
def package_accept(*, package_id: int, actor) -> Package:
    """Accept a proposal: one referral per resource, to its provider, with deadlines in working
    days. Capacity and budget are checked again under a lock on the resources, in id order."""
    package = access.package_for_officer(user=actor, package_id=package_id)
    package = Package.objects.select_for_update().select_related("household__region").get(pk=package.pk)
    if package.status == PackageStatus.ACCEPTED:
        return package
    if package.status != PackageStatus.PROPOSED:
        raise PackageNotProposed(_("救助包已撤回，请重新生成"))
    resource_ids = sorted(package.items.values_list("resource_id", flat=True))
    if not resource_ids:
        raise PackageEmpty(_("救助包中没有资源，无法转介"))
    resources = list(Resource.objects.select_for_update().filter(pk__in=resource_ids).order_by("id"))
    _check_set(household=package.household, resources=resources, on=package.period, exclude_package=package.pk)
    now = timezone.now()
    referrals = [Referral(package=package, household=package.household, resource=r, provider_id=r.provider_id,
                          period=package.period, accept_due=deadline_after_working_days(now, r.accept_days))
                 for r in resources]
    Referral.objects.bulk_create(referrals)
    package.status = PackageStatus.ACCEPTED
    package.accepted_by = actor
    package.accepted_at = now
    package.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    audit_record(actor=actor, action="resources.package_accept", target=package,
                 data={"referrals": [r.code for r in resources]})
    return package


# ------------------------------------------------------------------------------------------
# Referrals


def _move(*, referral_id: int, actor, to: str) -> tuple[Referral, bool]:
    """Lock the referral (the provider's own) and check the move; ``(referral, False)`` when it is
    already where the move would take it (idempotent)."""
    access.referral_for_provider(user=actor, referral_id=referral_id)
    referral = Referral.objects.select_for_update().select_related("resource", "household").get(pk=referral_id)
    if referral.status == to:
        return referral, False
    workflow.assert_can(current=referral.status, to=to)
    return referral, True


@transaction.atomic
def referral_accept(*, referral_id: int, actor) -> Referral:
    referral, moved = _move(referral_id=referral_id, actor=actor, to=ReferralStatus.ACCEPTED)
    if moved:
        now = timezone.now()
        referral.status = ReferralStatus.ACCEPTED
        referral.accepted_at = now
        referral.deliver_due = deadline_after_working_days(now, referral.resource.deliver_days)
        referral.handled_by = actor
        referral.save(update_fields=["status", "accepted_at", "deliver_due", "handled_by", "updated_at"])
        audit_record(actor=actor, action="resources.referral_accept", target=referral)
    return referral


@transaction.atomic
def referral_decline(*, referral_id: int, actor, reason: str) -> Referral:
    """Decline with a reason; the unit of capacity is freed."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("婉拒须说明理由"))
    referral, moved = _move(referral_id=referral_id, actor=actor, to=ReferralStatus.DECLINED)
    if moved:
        referral.status = ReferralStatus.DECLINED
        referral.declined_at = timezone.now()
        referral.decline_reason = reason[:300]
        referral.handled_by = actor
        referral.save(update_fields=["status", "declined_at", "decline_reason", "handled_by", "updated_at"])
        audit_record(actor=actor, action="resources.referral_decline", target=referral, data={"reason": reason})
    return referral


@transaction.atomic
def referral_deliver(*, referral_id: int, actor, note: str = "") -> Referral:
    referral, moved = _move(referral_id=referral_id, actor=actor, to=ReferralStatus.DELIVERED)
    if moved:
        referral.status = ReferralStatus.DELIVERED
        referral.delivered_at = timezone.now()
        referral.delivery_note = (note or "").strip()[:300]
        referral.handled_by = actor
        referral.save(update_fields=["status", "delivered_at", "delivery_note", "handled_by", "updated_at"])
        audit_record(actor=actor, action="resources.referral_deliver", target=referral, data={"note": note})
    return referral


#: A resource closes a need when it meets at least this share of it.
CLOSES_AT_PERCENT = 50


@transaction.atomic
def referral_record_outcome(*, referral_id: int, actor, outcome: str, note: str = "") -> Referral:
    """Record the outcome. When the need is met, the household's open needs in the categories
    the resource meets (at least half) close, naming this referral."""
    if outcome not in ReferralOutcome.values:
        raise InvalidOutcome(_("请选择结果"), outcome=outcome)
    if outcome != ReferralOutcome.MET and not (note or "").strip():
        raise ReasonRequired(_("未完全解决的，请说明情况"))
    referral, moved = _move(referral_id=referral_id, actor=actor, to=ReferralStatus.CLOSED)
    if not moved:
        return referral
    now = timezone.now()
    referral.status = ReferralStatus.CLOSED
    referral.outcome = outcome
    referral.outcome_note = (note or "").strip()[:300]
    referral.closed_at = now
    referral.save(update_fields=["status", "outcome", "outcome_note", "closed_at", "updated_at"])
    closed, alerts = 0, {}
    if outcome == ReferralOutcome.MET:
        categories = [c for c, p in (referral.resource.meets or {}).items() if int(p) >= CLOSES_AT_PERCENT]
        meeting = Need.objects.filter(household_id=referral.household_id, category__in=categories,
                                      status=NeedStatus.OPEN)
        refs = set(meeting.filter(source=NeedSource.INDICATOR).values_list("source_ref", flat=True))
        closed = meeting.update(status=NeedStatus.MET, met_at=now, met_by=referral, updated_at=now)
        alerts = _alerts_follow_met_needs(referral=referral, refs=refs, categories=categories, actor=actor)
    audit_record(actor=actor, action="resources.referral_outcome", target=referral,
                 data={"outcome": outcome, "needs_closed": closed, "alerts": alerts})
    return referral


def _alerts_follow_met_needs(*, referral: Referral, refs: set[str], categories: list[str], actor) -> dict[str, str]:
    """The monitoring alerts behind the needs a referral met (``YJ…`` references): each is told
    what was met, and closes (已转介) once none of the needs it raised is still open."""
    labels = "、".join(str(NeedCategory(c).label) for c in categories if c in NeedCategory.values)
    out = {}
    for ref in sorted(refs):
        if not (ref.startswith("YJ") and ref[2:].isdigit()):
            continue
        still_open = Need.objects.filter(household_id=referral.household_id, source=NeedSource.INDICATOR,
                                         source_ref=ref, status=NeedStatus.OPEN).exists()
        note = _("转介 %(n)s（%(r)s）已满足需求：%(c)s") % {"n": referral.number, "r": referral.resource.name, "c": labels}
        alert = alert_assistance_record(alert_id=int(ref[2:]), actor=actor, note=note, settled=not still_open)
        if alert is not None:
            out[ref] = "closed" if not still_open else "updated"
    return out


@transaction.atomic
def referrals_escalate_overdue(*, now: dt.datetime | None = None, actor=None) -> int:
    """Mark referrals past their accept or delivery deadline as escalated (超期督办), once."""
    now = now or timezone.now()
    late_accept = Referral.objects.filter(status=ReferralStatus.SENT, accept_due__lt=now, escalated_at__isnull=True)
    late_deliver = Referral.objects.filter(status=ReferralStatus.ACCEPTED, deliver_due__lt=now,
                                           escalated_at__isnull=True)
    ids = sorted(set(late_accept.values_list("id", flat=True)) | set(late_deliver.values_list("id", flat=True)))
    if ids:
        Referral.objects.filter(pk__in=ids).update(escalated_at=now, updated_at=now)
        audit_record(actor=actor, action="resources.referrals_escalate", target_type="resources.referral",
                     data={"referrals": ids})
    return len(ids)


__all__ = [
    "HOLDING_STATUSES", "OPEN_REFERRAL_STATUSES", "NeedCategory", "need_record", "needs_refresh", "package_accept",
    "package_adjust", "package_propose", "provider_create", "referral_accept", "referral_decline",
    "referral_deliver", "referral_record_outcome", "referrals_escalate_overdue", "resource_change_review",
    "resource_propose",
]
