"""Forms of the rules pages: a reform (rows of parameter changes or an uploaded file), a proposed
parameter change, and a decision note. They parse input only; the rules' own validation
(:func:`~safetynet.rules.reforms.reform_parse`, the parameter services) decides what is allowed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.rules.errors import InvalidReform
from safetynet.rules.parameter_labels import translated_description, translated_unit
from safetynet.rules.reforms import ReformSpec, reform_parse

DEFAULT_REGION = "default"
MAX_REFORM_FILE = 256 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def parameter_label(p: dict[str, Any]) -> str:
    """A parameter in plain words: its description and, once, its unit (no internal path), in the
    active language. Whether the description already names the unit is read on the Chinese."""
    description = p["description"] or p["path"]
    unit = p["unit"] or ""
    label = translated_description(description)
    if not unit or f"（{unit}）" in description or description.endswith(unit):
        return label
    return _("%(description)s（%(unit)s）") % {"description": label, "unit": translated_unit(unit)}


def parameter_choices(parameters: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(path, plain label)`` for a select, from :func:`parameter_list`."""
    return [(p["path"], parameter_label(p)) for p in parameters]


_LEVEL_PREFIXES = (2, 4, 6, 9, 12)


def _region_prefix(code: str) -> str:
    """The digits that name a region's subtree (``990101`` for the county ``990101000000``)."""
    for n in _LEVEL_PREFIXES:
        if set(code[n:]) <= {"0"}:
            return code[:n]
    return code


def shadowed_regions(spec, parameters: list[dict[str, Any]], region_names: dict[str, str]) -> list[str]:
    """For each change, the regions below it with their own value of the same parameter: the
    change does not reach them (a district with its own standard keeps it). Plain sentences."""
    by_path = {p["path"]: p for p in parameters}
    out = []
    for change in spec.changes:
        p = by_path.get(change.path)
        if p is None:
            continue
        prefix = "" if change.region_key == DEFAULT_REGION else _region_prefix(change.region_key)
        own = [r for r in p["regions"]
               if r["region"] not in (DEFAULT_REGION, change.region_key) and r["region"].startswith(prefix)
               and r["in_force"] is not None]
        if own:
            where = region_names.get(change.region_key, _("全国默认值")) if prefix else _("全国默认值")
            listed = "、".join(f"{region_names.get(r['region'], r['region'])}（现行 {r['in_force']}）" for r in own)
            out.append(_("调整“%(p)s”（%(w)s）不影响以下有本地标准的区划：%(l)s。如需一并调整，请为它们各加一行。")
                       % {"p": parameter_label(p), "w": where, "l": listed})
    return out


def region_choices(regions, *, with_default: bool) -> list[tuple[str, str]]:
    out = [(DEFAULT_REGION, _("全国默认值（default）"))] if with_default else []
    out += [(r.code, f"{r.name}（{r.code}）") for r in regions]
    return out


def next_month_start(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


class ReformForm(forms.Form):
    """The reform as a whole: its name, the month to simulate, or a file in the CLI's format."""

    name = forms.CharField(label=gettext_lazy("方案名称"), max_length=100, required=False)
    on = forms.DateField(
        label=gettext_lazy("测算日期"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("按该日期所在月份测算；不填则取各项调整中最晚的生效日期（不早于今天）。"),
    )
    file = forms.FileField(
        label=gettext_lazy("或上传改革方案文件"),
        required=False,
        help_text=gettext_lazy(
            "YAML 或 JSON，与命令行 safetynet simulate 的格式相同；上传文件时忽略下面填写的各行。"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_REFORM_FILE:
            raise forms.ValidationError(_("文件过大（不超过 256 KB）"))
        try:
            return yaml.safe_load(upload.read().decode("utf-8-sig"))  # JSON is YAML too
        except (UnicodeDecodeError, yaml.YAMLError):
            raise forms.ValidationError(_("改革方案文件格式无效（应为 UTF-8 编码的 YAML 或 JSON）")) from None


class ChangeRowForm(forms.Form):
    """One parameter change: which parameter, for which region, from when, the new value."""

    path = forms.ChoiceField(label=gettext_lazy("参数"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("适用区划"), required=False)
    start = forms.DateField(label=gettext_lazy("生效日期"), required=False, widget=DateInput())
    value = forms.DecimalField(label=gettext_lazy("新值"), required=False, min_value=0, max_digits=14)

    def __init__(self, *args, paths=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].choices = [("", _("— 选择参数 —")), *paths]
        self.fields["region"].choices = list(regions)

    def as_change(self) -> dict[str, Any] | None:
        d = self.cleaned_data
        if not d.get("path") and d.get("value") is None:
            return None  # an empty row
        return {
            "path": d.get("path") or "",
            "region": d.get("region") or DEFAULT_REGION,
            "start": d["start"].isoformat() if d.get("start") else "",
            "value": str(d["value"]) if d.get("value") is not None else "",
        }


#: Rows come from the page (three blank rows to start); extra=0 so initial values do not add more.
ChangeRowFormSet = forms.formset_factory(ChangeRowForm, extra=0, max_num=20, validate_max=True)
ROWS = 3


def reform_from_forms(form: ReformForm, rows) -> ReformSpec:
    """The reform of a valid form and formset: the uploaded file, else the filled rows; checked
    by :func:`reform_parse` (raises :class:`InvalidReform` with a message for people)."""
    data = form.cleaned_data.get("file")
    if data is None:
        changes = [c for c in (row.as_change() for row in rows) if c is not None]
        data = {"name": form.cleaned_data.get("name") or "", "changes": changes}
    elif form.cleaned_data.get("name") and isinstance(data, dict):
        data = {**data, "name": form.cleaned_data["name"]}
    return reform_parse(data)


def simulation_date(form: ReformForm, spec: ReformSpec) -> dt.date:
    """The date asked for, else the latest start among the changes and not before today, so the
    reform is in force in the month simulated."""
    if form.cleaned_data.get("on"):
        return form.cleaned_data["on"]
    return max([timezone.localdate(), *(c.start for c in spec.changes)])


def reform_from_hidden(text: str) -> ReformSpec:
    """The reform carried by the result page's download form (JSON of ``ReformSpec.as_dict``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidReform(_("改革方案格式无效"), error=str(exc)) from exc
    return reform_parse(data)


class ParameterChangeForm(forms.Form):
    """提出参数调整: the service checks the region, the date and maker-checker."""

    path = forms.ChoiceField(label=gettext_lazy("参数"))
    region_code = forms.ChoiceField(label=gettext_lazy("适用区划"))
    effective_from = forms.DateField(label=gettext_lazy("生效日期"), widget=DateInput())
    value = forms.DecimalField(label=gettext_lazy("新值"), min_value=0, max_digits=14, decimal_places=4)
    reference = forms.CharField(
        label=gettext_lazy("依据文件及条款"),
        max_length=300,
        help_text=gettext_lazy("例如：示民发〔2026〕3号 第二条"),
    )
    reason = forms.CharField(
        label=gettext_lazy("调整理由"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, paths=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].choices = [("", _("— 选择参数 —")), *paths]
        self.fields["region_code"].choices = list(regions)


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("审核意见"), max_length=300, required=False)


def simulation_date_from_text(text: str, spec: ReformSpec) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return max([timezone.localdate(), *(c.start for c in spec.changes)])
