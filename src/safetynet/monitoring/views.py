"""Monitoring pages (动态监测): the worker's alerts (预警工单), one alert with its visit, close and
one-step 主动发现 application, the household picture (家庭画像) and the county dashboard.

Thin: parse, call one selector or service, render. Access is decided by the selectors and
services (region, role); a refusal is shown in place, in plain words (POST-redirect-GET)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safetynet.cases.models import Programme
from safetynet.core.errors import SafetyNetError
from safetynet.core.masking import mask_id_number, mask_phone
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, Data, can, may_see
from safetynet.core.uploads import MAX_FILES
from safetynet.monitoring import dispatching, selectors, services
from safetynet.monitoring.indicator_labels import translated_dimension, translated_label
from safetynet.monitoring.indicators import library
from safetynet.monitoring.models import (
    AlertKind,
    AlertLevel,
    AlertOutcome,
    AlertStatus,
    HiddenIncomeKind,
    VisitFinding,
    VisitReason,
)
from safetynet.monitoring.outcomes import VisitOutcomeInput, parse_amount
from safetynet.regions.selectors import region_communities_for_user
from safetynet.registry.selectors import household_get_for_user
from safetynet.sources.catalogue import catalogue
from safetynet.verification.selectors import report_latest_for_household

CONDITION_TITLES = {"points": gettext_lazy("积分式综合评分"), "dibao_uncovered": gettext_lazy("符合低保条件但未纳入"),
                    dispatching.MODEL_CONDITION: gettext_lazy("模型排序：可能有困难，规则未发现"),
                    dispatching.SAMPLE_CONDITION: gettext_lazy("随机抽样走访")}
CLOSE_OUTCOMES = [(v, label) for v, label in AlertOutcome.choices if v != AlertOutcome.ASSISTED_NEW_CASE]


def condition_title(code: str) -> str:
    if code in CONDITION_TITLES:
        return str(CONDITION_TITLES[code])
    lib = library()
    return next((translated_label(t.title) for t in lib.triggers if t.code == code), code)


def _money(value) -> str:
    return f"{float(value):,.0f}" if value is not None else "—"


def alert_reasons(alert) -> list[str]:
    """Why the alert was raised, in the reader's language, from its stored reasons (a trigger's
    stored title and explanation are the library's words, so they are translated like it)."""
    r = alert.reasons or {}
    if alert.kind == AlertKind.POINTS:
        titles = {i.code: translated_label(i.title) for i in library().indicators}
        lines = [_("综合剥夺得分 %(s)s（得分越高越困难）") % {"s": f"{alert.score:.2f}" if alert.score is not None else "—"}]
        lines += [titles.get(c, c) for c in r.get("indicators", [])]
        return lines
    if alert.kind == AlertKind.MODEL:
        # the model's own words (``model.explain``): what about the household made it rank high
        risk = r.get("risk")
        lines = [_("根据以往走访结果，排序模型估计这户家庭确有困难的可能约为 %(p)s%%，值得上门了解")
                 % {"p": f"{float(risk) * 100:.0f}" if risk is not None else "—"}]
        return lines + list(r.get("explanation", []))
    if alert.kind == AlertKind.SAMPLE:
        # people first: the household is not suspected of anything, and must not be told it is
        return [_("随机抽样核查，用于检验预警是否漏掉了困难家庭；这户家庭没有任何异常"),
                _("请像日常走访一样了解家庭近况，不要对家庭说其被怀疑、被举报或被抽查")]
    if alert.kind == AlertKind.COVERAGE:
        ratio = r.get("income_ratio")
        text = _("家庭人均收入低于当地低保标准，但未享受低保")
        if ratio is not None:
            text += _("（人均收入为标准的 %(r)s 倍）") % {"r": f"{float(ratio):.2f}"}
        return [text]
    title = translated_label(r["title"]) if r.get("title") else condition_title(alert.condition)
    explanation = translated_label(r.get("explanation", ""))
    lines = [_("%(title)s：%(explanation)s") % {"title": title, "explanation": explanation} if explanation else title]
    if "out_of_pocket" in r:
        lines.append(_("个人自付医疗费 %(o)s 元，家庭年收入 %(a)s 元") % {
            "o": _money(r["out_of_pocket"]), "a": _money(r.get("annual_income"))})
    for e in r.get("events", []):
        parts = [str(v) for k, v in e.items() if v not in (None, "")]
        if parts:
            lines.append(_("、").join(parts))
    return lines


def points_breakdown(alert) -> list[dict]:
    """The points alert's deprived indicators grouped by dimension, with each dimension's share of
    the score (library weights: the per-household matrix itself is not stored by the run)."""
    lib = library()
    weight = dict(zip([i.code for i in lib.computed], lib.weights().tolist(), strict=True))
    by_code = {i.code: i for i in lib.indicators}
    dims: dict[str, dict] = {}
    for code in (alert.reasons or {}).get("indicators", []):
        ind = by_code.get(code)
        dim = ind.dimension if ind else "other"
        row = dims.setdefault(dim, {"title": translated_dimension(lib.dimensions.get(dim, dim)), "weight": 0.0,
                                    "indicators": []})
        row["weight"] += weight.get(code, 0.0)
        row["indicators"].append(translated_label(ind.title) if ind else code)
    return sorted(dims.values(), key=lambda d: -d["weight"])


