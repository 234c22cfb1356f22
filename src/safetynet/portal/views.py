"""Public pages (no login) and the staff pages of complaints. Thin: parse, call one service or
selector, render; a typed refusal becomes a page in plain words with its status."""

from __future__ import annotations

import csv
import json
from functools import wraps

from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import error_page, page_view
from safetynet.core.permissions import Action, can
from safetynet.portal.forms import (
    AnswerForm,
    ComplaintForm,
    QuestionForm,
    RevealForm,
    SelfCheckForm,
    TrackForm,
)
from safetynet.portal.models import ComplaintStatus
from safetynet.portal.policy.search import policy_answer
from safetynet.portal.selectors import (
    HOTLINE,
    complaint_get_for_user,
    complaint_queue_for_user,
    complaint_statistics_for_user,
    complaint_track,
    region_public_get,
    window_nearest,
)
from safetynet.portal.selfcheck import SelfCheckAnswers, selfcheck_evaluate
from safetynet.portal.services import (
    complaint_answer,
    complaint_attachment_open,
    complaint_file,
    complaint_reporter_reveal,
    complaint_start,
)
from safetynet.portal.throttle import throttle
from safetynet.portal.transparency.selectors import (
    aggregate_tables,
    data_dictionary,
    licence,
    months_available,
    notices_current,
    open_data_rows,
    parse_month,
)


