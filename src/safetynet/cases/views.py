"""Case pages (救助办理): the workbench queue, the case page with its moves, bulk moves, deadline
breaches, and the applicant's side (online application, proxy filing, progress).

Thin: parse, call one selector or service, render. Access is decided by the selectors and
services (region, role, mandate); a refusal from them is shown in place, in plain words.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from safetynet.cases import forms, selectors, services, workflow
from safetynet.cases.errors import InvalidAttachment
from safetynet.cases.models import Programme, Status
from safetynet.cases.texts import PROGRAMME_WHO
from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can, require
from safetynet.core.roles import SELF_SERVICE_ROLES, Role

PAGE_SIZE = 20


def _is_applicant(user) -> bool:
    return user.role in SELF_SERVICE_ROLES


# ---------------------------------------------------------------------------------------------
# Staff: workbench, case page, bulk, breaches


@page_view
def workbench(request):
    user = request.user
    programme = request.GET.get("programme", "")
    status = request.GET.get("status", "")
    programme = programme if programme in Programme.values else ""
    status = status if status in Status.values else ""
    q = request.GET.get("q", "").strip()[:64]
    cases = selectors.case_workbench_for_user(user=user, programme=programme or None, status=status or None, q=q)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    applicant = _is_applicant(user)
    steps = sorted({s for steps in workflow.queue_steps_for_role(user.role).values() for s in steps})
    bulk = [] if applicant else forms.bulk_moves_for_role(user.role)
    return render(request, "cases/workbench.html", {
        "page": page,
        "applicant": applicant,
        "programmes": Programme.choices,
        "statuses": [(s, Status(s).label) for s in steps] if not applicant else Status.choices,
        "programme": programme,
        "status": status,
        "q": q,
        "bulk": [(f"{a}:{b}", label) for a, b, label in bulk],
        "bulk_steps": {a for a, _b, _label in bulk},
        "now": timezone.now(),
    })


def _case_page(request, case_id: int, *, error: str = "", error_form: str = "", posted=None, status: int = 200):
    user = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    actions = selectors.case_actions_for_user(case=case, user=user)
    rules = selectors.case_rules_view(user=user, case=case)
    posted = posted or {}
    now = timezone.now()
    attachments = list(case.attachments.all())
    by_id = {a.pk: a for a in attachments}
    context = {
        "case": case,
        "overdue": bool(case.is_open and case.due_at and case.due_at < now),
        "timeline": [
            (t, _status_label(t.from_status), _status_label(t.to_status), _role_label(t.actor_role))
            for t in case.transitions.all()
        ],
        "visits": [(v, forms.findings_rows(v.findings),
                    [by_id[i] for i in v.findings.get("attachments", []) if i in by_id]) for v in case.visits.all()],
        "notices": list(case.notices.all()),
        "attachments": attachments,
        "actions": actions,
        "rules": rules,
        "proposed": rules.decision.amount_monthly if rules.decision is not None else None,
        "evidence": selectors.case_evidence(case=case, user=user),
        "reports": selectors.case_verification_reports(user=user, case=case),
        "can_run_check": can(user, Action.VERIFICATION_RUN) and case.is_open,
        "can_visit": case.status == Status.HOME_VISIT and can(user, Action.CASE_VISIT),
        "can_object": case.status == Status.PUBLIC_NOTICE and can(user, Action.CASE_OBJECT),
        "can_resolve": can(user, Action.CASE_RESOLVE_OBJECTION),
        "visit_form": posted.get("visit") or forms.VisitForm(),
        "move_form": posted.get("move"),
        "objection_form": posted.get("objection") or forms.ObjectionForm(),
        "error": error,
        "error_form": error_form,
        "posted_to": request.POST.get("to", "") if request.method == "POST" else "",
    }
    return render(request, "cases/case.html", context, status=status)


def _today():
    return timezone.localdate()


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else _("系统")


@page_view
def case_detail(request, case_id: int):
    if _is_applicant(request.user):
        return redirect("cases:progress", case_id=case_id)
    return _case_page(request, case_id)


def _refused(request, case_id: int, error: SafetyNetError | str, form_name: str, **kw):
    message = error if isinstance(error, str) else error.message
    status = 400 if isinstance(error, str) else error.status
    return _case_page(request, case_id, error=message, error_form=form_name, status=status, **kw)


def _form_errors(form) -> str:
    return pgettext("between the items of a list", "；").join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
@page_view
def case_move(request, case_id: int):
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, case_id, _form_errors(form), "move")
    d = form.cleaned_data
    try:
        result = forms.perform_move(case_id=case_id, actor=request.user, to=d["to"], version=d["version"],
                                    reason=d["reason"], amount=d["amount"], stable_household=d["stable_household"])
    except SafetyNetError as e:
        return _refused(request, case_id, e, "move")
    if d["to"] == Status.VERIFICATION:
        # 发起经济状况核对 ran the check: open its report.
        messages.success(request, _("核对已完成，案件转入经济状况核对环节"))
        report = selectors.case_latest_report(case=result)
        return redirect(reverse("verification:report", args=[report.pk]) + f"?case={case_id}")
    return _back(request, case_id, _("已办理：%(s)s") % {"s": Status(d["to"]).label})


@require_POST
@page_view
def case_check(request, case_id: int):
    """Run (or re-run) the household's check from the case page and open the report."""
    try:
        report = services.case_start_verification(case_id=case_id, actor=request.user)
    except SafetyNetError as e:
        return _refused(request, case_id, e, "check")
    return redirect(reverse("verification:report", args=[report.pk]) + f"?case={case_id}")