def _decorate(alerts, now):
    return [{"alert": a, "overdue": a.status != AlertStatus.CLOSED and a.due_at < now,
             "title": condition_title(a.condition), "reasons": alert_reasons(a)} for a in alerts]


ALERT_PAGE_SIZE = 20


@page_view
def alert_list(request):
    """预警工单: paged cards (name, address, level, the first three reasons), filtered by level,
    community and overdue, and found by 户号, name, ID number or phone."""
    user, now = request.user, timezone.now()
    level = request.GET.get("level", "")
    level = level if level in AlertLevel.values else ""
    community = request.GET.get("community", "").strip()
    overdue = request.GET.get("overdue") == "1"
    q = request.GET.get("q", "").strip()[:64]
    alerts = selectors.alert_open_list_for_user(user=user, level=level, region_code=community or None,
                                                overdue_only=overdue, q=q)
    page = Paginator(alerts, ALERT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/alerts.html", {
        "page": page,
        "rows": _decorate(page.object_list, now),
        "levels": AlertLevel.choices,
        "level": level,
        "communities": list(region_communities_for_user(user=user)),
        "community": community,
        "overdue": overdue,
        "q": q,
    })


def _members(household):
    return [{"name": m.person.name, "relationship": m.get_relationship_display(),
             "id_number": mask_id_number(m.person.id_number), "phone": mask_phone(m.person.phone),
             "person_id": m.person_id, "head": m.relationship == "head"}
            for m in household.memberships.all() if m.left_on is None]


def _visit_outcome_posted(post) -> VisitOutcomeInput:
    """The structured outcome typed in the visit or close form (validated by the service)."""
    return VisitOutcomeInput(
        finding=post.get("finding", ""), reasons=tuple(post.getlist("reasons")),
        hidden_income_kind=post.get("hidden_income_kind", ""),
        hidden_income_monthly=parse_amount(post.get("hidden_income_monthly"), label=_("未登记月收入")),
        family_support_monthly=parse_amount(post.get("family_support_monthly"), label=_("家人月资助")),
        assets_value=parse_amount(post.get("assets_value"), label=_("财产价值")),
        note=post.get("findings", "").strip() or post.get("reason", "").strip(),
    )


VISIT_CHOICES = {"findings": VisitFinding.choices, "reasons": VisitReason.choices, "kinds": HiddenIncomeKind.choices}


def _alert_page(request, alert_id: int, *, error: str = "", error_form: str = "", posted=None, status=200):
    alert = selectors.alert_get_for_user(user=request.user, alert_id=alert_id)
    household = household_get_for_user(user=request.user, household_id=alert.household_id)
    now = timezone.now()
    members = _members(household)
    return render(request, "monitoring/alert.html", {
        "alert": alert,
        "title": condition_title(alert.condition),
        "reasons": alert_reasons(alert),
        "overdue": alert.status != AlertStatus.CLOSED and alert.due_at < now,
        "members": members,
        # The worker is about to visit: who to ask for, where, and how to call (masked by rule).
        "head": next((m for m in members if m["head"]), members[0] if members else None),
        "household": household,
        "open": alert.status != AlertStatus.CLOSED,
        "can_handle": can(request.user, Action.ALERT_HANDLE),
        "outcomes": CLOSE_OUTCOMES,
        "visit_choices": VISIT_CHOICES,
        "visit_outcome": alert.visit_outcomes.first(),
        "attachments": list(alert.attachments.all()),
        "max_files": MAX_FILES,
        "error": error,
        "error_form": error_form,
        "posted": posted or {},
        "posted_reasons": posted.getlist("reasons") if hasattr(posted, "getlist") else [],
    }, status=status)


@page_view
def alert_detail(request, alert_id: int):
    return _alert_page(request, alert_id)


def _refused(request, alert_id, error, form_name):
    message = error if isinstance(error, str) else error.message
    status = 400 if isinstance(error, str) else error.status
    return _alert_page(request, alert_id, error=message, error_form=form_name, posted=request.POST, status=status)


@require_POST
@page_view
def alert_visit(request, alert_id: int):
    findings = request.POST.get("findings", "").strip()
    if not findings:
        return _refused(request, alert_id, _("请填写走访核查情况"), "visit")
    try:
        services.alert_record_visit(alert_id=alert_id, actor=request.user, findings=findings,
                                    outcome=_visit_outcome_posted(request.POST),
                                    files=request.FILES.getlist("photos"))
    except SafetyNetError as e:
        return _refused(request, alert_id, e, "visit")
    messages.success(request, _("已登记走访核查"))
    return redirect("monitoring:alert", alert_id=alert_id)


