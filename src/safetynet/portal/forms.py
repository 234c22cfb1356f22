"""The public forms. They only parse and bound the input; the services and the rules decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.portal.models import Category, Outcome
from safetynet.portal.policy.search import MAX_QUESTION
from safetynet.portal.selectors import region_choices
from safetynet.portal.selfcheck import HARDSHIP_LABELS, INCOME_LABELS, MAX_AGE, MemberAnswer

#: Members the page asks about (the API takes up to ``selfcheck.MAX_MEMBERS``).
FORM_MEMBERS = 6
MONEY = {"min_value": Decimal(0), "max_digits": 11, "decimal_places": 2, "required": False}


class RegionChoiceField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=(), **kwargs)

    def refresh(self) -> None:
        self.choices = [("", _("请选择"))] + region_choices()


class SelfCheckForm(forms.Form):
    region_code = RegionChoiceField(label=_("住在哪个区（县）、街道（乡镇）"))
    size = forms.TypedChoiceField(
        label=_("家里一起生活的有几口人"), coerce=int, choices=[(n, n) for n in range(1, FORM_MEMBERS + 1)], initial=1
    )
    deposits = forms.DecimalField(label=_("全家存款、理财、股票合计（元）"), max_value=Decimal(100_000_000), **MONEY)
    vehicles = forms.IntegerField(label=_("家里有几辆汽车（残疾人代步车、摩托车不算）"), min_value=0, max_value=20, initial=0)
    dwellings = forms.IntegerField(label=_("家里有几套房子"), min_value=0, max_value=20, initial=1)
    medical_expenses_12m = forms.DecimalField(
        label=_("近一年看病自己付的钱（医保报销后，元）"), max_value=Decimal(10_000_000), **MONEY
    )
    education_expenses_12m = forms.DecimalField(label=_("近一年上学的花费（元）"), max_value=Decimal(10_000_000), **MONEY)
    hardship = forms.ChoiceField(
        label=_("最近有没有突然遇到的困难"), choices=list(HARDSHIP_LABELS.items()), initial="none"
    )
    has_capable_supporter = forms.TypedChoiceField(
        label=_("有没有不住在一起、但有能力赡养或抚养的子女或亲属"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("有")), ("no", _("没有"))],
        initial="yes",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].refresh()
        for i in range(1, FORM_MEMBERS + 1):
            self.fields[f"m{i}_age"] = forms.IntegerField(
                label=_("年龄"), min_value=0, max_value=MAX_AGE, required=False
            )
            self.fields[f"m{i}_disability"] = forms.TypedChoiceField(
                label=_("残疾"),
                coerce=int,
                choices=[(0, _("无")), (1, _("一级")), (2, _("二级")), (3, _("三级")), (4, _("四级"))],
                initial=0,
                required=False,
            )
            self.fields[f"m{i}_ill"] = forms.BooleanField(label=_("患重病"), required=False)
            for kind, label in INCOME_LABELS.items():
                self.fields[f"m{i}_{kind}"] = forms.DecimalField(
                    label=label, max_value=Decimal(1_000_000), **MONEY
                )

    def member_rows(self):
        """Bound fields grouped by member, for the template."""
        return [
            {
                "n": i,
                "age": self[f"m{i}_age"],
                "disability": self[f"m{i}_disability"],
                "ill": self[f"m{i}_ill"],
                "incomes": [self[f"m{i}_{kind}"] for kind in INCOME_LABELS],
            }
            for i in range(1, FORM_MEMBERS + 1)
        ]

    def clean(self):
        data = super().clean()
        size = data.get("size") or 0
        for i in range(1, size + 1):
            if data.get(f"m{i}_age") is None:
                self.add_error(f"m{i}_age", _("请填写第 %(i)d 位家庭成员的年龄") % {"i": i})
        return data

    def members(self) -> tuple[MemberAnswer, ...]:
        data = self.cleaned_data
        return tuple(
            MemberAnswer(
                age=data[f"m{i}_age"],
                disability_grade=data.get(f"m{i}_disability") or 0,
                serious_illness=bool(data.get(f"m{i}_ill")),
                incomes={kind: data.get(f"m{i}_{kind}") or Decimal(0) for kind in INCOME_LABELS},
            )
            for i in range(1, data["size"] + 1)
        )


class QuestionForm(forms.Form):
    q = forms.CharField(label=_("您想问什么"), max_length=MAX_QUESTION, strip=True)


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(label=_("反映什么问题"), choices=Category.choices)
    region_code = RegionChoiceField(label=_("发生在哪里"))
    subject = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(label=_("具体情况"), max_length=2000, min_length=5, widget=forms.Textarea(attrs={"rows": 6}))
    anonymous = forms.BooleanField(label=_("匿名反映（不留姓名和电话）"), required=False, initial=True)
    reporter_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    attachment = forms.FileField(
        label=_("附件（可选，PDF、JPG、PNG，不超过 5MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].refresh()


class TrackForm(forms.Form):
    number = forms.CharField(label=_("受理编号"), max_length=24, strip=True)


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label=_("办理结果"), choices=Outcome.choices)
    reply = forms.CharField(label=_("答复内容（将显示在查询页面上）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))


class RevealForm(forms.Form):
    purpose = forms.CharField(label=_("查看事由"), max_length=200)
