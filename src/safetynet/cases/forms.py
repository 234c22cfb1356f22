"""Forms of the case pages, and the one place that turns a submitted form into a service call.

The forms only parse; whether a move is allowed is decided by the services (the programme's
transitions table). ``perform_move`` adds the stale-click check: the form carries the case
version it was drawn from, compared under the case's row lock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safetynet.cases import services
from safetynet.cases.access import case_get_visible
from safetynet.cases.actions import action_for_move, case_act
from safetynet.cases.attachments import attachment_upload
from safetynet.cases.errors import InvalidApplication, InvalidAttachment
from safetynet.cases.findings import BY_KEY, EXTRA_LABELS, FINDINGS
from safetynet.cases.models import Case, Channel, Programme, Status
from safetynet.cases.programmes import PROGRAMMES
from safetynet.core.errors import SafetyNetError
from safetynet.core.uploads import MultipleFileField

S = Status

#: Moves a street officer may make on several cases at once (批量办理). Only moves that need no
#: reason and no per-household figure: each case is still moved by the same service, in its own
#: transaction, and the programme's table still decides. Approval is not here: its amount is set
#: per household, and an adverse decision always needs its own reason.
BULK_MOVES: tuple[tuple[str, str], ...] = (
    (S.SUBMITTED, S.ACCEPTED),
    (S.ACCEPTED, S.VERIFICATION),
    (S.APPROVED, S.ACTIVE),
)

BULK_LABELS = {
    (S.SUBMITTED, S.ACCEPTED): _lazy("批量受理"),
    (S.ACCEPTED, S.VERIFICATION): _lazy("批量发起经济状况核对"),
    (S.APPROVED, S.ACTIVE): _lazy("批量纳入发放"),
}


def bulk_moves_for_role(role: str) -> list[tuple[str, str, str]]:
    """``(from, to, label)`` of the bulk moves this role has in at least one programme's table."""

    return [
        (a, b, str(BULK_LABELS[(a, b)]))
        for a, b in BULK_MOVES
        if any((m := p.move(a, b)) is not None and role in m.roles for p in PROGRAMMES.values())
    ]


