from django.core.paginator import Paginator
from django.shortcuts import render

from safetynet.core.masking import mask_id_number
from safetynet.sources import selectors
from safetynet.sources.catalogue import source_get
from safetynet.web.views import page_view


@page_view
def source_list(request):
    return render(request, "sources/list.html", {"rows": selectors.source_overview_for_user(user=request.user)})


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
        },
    )
