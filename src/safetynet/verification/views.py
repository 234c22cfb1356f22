"""Verification pages: a household's authorisations and checks, the report, its PDF."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safetynet.core.errors import ValidationFailed
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.registry.selectors import household_get_for_user
from safetynet.verification import selectors, services
from safetynet.verification.pdf import report_pdf
from safetynet.verification.presentation import CATEGORY_TITLES, KIND_TITLES


@page_view
def household_checks(request, household_id: int):
    household = household_get_for_user(user=request.user, household_id=household_id)
    return render(
        request,
        "verification/household.html",
        {
            "household": household,
            "authorisations": selectors.authorisation_list_for_user(user=request.user, household_id=household.pk)
            .prefetch_related("persons"),
            # Community workers record authorisations but do not read the family's financial facts.
            "reports": selectors.report_list_for_user(user=request.user, household_id=household.pk)[:20]
            if can(request.user, Action.VERIFICATION_REPORT_READ)
            else [],
            "today": timezone.localdate(),
            "error": request.GET.get("error", ""),
        },
    )


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
        {"report": r, "body": r.result, "kinds": KIND_TITLES, "categories": CATEGORY_TITLES},
    )


@page_view
def report_download(request, report_id: int):
    r = selectors.report_read_for_user(
        user=request.user, report_id=report_id, channel="pdf", purpose=request.GET.get("purpose", "")[:200]
    )
    response = HttpResponse(report_pdf(r), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="verification-report-{r.pk}.pdf"'
    return response
