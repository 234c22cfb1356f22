"""Supervision pages (监督工作台): the five views with charts and their open findings, one
finding with its evidence (assign, close, order a recovery), recovery orders. Thin: parse, call
one selector or service, render; a refusal is shown in place (POST-redirect-GET)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from safetynet.core.errors import SafetyNetError
from safetynet.core.masking import mask_id_number
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.supervision import selectors, services, tasks
from safetynet.supervision.errors import SupervisionInvalid
from safetynet.supervision.models import AnomalyOutcome, AnomalyStatus, Kind, RecoveryEvent, View

PAYMENT_KINDS = (Kind.PAID_DECEASED, Kind.PAID_IMPRISONED, Kind.PAID_PUBLIC_PAYROLL, Kind.DUPLICATE_BENEFIT)
EVENT_OF = {Kind.PAID_DECEASED: RecoveryEvent.DEATH, Kind.PAID_IMPRISONED: RecoveryEvent.IMPRISONMENT,
            Kind.PAID_PUBLIC_PAYROLL: RecoveryEvent.PUBLIC_PAYROLL}
#: Where a finding's evidence comes from: a catalogued source, or the platform's own records.
SOURCE_TITLES = {
    "hukou_deaths": pgettext_lazy("source catalogue", "户籍注销(死亡)"),
    "prison": pgettext_lazy("source catalogue", "服刑人员"),
    "public_payroll": pgettext_lazy("source catalogue", "财政供养人员"),
    "staff": pgettext_lazy("source catalogue", "民政工作人员"),
    "benefits": pgettext_lazy("source catalogue", "救助对象名册"),
    "payments": pgettext_lazy("source catalogue", "本平台发放明细"),
    "bank_accounts": pgettext_lazy("source catalogue", "收款账户"),
    "registry": pgettext_lazy("source catalogue", "人口登记"),
    "cases": pgettext_lazy("source catalogue", "救助案件"),
    "monitoring": pgettext_lazy("source catalogue", "动态监测"),
}


def _fen(text: str) -> int:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise SupervisionInvalid(_("金额格式有误：%(v)s") % {"v": text}) from None
    fen = value * 100
    if fen != fen.to_integral_value():
        raise SupervisionInvalid(_("金额最多两位小数"))
    return int(fen)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise SupervisionInvalid(_("日期格式应为 YYYY-MM-DD：%(v)s") % {"v": text}) from None


def _post(request, target: str, action, ok: str):
    try:
        action()
        messages.success(request, ok)
    except SafetyNetError as e:
        messages.error(request, e.message)
    return redirect(target)


@page_view
def workbench(request):
    view = request.GET.get("view") or View.PAYMENT
    if view not in View.values:
        view = View.PAYMENT
    data = selectors.workbench_for_user(user=request.user)
    anomalies = list(selectors.anomaly_list_for_user(user=request.user, view=view)[:200])
    today = timezone.localdate()
    rows = [{"a": a, "overdue": a.due_on < today} for a in anomalies]
    current = next(v for v in data["views"] if v["view"] == view)
    charts = {
        "kind": {"categories": list(current["by_kind"]), "series": [{"name": _("待核查"), "data": list(current["by_kind"].values())}]},
        "county": {"categories": list(current["by_county"]),
                   "series": [{"name": _("待核查"), "data": list(current["by_county"].values())}]},
        "views": {"categories": [v["title"] for v in data["views"]],
                  "series": [{"name": _("待核查"), "data": [v["open"] for v in data["views"]]},
                             {"name": _("已超期"), "data": [v["overdue"] for v in data["views"]]},
                             {"name": _("已办结"), "data": [v["closed"] for v in data["views"]]}]},
    }
    if view == View.PROCESS:
        charts["stages"] = {"categories": [s["status"] for s in data["stages"]],
                            "series": [{"name": _("平均天数"), "data": [s["avg_days"] for s in data["stages"]]}]}
    return render(request, "supervision/workbench.html", {
        "views": data["views"], "view": view, "current": current, "rows": rows, "charts": charts,
        "stages": data["stages"] if view == View.PROCESS else [],
        "officers": selectors.breaches_by_officer_for_user(user=request.user) if view == View.PROCESS else [],
        "can_recover": can(request.user, Action.RECOVERY_MANAGE),
        "can_scan": can(request.user, Action.SUPERVISION_SCAN),
    })


@page_view
@require_POST
def scan(request):
    result = {}

    def act():
        result.update(tasks.supervise_run_for_user(user=request.user, on=timezone.localdate()))
    response = _post(request, reverse("supervision:workbench"), act, _("筛查完成"))
    if result:
        messages.info(request, _("本次筛查发现线索 %(n)d 条，新开 %(o)d 条") % {"n": result["findings"], "o": result["opened"]})
    return response


@page_view
def anomaly_detail(request, anomaly_id: int):
    a = selectors.anomaly_get_for_user(user=request.user, anomaly_id=anomaly_id)
    evidence = [{**e, "source_title": str(SOURCE_TITLES.get(e.get("source"), e.get("source"))),
                 "detail": "" if a.kind in (Kind.STAFF_RELATIVE, Kind.SHARED_ACCOUNT) else e.get("detail")}
                for e in a.evidence]
    return render(request, "supervision/anomaly.html", {
        "a": a, "evidence": evidence, "open": a.status == AnomalyStatus.OPEN,
        "person_id_masked": mask_id_number(a.person.id_number) if a.person else "",
        "overdue": a.status == AnomalyStatus.OPEN and a.due_on < timezone.localdate(),
        "assignees": selectors.assignees_for(anomaly=a) if can(request.user, Action.ANOMALY_HANDLE) else [],
        "outcomes": AnomalyOutcome.choices, "can_handle": can(request.user, Action.ANOMALY_HANDLE),
        "can_recover": can(request.user, Action.RECOVERY_MANAGE) and a.kind in PAYMENT_KINDS and a.household_id,
        "event": EVENT_OF.get(a.kind, RecoveryEvent.OTHER), "events": RecoveryEvent.choices,
        "orders": list(a.recovery_orders.all()), "today": timezone.localdate(),
    })


@page_view
@require_POST
def anomaly_close(request, anomaly_id: int):
    return _post(request, reverse("supervision:anomaly", args=[anomaly_id]), lambda: services.anomaly_close(
        anomaly_id=anomaly_id, outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""),
        actor=request.user), _("线索已办结"))


@page_view
@require_POST
def anomaly_assign(request, anomaly_id: int):
    def act():
        services.anomaly_assign(anomaly_id=anomaly_id, assignee_id=int(request.POST.get("assignee") or 0),
                                due_on=_date(request.POST.get("due_on", "")), actor=request.user)
    return _post(request, reverse("supervision:anomaly", args=[anomaly_id]), act, _("已重新指派核查人"))


@page_view
@require_POST
def recovery_create(request, anomaly_id: int):
    a = selectors.anomaly_get_for_user(user=request.user, anomaly_id=anomaly_id)
    created = {}

    def act():
        created["order"] = services.recovery_order_create(
            household_id=a.household_id, event=request.POST.get("event", ""), anomaly_id=a.pk,
            event_date=_date(request.POST.get("event_date", "")), stop_date=_date(request.POST.get("stop_date", "")),
            instalments=int(request.POST.get("instalments") or 1), actor=request.user)
    response = _post(request, reverse("supervision:anomaly", args=[anomaly_id]), act, _("已下达追回单"))
    if "order" in created:
        return redirect("supervision:recovery", created["order"].pk)
    return response


@page_view
def recovery_list(request):
    return render(request, "supervision/recoveries.html",
                  {"orders": selectors.recovery_list_for_user(user=request.user)[:200]})


@page_view
def recovery_detail(request, order_id: int):
    order = selectors.recovery_get_for_user(user=request.user, order_id=order_id)
    return render(request, "supervision/recovery.html", {
        "o": order, "instalments": list(order.instalments.select_related("recorded_by")),
        "can_approve": can(request.user, Action.RECOVERY_WRITE_OFF_APPROVE), "today": timezone.localdate(),
    })


@page_view
@require_POST
def recovery_instalment(request, order_id: int):
    def act():
        services.recovery_instalment_record(order_id=order_id, amount_fen=_fen(request.POST.get("amount", "")),
                                            paid_on=_date(request.POST.get("paid_on", "")),
                                            note=request.POST.get("note", ""), actor=request.user)
    return _post(request, reverse("supervision:recovery", args=[order_id]), act, _("已登记还款"))


@page_view
@require_POST
def recovery_write_off(request, order_id: int):
    target = reverse("supervision:recovery", args=[order_id])
    decision = request.POST.get("decision")
    if decision in ("approve", "refuse"):
        return _post(request, target, lambda: services.recovery_write_off_decide(
            order_id=order_id, approve=decision == "approve", note=request.POST.get("note", ""), actor=request.user),
            _("已处理核销申请"))
    return _post(request, target, lambda: services.recovery_write_off_propose(
        order_id=order_id, reason=request.POST.get("reason", ""), actor=request.user), _("已提交核销申请，待批准"))