@require_POST
@page_view
def case_visit(request, case_id: int):
    form = forms.VisitForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, case_id, _("请按提示补全入户调查结论"), "visit", posted={"visit": form})
    try:
        forms.perform_visit(case_id=case_id, actor=request.user, form=form)
    except SafetyNetError as e:
        form.show_refusal(e)
        return _refused(request, case_id, e, "visit", posted={"visit": form})
    return _back(request, case_id, _("入户调查结果已记录"))


@require_POST
@page_view
def case_objection(request, case_id: int):
    form = forms.ObjectionForm(request.POST)
    if not form.is_valid():
        return _refused(request, case_id, _form_errors(form), "objection", posted={"objection": form})
    try:
        services.case_record_objection(case_id=case_id, actor=request.user, **form.cleaned_data)
    except SafetyNetError as e:
        return _refused(request, case_id, e, "objection", posted={"objection": form})
    return _back(request, case_id, _("公示异议已登记"))


@require_POST
@page_view
def objection_resolve(request, case_id: int):
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        return _refused(request, case_id, _form_errors(form), "resolve")
    try:
        services.case_resolve_objection(objection_id=form.cleaned_data["objection_id"], actor=request.user,
                                        resolution=form.cleaned_data["resolution"])
    except SafetyNetError as e:
        return _refused(request, case_id, e, "resolve")
    return _back(request, case_id, _("异议核实结论已记录"))


def _back(request, case_id: int, done: str) -> HttpResponseRedirect:
    messages.success(request, done)
    return redirect("cases:case", case_id=case_id)


@require_POST
@page_view
def bulk(request):
    form = forms.BulkForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/bulk.html", {"error": _form_errors(form), "results": []}, status=400)
    results = forms.perform_bulk(case_ids=form.cleaned_data["case_ids"], move=form.cleaned_data["move"],
                                 actor=request.user)
    return render(request, "cases/bulk.html", {
        "results": results,
        "ok": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results),
        "label": dict(form.fields["move"].choices)[form.cleaned_data["move"]],
    })


@page_view
def breaches(request):
    groups = selectors.deadline_breach_groups_for_user(user=request.user)
    return render(request, "cases/breaches.html", {
        "groups": [(Programme(g.programme).label, Status(g.step).label, g.cases) for g in groups],
        "total": sum(len(g.cases) for g in groups),
    })


