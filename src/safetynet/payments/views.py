"""Finance pages (资金发放): the rolls of the region, one roll with its totals, reconciliation,
held and failed lines and the next step (submit, approve, export, import a return, re-issue or
hold), and bank file downloads. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.cases.models import Programme
from safetynet.core.access import scope
from safetynet.core.errors import SafetyNetError
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can
from safetynet.payments import selectors, services
from safetynet.payments.errors import InvalidPaymentInput
from safetynet.payments.models import Bank, BankFileFormat, Outcome, RollStatus
from safetynet.regions.models import Level, Region


def _post(request, target: str, action, ok: str):
    try:
        action()
        messages.success(request, ok)
    except SafetyNetError as e:
        messages.error(request, e.message)
    return redirect(target)


@page_view
def roll_list(request):
    rolls = list(selectors.roll_list_for_user(user=request.user)[:200])
    counties = scope(Region.objects.filter(level=Level.COUNTY), user=request.user).order_by("code")
    if request.user.region is not None and request.user.region.level == Level.COUNTY:
        counties = Region.objects.filter(pk=request.user.region_id)
    return render(request, "payments/rolls.html", {
        "rolls": rolls, "counties": counties, "programmes": Programme.choices,
        "can_prepare": can(request.user, Action.PAYROLL_PREPARE),
    })


@page_view
@require_POST
def roll_generate(request):
    created = {}

    def act():
        region_id = request.POST.get("region") or ""
        if not region_id.isdigit():
            raise InvalidPaymentInput(_("请选择区县"))
        created["roll"] = services.roll_generate(month=services.parse_month(request.POST.get("month", "")),
                                                 programme=request.POST.get("programme", ""),
                                                 region_id=int(region_id), actor=request.user)
    response = _post(request, reverse("payments:rolls"), act, _("已生成发放名册"))
    return redirect("payments:roll", created["roll"].pk) if "roll" in created else response


@page_view
def roll_detail(request, roll_id: int):
    roll = selectors.roll_get_for_user(user=request.user, roll_id=roll_id)
    lines = selectors.roll_lines(roll=roll)
    return render(request, "payments/roll.html", {
        "roll": roll, "totals": services.roll_totals(roll), "rec": selectors.roll_reconciliation(roll=roll),
        "held": list(lines.exclude(hold_reason="")[:200]),
        "failed": list(lines.filter(result__outcome=Outcome.FAILED)[:200]),
        "lines": list(lines[:100]), "files": list(roll.bank_files.all()),
        "formats": BankFileFormat.choices, "status": RollStatus, "banks": Bank.choices,
        "can_prepare": can(request.user, Action.PAYROLL_PREPARE),
        "can_approve": can(request.user, Action.PAYROLL_APPROVE) and roll.made_by_id != request.user.pk,
    })


@page_view
@require_POST
def roll_step(request, roll_id: int):
    step = request.POST.get("step")
    target = reverse("payments:roll", args=[roll_id])
    if step == "submit":
        return _post(request, target, lambda: services.roll_submit(roll_id=roll_id, actor=request.user), _("已提交复核"))
    if step == "approve":
        return _post(request, target, lambda: services.roll_approve(roll_id=roll_id, actor=request.user), _("名册已批准"))
    if step == "export":
        return _post(request, target, lambda: services.roll_export(
            roll_id=roll_id, actor=request.user, file_format=request.POST.get("format", BankFileFormat.DELIMITED)),
            _("已生成银行代发文件"))
    messages.error(request, _("未知的操作"))
    return redirect(target)


@page_view
@require_POST
def line_action(request, roll_id: int, line_id: int):
    target = reverse("payments:roll", args=[roll_id])
    step, note = request.POST.get("step"), request.POST.get("note", "")
    if step == "release":
        return _post(request, target, lambda: services.line_release(line_id=line_id, note=note, actor=request.user),
                     _("已解除暂缓"))
    if step == "reissue":
        def reissue():
            if request.POST.get("account_number"):
                line = selectors.line_get_for_user(user=request.user, line_id=line_id)
                services.bank_account_record(household_id=line.household_id, holder_id=line.payee_id,
                                             bank=request.POST.get("bank", ""),
                                             account_number=request.POST.get("account_number", ""),
                                             actor=request.user, reason=note or _("发放失败后更正账户"))
            services.line_reissue(line_id=line_id, note=note, actor=request.user)
        return _post(request, target, reissue, _("已更正账户并列入补充名册重新发放"))
    return _post(request, target, lambda: services.line_hold_failed(line_id=line_id, note=note, actor=request.user),
                 _("已暂缓发放"))


@page_view
def bank_file_download(request, bank_file_id: int):
    f = services.bank_file_read(bank_file_id=bank_file_id, actor=request.user)
    ctype = "text/plain; charset=gb18030" if f.format == BankFileFormat.FIXED else "text/csv; charset=utf-8"
    response = HttpResponse(bytes(f.content), content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{f.filename}"'
    return response


@page_view
@require_POST
def return_upload(request, bank_file_id: int):
    f = selectors.bank_file_get_for_user(user=request.user, bank_file_id=bank_file_id)
    upload = request.FILES.get("file")
    target = reverse("payments:roll", args=[f.roll_id])
    if upload is None:
        messages.error(request, _("请选择回盘文件"))
        return redirect(target)
    return _post(request, target, lambda: services.return_import(bank_file_id=f.pk, content=upload.read(),
                                                                 actor=request.user), _("回盘已导入"))