def public_page(view):
    """No sign-in; every request counts against the page limit; a typed refusal becomes a page in
    plain words with its own status (429 for too many requests)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            throttle(request, "pages")
            return view(request, *args, **kwargs)
        except SafetyNetError as e:
            return error_page(request, e)

    return wrapper


@public_page
def home(request):
    return render(request, "portal/home.html", {"hotline": HOTLINE})


@public_page
@require_http_methods(["GET", "POST"])
def self_check(request):
    elderly = request.GET.get("mode") == "elderly" or request.POST.get("mode") == "elderly"
    context = {"elderly": elderly}
    if request.method == "POST":
        throttle(request, "selfcheck")
        form = SelfCheckForm(request.POST)
        if form.is_valid():
            region = region_public_get(code=form.cleaned_data["region_code"])
            data = form.cleaned_data
            answers = SelfCheckAnswers(
                region_code=region.code,
                rural=not region.urban,
                members=form.members(),
                deposits=data.get("deposits") or 0,
                vehicles=data.get("vehicles") or 0,
                dwellings=data["dwellings"] if data.get("dwellings") is not None else 1,
                medical_expenses_12m=data.get("medical_expenses_12m") or 0,
                education_expenses_12m=data.get("education_expenses_12m") or 0,
                hardship=data["hardship"],
                has_capable_supporter=data["has_capable_supporter"],
            )
            context["result"] = selfcheck_evaluate(answers=answers, on=timezone.localdate())
            context["window"] = window_nearest(region=region)
            context["region"] = region
    else:
        form = SelfCheckForm()
    context["form"] = form
    return render(request, "portal/self_check.html", context)


@public_page
def policy(request):
    form = QuestionForm(request.GET or None)
    context = {"form": form, "hotline": HOTLINE}
    if request.GET and form.is_valid():
        throttle(request, "policy")
        context["answer"] = policy_answer(question=form.cleaned_data["q"])
    return render(request, "portal/policy.html", context)


@public_page
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    if request.method == "POST":
        throttle(request, "complaint_file")
        form = ComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = complaint_file(
                    category=data["category"],
                    region_code=data["region_code"],
                    subject=data["subject"],
                    body=data["body"],
                    anonymous=data["anonymous"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    attachment=data.get("attachment"),
                    actor=request.user if request.user.is_authenticated else None,
                )
            except SafetyNetError as e:
                field = e.details.get("field")
                form.add_error(field if field in form.fields else None, e.message)
            else:
                return redirect(reverse("portal:track", args=[complaint.number]) + "?filed=1")
    else:
        form = ComplaintForm()
    return render(request, "portal/complaint_new.html", {"form": form})


@public_page
def track(request, number: str | None = None):
    form = TrackForm(request.GET or None)
    if number is None and request.GET and form.is_valid():
        return redirect("portal:track", form.cleaned_data["number"].upper())
    context = {"form": form, "filed": request.GET.get("filed") == "1"}
    if number:
        throttle(request, "complaint_track")
        context["view"] = complaint_track(number=number)
    return render(request, "portal/track.html", context)


@public_page
def transparency(request):
    throttle(request, "transparency")
    month = parse_month(request.GET.get("month"))
    months = months_available(today=month, count=12)
    tables = aggregate_tables(months=months)
    current = tables[-1]
    series = {
        "months": [f"{t.month:%Y-%m}" for t in tables],
        "programmes": current.col_names[:-1],
        "households": [[row for row in t.households[-1][:-1]] for t in tables],
    }
    return render(
        request,
        "portal/transparency.html",
        {"table": current, "measures": _measures(current),
         "series_json": json.dumps(series, ensure_ascii=False), "months": months, "month": month},
    )


def _measures(table) -> list[dict]:
    label = date_format(table.month, "YEAR_MONTH_FORMAT")
    return [
        {"code": code, "title": title % {"m": label}, "caption": caption,
         "rows": list(zip(table.row_names, values, strict=True))}
        for code, title, caption, values in (
            ("households", _("%(m)s享受救助户数"), _("户"), table.households),
            ("persons", _("%(m)s享受救助人数"), _("人"), table.persons),
            ("amount", _("%(m)s发放金额"), _("元"), table.amount),
        )
    ]


@public_page
def notices(request):
    throttle(request, "transparency")
    return render(request, "portal/notices.html", {"notices": notices_current()})


@public_page
def open_data(request):
    return render(request, "portal/open_data.html", {"dictionary": data_dictionary(), "licence": licence()})


def _open_rows(request):
    throttle(request, "transparency")
    months = months_available(today=parse_month(request.GET.get("month")), count=12)
    return open_data_rows(aggregate_tables(months=months))


@public_page
def open_data_csv(request):
    rows = _open_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="safetynet-aggregates.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    fields = [d["field"] for d in data_dictionary()]
    writer = csv.DictWriter(response, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in fields})
    return response


@public_page
def open_data_json(request):
    rows = _open_rows(request)
    return JsonResponse(
        {"licence": licence(), "dictionary": data_dictionary(), "rows": rows}, json_dumps_params={"ensure_ascii": False}
    )


# --- staff: complaints ------------------------------------------------------------------------


@page_view
def queue(request):
    status = request.GET.get("status") or None
    if status not in (None, *ComplaintStatus.values):
        status = None
    complaints = complaint_queue_for_user(user=request.user, status=status)[:200]
    return render(
        request,
        "portal/queue.html",
        {"complaints": complaints, "status": status, "statuses": ComplaintStatus.choices, "now": timezone.now(),
         "stats_allowed": can(request.user, Action.COMPLAINT_STATISTICS)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def complaint_detail(request, complaint_id: int):
    reporter = None
    answer_form, reveal_form = AnswerForm(), RevealForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            complaint_start(complaint_id=complaint_id, actor=request.user)
            return redirect("portal:complaint", complaint_id)
        if action == "answer":
            answer_form = AnswerForm(request.POST)
            if answer_form.is_valid():
                complaint_answer(complaint_id=complaint_id, actor=request.user, **answer_form.cleaned_data)
                return redirect("portal:complaint", complaint_id)
        if action == "reveal":
            reveal_form = RevealForm(request.POST)
            if reveal_form.is_valid():
                reporter = complaint_reporter_reveal(
                    complaint_id=complaint_id, actor=request.user, purpose=reveal_form.cleaned_data["purpose"]
                )
    complaint = complaint_get_for_user(user=request.user, complaint_id=complaint_id)
    return render(
        request,
        "portal/complaint.html",
        {
            "c": complaint,
            "events": list(complaint.events.all()),
            "answer_form": answer_form,
            "reveal_form": reveal_form,
            "reporter": reporter,
            "may_reveal": can(request.user, Action.COMPLAINT_REPORTER_VIEW),
            "now": timezone.now(),
        },
    )


@page_view
def attachment(request, complaint_id: int):
    path, content_type = complaint_attachment_open(complaint_id=complaint_id, actor=request.user)
    return FileResponse(path.open("rb"), content_type=content_type)


@page_view
def statistics(request):
    return render(request, "portal/statistics.html", {"s": complaint_statistics_for_user(user=request.user)})