# ---------------------------------------------------------------------------------------------
# Applicant side: online application, proxy filing, progress


@page_view
def apply(request):
    user = request.user
    require(user, Action.CASE_APPLY)
    # An account holding mandates (代办人) applies for its grantors; anyone else for their own household.
    mandates = selectors.mandates_for_proxy(user=user)
    household = None if mandates else selectors.household_of_applicant(user=user)
    context = {"household": household, "mandates": mandates, "mandates_by_id": {m.mandate_id: m for m in mandates},
               "who": PROGRAMME_WHO}

    def make_form(*args, **kwargs):
        if mandates:
            return forms.MandateApplyForm(*args, mandates=mandates, **kwargs)
        return forms.ApplyForm(*args, **kwargs)

    if request.method == "POST":
        form = make_form(request.POST, request.FILES)
        if form.is_valid() and (household is not None or mandates):
            try:
                if mandates:
                    result = forms.perform_mandate_application(actor=user, form=form)
                else:
                    result = forms.perform_online_application(household_id=household.pk, actor=user, form=form)
            except InvalidAttachment as e:
                form.add_error("materials", e.message)
                return render(request, "cases/apply.html", {**context, "form": form, "error": e.message},
                              status=e.status)
            except SafetyNetError as e:
                # A second application for the same programme: say where the first one is.
                existing = e.details.get("case_id") if e.code == "case.already_open" else None
                return render(request, "cases/apply.html",
                              {**context, "form": form, "error": e.message, "existing_case": existing},
                              status=e.status)
            return redirect("cases:progress", case_id=result.case.pk)
        status = 400
    else:
        form = make_form(initial={"idempotency_key": forms.new_idempotency_key()})
        status = 200
    return render(request, "cases/apply.html", {**context, "form": form}, status=status)


@page_view
def proxy_apply(request):
    user = request.user
    require(user, Action.CASE_PROXY_APPLY)
    lookup = forms.ProxyLookupForm(request.GET or None)
    household, found, form, error, status = None, [], None, "", 200
    if lookup.is_valid():
        try:
            found = selectors.households_for_filing(user=user, q=lookup.cleaned_data["number"])
        except SafetyNetError as e:
            error, status = e.message, 404
        if len(found) == 1:
            household, found = found[0], []
    if household is not None:
        members = household.current_memberships
        if request.method == "POST":
            form = forms.ProxyApplyForm(request.POST, members=members)
            if form.is_valid():
                try:
                    result = forms.perform_proxy_application(household_id=household.pk, actor=user,
                                                             data=form.cleaned_data)
                except SafetyNetError as e:
                    error, status = e.message, e.status
                else:
                    return redirect(reverse("cases:case", kwargs={"case_id": result.case.pk}))
            else:
                status = 400
        else:
            form = forms.ProxyApplyForm(members=members, initial=forms.ProxyApplyForm.initial_for(user))
    return render(request, "cases/proxy.html",
                  {"lookup": lookup, "household": household, "found": found, "form": form, "error": error},
                  status=status)


@page_view
def progress(request, case_id: int):
    user = request.user
    info = selectors.case_progress_for_applicant(user=user, case_id=case_id)
    can_appeal = info.step in (Status.NOT_ACCEPTED, Status.REFUSED, Status.EXITED, Status.SUSPENDED) and can(user, Action.CASE_APPEAL)
    return render(request, "cases/progress.html", {"p": info, "can_appeal": can_appeal})


@require_POST
@page_view
def appeal(request, case_id: int):
    """复查申请 from the applicant's progress page."""
    reason = request.POST.get("reason", "")
    try:
        services.case_appeal(case_id=case_id, actor=request.user, reason=reason)
    except SafetyNetError as e:
        info = selectors.case_progress_for_applicant(user=request.user, case_id=case_id)
        return render(request, "cases/progress.html", {"p": info, "can_appeal": True, "error": e.message,
                                                       "reason": reason}, status=e.status)
    return redirect("cases:progress", case_id=case_id)