@require_POST
@page_view
def alert_close(request, alert_id: int):
    outcome = request.POST.get("outcome", "")
    reason = request.POST.get("reason", "").strip()
    if outcome not in dict(CLOSE_OUTCOMES):
        return _refused(request, alert_id, _("请选择处理结果"), "close")
    if not reason:
        return _refused(request, alert_id, _("请填写办结理由"), "close")
    try:
        visit = _visit_outcome_posted(request.POST) if "finding" in request.POST else None
        services.alert_close(alert_id=alert_id, actor=request.user, outcome=outcome, reason=reason, visit=visit)
    except SafetyNetError as e:
        return _refused(request, alert_id, e, "close")
    messages.success(request, _("预警已办结"))
    return redirect("monitoring:alert", alert_id=alert_id)


@require_POST
@page_view
def alert_open_case(request, alert_id: int):
    try:
        alert = services.alert_open_case(alert_id=alert_id, actor=request.user)
    except SafetyNetError as e:
        return _refused(request, alert_id, e, "case")
    messages.success(request, _("已为该户发起主动发现救助申请（预警 %(n)s 已办结）") % {"n": alert.number})
    return redirect(reverse("cases:case", args=[alert.case_id]))


def _programme_label(code: str) -> str:
    """A roll's programme code (dibao …) by its name; a code the platform does not run, as it came."""
    return str(Programme(code).label) if code in Programme.values else code


def _source_label(fact: dict) -> str:
    """A cited fact's source by the catalogue's name in the reader's language (the report stores
    the title it had then, in Chinese: shown as stored for a source no longer catalogued)."""
    source = catalogue().get(fact.get("source", ""))
    return source.label if source else fact.get("source_title", "")


@page_view
def household_picture(request, household_id: int):
    user = request.user
    household = household_get_for_user(user=user, household_id=household_id)
    alerts = list(selectors.alert_list_for_household(user=user, household_id=household_id))
    report = None
    benefits = []
    report_allowed = may_see(user, Data.INCOME) and can(user, Action.VERIFICATION_REPORT_READ)
    if report_allowed:
        report = report_latest_for_household(household_id=household_id)
        if report:
            for m in report.result.get("members", []):
                for f in m.get("facts", []):
                    if f.get("category") == "transfers":
                        benefits.append({"name": m.get("name"), "amount": f.get("amount"),
                                         "programme": _programme_label((f.get("detail") or {}).get("programme", "")),
                                         "source": _source_label(f)})
    points = next((a for a in alerts if a.condition == "points"), None)
    return render(request, "monitoring/household.html", {
        "household": household,
        "members": _members(household),
        "report": report,
        "report_allowed": report_allowed,
        "totals": (report.result.get("household") or {}) if report else {},
        "benefits": benefits,
        "rows": _decorate(alerts, timezone.now()),
        "points": points,
        "breakdown": points_breakdown(points) if points else [],
        "visit_facts": selectors.visit_facts_for_household(user=user, household_id=household.pk),
    })


@page_view
def dashboard(request):
    data = selectors.alert_dashboard_for_user(user=request.user)
    lib = library()
    levels = [(v, str(label)) for v, label in AlertLevel.choices]
    districts = list(data["by_district"].values())
    conditions = sorted(data["by_condition"])
    precision = [{"condition": c, "title": condition_title(c), **p} for c, p in sorted(data["precision"].items())]
    titles = {i.code: translated_label(i.title) for i in lib.indicators}
    indicator_precision = sorted(
        ({"code": c, "title": titles.get(c, c), **p} for c, p in data["indicator_precision"].items()),
        key=lambda p: (-(p["positive"] + p["negative"]), p["code"]))
    charts = {
        "district": {"categories": [d["name"] for d in districts],
                     "series": [{"name": label, "data": [d["levels"].get(v, 0) for d in districts]}
                                for v, label in levels]},
        "condition": {"categories": [condition_title(c) for c in conditions],
                      "series": [{"name": _("预警数"), "data": [data["by_condition"][c] for c in conditions]}]},
        "dimension": {"categories": [translated_dimension(lib.dimensions.get(d, d)) for d in sorted(data["by_dimension"])],
                      "series": [{"name": _("积分式预警户数"),
                                  "data": [data["by_dimension"][d] for d in sorted(data["by_dimension"])]}]},
        "outcome": {"categories": [str(AlertOutcome(o).label) if o in AlertOutcome.values else o
                                   for o in sorted(data["outcomes"])],
                    "series": [{"name": _("办结数"), "data": [data["outcomes"][o] for o in sorted(data["outcomes"])]}]},
        "precision": {"categories": [p["title"] for p in precision],
                      "series": [{"name": _("精准率(%)"),
                                  "data": [round(p["precision"] * 100, 1) if p["precision"] is not None else 0
                                           for p in precision]}]},
    }
    run = data["latest_run"]
    return render(request, "monitoring/dashboard.html", {
        "data": data,
        "district_rows": [{"code": code, "name": d["name"], "counts": [d["levels"].get(v, 0) for v, _l in levels]}
                          for code, d in data["by_district"].items()], "levels": levels, "precision": precision,
        "indicator_precision": indicator_precision, "charts": charts,
        "run": run, "run_counts": (run.counts or {}) if run else {},
        "run_levels": [(label, ((run.counts or {}).get("levels") or {}).get(v, 0)) for v, label in levels] if run else [],
        "total": sum(data["by_condition"].values()),
    })
