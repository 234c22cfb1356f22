"""Rules pages (规则与参数): the analyst's policy simulation with its downloads, the parameters
with their dated history, and parameter changes (propose, approve, reject: maker-checker).

Thin: parse, call one service or selector, render. The services decide who may do what; their
typed refusals are shown in place, in plain words.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can, require
from safetynet.rules import forms, simulation
from safetynet.rules.models import ChangeStatus
from safetynet.rules.parameter_admin import (
    parameter_change_approve,
    parameter_change_propose,
    parameter_change_reject,
)
from safetynet.rules.parameter_labels import translated_description, translated_unit
from safetynet.rules.selectors import parameter_change_list_for_user, parameter_list, parameter_regions

CHANGE_LIST_LIMIT = 200


def _form_errors(*forms_) -> str:
    """Every error of the forms and formsets given (a formset's errors are a list of dicts)."""
    errors = []
    for form in forms_:
        if hasattr(form, "forms"):
            errors += [str(e) for e in form.non_form_errors()]
            errors += [_form_errors(f) for f in form.forms if f.errors]
        else:
            errors += [str(e) for field_errors in form.errors.values() for e in field_errors]
    return "；".join(e for e in errors if e)


# ---------------------------------------------------------------------------------------------
# Policy simulation


def _simulation_context(request, parameters):
    regions = list(parameter_regions())
    return {
        "paths": forms.parameter_choices(parameters),
        "regions": forms.region_choices(regions, with_default=True),
        "region_names": {r.code: r.name for r in regions},
    }


@page_view
def simulate_page(request):
    """政策模拟: define a reform, see its cost and coverage against the rules in force."""
    require(request.user, Action.RULES_SIMULATE)
    parameters = parameter_list(on=timezone.localdate())
    choices = _simulation_context(request, parameters)
    row_kwargs = {"paths": choices["paths"], "regions": choices["regions"]}
    result, spec, on, error, status = None, None, None, "", 200
    if request.method == "POST":
        form = forms.ReformForm(request.POST, request.FILES)
        rows = forms.ChangeRowFormSet(request.POST, form_kwargs=row_kwargs)
        if form.is_valid() and rows.is_valid():
            try:
                spec = forms.reform_from_forms(form, rows)
                on = forms.simulation_date(form, spec)
                result = simulation.simulate_registry(actor=request.user, spec=spec, on=on)
            except SafetyNetError as e:
                if e.status == 403:
                    raise
                error, status = e.message, e.status
        else:
            error, status = _form_errors(form, rows) or _("请检查填写的内容"), 400
    else:
        form = forms.ReformForm()
        start = forms.next_month_start()
        region = getattr(request.user.region, "code", forms.DEFAULT_REGION)
        if region not in choices["region_names"]:
            region = forms.DEFAULT_REGION
        rows = forms.ChangeRowFormSet(
            initial=[{"start": start, "region": region}] * forms.ROWS, form_kwargs=row_kwargs
        )
    return render(
        request,
        "rules/simulate.html",
        {
            "form": form,
            "rows": rows,
            "error": error,
            "result": result,
            "on": on,
            "reform_json": json.dumps(spec.as_dict(), ensure_ascii=False) if spec else "",
            "shadowed": forms.shadowed_regions(spec, parameters, choices["region_names"]) if result else [],
            **(_result_context(result, choices["region_names"]) if result else {}),
            "parameters": parameters,
            "in_force": {p["path"]: {r["region"]: r["in_force"] for r in p["regions"]} for p in parameters},
            "region_names": choices["region_names"],
            "xlsx": simulation.xlsx_available(),
        },
        status=status,
    )


def _region_label(key: str, names: dict[str, str]) -> str:
    if key == forms.DEFAULT_REGION:
        return _("全国默认值")
    return f"{names[key]}（{key}）" if key in names else key


def _wan(yuan: float) -> float:
    """Yuan to 万元 (ten thousand yuan), the unit budgets are read in."""
    return round(yuan / 10_000, 2)


def _figures(label, baseline: dict, reform: dict) -> dict:
    return {
        "label": label,
        "households": (baseline.get("households"), reform.get("households")),
        "persons": (baseline.get("persons"), reform.get("persons")),
        "monthly": (_wan(baseline["monthly_cost"]), _wan(reform["monthly_cost"])),
        "annual": (_wan(baseline["annual_cost"]), _wan(reform["annual_cost"])),
    }


def _result_context(result, region_names: dict[str, str]) -> dict:
    """The report shaped for the page: money in 万元, labels in words."""
    report = result.report
    base, reform = report["baseline"]["total"], report["reform_result"]["total"]
    return {
        "charts": _charts(result),
        "total": _figures(_("合计"), base, reform),
        "annual_change": _wan(reform["annual_cost"] - base["annual_cost"]),
        "monthly_change": _wan(reform["monthly_cost"] - base["monthly_cost"]),
        "programmes": [
            _figures(simulation.PROGRAMME_LABELS[p], report["baseline"][p], report["reform_result"][p])
            for p in simulation.PROGRAMME_COLUMNS
        ],
        "districts": [
            {
                **_figures(d["name"], d["baseline"]["total"], d["reform"]["total"]),
                "dibao": (d["baseline"]["dibao"]["households"], d["reform"]["dibao"]["households"]),
                "change": _wan(d["monthly_change"]),
                "winners": d["winners"],
                "losers": d["losers"],
            }
            for d in report["districts"]
        ],
        "reform_changes": [
            {**c, "region_name": _region_label(c["region"], region_names)}
            for c in report["reform"]["changes"]
        ],
        "losing": [{**row, "label": simulation.PROGRAMME_LABELS[row["programme"]]} for row in result.losing],
    }


def _histogram_label(b: dict) -> str:
    if b["from"] is None:
        return f"< {b['to']:+,.0f}"
    if b["to"] is None:
        return f"≥ {b['from']:+,.0f}"
    return f"{b['from']:+,.0f}～{b['to']:+,.0f}"


def _charts(result) -> dict:
    """Data for the ECharts bar charts (rendered with json_script); money in 万元."""
    report = result.report
    labels = [str(simulation.PROGRAMME_LABELS[p]) for p in simulation.PROGRAMME_COLUMNS]
    return {
        "coverage": {
            "categories": labels,
            "baseline": [report["baseline"][p]["households"] for p in simulation.PROGRAMME_COLUMNS],
            "reform": [report["reform_result"][p]["households"] for p in simulation.PROGRAMME_COLUMNS],
        },
        "districts": {
            "categories": [d["name"] for d in report["districts"]],
            "baseline": [_wan(d["baseline"]["total"]["monthly_cost"]) for d in report["districts"]],
            "reform": [_wan(d["reform"]["total"]["monthly_cost"]) for d in report["districts"]],
        },
        "histogram": {
            "categories": [_histogram_label(b) for b in result.histogram],
            "counts": [b["count"] for b in result.histogram],
            "gain": [(b["from"] if b["from"] is not None else -1) >= 0 for b in result.histogram],
        },
        "labels": {
            "baseline": _("现行政策"),
            "reform": _("改革方案"),
            "households": _("户数"),
            "monthly": _("月支出（万元）"),
            "change": _("每户月变化（元）"),
        },
    }


DOWNLOADS = {
    "districts.csv": ("csv", False),
    "households.csv": ("csv", True),
    "report.xlsx": ("xlsx", True),
}


@require_POST
@page_view
def simulate_download(request, filename: str):
    """The result page's downloads: the same reform run again (and audited again)."""
    require(request.user, Action.RULES_SIMULATE)
    if filename not in DOWNLOADS or (filename.endswith(".xlsx") and not simulation.xlsx_available()):
        return redirect("rules:simulate")
    output, with_households = DOWNLOADS[filename]
    spec = forms.reform_from_hidden(request.POST.get("reform", ""))
    on = forms.simulation_date_from_text(request.POST.get("on", ""), spec)
    result = simulation.simulate_registry(
        actor=request.user, spec=spec, on=on, output=output, with_households=with_households
    )
    stamp = on.strftime("%Y%m")
    if filename == "report.xlsx":
        response = HttpResponse(
            simulation.report_xlsx(result),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = (
            simulation.households_csv(result.households)
            if with_households
            else simulation.report_csv(result.report)
        )
        # A BOM so that Excel opens the Chinese headers as UTF-8.
        response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="simulation-{stamp}-{filename}"'
    return response


# ---------------------------------------------------------------------------------------------
# Parameters and their changes


@page_view
def parameters_page(request):
    """政策参数: every region-indexed parameter, its value in force and dated history by region."""
    require(request.user, Action.RULES_PARAMETERS_READ)
    today = timezone.localdate()
    q = request.GET.get("q", "").strip()
    parameters = parameter_list(on=today)
    for p in parameters:
        p["label"], p["unit_label"] = translated_description(p["description"] or ""), translated_unit(p["unit"])
    if q:
        parameters = [p for p in parameters if q in p["path"] or q in (p["description"] or "") or q in p["label"]]
    names = {r.code: r.name for r in parameter_regions()}
    for p in parameters:
        for r in p["regions"]:
            r["name"] = _region_label(r["region"], names)
    return render(request, "rules/parameters.html", {"parameters": parameters, "q": q, "today": today})


def _changes_page(request, *, form=None, error: str = "", error_change: int | None = None, status: int = 200):
    user = request.user
    status_filter = request.GET.get("status", "")
    status_filter = status_filter if status_filter in ChangeStatus.values else ""
    path_filter = request.GET.get("path", "").strip()
    changes = parameter_change_list_for_user(user=user, status=status_filter or None)
    if path_filter:
        changes = changes.filter(path=path_filter)
    can_propose = can(user, Action.RULES_PARAMETER_CHANGE)
    parameters = parameter_list(on=timezone.localdate())
    descriptions = {p["path"]: translated_description(p["description"] or "") for p in parameters}
    rows = list(changes[:CHANGE_LIST_LIMIT])
    if can_propose and form is None:
        form = forms.ParameterChangeForm(
            initial={"effective_from": forms.next_month_start(), "path": path_filter},
            **_propose_choices(user, parameters),
        )
    return render(
        request,
        "rules/changes.html",
        {
            "changes": [(c, descriptions.get(c.path, "")) for c in rows],
            "truncated": len(rows) == CHANGE_LIST_LIMIT,
            "limit": CHANGE_LIST_LIMIT,
            "statuses": ChangeStatus.choices,
            "status_filter": status_filter,
            "path_filter": path_filter,
            "form": form if can_propose else None,
            "can_decide": can_propose,
            "error": error,
            "error_change": error_change,
        },
        status=status,
    )


def _propose_choices(user, parameters) -> dict:
    return {
        "paths": forms.parameter_choices(parameters),
        "regions": forms.region_choices(parameter_regions(user=user), with_default=False),
    }


@page_view
def changes_page(request):
    """参数调整: proposals in the user's region, the propose form, approve and reject."""
    require(request.user, Action.RULES_PARAMETERS_READ)
    return _changes_page(request)


@require_POST
@page_view
def change_propose(request):
    user = request.user
    require(user, Action.RULES_PARAMETER_CHANGE)
    form = forms.ParameterChangeForm(
        request.POST, **_propose_choices(user, parameter_list(on=timezone.localdate()))
    )
    if not form.is_valid():
        return _changes_page(request, form=form, error=_form_errors(form), status=400)
    try:
        change = parameter_change_propose(actor=user, **form.cleaned_data)
    except SafetyNetError as e:
        return _changes_page(request, form=form, error=e.message, status=e.status)
    messages.success(request, _("已提交参数调整（编号 %(id)s），待其他有权人员审核。") % {"id": change.pk})
    return redirect("rules:changes")


@require_POST
@page_view
def change_decide(request, change_id: int, decision: str):
    """批准 or 驳回; a refusal (self-approval, wrong region or role, already decided) in place."""
    form = forms.DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    service = parameter_change_approve if decision == "approve" else parameter_change_reject
    try:
        service(change_id=change_id, actor=request.user, note=note)
    except SafetyNetError as e:
        return _changes_page(request, error=e.message, error_change=change_id, status=e.status)
    done = _("已批准") if decision == "approve" else _("已驳回")
    messages.success(request, _("参数调整（编号 %(id)s）%(done)s。") % {"id": change_id, "done": done})
    return redirect("rules:changes")
