from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safetynet.core.masking import mask_id_number
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.sources import linkage, selectors
from safetynet.sources.catalogue import source_get
from safetynet.sources.errors import BatchNotHeld
from safetynet.sources.link_review import link_review_decide
from safetynet.sources.models import QuarantinedRow
from safetynet.sources.stewardship import batch_confirm, batch_reject


@page_view
def source_list(request):
    return render(
        request,
        "sources/list.html",
        {
            "rows": selectors.source_overview_for_user(user=request.user),
            "held": selectors.batches_held_for_user(user=request.user),
        },
    )


@page_view
def source_detail(request, source: str):
    spec = source_get(source)
    batches = Paginator(selectors.batch_list_for_user(user=request.user, source=spec.name), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "sources/detail.html", {"source": spec, "page": batches})


@page_view
def batch_detail(request, batch_id: str):
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    reason = request.GET.get("reason") or None
    rows = Paginator(selectors.quarantine_rows(batch=batch, reason_code=reason), 50).get_page(request.GET.get("page"))
    for row in rows:
        if isinstance(row.raw, dict) and row.raw.get("id_number"):
            row.raw = {**row.raw, "id_number": mask_id_number(str(row.raw["id_number"]))}
    return render(
        request,
        "sources/batch.html",
        {
            "batch": batch,
            "source": source_get(batch.source),
            "summary": selectors.quarantine_summary(batch=batch),
            "page": rows,
            "reason": reason or "",
            "may_decide": can(request.user, Action.SOURCES_BATCH_DECIDE),
        },
    )


@page_view
def batch_linkage_model(request, batch_id: str):
    """The record-linkage model this batch used: each level's m, u and match weight."""
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    model = batch.linkage_model or {}
    return render(
        request,
        "sources/linkage_model.html",
        {
            "batch": batch,
            "levels": linkage.match_weights(model),
            "training": model.get("safetynet_training", {}),
            "prior": model.get("probability_two_random_records_match"),
        },
    )


@require_POST
@page_view
def batch_decision(request, batch_id: str):
    """A data steward confirms or rejects a held batch (thin: the service checks and audits)."""
    note = request.POST.get("note", "").strip()
    decide = batch_confirm if request.POST.get("decision") == "confirm" else batch_reject
    try:
        batch = decide(batch_id=batch_id, actor=request.user, note=note)
    except BatchNotHeld as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"批次 {batch.batch_id}：{batch.get_status_display()}")
    return redirect("sources:batch", batch_id=batch_id)


@page_view
def link_reviews(request):
    page = Paginator(selectors.link_reviews_pending_for_user(user=request.user), 20).get_page(request.GET.get("page"))
    quarantined = {
        (q.batch_id, q.row_number): q
        for q in QuarantinedRow.objects.filter(
            batch_id__in={r.batch_id for r in page}, row_number__in={r.row_number for r in page}
        )
    }
    rows = []
    for review in page:
        q = quarantined.get((review.batch_id, review.row_number))
        raw = dict(q.raw) if q and isinstance(q.raw, dict) else {}
        if raw.get("id_number"):
            raw["id_number"] = mask_id_number(str(raw["id_number"]))
        rows.append(
            {
                "review": review,
                "reason": q.reason if q else "",
                "raw": raw,
                "candidate_id": mask_id_number(review.candidate.id_number) if review.candidate else "",
            }
        )
    return render(request, "sources/link_reviews.html", {"page": page, "rows": rows})


@require_POST
@page_view
def link_review_decision(request, review_id: int):
    confirm = request.POST.get("decision") == "confirm"
    candidate = request.POST.get("person_id") or None
    review = link_review_decide(
        review_id=review_id,
        actor=request.user,
        person_id=int(candidate) if confirm and candidate else None,
        note=request.POST.get("note", "").strip(),
    )
    messages.success(request, f"第 {review.row_number} 行：{review.get_status_display()}")
    return redirect("sources:link_reviews")
