"""Verification pages: a household's authorisations and checks, the report, its PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.core.errors import ValidationFailed
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.registry.selectors import household_get_for_user, household_members_at
from safetynet.sources.catalogue import catalogue
from safetynet.verification import selectors, services
from safetynet.verification.forms import AuthorisationForm
from safetynet.verification.pdf import report_pdf
from safetynet.verification.presentation import CATEGORY_TITLES, KIND_TITLES


def _household_page(request, household_id: int, *, form=None, error: str = "", status: int = 200):
    user = request.user
    household = household_get_for_user(user=user, household_id=household_id)
    today = timezone.localdate()
    members = household_members_at(household=household, on=today)
    if form is None and can(user, Action.AUTHORISATION_RECORD):
        form = AuthorisationForm(members=members, sources=catalogue().values())
    return render(
        request,
        "verification/household.html",
        {
            "household": household,
            "authorisations": selectors.authorisation_list_for_user(user=user, household_id=household.pk)
            .prefetch_related("persons"),
            # Community workers record authorisations but do not read the family's financial facts.
            "reports": selectors.report_list_for_user(user=user, household_id=household.pk)[:20]
            if can(user, Action.VERIFICATION_REPORT_READ)
            else [],
            "can_run": can(user, Action.VERIFICATION_RUN),
            "form": form,
            "today": today,
            "error": error or request.GET.get("error", ""),
        },
        status=status,
    )


@page_view
def household_checks(request, household_id: int):
    return _household_page(request, household_id)


@require_POST
@page_view
def authorisation_new(request, household_id: int):
    """登记授权书: the signed paper, its members, sources and validity, and its scan."""
    household = household_get_for_user(user=request.user, household_id=household_id)
    members = household_members_at(household=household, on=timezone.localdate())
    form = AuthorisationForm(request.POST, request.FILES, members=members, sources=catalogue().values())
    if not form.is_valid():
        return _household_page(request, household_id, form=form, error=_("请按提示补全授权书信息"), status=400)
    d = form.cleaned_data
    try:
        services.authorisation_record(
            actor=request.user, household_id=household.pk, signed_by_id=d["signed_by"], person_ids=d["persons"],
            sources=d["sources"], signed_on=d["signed_on"], valid_until=d["valid_until"], document=d["scan"],
        )
    except ValidationFailed as e:
        form.show_refusal(e)
        return _household_page(request, household_id, form=form, error=e.message, status=400)
    messages.success(request, _("授权书已登记，可以发起核对"))
    return redirect("verification:household", household_id=household.pk)


@page_view
def authorisation_scan(request, authorisation_id: int):
    """The signed scan, for those who may read the authorisation."""
    auth = selectors.authorisation_scan_open(user=request.user, authorisation_id=authorisation_id)
    return FileResponse(open(Path(settings.MEDIA_ROOT) / auth.document_path, "rb"),
                        content_type=auth.document_content_type)


@require_POST
@page_view
def run(request, household_id: int):
    on_text = request.POST.get("on") or ""
    try:
        on = dt.date.fromisoformat(on_text) if on_text else None
    except ValueError:
        raise ValidationFailed(f"核对基准日格式错误：{on_text}", code="verification.on") from None
    report = services.verification_run(
        actor=request.user, household_id=household_id, purpose=request.POST.get("purpose", ""), on=on
    )
    return redirect("verification:report", report_id=report.pk)


@page_view
def report(request, report_id: int):
    r = selectors.report_read_for_user(
        user=request.user, report_id=report_id, channel="page", purpose=request.GET.get("purpose", "")[:200]
    )
    return render(
        request,
        "verification/report.html",
        {"report": r, "body": r.result, "kinds": KIND_TITLES, "categories": CATEGORY_TITLES,
         # Opened from a case (发起经济状况核对): the way back to it.
         "case_id": request.GET.get("case", "") if request.GET.get("case", "").isdigit() else ""},
    )


@page_view
def report_download(request, report_id: int):
    r = selectors.report_read_for_user(
        user=request.user, report_id=report_id, channel="pdf", purpose=request.GET.get("purpose", "")[:200]
    )
    response = HttpResponse(report_pdf(r), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="verification-report-{r.pk}.pdf"'
    return response
