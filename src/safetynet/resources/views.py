"""Pages of the resource network (融救联助): the catalogue and its maintenance (maker-checker), the
officer's package page for a household, the provider's workbench, what is coming for a household
(and its proxy), and the city dashboard. Thin: parse, call one service or selector, render; a
refusal is shown in place in plain words (POST-redirect-GET)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.resources import access, selectors, services
from safetynet.resources.eligibility import OPS, VARIABLES, parse_conditions
from safetynet.resources.errors import InvalidResource
from safetynet.resources.models import (
    CATEGORIES,
    NeedCategory,
    ReferralOutcome,
    ReferralStatus,
    ResourceKind,
    Severity,
)

CONDITION_ROWS = 3


def _yuan_to_fen(text: str, field: str, *, required: bool) -> int | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidResource(_("请填写金额"), field=field)
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidResource(_("金额须为数字（元）"), field=field) from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidResource(_("金额须为不小于 0 的数字，最多两位小数"), field=field)
    return int(value * 100)


def _fen_to_yuan(fen) -> str:
    if fen is None:
        return ""
    return f"{Decimal(int(fen)) / 100:.2f}".rstrip("0").rstrip(".")


def condition_texts(raw) -> list[str]:
    try:
        return [c.text() for c in parse_conditions(raw)]
    except SafetyNetError:
        return [_("（条件无效）")]


def meets_text(meets: dict) -> str:
    titles = dict(NeedCategory.choices)
    return "、".join(f"{titles.get(c, c)} {p}%" for c, p in (meets or {}).items())


# ------------------------------------------------------------------------------------------
# Catalogue


@page_view
def catalogue(request):
    rows = selectors.catalogue_for_user(user=request.user)
    maintain = can(request.user, Action.CATALOGUE_MAINTAIN)
    providers = list(selectors.providers_for_maintenance(user=request.user)) if maintain else []
    mine = {p.pk for p in providers}
    return render(request, "resources/catalogue.html", {
        "rows": [{"row": r, "conditions": condition_texts(r.resource.conditions), "meets": meets_text(r.resource.meets),
                  "budget_left": _fen_to_yuan(r.budget_left_fen), "cost": _fen_to_yuan(r.resource.unit_cost_fen),
                  "editable": r.resource.provider_id in mine} for r in rows],
        "providers": providers,
        "can_review": can(request.user, Action.CATALOGUE_REVIEW),
    })


def _form_data(post) -> dict:
    meets = {}
    for c in CATEGORIES:
        value = (post.get(f"meets_{c}") or "").strip()
        if value and value != "0":
            meets[c] = value
    conditions = []
    for i in range(CONDITION_ROWS):
        variable = post.get(f"cond_{i}_variable", "")
        if variable:
            conditions.append({"variable": variable, "op": post.get(f"cond_{i}_op", ""),
                               "value": post.get(f"cond_{i}_value", "")})
    return {
        "code": post.get("code", ""), "name": post.get("name", ""), "kind": post.get("kind", ""),
        "description": post.get("description", ""), "unit": post.get("unit", "") or "户",
        "unit_cost_fen": _yuan_to_fen(post.get("unit_cost", ""), "unit_cost_fen", required=True),
        "capacity": post.get("capacity", ""),
        "budget_fen": _yuan_to_fen(post.get("budget", ""), "budget_fen", required=False),
        "service_area": post.get("service_area", ""), "meets": meets, "conditions": conditions,
        "exclusive_with": [c.strip() for c in post.get("exclusive_with", "").replace("，", ",").split(",") if c.strip()],
        "requires": [c.strip() for c in post.get("requires", "").replace("，", ",").split(",") if c.strip()],
        "accept_days": post.get("accept_days", "") or 3, "deliver_days": post.get("deliver_days", "") or 10,
    }


def _initial(resource) -> dict:
    data = services.resource_as_data(resource)
    return {**data, "unit_cost": _fen_to_yuan(data["unit_cost_fen"]), "budget": _fen_to_yuan(data["budget_fen"]),
            "exclusive_with": ", ".join(data["exclusive_with"]), "requires": ", ".join(data["requires"])}


def _resource_page(request, provider, resource=None, *, error="", posted=None, status=200):
    initial = posted if posted is not None else (_initial(resource) if resource else {
        "service_area": provider.region.code, "accept_days": 3, "deliver_days": 10, "unit": "户"})
    conditions = []
    raw = initial.get("conditions") if isinstance(initial, dict) and "conditions" in initial else []
    for i in range(CONDITION_ROWS):
        if posted is not None:
            conditions.append({"variable": posted.get(f"cond_{i}_variable", ""), "op": posted.get(f"cond_{i}_op", ""),
                               "value": posted.get(f"cond_{i}_value", "")})
        else:
            c = raw[i] if i < len(raw) else {}
            conditions.append({"variable": c.get("variable", ""), "op": c.get("op", ""), "value": c.get("value", "")})
    meets = initial.get("meets") if isinstance(initial.get("meets"), dict) else {}
    meets_rows = [{"code": c, "title": label,
                   "value": posted.get(f"meets_{c}", "") if posted is not None else meets.get(c, "")}
                  for c, label in NeedCategory.choices]
    return render(request, "resources/resource_form.html", {
        "provider": provider, "resource": resource, "initial": initial, "error": error,
        "kinds": ResourceKind.choices, "meets_rows": meets_rows, "conditions": conditions,
        "variables": [(k, str(v)) for k, v in VARIABLES.items()], "ops": [(k, v[1]) for k, v in OPS.items()],
        "changes": selectors.changes_for_provider(user=request.user, provider_id=provider.pk),
    }, status=status)


@page_view
def resource_new(request, provider_id: int):
    provider = access.provider_for_maintenance(user=request.user, provider_id=provider_id)
    return _resource_edit(request, provider, None)


@page_view
def resource_edit(request, resource_id: int):
    resource = access.resource_for_maintenance(user=request.user, resource_id=resource_id)
    return _resource_edit(request, resource.provider, resource)


def _resource_edit(request, provider, resource):
    if request.method != "POST":
        return _resource_page(request, provider, resource)
    try:
        data = _form_data(request.POST)
        change = services.resource_propose(provider_id=provider.pk, data=data, actor=request.user,
                                           resource_id=resource.pk if resource else None)
    except SafetyNetError as e:
        return _resource_page(request, provider, resource, error=e.message, posted=request.POST, status=e.status)
    if change.status == "pending":
        messages.success(request, _("已提交，待第二人复核后生效（部门资源双人复核）"))
    else:
        messages.success(request, _("已保存并生效"))
    return redirect("resources:catalogue")


@page_view
def changes(request):
    rows = selectors.changes_pending_for_user(user=request.user)
    return render(request, "resources/changes.html", {"rows": [
        {"change": c, "meets": meets_text(c.data.get("meets")), "conditions": condition_texts(c.data.get("conditions")),
         "cost": _fen_to_yuan(c.data.get("unit_cost_fen")), "budget": _fen_to_yuan(c.data.get("budget_fen"))}
        for c in rows]})


@require_POST
@page_view
def change_review(request, change_id: int):
    approve = request.POST.get("decision") == "approve"
    try:
        services.resource_change_review(change_id=change_id, approve=approve, actor=request.user,
                                        note=request.POST.get("note", ""))
    except SafetyNetError as e:
        messages.error(request, e.message)
        return redirect("resources:changes")
    messages.success(request, _("已复核通过，资源已生效") if approve else _("已退回"))
    return redirect("resources:changes")


# ------------------------------------------------------------------------------------------
# The officer's package page


@page_view
def queue(request):
    return render(request, "resources/queue.html", {"rows": selectors.needs_queue_for_user(user=request.user)})


def _household_page(request, household_id: int, *, error: str = "", error_form: str = "", status: int = 200):
    user = request.user
    household = selectors.household_for_officer(user=user, household_id=household_id)
    package = selectors.package_current(user=user, household_id=household_id)
    chosen, others = [], []
    if package:
        items = {i.resource_id: i for i in package.items.all()}
        for code, why in sorted((package.explanation or {}).items(), key=lambda kv: kv[1].get("code") != "chosen"):
            entry = {"code": code, **why}
            if why.get("resource_id") in items:
                entry["resource"] = items[why["resource_id"]].resource
                entry["added"] = items[why["resource_id"]].added_by_officer
                chosen.append(entry)
            elif why.get("code") != "no_need":
                others.append(entry)
        explained = {why.get("resource_id") for why in (package.explanation or {}).values()}
        for rid, item in items.items():
            if rid not in explained:
                chosen.append({"code": item.resource.code, "resource": item.resource, "added": True,
                               "reason": _("经办人加入")})
    referrals = list(selectors.referrals_for_user(user=user, household_id=household_id)
                     .select_related("resource__provider")) if package else []
    return render(request, "resources/household.html", {
        "household": household,
        "profile": selectors.needs_profile(user=user, household_id=household_id),
        "met": selectors.needs_met(user=user, household_id=household_id),
        "package": package, "chosen": chosen, "others": others,
        "referrals": [{"r": r, "words": selectors.referral_plain_words(r), "overdue": selectors.referral_overdue(r)}
                      for r in referrals],
        "categories": NeedCategory.choices, "severities": Severity.choices,
        "can_record": can(user, Action.NEEDS_RECORD), "can_propose": can(user, Action.PACKAGE_PROPOSE),
        "error": error, "error_form": error_form,
    }, status=status)


@page_view
def household(request, household_id: int):
    return _household_page(request, household_id)


def _post(request, household_id: int, form: str, call, done: str):
    try:
        call()
    except SafetyNetError as e:
        return _household_page(request, household_id, error=e.message, error_form=form, status=e.status)
    messages.success(request, done)
    return redirect("resources:household", household_id=household_id)


@require_POST
@page_view
def needs_refresh(request, household_id: int):
    return _post(request, household_id, "refresh",
                 lambda: services.needs_refresh(household_id=household_id, actor=request.user), _("需求画像已更新"))


@require_POST
@page_view
def need_record(request, household_id: int):
    p = request.POST
    return _post(request, household_id, "record", lambda: services.need_record(
        household_id=household_id, category=p.get("category", ""), severity=p.get("severity", ""),
        explanation=p.get("explanation", ""), actor=request.user), _("已登记走访发现的需求"))


@require_POST
@page_view
def package_propose(request, household_id: int):
    return _post(request, household_id, "propose",
                 lambda: services.package_propose(household_id=household_id, actor=request.user), _("已生成救助包建议"))


@require_POST
@page_view
def package_adjust(request, package_id: int):
    package = access.package_for_officer(user=request.user, package_id=package_id)
    add = [int(x) for x in request.POST.getlist("add") if x.isdigit()]
    remove = [int(x) for x in request.POST.getlist("remove") if x.isdigit()]
    return _post(request, package.household_id, "adjust", lambda: services.package_adjust(
        package_id=package_id, actor=request.user, add=add, remove=remove), _("救助包已调整"))


@require_POST
@page_view
def package_accept(request, package_id: int):
    package = access.package_for_officer(user=request.user, package_id=package_id)
    return _post(request, package.household_id, "accept",
                 lambda: services.package_accept(package_id=package_id, actor=request.user),
                 _("已确认，转介单已发送给各提供方"))


# ------------------------------------------------------------------------------------------
# Provider workbench


@page_view
def workbench(request):
    wb = selectors.provider_workbench(user=request.user)
    now = timezone.now()
    return render(request, "resources/workbench.html", {
        "rows": [{"r": r, "overdue": selectors.referral_overdue(r, now)} for r in wb.referrals],
        "capacity": wb.capacity, "overdue": wb.overdue, "outcomes": ReferralOutcome.choices,
        "S": {s.name: s.value for s in ReferralStatus},
    })


@require_POST
@page_view
def referral_act(request, referral_id: int):
    action = request.POST.get("action", "")
    actor = request.user
    try:
        if action == "accept":
            services.referral_accept(referral_id=referral_id, actor=actor)
        elif action == "decline":
            services.referral_decline(referral_id=referral_id, actor=actor, reason=request.POST.get("reason", ""))
        elif action == "deliver":
            services.referral_deliver(referral_id=referral_id, actor=actor, note=request.POST.get("note", ""))
        elif action == "outcome":
            services.referral_record_outcome(referral_id=referral_id, actor=actor,
                                             outcome=request.POST.get("outcome", ""),
                                             note=request.POST.get("note", ""))
        else:
            messages.error(request, _("未知的操作"))
            return redirect("resources:workbench")
    except SafetyNetError as e:
        messages.error(request, e.message)
        return redirect("resources:workbench")
    messages.success(request, _("已办理"))
    return redirect("resources:workbench")


# ------------------------------------------------------------------------------------------
# What is coming (household and proxy), and the dashboard


@page_view
def mine(request):
    referrals = selectors.referrals_for_user(user=request.user).select_related("resource__provider")
    return render(request, "resources/mine.html", {
        "rows": [{"r": r, "words": selectors.referral_plain_words(r)} for r in referrals]})


@page_view
def dashboard(request):
    data = selectors.dashboard_for_user(user=request.user)
    districts = list(data["by_district"].values())
    titles = dict(NeedCategory.choices)
    charts = {
        "district": {"categories": [d["name"] for d in districts],
                     "series": [{"name": str(titles[c]), "data": [round(d["categories"].get(c, 0.0), 1)
                                                                  for d in districts]} for c in CATEGORIES]},
        "pressure": {"categories": [p["title"] for p in data["pressure"]],
                     "series": [{"name": _("每个剩余名额对应的加权未满足需求"),
                                 "data": [p["per_unit"] for p in data["pressure"]]}]},
    }
    rows = [{"name": d["name"], "cells": [round(d["categories"].get(c, 0.0), 1) for c in CATEGORIES]}
            for d in districts]
    return render(request, "resources/dashboard.html", {
        "data": data, "charts": charts, "rows": rows, "titles": [str(titles[c]) for c in CATEGORIES],
        "spent": _fen_to_yuan(data["spent_this_month_fen"]),
        "statuses": [(str(ReferralStatus(s).label), n) for s, n in sorted(data["referrals_by_status"].items())],
    })