def new_idempotency_key() -> str:
    """One per rendered application form: a double click files one case."""
    return f"web-{uuid.uuid4()}"


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField(min_value=0)
    reason = forms.CharField(label=_lazy("理由"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label=_lazy("核定金额（元/月）"), required=False, min_value=Decimal("0"),
                                max_digits=10, decimal_places=2)
    stable_household = forms.BooleanField(label=_lazy("收入稳定家庭（每年复核一次）"), required=False)


def perform_move(*, case_id: int, actor, to: str, version: int, reason: str = "", amount: Decimal | None = None,
                 stable_household: bool = False) -> Case:
    """Make the move ``to`` through the typed action it stands for, if the case is still at the
    version the officer saw (the one door: :func:`safetynet.cases.actions.case_act`)."""
    case = case_get_visible(case_id=case_id, user=actor)
    action = action_for_move(src=case.status, to=to, reason=reason, amount=amount,
                             stable_household=stable_household, version=version)
    return case_act(case_id=case_id, actor=actor, action=action)


class VisitForm(forms.Form):
    """入户调查: starts empty. Every finding is the visitor's explicit choice (``未核实`` when
    they could not establish it), with the date, who was met, and photos or documents."""

    visited_on = forms.DateField(
        label=_lazy("调查日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _lazy("请填写调查日期"), "invalid": _lazy("日期格式不对")},
    )
    met_name = forms.CharField(label=_lazy("见到的人姓名（可不填）"), required=False, max_length=64)
    assets_seen = forms.CharField(label=_lazy("见到的贵重财产（选“有”时必填）"), required=False, max_length=300)
    photos = MultipleFileField(
        label=_lazy("照片或材料（可多选；JPG、PNG、PDF，每个 10MB 以内，最多 10 个，可不传）"), required=False,
    )
    notes = forms.CharField(label=_lazy("情况说明"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    complete = forms.BooleanField(label=_lazy("调查已完成，转入审核"), required=False)

    field_order = ["visited_on", *[f.key for f in FINDINGS], "met_name", "assets_seen", "photos", "notes", "complete"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in FINDINGS:
            self.fields[f.key] = forms.ChoiceField(
                label=f.label, choices=f.choices, widget=forms.RadioSelect,
                error_messages={"required": f.missing, "invalid_choice": f.missing},
            )
        self.order_fields(self.field_order)

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("调查日期不能晚于今天"))
        return day

    def clean(self):
        data = super().clean()
        if data.get("assets") == "有" and not (data.get("assets_seen") or "").strip():
            self.add_error("assets_seen", _("选择“有”时，请写明见到的贵重财产"))
        return data

    def findings(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {f.key: d[f.key] for f in FINDINGS}
        assets = [a.strip() for a in d["assets_seen"].replace(",", "、").replace("，", "、").split("、") if a.strip()]
        if assets:
            out["assets_seen"] = assets
        if d["met_name"].strip():
            out["met_name"] = d["met_name"].strip()
        return out

    def show_refusal(self, error: SafetyNetError) -> bool:
        """Put a service's refusal at the fields it names; ``False`` if it names none."""
        fields = error.details.get("fields") or {}
        placed = False
        for name, message in fields.items():
            if name in self.fields:
                self.add_error(name, str(message))
                placed = True
        if isinstance(error, InvalidAttachment):
            self.add_error("photos", error.message)
            placed = True
        return placed


def perform_visit(*, case_id: int, actor, form: VisitForm) -> Any:
    """Store the photos (each validated as every case attachment is) and record the visit with
    them, together: one refused file keeps none and records no visit."""
    d = form.cleaned_data
    findings = form.findings()
    with transaction.atomic():
        kept = [attachment_upload(case_id=case_id, actor=actor, stream=upload, original_name=upload.name,
                                  kind=_("入户调查照片")).pk for upload in d.get("photos") or []]
        if kept:
            findings["attachments"] = kept
        return services.case_record_visit(case_id=case_id, actor=actor, visited_on=d["visited_on"],
                                          findings=findings, notes=d["notes"], complete=d["complete"])


def findings_rows(findings: dict[str, Any]) -> list[tuple[str, str]]:
    """A visit's findings as ``(label, value)`` rows in plain words, in the form's order."""
    rows = []
    for key, value in findings.items():
        if key == "attachments":
            continue
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif isinstance(value, list):
            shown = _("、").join(str(v) for v in value) or _("无")
        else:
            f = BY_KEY.get(key)
            shown = str(dict(f.choices).get(value, value)) if f else str(value)
        label = BY_KEY[key].label if key in BY_KEY else EXTRA_LABELS.get(key, OLD_LABELS.get(key, key))
        rows.append((str(label), shown))
    return rows


#: Labels of findings recorded before every finding became a choice.
OLD_LABELS = {"matches_declaration": _lazy("与申报一致")}


class ObjectionForm(forms.Form):
    content = forms.CharField(label=_lazy("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    raised_by = forms.CharField(label=_lazy("异议人（可匿名）"), required=False, max_length=64)


class ResolveForm(forms.Form):
    objection_id = forms.IntegerField()
    resolution = forms.CharField(label=_lazy("核实结论"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BulkForm(forms.Form):
    move = forms.ChoiceField(choices=[(f"{a}:{b}", label) for (a, b), label in BULK_LABELS.items()])
    case_ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={
        "required": _lazy("请至少勾选一件案件")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Which cases the user may move is the services' decision; here only parse integers.
        self.fields["case_ids"].choices = [(v, v) for v in self.data.getlist("case_ids")] if self.data else []
        self.fields["case_ids"].error_messages["invalid_choice"] = _("案件编号有误")


@dataclass(frozen=True)
class BulkResult:
    case_id: int
    ok: bool
    message: str


def perform_bulk(*, case_ids: list[int], move: str, actor) -> list[BulkResult]:
    """Each case through the same service, in its own transaction; one refusal stops nothing."""
    src, to = move.split(":")
    if (src, to) not in BULK_MOVES:
        raise InvalidApplication(_("该操作不允许批量办理"), code="case.bulk_not_allowed")
    results = []
    for case_id in dict.fromkeys(case_ids):
        try:
            case = case_act(case_id=case_id, actor=actor, action=action_for_move(src=src, to=to))
            results.append(BulkResult(case_id, True, _("已办理，当前环节：%(s)s") % {"s": Status(case.status).label}))
        except SafetyNetError as e:
            results.append(BulkResult(case_id, False, e.message))
    return results


class ApplyForm(forms.Form):
    """网上自助申请 by the applicant."""

    programme = forms.ChoiceField(label=_lazy("申请的救助项目"), choices=Programme.choices, widget=forms.RadioSelect)
    description = forms.CharField(label=_lazy("申请事由（家里遇到了什么困难）"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(
        label=_lazy("我承诺所填情况属实，并授权民政部门核对我家庭成员的收入和财产情况。"),
        error_messages={"required": _lazy("须同意授权核对，才能提交申请")},
    )
    materials = forms.FileField(
        label=_lazy("上传材料（可不传）：如病历、事故证明、收入证明的照片或 PDF，10MB 以内"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def perform_online_application(*, household_id: int, actor, form: ApplyForm) -> services.Submitted:
    """File the application and keep its material, together: a refused file files nothing. A
    retried form (same idempotency key) returns the first case and stores nothing again."""
    d = form.cleaned_data
    with transaction.atomic():
        result = services.case_submit(
            programme=d["programme"], channel=Channel.ONLINE, household_id=household_id,
            applicant_id=actor.person_id, actor=actor, idempotency_key=d["idempotency_key"],
            description=d["description"],
        )
        if result.created and d.get("materials"):
            upload = d["materials"]
            attachment_upload(case_id=result.case.pk, actor=actor, stream=upload, original_name=upload.name,
                              kind=_("申请材料"))
        return result


class MandateApplyForm(ApplyForm):
    """代办人网上代为申请: the account holds the grantor's mandate (recorded by the community)."""

    mandate = forms.TypedChoiceField(label=_lazy("为谁申请（委托人）"), coerce=int, choices=(), widget=forms.RadioSelect,
                                     error_messages={"required": _lazy("请选择为哪一位委托人申请")})
    consent = forms.BooleanField(
        label=_lazy("我承诺所填情况属实；委托人已签署委托书，并授权民政部门核对其家庭成员的收入和财产情况。"),
        error_messages={"required": _lazy("须确认委托和授权核对，才能提交申请")},
    )

    field_order = ["mandate", "programme", "description", "materials", "consent", "idempotency_key"]

    def __init__(self, *args, mandates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.mandates = {m.mandate_id: m for m in mandates}
        self.fields["mandate"].choices = [(m.mandate_id, m.grantor_name) for m in mandates]
        if len(mandates) == 1 and not self.is_bound:
            self.initial.setdefault("mandate", mandates[0].mandate_id)

    def clean(self):
        data = super().clean()
        m = self.mandates.get(data.get("mandate"))
        if m is not None and m.programmes and data.get("programme") and data["programme"] not in m.programmes:
            names = _("、").join(str(Programme(p).label) for p in m.programmes if p in Programme.values)
            self.add_error("programme", _("%(n)s 的委托书只包括：%(p)s") % {"n": m.grantor_name, "p": names})
        return data


def perform_mandate_application(*, actor, form: MandateApplyForm) -> services.Submitted:
    """File for the grantor under the account's mandate, with any material, together."""
    d = form.cleaned_data
    m = form.mandates[d["mandate"]]
    with transaction.atomic():
        result = services.case_submit(
            programme=d["programme"], channel=Channel.PROXY, household_id=m.household_id, applicant_id=m.grantor_id,
            actor=actor, idempotency_key=d["idempotency_key"], proxy_mandate_id=m.mandate_id,
            description=d["description"],
        )
        if result.created and d.get("materials"):
            upload = d["materials"]
            attachment_upload(case_id=result.case.pk, actor=actor, stream=upload, original_name=upload.name,
                              kind=_("申请材料"))
        return result


class ProxyLookupForm(forms.Form):
    number = forms.CharField(label=_lazy("查找家庭：户号、姓名、身份证号码或手机号"), max_length=64)


class ProxyApplyForm(forms.Form):
    """代办申请: a worker files for someone who cannot, under a recorded mandate (委托书)."""

    applicant = forms.TypedChoiceField(label=_lazy("申请人（委托人）"), coerce=int, choices=())
    programme = forms.ChoiceField(label=_lazy("申请的救助项目"), choices=Programme.choices)
    proxy_name = forms.CharField(label=_lazy("受托代办人姓名"), max_length=64)
    relationship = forms.CharField(label=_lazy("与委托人关系"), max_length=32)
    valid_until = forms.DateField(label=_lazy("委托有效期至"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    description = forms.CharField(label=_lazy("申请事由"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    mandate_seen = forms.BooleanField(
        label=_lazy("已核对委托人签字（或按手印）的委托书原件"),
        error_messages={"required": _lazy("须核对委托书后才能代办")},
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant"].choices = [(m.person.pk, m.person.name) for m in members]

    @staticmethod
    def initial_for(user) -> dict[str, Any]:
        return {
            "proxy_name": user.display_name or user.username,
            "relationship": _("社区工作人员"),
            "valid_until": timezone.localdate() + dt.timedelta(days=365),
            "programme": Programme.DIBAO,
            "idempotency_key": new_idempotency_key(),
        }


def perform_proxy_application(*, household_id: int, actor, data: dict[str, Any]) -> services.Submitted:
    """Record the mandate and file under it, together. A retried form (same idempotency key)
    returns the first case and records no second mandate."""
    with transaction.atomic():
        mandate = services.mandate_record(
            grantor_id=data["applicant"], proxy_name=data["proxy_name"], relationship=data["relationship"],
            valid_until=data["valid_until"], actor=actor, programmes=[data["programme"]],
        )
        result = services.case_submit(
            programme=data["programme"], channel=Channel.PROXY, household_id=household_id,
            applicant_id=data["applicant"], actor=actor, idempotency_key=data["idempotency_key"],
            proxy_mandate_id=mandate.pk, description=data["description"],
        )
        if not result.created:
            transaction.set_rollback(True)
        return result
